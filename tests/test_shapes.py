"""The SHACL shapes: each valid example conforms with no result; each invalid one breaks exactly the
rule its file is named after (`invalid/<NodeShape>-<property>[-warning].ttl`)."""

from __future__ import annotations

from pathlib import Path

import pyshacl
import pytest
from rdflib import Graph, URIRef

from kg.rdf.iris import KGSH, SH
from kg.rdf.resources import shapes_path
from kg.validation.shacl import load_shapes, validate_graph
from tests.conftest import FIXTURES

SHAPES = FIXTURES / "shapes"


@pytest.mark.parametrize("path", sorted((SHAPES / "valid").glob("*.ttl")), ids=lambda p: p.stem)
def test_valid_examples_give_no_result(path: Path) -> None:
    assert validate_graph(Graph().parse(path)) == []


@pytest.mark.parametrize("path", sorted((SHAPES / "invalid").glob("*.ttl")), ids=lambda p: p.stem)
def test_invalid_examples_break_exactly_their_rule(path: Path) -> None:
    results = validate_graph(Graph().parse(path))
    assert {r.shape for r in results} == {KGSH[path.stem]}
    expected = SH.Warning if path.stem.endswith("-warning") else SH.Violation
    assert {r.severity for r in results} == {expected}
    assert all(r.message for r in results)


def test_every_rule_has_an_invalid_example() -> None:
    rules = {o for o in load_shapes().objects(None, SH.property) if isinstance(o, URIRef)}
    examples = {KGSH[p.stem] for p in (SHAPES / "invalid").glob("*.ttl")}
    assert rules - examples == set()


def test_the_shapes_graph_passes_shacl_meta_validation() -> None:
    shapes = Graph().parse(shapes_path())
    conforms, _report, text = pyshacl.validate(Graph(), shacl_graph=shapes, meta_shacl=True)
    assert conforms, text


def test_every_node_shape_has_a_target_so_batches_validate_alone() -> None:
    shapes = load_shapes()
    for shape in shapes.subjects(URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), SH.NodeShape):
        targets = [p for p in (SH.targetClass, SH.targetSubjectsOf, SH.targetNode) if shapes.value(shape, p)]
        assert targets, f"{shape} has no target"
