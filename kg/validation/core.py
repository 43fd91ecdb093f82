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
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from pyshacl.rdfutil.compare import compare_literal
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from kg.errors import UnsupportedShapes, ValidationError
from kg.rdf.iris import RDF, RDFS, SH, XSD, canonical
from kg.validation.results import ValidationResult

_TYPE, _SUBCLASS = RDF.type, RDFS.subClassOf  # namespace attribute lookups are slow in hot loops


class _Data:
    """One batch of triples indexed for the lookups constraints make (reverse indexes built on demand)."""

    __slots__ = ("objects", "_types", "_subjects_of", "_objects_of", "superclasses")

    def __init__(self, triples: Iterable[tuple[Node, Node, Node]]) -> None:
        objects: dict[Node, dict[Node, set[Node]]] = {}
        for s, p, o in triples:
            by_predicate = objects.get(s)
            if by_predicate is None:
                objects[s] = {p: {o}}
                continue
            values = by_predicate.get(p)
            if values is None:
                by_predicate[p] = {o}
            else:
                values.add(o)
        self.objects = objects
        self._types: dict[Node, set[Node]] | None = None
        self._subjects_of: dict[Node, set[Node]] = {}
        self._objects_of: dict[Node, set[Node]] = {}
        pairs = [(s, o) for s, by_p in objects.items() for o in by_p.get(_SUBCLASS, ())]
        self.superclasses: dict[Node, set[Node]] = _transitive(pairs) if pairs else {}

    def values(self, node: Node, predicate: Node) -> set[Node]:
        by_predicate = self.objects.get(node)
        if by_predicate is None:
            return _EMPTY
        return by_predicate.get(predicate) or _EMPTY

    def subjects_of(self, predicate: Node) -> set[Node]:
        if predicate not in self._subjects_of:
            self._subjects_of[predicate] = {s for s, by_p in self.objects.items() if predicate in by_p}
        return self._subjects_of[predicate]

    def objects_of(self, predicate: Node) -> set[Node]:
        if predicate not in self._objects_of:
            self._objects_of[predicate] = {o for by_p in self.objects.values() for o in by_p.get(predicate, ())}
        return self._objects_of[predicate]

    def instances(self, cls: Node) -> set[Node]:
        if self._types is None:
            self._types = {}
            for s, by_p in self.objects.items():
                for node_type in by_p.get(_TYPE, ()):
                    self._types.setdefault(node_type, set()).add(s)
        found = set(self._types.get(cls, ()))
        for sub, supers in self.superclasses.items():
            if cls in supers:
                found.update(self._types.get(sub, ()))
        return found

    def is_instance(self, node: Node, cls: Node) -> bool:
        if isinstance(node, Literal):
            return False
        for node_type in self.values(node, _TYPE):
            if node_type == cls or (self.superclasses and cls in self.superclasses.get(node_type, ())):
                return True
        return False


_EMPTY: set[Node] = set()
_NONE_FOUND: list[tuple[URIRef, Node | None]] = []


def _transitive(pairs: list[tuple[Node, Node]]) -> dict[Node, set[Node]]:
    direct: dict[Node, set[Node]] = defaultdict(set)
    for sub, sup in pairs:
        direct[sub].add(sup)
    closure: dict[Node, set[Node]] = {}
    for start in direct:
        seen: set[Node] = set()
        stack = list(direct[start])
        while stack:
            node = stack.pop()
            if node not in seen:
                seen.add(node)
                stack.extend(direct.get(node, ()))
        closure[start] = seen
    return closure


# A value check: (data, focus, value) -> does the value conform?
ValueCheck = Callable[[_Data, Node, Node], bool]


@dataclass(frozen=True)
class _ValueConstraint:
    component: URIRef
    check: ValueCheck


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
    value_constraints: tuple[_ValueConstraint, ...]


@dataclass(frozen=True)
class _Target:
    kind: URIRef  # sh:targetClass, sh:targetSubjectsOf, sh:targetObjectsOf or sh:targetNode
    node: Node


_SHAPE_ANNOTATIONS = {RDF.type, RDFS.comment, RDFS.label, SH.name, SH.description, SH.order, SH.group}
_TARGETS = {SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode}
_VALUE_PARAMETERS = {
    SH.datatype,
    SH["class"],
    SH["in"],
    SH.nodeKind,
    SH.pattern,
    SH.minInclusive,
    SH.maxInclusive,
    SH.lessThanOrEquals,
    SH["or"],
}
_NODE_SHAPE_KEYS = _SHAPE_ANNOTATIONS | _TARGETS | _VALUE_PARAMETERS | {SH.property, SH.message, SH.severity}
_PROPERTY_SHAPE_KEYS = (
    _SHAPE_ANNOTATIONS | _VALUE_PARAMETERS | {SH.path, SH.message, SH.severity, SH.minCount, SH.maxCount, SH.hasValue}
)
_OR_MEMBER_KEYS = _SHAPE_ANNOTATIONS | _VALUE_PARAMETERS - {SH.lessThanOrEquals}


