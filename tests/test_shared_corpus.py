"""The whole shared API v2 set (392 records plus the website-download array) builds with no violation.

Runs where ../shared sits beside the checkout (CI has it); skipped elsewhere.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph
from click.testing import CliRunner
from rdflib import Graph
from rdflib.namespace import RDF

from kg.cli import main
from kg.rdf.iris import SCHEMA
from tests.conftest import SHARED, needs_shared


@needs_shared
def test_all_392_records_and_the_array_download_build_into_one_study_node_per_trial(tmp_path: Path) -> None:
    output = tmp_path / "all.ttl"
    inputs = [str(SHARED / "v2-json"), str(SHARED / "v2-json-bundles")]
    result = CliRunner().invoke(main, ["build", *inputs, "-o", str(output)], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert "records read: 402" in result.stderr
    assert "trials: 392 (duplicate records merged: 10)" in result.stderr
    assert "SHACL: conforms (0 violations" in result.stderr
    graph = Graph().parse(output)
    assert len(set(graph.subjects(RDF.type, SCHEMA.MedicalStudy))) == 392
    store = pyoxigraph.Store()
    store.load(path=str(output), format=pyoxigraph.RdfFormat.TURTLE)
    assert len(store) == len(graph)
