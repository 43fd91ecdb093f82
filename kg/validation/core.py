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
The data is read as N-Triples text (the build's mapping writes nothing else); results name rdflib terms.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from kg.errors import UnsupportedShapes
from kg.rdf.iris import RDF, SH
from kg.rdf.terms import TextTriple, ntriples_term, term_of_text
from kg.validation.constraints import (
    SHAPE_ANNOTATIONS,
    VALUE_PARAMETERS,
    ValueConstraint,
    check_keys,
    value_constraints,
)
from kg.validation.index import TARGETS, DataIndex, Target, focus_nodes
from kg.validation.results import ValidationResult

_NONE_FOUND: list[tuple[URIRef, str | None]] = []
_NO_VALUES: dict[str, set[str]] = {}


@dataclass(frozen=True)
class _CompiledShape:
    """A node shape's own constraints or one property shape: its value nodes and what they must meet."""

    name: Node
    path: URIRef | None
    severity: URIRef
    message: str
    min_count: int | None
    max_count: int | None
    has_values: tuple[str, ...]  # as text
    value_constraints: tuple[ValueConstraint, ...]
    path_text: str | None = None


_NODE_SHAPE_KEYS = SHAPE_ANNOTATIONS | TARGETS | VALUE_PARAMETERS | {SH.property, SH.message, SH.severity}
_PROPERTY_SHAPE_KEYS = (
    SHAPE_ANNOTATIONS | VALUE_PARAMETERS | {SH.path, SH.message, SH.severity, SH.minCount, SH.maxCount, SH.hasValue}
)


@dataclass(frozen=True)
class _TargetGroup:
    """A node shape's targets and shapes, split so a focus node meets only the shapes it can break:
    those that always apply (counts, hasValue, the node's own constraints) and, by path, the optional
    ones, which a node without a value on that path passes."""

    targets: tuple[Target, ...]
    always: tuple[_CompiledShape, ...]
    by_path: dict[str, tuple[_CompiledShape, ...]]

    @classmethod
    def of(cls, targets: tuple[Target, ...], shapes: tuple[_CompiledShape, ...]) -> _TargetGroup:
        always = tuple(s for s in shapes if s.path_text is None or s.min_count is not None or s.has_values)
        by_path: dict[str, list[_CompiledShape]] = {}
        for shape in shapes:
            if shape not in always and shape.path_text is not None:
                by_path.setdefault(shape.path_text, []).append(shape)
        return cls(targets, always, {path: tuple(found) for path, found in by_path.items()})


class CoreShapes:
    """Shapes compiled for `validate`; build once per process (`compile_shapes`)."""

    def __init__(self, targeted: list[tuple[tuple[Target, ...], tuple[_CompiledShape, ...]]]) -> None:
        self._groups = [_TargetGroup.of(targets, shapes) for targets, shapes in targeted]

    def validate(self, triples: Iterable[TextTriple]) -> list[ValidationResult]:
        """Every result pyshacl would report for these triples (N-Triples text)."""
        data = DataIndex(triples)
        found: set[tuple[_CompiledShape, str, URIRef, str | None]] = set()
        for group in self._groups:
            focuses: set[str] = set()
            for target in group.targets:
                focuses = focuses | focus_nodes(data, target)
            for focus in focuses:
                for shape in group.always:
                    for constraint, value in _violations(data, shape, focus):
                        found.add((shape, focus, constraint, value))
                for predicate in data.objects.get(focus, _NO_VALUES):
                    for shape in group.by_path.get(predicate, ()):
                        for constraint, value in _violations(data, shape, focus):
                            found.add((shape, focus, constraint, value))
        results = {
            ValidationResult(
                focus=term_of_text(focus),
                severity=shape.severity,
                shape=shape.name,
                constraint=constraint,
                message=shape.message,
                path=shape.path,
                value=None if value is None else term_of_text(value),
            )
            for shape, focus, constraint, value in found
        }
        return sorted(results, key=lambda r: (str(r.shape), str(r.focus), str(r.value)))


def _violations(data: DataIndex, shape: _CompiledShape, focus: str) -> list[tuple[URIRef, str | None]]:
    values: set[str] = {focus} if shape.path_text is None else data.values(focus, shape.path_text)
    if not values and shape.min_count is None and not shape.has_values:
        return _NONE_FOUND  # most property shapes are optional fields a node does not have
    found: list[tuple[URIRef, str | None]] = []
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
    targeted = []
    node_shapes = sorted({s for s in shapes.subjects(RDF.type, SH.NodeShape)} | _targeting_subjects(shapes), key=str)
    for node_shape in node_shapes:
        check_keys(shapes, node_shape, _NODE_SHAPE_KEYS)
        targets = tuple(
            Target(kind, ntriples_term(node))  # type: ignore[arg-type]
            for kind in sorted(TARGETS)
            for node in shapes.objects(node_shape, kind)
        )
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
    return _CompiledShape(
        shape,
        path,
        severity,
        str(messages[0]),
        min_count,
        max_count,
        tuple(ntriples_term(value) for value in has_values),  # type: ignore[arg-type]
        constraints,
        None if path is None else ntriples_term(path),
    )


__all__ = ["CoreShapes", "UnsupportedShapes", "compile_shapes"]
