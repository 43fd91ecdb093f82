"""A SHACL Core evaluator for the constraint components kg's shapes use, compiled once from the shapes.

Why: pyshacl takes ~10 ms per trial (rdflib lookups behind every constraint); a whole-registry build
cannot afford that. This engine indexes one batch of triples in plain dicts and runs each property
shape as a small function, ~100x faster. pyshacl stays the reference: the engine follows its
semantics constraint by constraint (tests prove the same results on real records and planted faults),
and it refuses shapes that use anything it does not implement (`UnsupportedShapes`) instead of
skipping them, so callers fall back to pyshacl rather than validate less.

Supported: targets sh:targetClass (with rdfs:subClassOf in the data), sh:targetSubjectsOf,
sh:targetObjectsOf, sh:targetNode; property shapes whose sh:path is one IRI; sh:minCount, sh:maxCount,
sh:datatype, sh:class, sh:in, sh:hasValue, sh:nodeKind, sh:pattern (no flags), sh:minInclusive,
sh:maxInclusive, sh:lessThanOrEquals, sh:or of shapes with node-level constraints; sh:severity and
exactly one sh:message per shape that reports.

This module compiles node and property shapes and runs them; the data index and targets live in
`kg.validation.index`, what each value constraint component checks in `kg.validation.constraints`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from kg.errors import UnsupportedShapes
from kg.rdf.iris import RDF, SH, canonical
from kg.validation.constraints import (
    SHAPE_ANNOTATIONS,
    VALUE_PARAMETERS,
    ValueConstraint,
    check_keys,
    value_constraints,
)
from kg.validation.index import TARGETS, DataIndex, Target, focus_nodes
from kg.validation.results import ValidationResult

_NONE_FOUND: list[tuple[URIRef, Node | None]] = []


@dataclass(frozen=True)
class _CompiledShape:
    """A node shape's own constraints or one property shape: its value nodes and what they must meet."""

    name: Node
    path: URIRef | None
    severity: URIRef
    message: str
    min_count: int | None
    max_count: int | None
    has_values: tuple[Node, ...]
    value_constraints: tuple[ValueConstraint, ...]


_NODE_SHAPE_KEYS = SHAPE_ANNOTATIONS | TARGETS | VALUE_PARAMETERS | {SH.property, SH.message, SH.severity}
_PROPERTY_SHAPE_KEYS = (
    SHAPE_ANNOTATIONS | VALUE_PARAMETERS | {SH.path, SH.message, SH.severity, SH.minCount, SH.maxCount, SH.hasValue}
)


class CoreShapes:
    """Shapes compiled for `validate`; build once per process (`compile_shapes`)."""

    def __init__(self, targeted: list[tuple[tuple[Target, ...], tuple[_CompiledShape, ...]]]) -> None:
        self._targeted = targeted

    def validate(self, triples: Iterable[tuple[Node, Node, Node]]) -> list[ValidationResult]:
        """Every result pyshacl would report for these triples."""
        data = DataIndex(triples)
        results: set[ValidationResult] = set()
        for targets, shapes in self._targeted:
            focuses: set[Node] = set()
            for target in targets:
                focuses = focuses | focus_nodes(data, target)
            for shape in shapes:
                for focus in focuses:
                    for value in _violations(data, shape, focus):
                        results.add(
                            ValidationResult(
                                focus=focus,
                                severity=shape.severity,
                                shape=shape.name,
                                constraint=value[0],
                                message=shape.message,
                                path=shape.path,
                                value=value[1],
                            )
                        )
        return sorted(results, key=lambda r: (str(r.shape), str(r.focus), str(r.value)))


