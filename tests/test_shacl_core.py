"""kg's compiled SHACL Core engine reports exactly what pyshacl (the reference) reports: on every shapes
example, on real records of every format, and on faults planted into real trials at random."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, XSD

from kg.build.merge import TrialIndex
from kg.errors import UnsupportedShapes, ValidationError
from kg.model.records import TrialRecord
from kg.rdf.iris import KG, SH
from kg.rdf.mapping import map_trial
from kg.sources import iter_records
from kg.validation.core import compile_shapes
from kg.validation.shacl import load_shapes, validate_triples
from tests.conftest import EXAMPLES, FIXTURES, SHARED, needs_shared

SHAPES = FIXTURES / "shapes"


def outcome(triples: list, engine: str) -> set | str:
    """The engine's results, or the fact that it refused the data (both engines refuse some data)."""
    try:
        return set(validate_triples(triples, engine))
    except ValidationError:
        return "refused"


def same_results(triples: list) -> set:
    core, reference = outcome(triples, "core"), outcome(triples, "pyshacl")
    if core == "refused" or reference == "refused":
        assert core == reference, f"core: {core}\npyshacl: {reference}"
        return set()
    assert isinstance(core, set) and isinstance(reference, set)
    assert core == reference, f"only core: {core - reference}\nonly pyshacl: {reference - core}"
    return core


def trial_triples(inputs: list[str]) -> list[list]:
    """Each trial's own triples plus the nodes it references, as a build validates them."""
    records = [r for r in iter_records(inputs, "auto", False) if isinstance(r, TrialRecord)]
    index = TrialIndex()
    for record in records:
        index.offer(record)
    index.resolve()
    out = []
    for trial in index.trials(records):
        out.append(map_trial(trial).rdflib())
    return out


@pytest.mark.parametrize("path", sorted(SHAPES.glob("*/*.ttl")), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_shapes_example_gives_the_same_results(path: Path) -> None:
    same_results(list(Graph().parse(path)))


@pytest.mark.parametrize(
    "inputs",
    [[str(EXAMPLES)], [str(FIXTURES / "v1")], [str(FIXTURES / "legacy-xml")], [str(FIXTURES / "seeds")]],
    ids=["v2-examples", "v1", "legacy-xml", "seeds"],
)
def test_real_records_of_every_format_give_the_same_results(inputs: list[str]) -> None:
    trials = trial_triples(inputs)
    assert trials
    same_results([t for triples in trials for t in triples])


@needs_shared
def test_the_whole_shared_v2_corpus_gives_the_same_95_warnings() -> None:
    trials = trial_triples([str(SHARED / "v2-json")])
    results = same_results([t for triples in trials for t in triples])
    assert len(trials) == 392
    assert len(results) == 95 and {r.severity for r in results} == {SH.Warning}


POOL = [
    Literal("x"),
    Literal("NCT0123456"),
    Literal("RECRUITING"),
    Literal("recruiting"),
    Literal("RECRUITING", datatype=XSD.string),
    Literal("RECRUITING", lang="en"),
    Literal("-1", datatype=XSD.decimal),
    Literal("1.5", datatype=XSD.decimal),
    Literal("7", datatype=XSD.integer),
    Literal("abc", datatype=XSD.integer),
    Literal("2021-02-30", datatype=XSD.date),
    Literal("2021-07", datatype=XSD.gYearMonth),
    Literal("2021-07-01", datatype=XSD.date),
    Literal("true", datatype=XSD.boolean),
    URIRef("https://example.org/thing"),
    URIRef("https://clinicaltrials.gov/study/NCT00000001"),
    BNode("planted"),
    KG.Trial,
    KG.SourceRecord,
]


@st.composite
def planted_faults(draw: st.DrawFn, trials: list[list]) -> list:
    triples = list(draw(st.sampled_from(trials)))
    for _ in range(draw(st.integers(1, 4))):
        s, p, o = triples[draw(st.integers(0, len(triples) - 1))]
        action = draw(st.sampled_from(["drop", "replace", "add", "retype", "subclass"]))
        if action == "drop":
            triples.remove((s, p, o))
        elif action == "replace":
            triples.remove((s, p, o))
            triples.append((s, p, draw(st.sampled_from(POOL))))
        elif action == "add":
            triples.append((s, p, draw(st.sampled_from(POOL))))
        elif action == "retype":
            triples.append((s, RDF.type, draw(st.sampled_from([KG.Trial, KG.Dose, KG.Arm, KG.SourceRecord]))))
        else:
            triples.append((URIRef("https://example.org/Special"), RDFS.subClassOf, KG.SourceRecord))
            triples.append((o if not isinstance(o, Literal) else s, RDF.type, URIRef("https://example.org/Special")))
    return triples


REAL_TRIALS = trial_triples([str(p) for p in sorted(EXAMPLES.glob("NCT*.json"))[:12]] + [str(FIXTURES / "seeds")])


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(planted_faults(REAL_TRIALS))
def test_faults_planted_in_real_trials_give_the_same_results(triples: list) -> None:
    same_results(triples)


def test_planted_faults_do_break_rules() -> None:
    """The property test above compares something: replacing a status with a lowercase code is caught."""
    trial = next(t for t in REAL_TRIALS if any(p == KG.overallStatus for _s, p, _o in t))
    s, p, o = next(t for t in trial if t[1] == KG.overallStatus)
    broken = [t for t in trial if t != (s, p, o)] + [(s, p, Literal("recruiting"))]
    results = same_results(broken)
    assert [r.constraint for r in results if r.severity == SH.Violation] == [SH.InConstraintComponent]


def test_both_engines_refuse_a_blank_node_where_an_order_comparison_needs_a_value() -> None:
    trial = next(t for t in REAL_TRIALS if any(o == KG.Eligibility for _s, _p, o in t))
    eligibility = next(s for s, _p, o in trial if o == KG.Eligibility)
    broken = [*trial, (eligibility, KG.minimumAgeYears, BNode("planted"))]
    for engine in ("core", "pyshacl"):
        with pytest.raises(ValidationError, match="(?i)blank ?node"):
            validate_triples(broken, engine)


def test_the_shipped_shapes_compile() -> None:
    assert compile_shapes(load_shapes()) is not None


@pytest.mark.parametrize(
    "extra",
    [
        "sh:closed true",
        'sh:sparql [ sh:select "SELECT $this WHERE {}" ]',
        'sh:property [ sh:path ( kg:a kg:b ) ; sh:minCount 1 ; sh:message "m" ]',
        "sh:property [ sh:path kg:a ; sh:minCount 1 ]",
        'sh:property [ sh:path kg:a ; sh:pattern "x" ; sh:flags "i" ; sh:message "m" ]',
        'sh:property [ sh:path kg:a ; sh:node kgsh:Other ; sh:message "m" ]',
    ],
    ids=["closed", "sparql", "sequence-path", "no-message", "flags", "node"],
)
def test_shapes_beyond_the_engine_are_refused_not_skipped(extra: str) -> None:
    shapes = Graph().parse(
        data=f"""@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix kg: <{KG}> .
        @prefix kgsh: <https://w3id.org/kg-trials/shapes#> .
        kgsh:S a sh:NodeShape ; sh:targetClass kg:Trial ; {extra} .""",
        format="turtle",
    )
    with pytest.raises(UnsupportedShapes):
        compile_shapes(shapes)
