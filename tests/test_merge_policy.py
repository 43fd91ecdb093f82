"""When records of one trial disagree: the newer fact wins, and what only one source states survives."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph

from tests.conftest import FIXTURES, run_kg

PREFIXES = "PREFIX kg: <https://w3id.org/kg-trials/ontology#> PREFIX schema: <https://schema.org/> "


def _built(tmp_path: Path, *inputs: Path) -> pyoxigraph.Store:
    graph = tmp_path / "g.nt"
    result = run_kg("build", *map(str, inputs), "-o", str(graph))
    assert result.exit_code in (0, 1), result.stderr
    store = pyoxigraph.Store()
    store.load(path=str(graph), format=pyoxigraph.RdfFormat.N_TRIPLES)
    return store


def _values(store: pyoxigraph.Store, pattern: str) -> set[str]:
    query = PREFIXES + f'SELECT ?v WHERE {{ ?t kg:nctId "NCT03945487" . {pattern} }}'
    return {row["v"].value for row in store.query(query)}  # type: ignore[union-attr]


def test_unknown_status_wins_over_an_equally_dated_recruiting_and_the_page_schedule_survives(tmp_path) -> None:
    """Seed 004 (today's page) says UNKNOWN, the 2022 API v1 record RECRUITING, both last updated
    2019-05-10: UNKNOWN is set later by the registry. The page's `three times at 3-week intervals`
    stays on the merged arm whichever record's arms lead."""
    page = next((FIXTURES / "seeds").glob("004*"))
    store = _built(tmp_path, page, FIXTURES / "v1" / "NCT03945487.json")
    assert _values(store, "?t kg:overallStatus ?v") == {"UNKNOWN"}
    assert _values(store, "?t kg:hasArm ?a . ?a kg:administrations ?v") == {"3"}
    assert {float(v) for v in _values(store, "?t kg:hasArm ?a . ?a kg:intervalWeeks ?v")} == {3.0}


def test_a_trial_known_only_by_reference_is_a_medical_study_too(tmp_path) -> None:
    store = _built(tmp_path, *sorted((FIXTURES / "seeds").iterdir()))
    untyped = PREFIXES + ("SELECT ?t WHERE { ?t a kg:Trial . FILTER NOT EXISTS { ?t a schema:MedicalStudy } }")
    referenced = PREFIXES + "SELECT ?t WHERE { ?x kg:relatedTrial ?t }"
    assert list(store.query(referenced)), "the seed pages list related trials"
    assert list(store.query(untyped)) == []


def test_each_trial_says_what_date_its_data_is_as_of_and_on_what_basis(tmp_path) -> None:
    """The seed/v1 pair: the v1 record's version date (2022), newer than anything the page shows. A page
    alone gives no version date: its newest shown date, marked as such."""
    pages = sorted((FIXTURES / "seeds").iterdir())
    store = _built(tmp_path, *pages, FIXTURES / "v1" / "NCT03945487.json")
    assert _values(store, "?t kg:dataAsOf ?v") == {"2022-10-10"}
    assert _values(store, "?t kg:dataAsOfBasis ?v") == {"registry version date"}
    page_only = PREFIXES + (
        'SELECT ?d ?b WHERE { ?t kg:nctId "NCT06884904" ; kg:dataAsOf ?d ; kg:dataAsOfBasis ?b ; kg:lastUpdated ?u }'
    )
    rows = list(store.query(page_only))  # type: ignore[arg-type]
    assert [(r["d"].value, r["b"].value) for r in rows] == [("2025-03-19", "newest date the record shows")]