def _violations(data: DataIndex, shape: _CompiledShape, focus: Node) -> list[tuple[URIRef, Node | None]]:
    values: set[Node] = {focus} if shape.path is None else data.values(focus, shape.path)
    if not values and shape.min_count is None and not shape.has_values:
        return _NONE_FOUND  # most property shapes are optional fields a node does not have
    found: list[tuple[URIRef, Node | None]] = []
    if shape.min_count is not None and len(values) < shape.min_count:
        found.append((SH.MinCountConstraintComponent, None))
    if shape.max_count is not None and len(values) > shape.max_count:
        found.append((SH.MaxCountConstraintComponent, None))
    for expected in shape.has_values:
        if not any(value == expected for value in values):
            found.append((SH.HasValueConstraintComponent, None))
    for constraint in shape.value_constraints:
        for value in values:
            if not constraint.check(data, focus, value):
                found.append((constraint.component, value))
    return found


def compile_shapes(shapes: Graph) -> CoreShapes:
    """Compile every node shape with a target; raise `UnsupportedShapes` for anything not implemented."""
    shapes = _with_canonical_terms(shapes)
    targeted = []
    node_shapes = sorted({s for s in shapes.subjects(RDF.type, SH.NodeShape)} | _targeting_subjects(shapes), key=str)
    for node_shape in node_shapes:
        check_keys(shapes, node_shape, _NODE_SHAPE_KEYS)
        targets = tuple(Target(kind, node) for kind in sorted(TARGETS) for node in shapes.objects(node_shape, kind))
        compiled: list[_CompiledShape] = []
        own_constraints = value_constraints(shapes, node_shape)
        if own_constraints:
            compiled.append(_compile(shapes, node_shape, None, own_constraints, None, None, ()))
        for property_shape in sorted(shapes.objects(node_shape, SH.property), key=str):
            compiled.append(_compile_property_shape(shapes, property_shape))
        if targets and compiled:
            targeted.append((targets, tuple(compiled)))
    return CoreShapes(targeted)


def _compile_property_shape(shapes: Graph, property_shape: Node) -> _CompiledShape:
    check_keys(shapes, property_shape, _PROPERTY_SHAPE_KEYS)
    path = shapes.value(property_shape, SH.path)
    if not isinstance(path, URIRef):
        raise UnsupportedShapes(f"{property_shape}: only a single-IRI sh:path is supported, not {path!r}")
    return _compile(
        shapes,
        property_shape,
        path,
        value_constraints(shapes, property_shape),
        _integer(shapes, property_shape, SH.minCount),
        _integer(shapes, property_shape, SH.maxCount),
        tuple(shapes.objects(property_shape, SH.hasValue)),
    )


def _with_canonical_terms(shapes: Graph) -> Graph:
    """Vocabulary IRIs as the objects builds use, so index lookups match by identity (fast)."""
    copy = Graph()
    for triple in shapes:
        copy.add(tuple(canonical(t) if isinstance(t, URIRef) else t for t in triple))  # type: ignore[arg-type]
    return copy


def _targeting_subjects(shapes: Graph) -> set[Node]:
    return {s for kind in TARGETS for s in shapes.subjects(kind, None)}


def _integer(shapes: Graph, shape: Node, predicate: URIRef) -> int | None:
    values = list(shapes.objects(shape, predicate))
    if not values:
        return None
    if len(values) > 1 or not isinstance(values[0], Literal) or not isinstance(values[0].value, int):
        raise UnsupportedShapes(f"{shape}: {predicate} must be one integer")
    return int(values[0].value)


def _compile(
    shapes: Graph,
    shape: Node,
    path: URIRef | None,
    constraints: tuple[ValueConstraint, ...],
    min_count: int | None,
    max_count: int | None,
    has_values: tuple[Node, ...],
) -> _CompiledShape:
    messages = list(shapes.objects(shape, SH.message))
    if len(messages) != 1:
        raise UnsupportedShapes(f"{shape}: needs exactly one sh:message (found {len(messages)})")
    severity = shapes.value(shape, SH.severity) or SH.Violation
    if not isinstance(severity, URIRef):
        raise UnsupportedShapes(f"{shape}: sh:severity must be an IRI")
    return _CompiledShape(shape, path, severity, str(messages[0]), min_count, max_count, has_values, constraints)


__all__ = ["CoreShapes", "UnsupportedShapes", "compile_shapes"]