class CoreShapes:
    """Shapes compiled for `validate`; build once per process (`compile_shapes`)."""

    def __init__(self, targeted: list[tuple[tuple[_Target, ...], tuple[_CompiledShape, ...]]]) -> None:
        self._targeted = targeted

    def validate(self, triples: Iterable[tuple[Node, Node, Node]]) -> list[ValidationResult]:
        """Every result pyshacl would report for these triples."""
        data = _Data(triples)
        results: set[ValidationResult] = set()
        for targets, shapes in self._targeted:
            focus_nodes: set[Node] = set()
            for target in targets:
                focus_nodes = focus_nodes | _focus_nodes(data, target)
            for shape in shapes:
                for focus in focus_nodes:
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


def _focus_nodes(data: _Data, target: _Target) -> set[Node]:
    if target.kind == SH.targetClass:
        return data.instances(target.node)
    if target.kind == SH.targetSubjectsOf:
        return data.subjects_of(target.node)
    if target.kind == SH.targetObjectsOf:
        return data.objects_of(target.node)
    return {target.node}  # sh:targetNode: validated whether or not the data mentions it


def _violations(data: _Data, shape: _CompiledShape, focus: Node) -> list[tuple[URIRef, Node | None]]:
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
        _check_keys(shapes, node_shape, _NODE_SHAPE_KEYS)
        targets = tuple(_Target(kind, node) for kind in sorted(_TARGETS) for node in shapes.objects(node_shape, kind))
        compiled: list[_CompiledShape] = []
        own_constraints = _value_constraints(shapes, node_shape)
        if own_constraints:
            compiled.append(_compile(shapes, node_shape, None, own_constraints, None, None, ()))
        for property_shape in sorted(shapes.objects(node_shape, SH.property), key=str):
            _check_keys(shapes, property_shape, _PROPERTY_SHAPE_KEYS)
            path = shapes.value(property_shape, SH.path)
            if not isinstance(path, URIRef):
                raise UnsupportedShapes(f"{property_shape}: only a single-IRI sh:path is supported, not {path!r}")
            compiled.append(
                _compile(
                    shapes,
                    property_shape,
                    path,
                    _value_constraints(shapes, property_shape),
                    _integer(shapes, property_shape, SH.minCount),
                    _integer(shapes, property_shape, SH.maxCount),
                    tuple(shapes.objects(property_shape, SH.hasValue)),
                )
            )
        if targets and compiled:
            targeted.append((targets, tuple(compiled)))
    return CoreShapes(targeted)


def _with_canonical_terms(shapes: Graph) -> Graph:
    """Vocabulary IRIs as the objects builds use, so index lookups match by identity (fast)."""
    copy = Graph()
    for triple in shapes:
        copy.add(tuple(canonical(t) if isinstance(t, URIRef) else t for t in triple))  # type: ignore[arg-type]
    return copy


def _targeting_subjects(shapes: Graph) -> set[Node]:
    return {s for kind in _TARGETS for s in shapes.subjects(kind, None)}


def _check_keys(shapes: Graph, shape: Node, allowed: set[URIRef]) -> None:
    for predicate in set(shapes.predicates(shape)):
        if predicate not in allowed:
            raise UnsupportedShapes(f"{shape}: {predicate} is not implemented by kg's SHACL Core engine")


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
    constraints: tuple[_ValueConstraint, ...],
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


def _value_constraints(shapes: Graph, shape: Node) -> tuple[_ValueConstraint, ...]:
    constraints = []
    for datatype in shapes.objects(shape, SH.datatype):
        constraints.append(_ValueConstraint(SH.DatatypeConstraintComponent, _datatype_check(datatype)))
    for cls in shapes.objects(shape, SH["class"]):
        constraints.append(_ValueConstraint(SH.ClassConstraintComponent, _class_check(cls)))
    for members in shapes.objects(shape, SH["in"]):
        constraints.append(
            _ValueConstraint(SH.InConstraintComponent, _in_check(frozenset(Collection(shapes, members))))
        )
    for kind in shapes.objects(shape, SH.nodeKind):
        constraints.append(_ValueConstraint(SH.NodeKindConstraintComponent, _node_kind_check(kind)))
    for pattern in shapes.objects(shape, SH.pattern):
        constraints.append(_ValueConstraint(SH.PatternConstraintComponent, _pattern_check(pattern)))
    for bound in shapes.objects(shape, SH.minInclusive):
        constraints.append(_ValueConstraint(SH.MinInclusiveConstraintComponent, _range_check(bound, minimum=True)))
    for bound in shapes.objects(shape, SH.maxInclusive):
        constraints.append(_ValueConstraint(SH.MaxInclusiveConstraintComponent, _range_check(bound, minimum=False)))
    for other in shapes.objects(shape, SH.lessThanOrEquals):
        if not isinstance(other, URIRef):
            raise UnsupportedShapes(f"{shape}: sh:lessThanOrEquals must be an IRI")
        constraints.append(_ValueConstraint(SH.LessThanOrEqualsConstraintComponent, _less_or_equal_check(other)))
    for members in shapes.objects(shape, SH["or"]):
        alternatives = []
        for member in Collection(shapes, members):
            _check_keys(shapes, member, _OR_MEMBER_KEYS)
            alternatives.append(_value_constraints(shapes, member))
        constraints.append(_ValueConstraint(SH.OrConstraintComponent, _or_check(tuple(alternatives))))
    return tuple(constraints)


