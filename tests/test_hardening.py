"""Broken inputs: each is rejected with its reason (or read, when it is readable), nothing hangs, nothing
outside the inputs is read, and the good records around the bad ones are built."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

from kg.model import codes
from kg.model.records import TrialRecord
from kg.rdf.iris import KG, SCHEMA
from kg.sources import Reject, iter_records
from tests.conftest import EXAMPLES, FIXTURES, SHARED, example_paths, needs_shared, new_generations, stored_triples
from tests.conftest import run_kg as run

BAD = FIXTURES / "bad"

EXPECTED = {
    "billion-laughs.xml": "unsafe-xml",
    "binary.bin": "unknown-format",
    "byte-order-mark.json": "NCT00000410",
    "deeply-nested.json": "malformed-json",
    "empty.json": "empty-file",
    "external-entity.xml": "unsafe-xml",
    "invalid-nct-id.json": "invalid-nct-id",
    "nan-enrollment.json": "NCT99999903",  # kept; the NaN count is a field warning
    "not-a-study.json": "not-a-study",
    "page-latin-1.txt": "NCT03668171",
    "page-of-another-site.html": "unknown-format",
    "page-utf-16.txt": "NCT03668171",
    "truncated.json": "malformed-json",
    "truncated.xml": "malformed-xml",
    "unknown-status.json": "unknown-status",
    "v1-missing-keys-unknown-status.json": "unknown-status",
    "version-newer.json": "NCT99999904",
    "version-older.json": "NCT99999904",
    "zip-bomb.zip": "too-large",
    "zip-with-dotdot-names.zip": "NCT00000410",
}


def outcomes(paths: list[str]) -> dict[str, str]:
    found = {}
    for item in iter_records(paths):
        name = Path(item.path if isinstance(item, Reject) else item.provenance.path).name
        found[name] = item.reason if isinstance(item, Reject) else item.nct_id
    return found


def test_each_broken_input_has_its_exact_outcome() -> None:
    assert outcomes([str(BAD)]) == EXPECTED


def test_every_broken_file_is_named_in_the_fixture_table() -> None:
    assert sorted(p.name for p in BAD.iterdir()) == sorted(EXPECTED)


def test_a_page_in_latin_1_or_utf_16_reads_like_the_utf_8_one() -> None:
    (latin,) = iter_records([str(BAD / "page-latin-1.txt")])
    (wide,) = iter_records([str(BAD / "page-utf-16.txt")])
    (original,) = iter_records([str(FIXTURES / "seeds" / "002_339b4b2897f858f7.txt")])
    assert isinstance(latin, TrialRecord) and isinstance(wide, TrialRecord)
    assert wide.eligibility == original.eligibility and wide.arms == original.arms
    assert "µmo1/L" in latin.eligibility.inclusion[1]  # Latin-1 bytes decoded, not mangled


def test_a_fifty_megabyte_field_is_rejected_not_built(tmp_path: Path) -> None:
    study = json.loads((EXAMPLES / "NCT00000410.json").read_text())
    study["protocolSection"]["descriptionModule"]["briefSummary"] = "x" * 50_000_000
    (tmp_path / "huge.json").write_text(json.dumps(study))
    (reject,) = iter_records([str(tmp_path / "huge.json")])
    assert isinstance(reject, Reject) and reject.reason == "bad-value" and "50,000,000 characters" in reject.message


def test_deep_object_nesting_is_malformed_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "deep.json").write_text('{"a":' * 50_000 + "1" + "}" * 50_000)
    (reject,) = iter_records([str(tmp_path / "deep.json")])
    assert reject.reason == "malformed-json" and "nested too deeply" in reject.message


def test_symlinks_inside_a_folder_are_not_followed_and_a_loop_ends(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "NCT00000410.json").write_bytes((EXAMPLES / "NCT00000410.json").read_bytes())
    (folder / "loop").symlink_to(folder, target_is_directory=True)
    secret = tmp_path / "outside.json"
    secret.write_bytes((EXAMPLES / "NCT02663973.json").read_bytes())
    (folder / "outside.json").symlink_to(secret)
    found = outcomes([str(folder)])
    assert found == {"NCT00000410.json": "NCT00000410", "outside.json": "unreadable-file"}


def test_a_zip_member_named_with_dotdot_is_read_in_place_and_nothing_is_written_outside(tmp_path: Path) -> None:
    before = set(tmp_path.parent.iterdir())
    (record,) = iter_records([str(BAD / "zip-with-dotdot-names.zip")])
    assert record.provenance.member == "../../outside/NCT00000410.json"
    assert set(tmp_path.parent.iterdir()) == before


def test_conflicting_versions_become_one_trial_and_the_later_update_wins(tmp_path: Path) -> None:
    output = tmp_path / "g.ttl"
    result = run("build", str(BAD / "version-older.json"), str(BAD / "version-newer.json"), "-o", str(output))
    assert result.exit_code == 0 and "duplicate records merged: 1" in result.stderr
    graph = Graph().parse(output)
    assert graph.value(URIRef("https://clinicaltrials.gov/study/NCT99999904"), KG.overallStatus) == Literal("COMPLETED")


def test_building_good_and_bad_together_counts_every_record(tmp_path: Path) -> None:
    result = run("build", str(EXAMPLES), str(BAD), "-o", str(tmp_path / "g.ttl"))
    assert result.exit_code == 0
    lines = [json.loads(line) for line in (tmp_path / "g.rejects.jsonl").read_text().splitlines()]
    rejects = [line for line in lines if line["kind"] == "reject"]
    assert [w["field"] for w in lines if w["kind"] == "field-warning"] == ["enrollment"]
    expected_rejects = sum(1 for v in EXPECTED.values() if not v.startswith("NCT"))
    assert len(rejects) == expected_rejects and f"rejected: {expected_rejects}" in result.stderr
    read = int(result.stderr.split("records read: ")[1].split()[0])
    trials = int(result.stderr.split("trials: ")[1].split()[0])
    merged = int(result.stderr.split("duplicate records merged: ")[1].split(")")[0])
    assert read == trials + merged + len(rejects)
    assert trials == len(example_paths()) + 3  # NCT03668171 (two pages), NCT99999904 (two versions), NCT99999903


@needs_shared
def test_the_whole_shared_corpus_with_the_broken_corpus_mixed_in_adds_up(tmp_path: Path) -> None:
    inputs = [str(SHARED / d) for d in ("v2-json", "v2-json-bundles", "legacy-xml", "v1-studyfields-json")]
    inputs += [str(SHARED.parent.parent / "seeds"), str(BAD)]
    result = run("build", *inputs, "-o", str(tmp_path / "all.ttl"))
    assert result.exit_code == 0, result.stderr[-2000:]
    read = int(result.stderr.split("records read: ")[1].split()[0])
    trials = int(result.stderr.split("trials: ")[1].split()[0])
    merged = int(result.stderr.split("duplicate records merged: ")[1].split(")")[0])
    rejected = int(result.stderr.split("rejected: ")[1].split()[0])
    assert read == trials + merged + rejected
    assert rejected == sum(1 for v in EXPECTED.values() if not v.startswith("NCT"))
    assert "SHACL: conforms (0 violations" in result.stderr


def _kill(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGKILL)  # no handler runs: nothing of kg's is cleaned up
    process.wait()


@pytest.mark.parametrize("moment", ["reading", "writing"])
def test_a_build_killed_before_its_graph_is_renamed_leaves_the_previous_graph_and_store(
    tmp_path: Path, held_kg, moment: str
) -> None:
    """SIGKILL runs no clean-up: the previous outputs survive because kg writes beside them and renames.
    Killed while reading its inputs (locks held, nothing written) or while writing (a `.part` file and a
    new store generation exist), the graph, its report and rejects file are the previous ones byte for byte
    and the store answers as before."""
    output, store = tmp_path / "g.ttl", tmp_path / "st"
    assert run("build", str(example_paths()[0]), "-o", str(output), "--store", str(store)).exit_code == 0
    written = [output, tmp_path / "g.report.ttl", tmp_path / "g.rejects.jsonl"]
    before, triples = [path.read_bytes() for path in written], stored_triples(store)
    build = held_kg(moment, "build", str(EXAMPLES), "-o", str(output), "--store", str(store))
    parts, pending = sorted(tmp_path.glob(".g.ttl.*.part")), new_generations(tmp_path)
    assert (tmp_path / ".g.ttl.lock").exists() and (tmp_path / ".st.lock").exists()
    if moment == "reading":
        assert parts == [] and pending == []
    else:
        assert len(parts) == 1 and parts[0].stat().st_size > 0 and len(pending) == 1
    _kill(build)
    # The kill landed at that moment: what the build had made is still there, and nothing more.
    assert sorted(tmp_path.glob(".g.ttl.*.part")) == parts and new_generations(tmp_path) == pending
    assert [path.read_bytes() for path in written] == before
    assert len(Graph().parse(output)) > 0
    assert stored_triples(store) == triples


def test_a_build_killed_between_renaming_its_graph_and_swapping_its_store_leaves_the_new_graph_and_the_old_store(
    tmp_path: Path, held_kg
) -> None:
    """The graph file is renamed into place first, the store swapped in after: a kill in between leaves
    the new graph whole and the store as it was, never a store holding a graph whose file was not written."""
    output, store = tmp_path / "g.ttl", tmp_path / "st"
    assert run("build", str(example_paths()[0]), "-o", str(output), "--store", str(store)).exit_code == 0
    triples = stored_triples(store)
    build = held_kg("swapping", "build", str(EXAMPLES), "-o", str(output), "--store", str(store))
    pending = new_generations(tmp_path)
    assert len(pending) == 1 and "state: complete" in (tmp_path / pending[0] / ".kg-store").read_text()
    assert not list(tmp_path.glob(".g.ttl.*.part"))
    _kill(build)
    assert new_generations(tmp_path) == pending
    graph = Graph().parse(output)
    assert len(set(graph.subjects(RDF.type, SCHEMA.MedicalStudy))) == len(example_paths())
    assert stored_triples(store) == triples


@pytest.mark.parametrize("moment", ["filling", "swapping"])
def test_a_store_load_killed_before_the_swap_leaves_the_old_store(
    tmp_path: Path, held_kg, examples_build, moment: str
) -> None:
    """Killed while its new generation is filled (still marked unfinished) or once it is finished but not
    yet swapped in, `kg load` leaves the store answering exactly what it answered before."""
    small, store = tmp_path / "small.ttl", tmp_path / "store"
    assert run("build", str(example_paths()[0]), "-o", str(small), "--store", str(store)).exit_code == 0
    triples = stored_triples(store)
    load = held_kg(moment, "load", str(examples_build[0]), "--store", str(store))
    pending = new_generations(tmp_path)
    assert len(pending) == 1
    state = (tmp_path / pending[0] / ".kg-store").read_text()
    assert ("state: building" if moment == "filling" else "state: complete") in state
    _kill(load)
    assert new_generations(tmp_path) == pending  # the kill landed while the new generation existed
    assert stored_triples(store) == triples


def test_the_endpoint_sees_the_old_or_the_new_store_while_it_is_replaced(tmp_path: Path, examples_build) -> None:
    import threading
    import urllib.parse
    import urllib.request

    from kg.query.endpoint import ServerConfig, make_server
    from kg.store import load_store

    small, big, store = tmp_path / "small.nt", examples_build[0], tmp_path / "store"
    assert run("build", str(example_paths()[0]), "-o", str(small), "--format", "nt").exit_code == 0
    sizes = {load_store(big, store), load_store(small, store)}
    server = make_server(ServerConfig(store, port=0))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/sparql?query=" + urllib.parse.quote(
        "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    )
    seen: list[int] = []
    stop = threading.Event()

    def ask() -> None:
        while not stop.is_set():
            with urllib.request.urlopen(url, timeout=30) as response:
                seen.append(int(json.loads(response.read())["results"]["bindings"][0]["n"]["value"]))

    reader = threading.Thread(target=ask)
    reader.start()
    try:
        for graph in (big, small, big):
            load_store(graph, store)
    finally:
        stop.set()
        reader.join()
        server.shutdown()
        server.server_close()
    assert seen and set(seen) <= sizes


@settings(max_examples=40, deadline=None)
@given(
    nct=st.from_regex(r"NCT[0-9]{8}", fullmatch=True),
    title=st.text(min_size=1, max_size=60).filter(str.strip),
    status=st.sampled_from(sorted(codes.OVERALL_STATUSES)),
    phases=st.lists(st.sampled_from(sorted(codes.PHASES)), max_size=2, unique=True),
    enrollment=st.integers(0, 10**6),
    # Conditions are keyed case-insensitively ("Liver Failure" and "liver failure" are one node).
    conditions=st.lists(
        st.text(min_size=1, max_size=30).filter(str.strip),
        max_size=3,
        unique_by=lambda c: " ".join(c.split()).casefold(),
    ),
    start=st.dates().map(lambda d: d.isoformat()[:7]),
    sponsor=st.text(min_size=1, max_size=40).filter(str.strip),
)
def test_a_record_survives_mapping_serialization_and_a_sparql_read_back(
    nct, title, status, phases, enrollment, conditions, start, sponsor
) -> None:
    """record -> RDF -> N-Triples -> Oxigraph -> SPARQL gives back every field that went in."""
    import pyoxigraph

    from kg.model.records import Organization, Provenance, RegistryDate
    from kg.rdf.mapping import map_trial
    from kg.rdf.terms import ntriples

    record = TrialRecord(
        nct, Provenance("ctgov-v2-json", "x.json", 0), title=title.strip(), status=status, phases=tuple(phases),
        enrollment=enrollment, conditions=tuple(c.strip() for c in conditions), start_date=RegistryDate(start),
        sponsor=Organization(sponsor.strip()),
    )  # fmt: skip
    store = pyoxigraph.Store()
    store.load(ntriples(map_trial(record).rdflib()).encode(), format=pyoxigraph.RdfFormat.N_TRIPLES)
    prefix = "PREFIX kg: <https://w3id.org/kg-trials/ontology#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "

    def values(pattern: str) -> set[str]:
        return {
            row["v"].value for row in store.query(prefix + f'SELECT ?v WHERE {{ ?t kg:nctId "{nct}" . {pattern} }}')
        }

    assert values("?t rdfs:label ?v") == {record.title}
    assert values("?t kg:overallStatus ?v") == {status}
    assert values("?t kg:phase ?v") == set(phases)
    assert values("?t kg:enrollment ?v") == {str(enrollment)}
    assert values("?t kg:condition/rdfs:label ?v") == set(record.conditions)
    assert values("?t kg:startDate ?v") == {start}
    assert values("?t kg:leadSponsor/rdfs:label ?v") == {record.sponsor.name}


def test_every_field_of_every_example_record_reads_back_from_the_graph(examples_build) -> None:
    """Real records: parse -> map -> Turtle -> Oxigraph -> SPARQL, field by field."""
    import pyoxigraph

    from kg.rdf.mapping import date_literal
    from kg.rdf.terms import term_of_text

    output = examples_build[0]
    store = pyoxigraph.Store()
    store.load(path=str(output), format=pyoxigraph.RdfFormat.TURTLE)
    prefix = (
        "PREFIX kg: <https://w3id.org/kg-trials/ontology#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
        "PREFIX schema: <https://schema.org/> "
    )

    def values(nct: str, pattern: str) -> set[str]:
        query = prefix + f'SELECT ?v WHERE {{ ?t kg:nctId "{nct}" . {pattern} }}'
        return {row["v"].value for row in store.query(query)}

    def one(value: object) -> set[str]:
        return set() if value is None else {str(value)}

    for record in iter_records([str(EXAMPLES)]):
        assert isinstance(record, TrialRecord)
        n = record.nct_id
        assert values(n, "?t rdfs:label ?v") == {record.title}
        assert values(n, "?t kg:officialTitle ?v") == one(record.official_title)
        assert values(n, "?t kg:briefSummary ?v") == one(record.brief_summary)
        assert values(n, "?t kg:overallStatus ?v") == one(record.status)
        assert values(n, "?t kg:lastKnownStatus ?v") == one(record.last_known_status)
        assert values(n, "?t kg:phase ?v") == set(record.phases)
        assert values(n, "?t kg:studyType ?v") == one(record.study_type)
        assert values(n, "?t kg:enrollment ?v") == one(record.enrollment)
        for predicate, date in (("startDate", record.start_date), ("completionDate", record.completion_date),
                                ("primaryCompletionDate", record.primary_completion_date),
                                ("firstPosted", record.first_posted), ("lastUpdated", record.last_updated)):  # fmt: skip
            assert values(n, f"?t kg:{predicate} ?v") == (
                {str(term_of_text(date_literal(date) or ""))} if date else set()
            )
        for predicate, value in (("allocation", record.allocation), ("interventionModel", record.intervention_model),
                                 ("masking", record.masking), ("primaryPurpose", record.primary_purpose)):  # fmt: skip
            assert values(n, f"?t kg:{predicate} ?v") == one(value)
        assert values(n, "?t kg:leadSponsor/rdfs:label ?v") == one(record.sponsor.name if record.sponsor else None)
        assert values(n, "?t kg:collaborator/rdfs:label ?v") == {c.name for c in record.collaborators}
        assert values(n, "?t kg:condition/rdfs:label ?v") == set(record.conditions)
        assert values(n, "?t kg:keyword ?v") == set(record.keywords)
        assert values(n, "?t kg:conditionMesh/kg:meshId ?v") == {m.mesh_id for m in record.mesh_terms}
        assert values(n, "?t kg:conditionMeshAncestor/kg:meshId ?v") == {m.mesh_id for m in record.mesh_ancestors}
        assert values(n, "?t kg:hasIntervention/rdfs:label ?v") == {i.name for i in record.interventions}
        assert values(n, "?t kg:hasArm/rdfs:label ?v") == {a.label for a in record.arms}
        assert values(n, "?t kg:hasOutcome/rdfs:label ?v") == {o.measure for o in record.outcomes}
        assert values(n, "?t kg:hasReference/kg:pmid ?v") == {r.pmid for r in record.references if r.pmid}
        assert values(n, "?t kg:secondaryId/schema:value ?v") == {s.identifier for s in record.secondary_ids}
        assert len(values(n, "?t kg:hasLocation ?v")) == len(record.locations)
        eligibility = record.eligibility
        assert values(n, "?t kg:hasEligibility/kg:minimumAge ?v") == one(eligibility.min_age)
        assert values(n, "?t kg:hasEligibility/kg:maximumAge ?v") == one(eligibility.max_age)
        assert values(n, "?t kg:hasEligibility/kg:sex ?v") == one(eligibility.sex)
        assert values(n, "?t kg:hasEligibility/kg:inclusionCriterion ?v") == set(eligibility.inclusion)
        assert values(n, "?t kg:hasEligibility/kg:exclusionCriterion ?v") == set(eligibility.exclusion)
