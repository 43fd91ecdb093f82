"""Every command: its happy path, an error path, exit codes, and a documented example."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli import main
from tests.conftest import EXAMPLES, FIXTURES, example_paths

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


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
    result = CliRunner().invoke(main, ["build", str(example_paths()[0]), "-o", str(graph)])
    assert result.exit_code == 0
    assert graph.read_text().startswith("<https://clinicaltrials.gov/study/")  # N-Triples, no @prefix lines


def test_build_refuses_a_format_that_contradicts_the_extension(tmp_path: Path) -> None:
    graph = tmp_path / "graph.ttl"
    result = CliRunner().invoke(main, ["build", str(example_paths()[0]), "-o", str(graph), "--format", "nt"])
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


def test_stats_counts_nodes_per_class_and_edges_per_property(tmp_path: Path) -> None:
    graph = tmp_path / "g.ttl"
    run("build", str(EXAMPLES), "-o", str(graph))
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
