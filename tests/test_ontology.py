"""The OWL ontology loads in owlready2, HermiT finds it consistent, and every term the mapping uses is declared."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from kg.errors import OntologyError
from kg.rdf import ontology
from kg.rdf.iris import KG
from kg.rdf.ontology import check_ontology
from kg.rdf.resources import ontology_path

ROOT = Path(__file__).resolve().parent.parent


def test_the_ontology_is_consistent_with_no_unsatisfiable_class() -> None:
    result = check_ontology()
    assert result.ok and result.consistent and result.unsatisfiable == []
    assert result.classes >= 15 and result.object_properties >= 15 and result.data_properties >= 40


def test_the_reasoner_finds_an_unsatisfiable_class(tmp_path: Path) -> None:
    broken = tmp_path / "broken.ttl"
    broken.write_text(
        ontology_path().read_text()
        + '\nkg:ArmThatIsADose a owl:Class ; rdfs:subClassOf kg:Arm , kg:Dose ; rdfs:label "impossible" .\n'
    )
    result = check_ontology(broken)
    assert not result.ok
    assert result.unsatisfiable == [str(KG.ArmThatIsADose)]


def test_a_missing_java_is_a_clear_error_not_a_skip(monkeypatch) -> None:
    monkeypatch.setattr(ontology.shutil, "which", lambda name: None)
    with pytest.raises(OntologyError, match="Java is needed"):
        check_ontology()


def test_every_kg_term_kg_writes_is_declared_with_label_and_definition() -> None:
    graph = Graph().parse(ontology_path())
    used = {
        name for path in (ROOT / "kg").rglob("*.py") for name in re.findall(r"\bKG\.([A-Za-z0-9]+)", path.read_text())
    }
    assert {"Trial", "Build", "similarTo"} <= used  # the mapping, the provenance and the related edges
    for name in sorted(used):
        term = KG[name]
        kinds = set(graph.objects(term, RDF.type))
        assert kinds & {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty}, name
        assert graph.value(term, RDFS.label) is not None, name
        assert graph.value(term, SKOS.definition) is not None, name


def test_properties_have_domains_and_the_ontology_imports_nothing_remote() -> None:
    graph = Graph().parse(ontology_path())
    assert list(graph.objects(None, OWL.imports)) == []
    for prop in graph.subjects(RDF.type, OWL.ObjectProperty):
        if str(prop).startswith(str(KG)):
            assert graph.value(prop, RDFS.domain) is not None and graph.value(prop, RDFS.range) is not None, prop
