"""The value constraint components kg's SHACL Core engine implements, each compiled to a small check.

Separate from `kg.validation.core` (which shapes and counts): here is what each component means for one
value, following pyshacl's semantics component by component, so adding or correcting one touches only
this module. It also says which shape keys the engine knows (`check_keys`): anything else is refused.

Values are N-Triples text, as the data index holds them; each check is compiled with its parameters
as text too. Where pyshacl's answer depends on a literal's parsed value (datatypes, ranges), the text
is made an rdflib literal and judged as pyshacl does.
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
from kg.rdf.terms import iri_of_text, literal_parts, ntriples_term, term_of_text
from kg.validation.index import DataIndex

# A value check: (data, focus, value) -> does the value conform? Focus and value are N-Triples text.
ValueCheck = Callable[[DataIndex, str, str], bool]

_LITERALS: dict[str, Node] = {}  # typed literals repeat (dates, counts): each parsed once


def _as_rdflib(value: str) -> Node:
    found = _LITERALS.get(value)
    if found is None:
        if len(_LITERALS) >= 50_000:
            _LITERALS.clear()
        found = _LITERALS[value] = term_of_text(value)
    return found


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
    def check(data: DataIndex, focus: str, value: str) -> bool:
        # Each alternative validates the value as its own focus node.
        return any(all(c.check(data, value, value) for c in alternative) for alternative in alternatives)

    return check


def _datatype_check(datatype: Node) -> ValueCheck:
    """As pyshacl: the datatype IRI matches and the lexical form is well-typed (plain literals are strings)."""

    expected = str(datatype)
    accepts_plain = datatype in (XSD.string, RDFS.Literal)

    def check(_data: DataIndex, _focus: str, value: str) -> bool:
        if value[0] != '"':
            return False
        if value[-1] == '"':  # a plain string, the commonest value by far
            return accepts_plain
        _lexical, value_datatype, language = literal_parts(value)
        if value_datatype == expected:
            literal = _as_rdflib(value)
            assert isinstance(literal, Literal)
            return getattr(literal, "ill_typed", None) is not True and _actual_value_matches(literal, datatype)
        if datatype == RDFS.Literal:
            return True
        if datatype == RDFS.Datatype and value_datatype:
            return True
        return datatype == RDF.langString and language is not None

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
    written = frozenset(ntriples_term(member) for member in allowed)  # type: ignore[arg-type]
    return lambda _data, _focus, value: value in written


def _class_check(cls: Node) -> ValueCheck:
    written = ntriples_term(cls)  # type: ignore[arg-type]
    return lambda data, _focus, value: data.is_instance(value, written)


# The first character of a term's text tells its kind: `<` an IRI, `_` a blank node, `"` a literal.
_NODE_KINDS: dict[Node, str] = {
    SH.IRI: "<",
    SH.BlankNode: "_",
    SH.Literal: '"',
    SH.BlankNodeOrIRI: "_<",
    SH.BlankNodeOrLiteral: '_"',
    SH.IRIOrLiteral: '<"',
}


def _node_kind_check(kind: Node) -> ValueCheck:
    if kind not in _NODE_KINDS:
        raise UnsupportedShapes(f"unknown sh:nodeKind {kind}")
    kinds = _NODE_KINDS[kind]
    return lambda _data, _focus, value: value[0] in kinds


def _pattern_check(pattern: Node) -> ValueCheck:
    matcher = re.compile(str(pattern))

    def check(_data: DataIndex, _focus: str, value: str) -> bool:
        first = value[0]
        if first == "_":
            return False
        text = iri_of_text(value) if first == "<" else literal_parts(value)[0]  # a literal's lexical form
        return matcher.search(text) is not None

    return check


def _range_check(bound: Node, minimum: bool) -> ValueCheck:
    if not isinstance(bound, Literal):
        raise UnsupportedShapes(f"a range bound must be a literal, not {bound!r}")
    bound_is_string = isinstance(bound.value, str)

    def check(_data: DataIndex, _focus: str, value_text: str) -> bool:
        if value_text[0] != '"':
            return False
        value = _as_rdflib(value_text)
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

    predicate = ntriples_term(other)

    def check(data: DataIndex, focus: str, value: str) -> bool:
        value_is_string, left = comparable(_as_rdflib(value))
        for bound in data.values(focus, predicate):
            bound_is_string, right = comparable(_as_rdflib(bound))
            if value_is_string != bound_is_string:
                return False
            try:
                if not left <= right:  # type: ignore[operator]
                    return False
            except TypeError:
                return False
        return True

    return check
