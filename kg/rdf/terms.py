"""Fast, exact Turtle and N-Triples text for rdflib terms: the build writes ~100 triples per trial,
and rdflib's serializers (pretty-printing whole graphs) are the slowest step of a build."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from rdflib import BNode, Literal, URIRef

from kg.rdf.iris import PREFIXES, RDF, XSD

Triple = tuple[URIRef | BNode, URIRef, URIRef | BNode | Literal]

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
_NEEDS_ESCAPE = re.compile(r'[\\"\n\r\t\b\f]')
_SAFE_LOCAL = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_IRI_UNSAFE = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_BARE_INTEGER = re.compile(r"^[+-]?[0-9]+$")
_BARE_DECIMAL = re.compile(r"^[+-]?[0-9]*\.[0-9]+$")
_NAMESPACES = sorted(((str(ns), prefix) for prefix, ns in PREFIXES.items()), key=lambda item: -len(item[0]))


def _fast_plain_literal(text: str) -> Literal:
    literal = str.__new__(Literal, text)
    literal._language = None
    literal._datatype = None
    literal._value = text
    literal._ill_typed = None
    return literal


def _fast_path_matches_rdflib() -> bool:
    """The fast path sets rdflib's own slots; it is used only if it yields Literal(text) exactly."""
    try:
        for sample in ("", "Phase 2", 'naïve "quoted"\n', "\ud800"):
            fast, reference = _fast_plain_literal(sample), Literal(sample)
            same = (fast.value, fast.datatype, fast.language, fast.ill_typed, fast.n3(), hash(fast))
            if fast != reference or same != (
                reference.value,
                reference.datatype,
                reference.language,
                reference.ill_typed,
                reference.n3(),
                hash(reference),
            ):
                return False
    except (AttributeError, TypeError):
        return False
    return True


_FAST_PLAIN_LITERALS = _fast_path_matches_rdflib()


def plain_literal(value: object) -> Literal:
    """`Literal(value)`; for a str, built directly (~5x faster than rdflib's generic conversion,
    and a build makes ~100 string literals a trial)."""
    if _FAST_PLAIN_LITERALS and type(value) is str:
        return _fast_plain_literal(value)
    return Literal(value)


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


_IRI_TEXT_LIMIT = 100_000
_NT_IRI_TEXT: dict[URIRef, str] = {}  # IRIs recur (predicates, classes, shared nodes): written once each
_TURTLE_IRI_TEXT: dict[URIRef, str] = {}


def _written_iri(term: URIRef, cache: dict[URIRef, str], write: Callable[[str], str]) -> str:
    text = cache.get(term)
    if text is None:
        if len(cache) >= _IRI_TEXT_LIMIT:  # bounded: a registry build names millions of distinct IRIs
            cache.clear()
        text = cache[term] = write(str(term))
    return text


def ntriples_term(term: URIRef | BNode | Literal) -> str:
    if type(term) is URIRef:
        return _written_iri(term, _NT_IRI_TEXT, _iri)
    if isinstance(term, Literal):
        if term.language:
            return f"{_string(str(term))}@{term.language}"
        datatype = term.datatype
        if datatype is not None and datatype is not XSD.string and datatype != XSD.string:
            return f"{_string(str(term))}^^{ntriples_term(datatype)}"
        return _string(str(term))
    if isinstance(term, BNode):
        return f"_:{term}"
    return _iri(str(term))


def turtle_term(term: URIRef | BNode | Literal) -> str:
    if isinstance(term, URIRef):
        return _written_iri(term, _TURTLE_IRI_TEXT, _turtle_iri)
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


def _turtle_iri(text: str) -> str:
    for namespace, prefix in _NAMESPACES:
        if text.startswith(namespace) and _SAFE_LOCAL.match(text[len(namespace) :]):
            return f"{prefix}:{text[len(namespace) :]}"
    return _iri(text)


def ntriples(triples: Iterable[Triple]) -> str:
    """N-Triples lines, sorted as text (a stable order; sorting rdflib terms is several times slower)."""
    term = ntriples_term
    return "".join(sorted(f"{term(s)} {term(p)} {term(o)} .\n" for s, p, o in triples))


def turtle_block(triples: Iterable[Triple]) -> str:
    """Triples grouped by subject, in a stable order; the prefixes are declared once by the sink."""
    by_subject: dict[URIRef | BNode, dict[str, set[str]]] = {}
    rdf_type = RDF.type
    for s, p, o in triples:
        predicates = by_subject.get(s)
        if predicates is None:
            predicates = by_subject[s] = {}
        written = "a" if p is rdf_type or p == rdf_type else turtle_term(p)
        objects = predicates.get(written)
        if objects is None:
            objects = predicates[written] = set()
        objects.add(turtle_term(o))
    blocks = []
    for subject in sorted(by_subject, key=str):
        predicates = by_subject[subject]
        ordered = sorted(predicates, key=lambda written: (written != "a", written))
        lines = [f"    {written} {', '.join(sorted(predicates[written]))}" for written in ordered]
        blocks.append(turtle_term(subject) + "\n" + " ;\n".join(lines) + " .\n")
    return "\n".join(blocks)