def _or_check(alternatives: tuple[tuple[_ValueConstraint, ...], ...]) -> ValueCheck:
    def check(data: _Data, focus: Node, value: Node) -> bool:
        # Each alternative validates the value as its own focus node.
        return any(all(c.check(data, value, value) for c in alternative) for alternative in alternatives)

    return check


def _datatype_check(datatype: Node) -> ValueCheck:
    """As pyshacl: the datatype IRI matches and the lexical form is well-typed (plain literals are strings)."""

    def check(_data: _Data, _focus: Node, value: Node) -> bool:
        if not isinstance(value, Literal):
            return False
        if value.datatype == datatype:
            return getattr(value, "ill_typed", None) is not True and _actual_value_matches(value, datatype)
        if datatype == RDFS.Literal:
            return True
        if datatype == RDFS.Datatype and value.datatype:
            return True
        if value.datatype is None and value.language is None and datatype == XSD.string:
            return _actual_value_matches(value, datatype)
        if datatype == RDF.langString and value.language:
            return _actual_value_matches(value, datatype)
        return False

    return check


_PYTHON_TYPES: dict[Node, type | tuple[type, ...]] = {
    XSD.string: (str, bytes),
    RDF.langString: (str, bytes),
    XSD.integer: int,
    XSD.float: float,
    XSD.decimal: Decimal,
    XSD.boolean: bool,
    XSD.date: date,
    XSD.time: time,
    XSD.dateTime: datetime,
}


def _actual_value_matches(value: Literal, datatype: Node) -> bool:
    expected = _PYTHON_TYPES.get(datatype)
    return True if expected is None else isinstance(value.value, expected)


def _in_check(allowed: frozenset[Node]) -> ValueCheck:
    return lambda _data, _focus, value: value in allowed


def _class_check(cls: Node) -> ValueCheck:
    return lambda data, _focus, value: data.is_instance(value, cls)


_NODE_KINDS: dict[Node, tuple[type, ...]] = {
    SH.IRI: (URIRef,),
    SH.BlankNode: (BNode,),
    SH.Literal: (Literal,),
    SH.BlankNodeOrIRI: (BNode, URIRef),
    SH.BlankNodeOrLiteral: (BNode, Literal),
    SH.IRIOrLiteral: (URIRef, Literal),
}


def _node_kind_check(kind: Node) -> ValueCheck:
    if kind not in _NODE_KINDS:
        raise UnsupportedShapes(f"unknown sh:nodeKind {kind}")
    kinds = _NODE_KINDS[kind]
    return lambda _data, _focus, value: isinstance(value, kinds)


def _pattern_check(pattern: Node) -> ValueCheck:
    matcher = re.compile(str(pattern))

    def check(_data: _Data, _focus: Node, value: Node) -> bool:
        if isinstance(value, BNode):
            return False
        if (
            isinstance(value, Literal)
            and value.value is not None
            and value.datatype in (None, RDF.langString, XSD.string)
        ):
            text = str(value.value)
        else:
            text = str(value)
        return matcher.search(text) is not None

    return check


def _range_check(bound: Node, minimum: bool) -> ValueCheck:
    if not isinstance(bound, Literal):
        raise UnsupportedShapes(f"a range bound must be a literal, not {bound!r}")
    bound_is_string = isinstance(bound.value, str)

    def check(_data: _Data, _focus: Node, value: Node) -> bool:
        if not isinstance(value, Literal) or isinstance(value.value, str) != bound_is_string:
            return False
        try:
            order: int = compare_literal(value, bound)  # type: ignore[no-untyped-call]
        except (TypeError, NotImplementedError):
            return False
        return order >= 0 if minimum else order <= 0

    return check


def _less_or_equal_check(other: URIRef) -> ValueCheck:
    """As pyshacl: each value <= every value of `other` on the same focus; strings only with strings."""

    def comparable(node: Node) -> tuple[bool, object]:
        if isinstance(node, BNode):
            raise ValidationError("sh:lessThanOrEquals cannot compare a blank node")
        if isinstance(node, URIRef):
            return True, str(node)
        if isinstance(node, Literal) and isinstance(node.value, str):
            return True, node.value
        return False, node

    def check(data: _Data, focus: Node, value: Node) -> bool:
        value_is_string, left = comparable(value)
        for bound in data.values(focus, other):
            bound_is_string, right = comparable(bound)
            if value_is_string != bound_is_string:
                return False
            try:
                if not left <= right:  # type: ignore[operator]
                    return False
            except TypeError:
                return False
        return True

    return check


__all__ = ["CoreShapes", "UnsupportedShapes", "compile_shapes"]
