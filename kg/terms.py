"""Fast, exact Turtle and N-Triples text for rdflib terms: the build writes ~100 triples per trial,
and rdflib's serializers (pretty-printing whole graphs) are the slowest step of a build."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

from rdflib import BNode, Literal, URIRef

from kg.iris import PREFIXES, RDF, XSD

Triple = tuple[URIRef | BNode, URIRef, URIRef | BNode | Literal]

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
_NEEDS_ESCAPE = re.compile(r'[\\"\n\r\t\b\f]')
_SAFE_LOCAL = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_IRI_UNSAFE = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_BARE_INTEGER = re.compile(r"^[+-]?[0-9]+$")
_BARE_DECIMAL = re.compile(r"^[+-]?[0-9]*\.[0-9]+$")
_NAMESPACES = sorted(((str(ns), prefix) for prefix, ns in PREFIXES.items()), key=lambda item: -len(item[0]))


def _string(text: str) -> str:
    return '"' + _NEEDS_ESCAPE.sub(lambda m: _ESCAPES[m.group(0)], text) + '"'


def _iri(iri: str) -> str:
    return "<" + _IRI_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04X}", iri) + ">"


def compact_iri(iri: str) -> str:
    """`prefix:local` for display, with the longest matching namespace (meshv: before mesh:)."""
    for namespace, prefix in _NAMESPACES:
        if iri.startswith(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return f"<{iri}>"


def ntriples_term(term: URIRef | BNode | Literal) -> str:
    if isinstance(term, Literal):
        if term.language:
            return f"{_string(str(term))}@{term.language}"
        if term.datatype is not None and term.datatype != XSD.string:
            return f"{_string(str(term))}^^{_iri(str(term.datatype))}"
        return _string(str(term))
    if isinstance(term, BNode):
        return f"_:{term}"
    return _iri(str(term))


def turtle_term(term: URIRef | BNode | Literal) -> str:
    if isinstance(term, URIRef):
        text = str(term)
        for namespace, prefix in _NAMESPACES:
            if text.startswith(namespace) and _SAFE_LOCAL.match(text[len(namespace) :]):
                return f"{prefix}:{text[len(namespace) :]}"
        return _iri(text)
    if isinstance(term, Literal) and term.datatype is not None and not term.language:
        lexical = str(term)
        if term.datatype == XSD.integer and _BARE_INTEGER.match(lexical):
            return lexical
        if term.datatype == XSD.decimal and _BARE_DECIMAL.match(lexical):
            return lexical
        if term.datatype == XSD.boolean and lexical in ("true", "false"):
            return lexical
        if term.datatype != XSD.string:
            return f"{_string(lexical)}^^{turtle_term(term.datatype)}"
    return ntriples_term(term)


def ntriples(triples: Iterable[Triple]) -> str:
    return "".join(f"{ntriples_term(s)} {ntriples_term(p)} {ntriples_term(o)} .\n" for s, p, o in triples)


def turtle_block(triples: Iterable[Triple]) -> str:
    """Triples grouped by subject, in a stable order; the prefixes are declared once by the sink."""
    by_subject: dict[URIRef | BNode, dict[URIRef, set[str]]] = defaultdict(lambda: defaultdict(set))
    for s, p, o in triples:
        by_subject[s][p].add(turtle_term(o))
    blocks = []
    for subject in sorted(by_subject, key=str):
        predicates = by_subject[subject]
        ordered = sorted(predicates, key=lambda p: (p != RDF.type, str(p)))
        lines = [f"    {'a' if p == RDF.type else turtle_term(p)} {', '.join(sorted(predicates[p]))}" for p in ordered]
        blocks.append(turtle_term(subject) + "\n" + " ;\n".join(lines) + " .\n")
    return "\n".join(blocks)
