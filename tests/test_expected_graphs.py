"""The graphs kg writes for real records of every format stay what they were when they were checked.

`fixtures/expected/` holds the N-Triples and SHACL reports that kg wrote for each fixture folder before
the build's mapping moved from rdflib terms to N-Triples text (see SOURCES.md there). Every output format
must read back, with rdflib, as exactly those statements; the reports must hold the same results.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from tests.conftest import FIXTURES, ROOT, run_kg

EXPECTED = FIXTURES / "expected"
FOLDERS = ["examples", "v2-bundle", "v2-newer", "legacy-xml", "legacy-xml-older", "v1", "seeds", "hostile", "bad"]


def _input(folder: str) -> str:
    """As the expected graphs were built: paths relative to the project, so sourcePath is the same."""
    return "examples" if folder == "examples" else f"tests/fixtures/{folder}"


BUILD_RUN = "https://w3id.org/kg-trials/resource/build/"  # each run's own node: its time and settings


def _statements(graph: Graph) -> set:
    """Every statement but those naming the build run, which differ from run to run."""
    return {t for t in graph if not any(str(term).startswith(BUILD_RUN) for term in t)}


def _expected_graph(folder: str) -> Graph:
    plain, packed = EXPECTED / f"{folder}.nt", EXPECTED / f"{folder}.nt.gz"
    text = plain.read_text(encoding="utf-8") if plain.exists() else gzip.decompress(packed.read_bytes()).decode()
    return Graph().parse(data=text, format="nt")


def _built(folder: str, out: Path, suffix: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(ROOT)
    graph = out / f"{folder}.{suffix}"
    result = run_kg("build", _input(folder), "-o", str(graph))
    assert result.exit_code in (0, 1), result.stderr  # 1: the records have SHACL violations, reported
    return graph


@pytest.mark.parametrize("folder", FOLDERS)
def test_the_n_triples_of_every_format_are_the_statements_checked_before(
    folder: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    graph = _built(folder, tmp_path, "nt", monkeypatch)
    written = Graph().parse(graph, format="nt")
    expected = _expected_graph(folder)
    missing, extra = _statements(expected) - _statements(written), _statements(written) - _statements(expected)
    assert not missing and not extra, f"missing {sorted(missing)[:3]}, extra {sorted(extra)[:3]}"
    report = Graph().parse(graph.with_suffix(".report.ttl"))
    assert isomorphic(report, Graph().parse(EXPECTED / f"{folder}.report.ttl"))


@pytest.mark.parametrize("folder", ["examples", "seeds", "hostile"])
@pytest.mark.parametrize("suffix", ["ttl", "jsonld"])
def test_every_other_format_reads_back_as_the_same_statements(
    folder: str, suffix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    graph = _built(folder, tmp_path, suffix, monkeypatch)
    formats = {"ttl": "turtle", "jsonld": "json-ld"}
    written = Graph().parse(graph, format=formats[suffix])
    assert _statements(written) == _statements(_expected_graph(folder))
