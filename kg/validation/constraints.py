"""The value constraint components kg's SHACL Core engine implements, each compiled to a small check.

Separate from `kg.validation.core` (which shapes and counts): here is what each component means for one
value, following pyshacl's semantics component by component, so adding or correcting one touches only
this module. It also says which shape keys the engine knows (`check_keys`): anything else is refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from pyshacl.rdfutil.compare import compare_literal
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from kg.errors import UnsupportedShapes, ValidationError
from kg.rdf.iris import RDF, RDFS, SH, XSD
from kg.validation.index import DataIndex

# A value check: (data, focus, value) -> does the value conform?
ValueCheck = Callable[[DataIndex, Node, Node], bool]


@dataclass(frozen=True)
class ValueConstraint:
    component: URIRef
    check: ValueCheck


SHAPE_ANNOTATIONS = {RDF.type, RDFS.comment, RDFS.label, SH.name, SH.description, SH.order, SH.group}
VALUE_PARAMETERS = {
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
_OR_MEMBER_KEYS = SHAPE_ANNOTATIONS | VALUE_PARAMETERS - {SH.lessThanOrEquals}


def check_keys(shapes: Graph, shape: Node, allowed: set[URIRef]) -> None:
    for predicate in set(shapes.predicates(shape)):
        if predicate not in allowed:
            raise UnsupportedShapes(f"{shape}: {predicate} is not implemented by kg's SHACL Core engine")


def value_constraints(shapes: Graph, shape: Node) -> tuple[ValueConstraint, ...]:
    constraints = []
    for datatype in shapes.objects(shape, SH.datatype):
        constraints.append(ValueConstraint(SH.DatatypeConstraintComponent, _datatype_check(datatype)))
    for cls in shapes.objects(shape, SH["class"]):
        constraints.append(ValueConstraint(SH.ClassConstraintComponent, _class_check(cls)))
    for members in shapes.objects(shape, SH["in"]):
        constraints.append(ValueConstraint(SH.InConstraintComponent, _in_check(frozenset(Collection(shapes, members)))))
    for kind in shapes.objects(shape, SH.nodeKind):
        constraints.append(ValueConstraint(SH.NodeKindConstraintComponent, _node_kind_check(kind)))
    for pattern in shapes.objects(shape, SH.pattern):
        constraints.append(ValueConstraint(SH.PatternConstraintComponent, _pattern_check(pattern)))
    for bound in shapes.objects(shape, SH.minInclusive):
        constraints.append(ValueConstraint(SH.MinInclusiveConstraintComponent, _range_check(bound, minimum=True)))
    for bound in shapes.objects(shape, SH.maxInclusive):
        constraints.append(ValueConstraint(SH.MaxInclusiveConstraintComponent, _range_check(bound, minimum=False)))
    for other in shapes.objects(shape, SH.lessThanOrEquals):
        if not isinstance(other, URIRef):
            raise UnsupportedShapes(f"{shape}: sh:lessThanOrEquals must be an IRI")
        constraints.append(ValueConstraint(SH.LessThanOrEqualsConstraintComponent, _less_or_equal_check(other)))
    for members in shapes.objects(shape, SH["or"]):
        alternatives = []
        for member in Collection(shapes, members):
            check_keys(shapes, member, _OR_MEMBER_KEYS)
            alternatives.append(value_constraints(shapes, member))
        constraints.append(ValueConstraint(SH.OrConstraintComponent, _or_check(tuple(alternatives))))
    return tuple(constraints)


def _or_check(alternatives: tuple[tuple[ValueConstraint, ...], ...]) -> ValueCheck:
    def check(data: DataIndex, focus: Node, value: Node) -> bool:
        # Each alternative validates the value as its own focus node.
        return any(all(c.check(data, value, value) for c in alternative) for alternative in alternatives)

    return check


def _datatype_check(datatype: Node) -> ValueCheck:
    """As pyshacl: the datatype IRI matches and the lexical form is well-typed (plain literals are strings)."""

    def check(_data: DataIndex, _focus: Node, value: Node) -> bool:
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

    def check(_data: DataIndex, _focus: Node, value: Node) -> bool:
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

    def check(_data: DataIndex, _focus: Node, value: Node) -> bool:
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

    def check(data: DataIndex, focus: Node, value: Node) -> bool:
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
