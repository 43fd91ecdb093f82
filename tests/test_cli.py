"""Every command: its happy path, an error path, exit codes, and a documented example."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import NamedTuple

import pytest

from kg.cli import main
from tests.conftest import EXAMPLES, FIXTURES, ROOT, example_paths
from tests.conftest import run_kg as run


def all_commands() -> list[tuple[str, ...]]:
    names: list[tuple[str, ...]] = []
    for name, command in main.commands.items():
        if hasattr(command, "commands"):
            names += [(name, sub) for sub in command.commands]
        else:
            names.append((name,))
    return names


@pytest.mark.parametrize("command", all_commands(), ids=" ".join)
def test_every_command_has_an_example_in_its_help_and_in_the_readme(command: tuple[str, ...]) -> None:
    result = run(*command, "--help")
    assert result.exit_code == 0 and "Example:" in result.output
    readme = (ROOT / "README.md").read_text()
    assert f"kg {' '.join(command)}" in readme


def test_parse_pretty_prints_indented_json() -> None:
    result = run("parse", str(example_paths()[0]), "--format", "pretty")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["nct_id"] == example_paths()[0].stem
    assert "1 record(s) parsed, 0 rejected" in result.stderr


def test_parse_of_only_bad_input_exits_2_and_names_each_file() -> None:
    names = ("truncated.json", "invalid-nct-id.json", "unknown-status.json", "not-a-study.json")
    result = run("parse", *(str(FIXTURES / "bad" / name) for name in names))
    assert result.exit_code == 2 and result.stdout == ""
    for name in names:
        assert name in result.stderr


def test_parse_with_a_forced_input_format() -> None:
    result = run("parse", "--input-format", "ctgov-v2-json", str(FIXTURES / "bad" / "not-a-study.json"))
    assert result.exit_code == 2 and "not-a-study" in result.stderr


def test_build_without_output_is_a_usage_error() -> None:
    result = run("build", str(EXAMPLES))
    assert result.exit_code == 2 and "Missing option '-o'" in result.stderr


def test_build_writes_the_format_its_output_extension_names(tmp_path: Path) -> None:
    graph = tmp_path / "graph.nt"
    result = run("build", str(example_paths()[0]), "-o", str(graph))
    assert result.exit_code == 0
    assert graph.read_text().startswith("<https://clinicaltrials.gov/study/")  # N-Triples, no @prefix lines


def test_build_refuses_a_format_that_contradicts_the_extension(tmp_path: Path) -> None:
    graph = tmp_path / "graph.ttl"
    result = run("build", str(example_paths()[0]), "-o", str(graph), "--format", "nt")
    assert result.exit_code == 2 and "graph.ttl" in result.stderr and "--format nt" in result.stderr
    assert not graph.exists()


def test_validate_reports_conformance_and_writes_a_report(tmp_path: Path) -> None:
    graph = tmp_path / "g.ttl"
    run("build", str(example_paths()[0]), "-o", str(graph))
    result = run("validate", str(graph), "--report", str(tmp_path / "r.ttl"))
    assert result.exit_code == 0 and "SHACL: conforms" in result.stderr
    assert (tmp_path / "r.ttl").exists()


def test_validate_exits_1_on_a_broken_graph() -> None:
    result = run("validate", str(FIXTURES / "shapes" / "invalid" / "TrialRecordShape-overallStatus.ttl"))
    assert result.exit_code == 1
    assert "does NOT conform (1 violations" in result.stderr
    assert "TrialRecordShape-overallStatus" in result.stderr


def test_validate_of_an_unparseable_graph_exits_2_naming_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.ttl"
    broken.write_text("<a> <b> .")
    result = run("validate", str(broken))
    assert result.exit_code == 2 and "broken.ttl" in result.stderr


def test_stats_counts_nodes_per_class_and_edges_per_property(examples_build) -> None:
    graph = examples_build[0]
    result = run("stats", str(graph), "--format", "json")
    stats = json.loads(result.stdout)
    assert stats["classes"]["schema:MedicalStudy"] == len(example_paths())
    assert stats["classes"]["kg:Build"] == 1
    assert stats["properties"]["kg:nctId"] == len(example_paths())
    table = run("stats", str(graph)).stdout
    assert re.search(r"^kg:Trial\t\d+$", table, re.MULTILINE)


def test_stats_of_an_unknown_format_exits_2(tmp_path: Path) -> None:
    odd = tmp_path / "graph.xyz"
    odd.write_text("")
    result = run("stats", str(odd))
    assert result.exit_code == 2 and "cannot tell the RDF format" in result.stderr


def test_ontology_check_passes() -> None:
    result = run("ontology", "check")
    assert result.exit_code == 0 and "HermiT: consistent; unsatisfiable classes: 0" in result.stderr


def test_ontology_check_without_java_exits_2(monkeypatch) -> None:
    monkeypatch.setattr("kg.rdf.ontology.shutil.which", lambda name: None)
    result = run("ontology", "check")
    assert result.exit_code == 2 and "Java is needed" in result.stderr


# Where `kg parse` names a field differently from the record model (shorter, or as the registry does).
PARSE_NAMES = {
    "provenance": "source", "intervention_type": "type", "arm_type": "type", "reference_type": "type",
    "identifier": "id", "id_type": "type", "org_class": "class", "mesh_id": "id", "source_format": "format",
}  # fmt: skip


def test_kg_parse_shows_every_field_the_record_model_holds() -> None:
    import dataclasses

    from kg.model import records

    lines = run("parse", str(EXAMPLES), "--format", "json").stdout.splitlines()
    parsed = [json.loads(line) for line in lines]
    shown: dict[str, set[str]] = {}

    def collect(kind: str, value: object) -> None:
        if isinstance(value, dict):
            shown.setdefault(kind, set()).update(value)
            for key, inner in value.items():
                collect(key, inner)
        elif isinstance(value, list):
            for inner in value:
                collect(kind, inner)

    for record in parsed:
        collect("record", record)
    nested = {"record": records.TrialRecord, "eligibility": records.Eligibility, "locations": records.Location,
              "outcomes": records.Outcome, "interventions": records.Intervention, "arms": records.Arm,
              "doses": records.Dose, "secondary_ids": records.SecondaryId, "responsible_party": records.ResponsibleParty,
              "source": records.Provenance, "sponsor": records.Organization}  # fmt: skip
    missing = []
    for kind, model in nested.items():
        for model_field in dataclasses.fields(model):
            name = PARSE_NAMES.get(model_field.name, model_field.name)
            dated = {f"{name}", f"{name}_type"} if name.endswith("_date") else {name}
            if not dated & shown.get(kind, set()):
                missing.append(f"{kind}.{model_field.name}")
    assert not missing, missing


def test_kg_validate_uses_the_builds_engine_by_default_and_pyshacl_on_request(tmp_path: Path, monkeypatch) -> None:
    import pyshacl

    graph = tmp_path / "g.ttl"
    assert run("build", str(example_paths()[0]), "-o", str(graph)).exit_code == 0
    calls: list[int] = []
    real = pyshacl.validate
    monkeypatch.setattr(pyshacl, "validate", lambda *a, **k: calls.append(1) or real(*a, **k))
    assert run("validate", str(graph)).exit_code == 0 and calls == []
    assert run("validate", str(graph), "--engine", "pyshacl").exit_code == 0 and calls == [1]


# ---------------------------------------------------------------------------------------------- an error path per command


class BadInput(NamedTuple):
    """A bad input for one command, through the CLI: the exit code and what stderr must say. In the
    arguments, the message and env: {tmp} is the test's folder (with broken.ttl, graph.xyz and a `java`
    that does not run in {tmp}/bin), {store} a real store, {busy} a port another socket listens on,
    {closed} a port nothing listens on."""

    why: str
    args: tuple[str, ...]
    code: int
    says: str
    env: dict[str, str] | None = None


FULL_TRIAL = str(FIXTURES / "shapes" / "valid" / "full-trial.ttl")  # one trial: nothing to recommend or evaluate

ERROR_PATHS = [
    BadInput("a missing file", ("parse", "{tmp}/nowhere.json"), 2, "{tmp}/nowhere.json: unreadable-file"),
    BadInput("a missing input", ("build", "{tmp}/nowhere", "-o", "{tmp}/g.ttl"), 2,
             "{tmp}/nowhere: no such file or folder (nothing was built)"),
    BadInput("an unknown extension", ("validate", "{tmp}/graph.xyz"), 2, "cannot tell the RDF format"),
    BadInput("an unparseable graph", ("stats", "{tmp}/broken.ttl"), 2, "{tmp}/broken.ttl: cannot read the graph"),
    BadInput("an unparseable graph", ("load", "{tmp}/broken.ttl", "--store", "{tmp}/st"), 2,
             "cannot load {tmp}/broken.ttl into {tmp}/st"),
    BadInput("an unknown canned query", ("query", "--name", "nope", "--store", "{store}"), 2,
             "no canned query named 'nope'"),
    BadInput("a missing store", ("serve", "--store", "{tmp}/nowhere", "--port", "0"), 2,
             "{tmp}/nowhere is not a kg store"),
    BadInput("a port in use", ("serve", "--store", "{store}", "--port", "{busy}"), 2, "cannot serve at 127.0.0.1:{busy}: Address already in use"),
    BadInput("--all as a table", ("recommend", "--all", "--graph", FULL_TRIAL), 2, "--all writes --format tsv or jsonl"),
    BadInput("a graph with no related trials", ("evaluate", "--graph", FULL_TRIAL), 2, "nothing to evaluate"),
    BadInput("a file that is no dose gold", ("score-doses", "--gold", FULL_TRIAL), 2, "not a dose gold file"),
    BadInput(
        "a file that is no cell gold", ("score-cell-products", "--gold", FULL_TRIAL), 2, "not a cell-product gold file"
    ),
    BadInput("a file that is no threshold gold", ("score-thresholds", "--gold", FULL_TRIAL), 2,
             "not a threshold gold file"),
    BadInput("a missing input", ("score-mesh-ancestry", "{tmp}/nowhere"), 2, "{tmp}/nowhere' does not exist"),
    BadInput("a MeSH file in neither of NLM's formats", ("build", FULL_TRIAL, "-o", "{tmp}/g.nt", "--mesh", FULL_TRIAL),
             2, "neither NLM's descriptor XML"),
    BadInput("a table format kg does not write", ("table", "--graph", FULL_TRIAL, "-o", "{tmp}/t.json"), 2,
             "write the table as .csv, .tsv, .parquet or .xlsx"),
    BadInput("a missing store", ("report", "--store", "{tmp}/nowhere", "-o", "{tmp}/r.html"), 2,
             "{tmp}/nowhere is not a kg store"),
    BadInput("a missing store", ("evaluate", "--store", "{tmp}/nowhere"), 2, "{tmp}/nowhere is not a kg store"),
    BadInput("a missing store", ("export", "--format", "graphml", "-o", "{tmp}/t.graphml", "--store", "{tmp}/nowhere"),
             2, "{tmp}/nowhere is not a kg store"),
    BadInput("a registry that refuses", ("fetch", "NCT00000410", "--out", "{tmp}/f", "--retries", "0",
                                         "--base-url", "http://127.0.0.1:{closed}"), 2, "Connection refused"),
    BadInput("a date not on the calendar", ("fetch", "--since", "2025-13-45", "--out", "{tmp}/f", "--base-url",
                                            "http://127.0.0.1:{closed}"), 2, "give a date on the calendar"),
    BadInput("a malformed NCT id", ("recommend", "NCT3945487", "--graph", FULL_TRIAL), 2,
             "'NCT3945487' is not an NCT id"),
    BadInput("a malformed NCT id", ("fetch", "NOTANID", "--out", "{tmp}/f", "--base-url", "http://127.0.0.1:{closed}"),
             2, "'NOTANID' is not an NCT id"),
    BadInput("a java that does not run", ("ontology", "check"), 2, "Java at {tmp}/bin/java does not run",
             {"PATH": "{tmp}/bin"}),
]  # fmt: skip


def _command_of(args: tuple[str, ...]) -> tuple[str, ...]:
    return next(command for command in all_commands() if args[: len(command)] == command)


def test_every_command_and_subcommand_has_an_error_path_below() -> None:
    assert {_command_of(bad.args) for bad in ERROR_PATHS} == set(all_commands())


@pytest.mark.parametrize("bad", ERROR_PATHS, ids=lambda bad: f"{' '.join(_command_of(bad.args))}: {bad.why}")
def test_a_bad_input_to_each_command_exits_with_its_code_and_names_the_problem(
    bad: BadInput, tmp_path: Path, real_build, monkeypatch
) -> None:
    """Through the CLI as a user meets it: the documented exit code (README, "Exit codes"), a message on
    stderr that names the problem, nothing on stdout, and no traceback."""
    import socket

    (tmp_path / "broken.ttl").write_text("<a> <b> .")
    (tmp_path / "graph.xyz").write_text("")
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "java").write_text("#!/bin/sh\nexit 1\n")
    (tmp_path / "bin" / "java").chmod(0o755)
    with socket.create_server(("127.0.0.1", 0)) as busy, socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound, never listening: a connection to it is refused
        places = {"tmp": str(tmp_path), "store": str(real_build[1]), "busy": str(busy.getsockname()[1]),
                  "closed": str(closed.getsockname()[1])}  # fmt: skip
        for name, value in (bad.env or {}).items():
            monkeypatch.setenv(name, value.format(**places))
        result = run(*(arg.format(**places) for arg in bad.args))
    assert result.exit_code == bad.code, result.output
    assert bad.says.format(**places) in result.stderr
    assert result.stdout == "" and "Traceback" not in result.output and "Warning" not in result.stderr
