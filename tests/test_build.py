"""`kg build`: one node per trial, a report and rejects beside the graph, exit codes, atomic outputs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyoxigraph
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

from kg.rdf.iris import KG, SCHEMA
from tests.conftest import EXAMPLES, FIXTURES, example_paths
from tests.conftest import run_kg as run

BUNDLE = FIXTURES / "v2-bundle" / "dgg32_ctg-studies.json"


@pytest.fixture(scope="module")
def examples_graph(examples_build) -> Graph:
    """The examples' graph as rdflib reads it, parsed once: the tests only look at it."""
    return Graph().parse(examples_build[0])


def test_building_the_examples_conforms_with_one_study_node_per_trial(examples_build, examples_graph) -> None:
    _, result = examples_build
    assert result.exit_code == 0, result.output
    studies = set(examples_graph.subjects(RDF.type, SCHEMA.MedicalStudy))
    assert len(studies) == len(example_paths())
    assert "SHACL: conforms (0 violations" in result.stderr
    assert f"trials: {len(example_paths())}" in result.stderr


def test_the_report_and_rejects_are_written_beside_the_graph(examples_build) -> None:
    output, _ = examples_build
    report = Graph().parse(output.with_name("graph.report.ttl"))
    assert (None, URIRef("http://www.w3.org/ns/shacl#conforms"), Literal(True)) in report
    assert output.with_name("graph.rejects.jsonl").read_text() == ""


def test_a_second_parser_reads_the_same_number_of_triples(examples_build, examples_graph) -> None:
    output, result = examples_build
    store = pyoxigraph.Store()
    store.load(path=str(output), format=pyoxigraph.RdfFormat.TURTLE)
    assert len(store) == len(examples_graph)
    assert f"triples: {len(store)}" in result.stderr


def test_interventional_and_observational_trials_get_their_schema_org_types(examples_graph) -> None:
    graph = examples_graph
    alchemist = URIRef("https://clinicaltrials.gov/study/NCT04267848")
    registry = URIRef("https://clinicaltrials.gov/study/NCT02663973")
    assert (alchemist, RDF.type, SCHEMA.MedicalTrial) in graph
    assert (registry, RDF.type, SCHEMA.MedicalObservationalStudy) in graph
    assert (alchemist, KG.nctId, Literal("NCT04267848")) in graph


def test_every_node_has_a_label(examples_graph) -> None:
    graph = examples_graph
    subjects = set(graph.subjects())
    unlabelled = [s for s in subjects if graph.value(s, URIRef("http://www.w3.org/2000/01/rdf-schema#label")) is None]
    assert unlabelled == []


def test_the_same_trial_twice_is_one_trial_with_both_sources_in_its_provenance(tmp_path: Path) -> None:
    output = tmp_path / "g.ttl"
    result = run("build", str(BUNDLE), str(FIXTURES / "v2-newer"), "-o", str(output))
    assert result.exit_code == 0
    assert "trials: 10 (duplicate records merged: 2)" in result.stderr
    graph = Graph().parse(output)
    trial = URIRef("https://clinicaltrials.gov/study/NCT05923281")
    assert len(set(graph.subjects(RDF.type, SCHEMA.MedicalStudy))) == 10
    sources = list(graph.objects(trial, URIRef("http://www.w3.org/ns/prov#wasDerivedFrom")))
    assert sorted(str(graph.value(s, KG.versionDate)) for s in sources) == ["2023-06-28", "2023-06-29"]
    assert len(list(graph.objects(trial, KG.overallStatus))) == 1


