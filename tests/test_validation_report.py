"""The SHACL report kg build writes beside the graph: a standard sh:ValidationReport, written as text a
result at a time, so a registry build's many warnings cost no rdflib graph."""

from __future__ import annotations

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic

from kg.rdf.iris import KGSH, SH
from kg.validation.results import ValidationOutcome, ValidationResult
from kg.validation.shacl import report_graph, write_report


def test_the_written_report_holds_the_report_graphs_triples_with_shapes_as_kgsh_names(tmp_path) -> None:
    """The report is written a result at a time as text (an rdflib graph of a registry build's results took
    ~80 MiB): the same triples as `report_graph`, blank nodes and odd messages included, in a stable order."""

    outcome = ValidationOutcome()
    outcome.add(
        [
            ValidationResult(
                focus=URIRef("https://w3id.org/kg-trials/resource/trial/NCT00000001"),
                severity=SH.Warning,
                shape=KGSH["TrialRecordShape-conditionMesh-warning"],
                constraint=SH.MinCountConstraintComponent,
                message='No MeSH term: "quoted"\nand a new line',
                path=URIRef("https://w3id.org/kg-trials/ontology#conditionMesh"),
                value=None,
            ),
            ValidationResult(
                focus=BNode("b1"),
                severity=SH.Violation,
                shape=BNode("shape"),
                constraint=SH.DatatypeConstraintComponent,
                message="wrong datatype",
                path=None,
                value=Literal("twelve", datatype=URIRef("http://www.w3.org/2001/XMLSchema#integer")),
            ),
        ]
    )
    path = tmp_path / "report.ttl"
    write_report(path, outcome)
    text = path.read_text(encoding="utf-8")
    written = Graph().parse(data=text, format="turtle")
    assert isomorphic(written, report_graph(outcome))
    assert "kgsh:TrialRecordShape-conditionMesh-warning" in text and "sh:conforms false" in text
    write_report(tmp_path / "again.ttl", outcome)
    assert (tmp_path / "again.ttl").read_text(encoding="utf-8") == text