def test_bad_records_are_rejected_by_name_and_the_rest_is_built(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    (inputs / "bad").mkdir(parents=True)
    for name in (
        "truncated.json", "invalid-nct-id.json", "unknown-status.json", "not-a-study.json", "page-of-another-site.html",
        "truncated.xml", "external-entity.xml", "billion-laughs.xml", "v1-missing-keys-unknown-status.json",
    ):  # fmt: skip
        shutil.copy(FIXTURES / "bad" / name, inputs / "bad" / name)
    for source in example_paths()[:3]:
        shutil.copy(source, inputs / source.name)
    output = tmp_path / "out" / "graph.ttl"
    result = run("build", str(inputs), "-o", str(output))
    assert result.exit_code == 0
    assert "trials: 3" in result.stderr and "rejected: 9" in result.stderr
    assert "invalid-nct-id.json record 1: invalid-nct-id: invalid NCT id 'NCT123'" in result.stderr
    rejects = [json.loads(line) for line in (tmp_path / "out" / "graph.rejects.jsonl").read_text().splitlines()]
    assert sorted(r["reason"] for r in rejects) == [
        "invalid-nct-id", "malformed-json", "malformed-xml", "not-a-study", "unknown-format", "unknown-status",
        "unknown-status", "unsafe-xml", "unsafe-xml",
    ]  # fmt: skip
    assert all(r["path"].startswith(str(inputs)) for r in rejects)
    assert run("build", str(inputs), "-o", str(output), "--strict").exit_code == 1


def test_nothing_to_build_exits_2_and_writes_no_graph(tmp_path: Path) -> None:
    output = tmp_path / "g.ttl"
    inputs = [str(FIXTURES / "bad" / n) for n in ("truncated.json", "empty.json", "binary.bin", "not-a-study.json")]
    result = run("build", *inputs, "-o", str(output))
    assert result.exit_code == 2
    assert not output.exists()


def test_shacl_violations_exit_1(tmp_path: Path, monkeypatch) -> None:
    import kg.rdf.mapping

    real_map = kg.rdf.mapping.map_trial

    def map_with_negative_enrollment(record):
        triples = real_map(record)
        enrollment = kg.rdf.mapping.KG.enrollment
        triples.own = [t for t in triples.own if t[1] != enrollment]
        triples.own.append((triples.trial, enrollment, kg.rdf.mapping.integer_literal(-5)))
        return triples

    monkeypatch.setattr("kg.build.pipeline.map_trial", map_with_negative_enrollment)
    result = run("build", str(example_paths()[0]), "-o", str(tmp_path / "g.ttl"))
    assert result.exit_code == 1
    assert "does NOT conform (1 violations" in result.stderr
    assert "Enrollment is one whole number, zero or more." in result.stderr


def test_a_bug_in_every_trial_rejects_each_and_leaves_the_previous_output_untouched(
    tmp_path: Path, monkeypatch
) -> None:
    output = tmp_path / "g.ttl"
    assert run("build", str(example_paths()[0]), "-o", str(output)).exit_code == 0
    before = output.read_bytes()

    def explode(record):
        raise RuntimeError("simulated crash")

    monkeypatch.setattr("kg.build.pipeline.map_trial", explode)
    result = run("build", str(EXAMPLES), "-o", str(output))
    assert result.exit_code == 2 and "internal-error" in result.stderr
    lines = [json.loads(line) for line in (tmp_path / "g.rejects.jsonl").read_text().splitlines()]
    assert len(lines) == len(example_paths()) and all(line["reason"] == "internal-error" for line in lines)
    assert "simulated crash" in lines[0]["message"] and "Traceback" in lines[0]["detail"]
    assert output.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


@pytest.mark.parametrize(
    ("rdf_format", "oxigraph_format"),
    [("nt", pyoxigraph.RdfFormat.N_TRIPLES), ("jsonld", pyoxigraph.RdfFormat.JSON_LD)],
)
def test_other_output_formats_hold_the_same_graph(
    tmp_path: Path, rdf_format: str, oxigraph_format, examples_graph
) -> None:
    output = tmp_path / f"g.{rdf_format}"
    assert run("build", str(EXAMPLES), "-o", str(output), "--format", rdf_format).exit_code == 0
    store = pyoxigraph.Store()
    store.load(path=str(output), format=oxigraph_format)
    assert len(store) == len(examples_graph)


def test_small_batches_give_the_same_graph_as_one_batch(tmp_path: Path) -> None:
    one, many = tmp_path / "one.nt", tmp_path / "many.nt"
    run("build", str(EXAMPLES), "-o", str(one), "--format", "nt", "--batch-size", "1000")
    run("build", str(EXAMPLES), "-o", str(many), "--format", "nt", "--batch-size", "7")

    def without_build_node(path: Path) -> set[str]:
        return {line for line in path.read_text().splitlines() if "/resource/build/" not in line}

    assert without_build_node(one) == without_build_node(many)


def test_update_rebuilds_only_newer_trials_and_drops_what_they_no_longer_say(tmp_path: Path) -> None:
    store, first = tmp_path / "store", tmp_path / "first.ttl"
    assert run("build", str(BUNDLE), "-o", str(first), "--store", str(store)).exit_code == 0
    studies = json.loads(BUNDLE.read_text())
    newer = studies[2]  # a trial with keywords, so there is something to drop
    nct = newer["protocolSection"]["identificationModule"]["nctId"]
    newer["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"] = {"date": "2030-01-01", "type": "ACTUAL"}
    newer["protocolSection"]["statusModule"]["overallStatus"] = "COMPLETED"
    dropped = newer["protocolSection"]["conditionsModule"].pop("keywords", [])
    (tmp_path / "newer.json").write_text(json.dumps(newer))
    # The update feed holds the newer record alone (with the older one beside it, the two would merge).
    result = run(
        "build", str(tmp_path / "newer.json"), "-o", str(tmp_path / "delta.ttl"), "--store", str(store), "--update"
    )
    assert result.exit_code == 0
    assert "trials: 1 " in result.stderr and "1 trials rebuilt" in result.stderr
    ask = f"SELECT ?v WHERE {{ <https://clinicaltrials.gov/study/{nct}> <https://w3id.org/kg-trials/ontology#overallStatus> ?v }}"
    assert run("query", "--store", str(store), ask, "--format", "csv").stdout.splitlines()[1:] == ["COMPLETED"]
    keywords = f"SELECT ?v WHERE {{ <https://clinicaltrials.gov/study/{nct}> <https://w3id.org/kg-trials/ontology#keyword> ?v }}"
    assert run("query", "--store", str(store), keywords, "--format", "csv").stdout.splitlines()[1:] == []
    assert dropped, "the fixture trial had keywords to drop"
    trials = "SELECT (COUNT(DISTINCT ?t) AS ?n) WHERE { ?t <http://www.w3.org/ns/prov#wasDerivedFrom> ?r }"
    assert run("query", "--store", str(store), trials, "--format", "csv").stdout.splitlines()[1] == "10"
    again = run("build", str(BUNDLE), "-o", str(tmp_path / "d2.ttl"), "--store", str(store), "--update")
    assert again.exit_code == 0 and "is current (10 trials unchanged)" in again.stderr  # the store's copy is newer


def test_update_needs_a_store() -> None:
    result = run("build", str(BUNDLE), "-o", "x.ttl", "--update")
    assert result.exit_code == 2 and "--update needs --store" in result.stderr


# --- the whole build is one library call: kg.build.build(BuildConfig(...)) ---------------------------


def test_a_config_refuses_options_that_contradict_each_other_before_any_work(tmp_path: Path) -> None:
    from kg.build import BuildConfig
    from kg.errors import ConfigError

    output = tmp_path / "g.ttl"
    for options, says in [
        ({"update": True}, "--update needs --store"),
        ({"update": True, "store_dir": tmp_path / "s", "related": 3}, "computes no --related"),
        ({"related_method": "magic"}, "unknown --related-method"),
        ({"shacl_engine": "magic"}, "unknown SHACL engine"),
        ({"rdf_format": "nt"}, "the extension says turtle"),
    ]:
        with pytest.raises(ConfigError if "extension" not in says else Exception, match=says):
            BuildConfig(inputs=[str(EXAMPLES)], output=output, **options)
    assert not output.exists()


def test_strict_is_read_by_the_library_not_only_the_cli(tmp_path: Path) -> None:
    from kg.build import BuildConfig, build

    inputs = [str(EXAMPLES / example_paths()[0].name), str(FIXTURES / "hostile" / "prose-readme.md")]
    lenient = build(BuildConfig(inputs=inputs, output=tmp_path / "a.ttl"))
    strict = build(BuildConfig(inputs=inputs, output=tmp_path / "b.ttl", strict=True))
    assert lenient.rejects and lenient.exit_code == 0 and strict.exit_code == 1


def test_the_report_file_is_written_after_the_related_edges_are_validated(tmp_path: Path, monkeypatch) -> None:
    """A bad computed edge must show in the report file as it does on stderr (the report used to be
    written before the --related edges were checked)."""
    from kg.similarity import related

    real = related.computed_related_triples

    def with_a_bad_rank(index, k, method):  # type: ignore[no-untyped-def]
        triples = real(index, k, method)
        node = next(s for s, p, _ in triples if p == KG.similarityRank)
        return [*triples, (node, KG.similarityRank, Literal(0))]

    monkeypatch.setattr(related, "computed_related_triples", with_a_bad_rank)
    output = tmp_path / "g.ttl"
    result = run("build", str(EXAMPLES), "-o", str(output), "--related", "2")
    assert result.exit_code == 1 and "does NOT conform" in result.stderr
    report = Graph().parse(tmp_path / "g.report.ttl")
    conforms = next(report.objects(None, URIRef("http://www.w3.org/ns/shacl#conforms")))
    assert conforms == Literal(False)


def test_related_edges_are_checked_by_the_engine_the_build_was_given(tmp_path: Path, monkeypatch) -> None:
    import pyshacl

    def never(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("pyshacl ran although the build uses kg's core engine")

    monkeypatch.setattr(pyshacl, "validate", never)
    result = run("build", str(EXAMPLES), "-o", str(tmp_path / "g.ttl"), "--related", "2", "--shacl-engine", "core")
    assert result.exit_code == 0, result.stderr


def test_related_edges_go_into_a_turtle_file_whatever_its_extension(tmp_path: Path) -> None:
    """`--format turtle -o g.graph --related`: the edges used to be written as JSON-LD (chosen by suffix)."""
    output = tmp_path / "g.graph"
    result = run("build", str(EXAMPLES), "-o", str(output), "--format", "turtle", "--related", "2")
    assert result.exit_code == 0, result.stderr
    graph = Graph().parse(output, format="turtle")
    assert len(set(graph.subject_objects(KG.similarTo))) == 2 * len(example_paths())
