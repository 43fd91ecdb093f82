"""Fast, exact Turtle and N-Triples text for rdflib terms: the build writes ~100 triples per trial,
and rdflib's serializers (pretty-printing whole graphs) are the slowest step of a build."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TypeVar

from rdflib import BNode, Literal, URIRef

from kg.rdf.iris import PREFIXES, RDF, XSD

Triple = tuple[URIRef | BNode, URIRef, URIRef | BNode | Literal]
T = TypeVar("T")

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


# IRIs recur (predicates, classes, shared nodes, a trial's own nodes within the trial): each is written
# once until the cache is full, then the cache starts again. 10,000 holds a trial's IRIs and the common
# ones; at 100,000 each build worker's cache grew to ~25 MiB of IRIs most trials never name again (the
# pass-two workers' peak at 10,000 trials: 128-131 MiB, now ~106; no change in build time).
_IRI_TEXT_LIMIT = 10_000
_NT_IRI_TEXT: dict[URIRef, str] = {}
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
    rdf_type = RDF.type
    written = ((s, "a" if p is rdf_type or p == rdf_type else turtle_term(p), turtle_term(o)) for s, p, o in triples)
    return _turtle_paragraphs(written, turtle_term, str)


def _turtle_paragraphs(
    triples: Iterable[tuple[T, str, str]], subject_text: Callable[[T], str], subject_order: Callable[[T], str]
) -> str:
    """One paragraph per subject: predicates (`a` first) and their objects, each as already written."""
    by_subject: dict[T, dict[str, set[str]]] = {}
    for s, p, o in triples:
        predicates = by_subject.get(s)
        if predicates is None:
            predicates = by_subject[s] = {}
        objects = predicates.get(p)
        if objects is None:
            objects = predicates[p] = set()
        objects.add(o)
    blocks = []
    for subject in sorted(by_subject, key=subject_order):
        predicates = by_subject[subject]
        ordered = sorted(predicates, key=lambda written: (written != "a", written))
        lines = [f"    {written} {', '.join(sorted(predicates[written]))}" for written in ordered]
        blocks.append(subject_text(subject) + "\n" + " ;\n".join(lines) + " .\n")
    return "\n".join(blocks)


# --- Terms as N-Triples text -------------------------------------------------------------------------
# The build's hot path: the mapping writes each term once as its N-Triples text, the SHACL core engine
# reads those lexical forms, and the writers copy them (Turtle shortens IRIs and bare numbers). rdflib
# objects are made from the text only where a caller asks for rdflib (`term_of_text`, `rdflib_triples`).

TextTriple = tuple[str, str, str]

_XSD_TEXT = {name: _iri(str(XSD) + name) for name in ("integer", "decimal", "boolean", "date", "gYearMonth")}
_XSD_STRING_TEXT = _iri(str(XSD.string))


def iri_text(iri: str) -> str:
    """`<iri>`, with the characters N-Triples forbids in an IRI written as `\\uXXXX`."""
    return _written_iri(iri if type(iri) is URIRef else URIRef(iri), _NT_IRI_TEXT, _iri)


def string_text(value: str) -> str:
    """A plain (xsd:string) literal."""
    return _string(value)


def typed_text(lexical: str, datatype: str) -> str:
    """A literal of `datatype` (an `xsd` local name such as `integer`, or a full IRI)."""
    known = _XSD_TEXT.get(datatype)
    return f"{_string(lexical)}^^{known if known is not None else iri_text(datatype)}"


def literal_text(value: str | bool | int) -> str:
    """What `Literal(value)` writes: strings plain, booleans and integers typed."""
    if type(value) is str:
        return _string(value)
    if type(value) is bool:
        return typed_text("true" if value else "false", "boolean")
    if type(value) is int:
        return typed_text(str(value), "integer")
    raise TypeError(f"no literal text for {type(value).__name__}")


class TextVocabulary:
    """`KG.Trial` as the text `<https://…#Trial>`: a namespace for the mapping, which writes text."""

    def __init__(self, namespace: str) -> None:
        self._namespace = str(namespace)

    def __getattr__(self, name: str) -> str:
        if name.startswith("__"):
            raise AttributeError(name)
        text = _iri(self._namespace + name)
        self.__dict__[name] = text  # later lookups are plain attribute reads
        return text

    def __getitem__(self, name: str) -> str:
        return _iri(self._namespace + name)


_IRI_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_STRING_ESCAPE = re.compile(r'\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|([\\"nrtbf\']))')
_UNESCAPED = {"\\": "\\", '"': '"', "'": "'", "n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f"}


def _unescape(match: re.Match[str]) -> str:
    code = match.group(1) or match.group(2)
    if code:
        return chr(int(code, 16))
    return _UNESCAPED[match.group(3)]


def iri_of_text(text: str) -> str:
    """The IRI a `<…>` text names."""
    inner = text[1:-1]
    return _IRI_ESCAPE.sub(_unescape, inner) if "\\" in inner else inner


def literal_parts(text: str) -> tuple[str, str | None, str | None]:
    """(lexical form, datatype IRI or None, language or None) of a literal's text."""
    end = text.rfind('"')
    lexical = text[1:end]
    if "\\" in lexical:
        lexical = _STRING_ESCAPE.sub(_unescape, lexical)
    rest = text[end + 1 :]
    if rest.startswith("^^"):
        return lexical, iri_of_text(rest[2:]), None
    if rest.startswith("@"):
        return lexical, None, rest[1:]
    return lexical, None, None


def term_of_text(text: str) -> URIRef | BNode | Literal:
    """The rdflib term a text names (for callers that ask for rdflib, and for SHACL results)."""
    first = text[0]
    if first == "<":
        return URIRef(iri_of_text(text))
    if first == "_":
        return BNode(text[2:])
    lexical, datatype, language = literal_parts(text)
    if datatype is None:
        return plain_literal(lexical) if language is None else Literal(lexical, lang=language)
    return Literal(lexical, datatype=XSD.string if datatype == str(XSD.string) else URIRef(datatype))


def rdflib_triples(triples: Iterable[TextTriple]) -> list[Triple]:
    """Text triples as rdflib terms; IRIs repeat, so each is made once."""
    made: dict[str, URIRef | BNode | Literal] = {}

    def term(text: str) -> URIRef | BNode | Literal:
        found = made.get(text)
        if found is None:
            found = made[text] = term_of_text(text)
        return found

    return [(term(s), term(p), term(o)) for s, p, o in triples]  # type: ignore[misc]


def _exact_text(term: URIRef | BNode | Literal) -> str:
    """`ntriples_term`, except that an explicit xsd:string stays written: rdflib, and so pyshacl,
    tell `"x"^^xsd:string` from `"x"`, and a SHACL result must name the value it was given."""
    if type(term) is Literal and term.datatype is not None and term.datatype == XSD.string and not term.language:
        return f"{_string(str(term))}^^{_XSD_STRING_TEXT}"
    return ntriples_term(term)


def text_triples(triples: Iterable[Triple]) -> list[TextTriple]:
    """rdflib triples as text, for the engines and writers that read text."""
    term = _exact_text
    return [(term(s), term(p), term(o)) for s, p, o in triples]


def ntriples_of_text(triples: Iterable[TextTriple]) -> str:
    """N-Triples lines of text triples, sorted as text (the same order `ntriples` gives)."""
    return "".join(sorted({f"{s} {p} {o} .\n" for s, p, o in triples}))


_TURTLE_TEXT: dict[str, str] = {}
_BARE_IN_TURTLE = {_XSD_TEXT["integer"]: _BARE_INTEGER, _XSD_TEXT["decimal"]: _BARE_DECIMAL}
_BOOLEAN_TEXT = {typed_text("true", "boolean"): "true", typed_text("false", "boolean"): "false"}


def _turtle_of_text(text: str) -> str:
    first = text[0]
    if first == "<":
        found = _TURTLE_TEXT.get(text)
        if found is None:
            if len(_TURTLE_TEXT) >= _IRI_TEXT_LIMIT:
                _TURTLE_TEXT.clear()
            found = _TURTLE_TEXT[text] = _turtle_iri(iri_of_text(text)) if "\\" not in text else text
        return found
    if first != '"' or text[-1] != ">":
        return text  # a plain or language-tagged string, or a blank node
    boolean = _BOOLEAN_TEXT.get(text)
    if boolean is not None:
        return boolean
    marker = text.rfind('"^^<')  # the datatype IRI holds no '"': the last one ends the lexical form
    datatype = text[marker + 3 :]
    bare = _BARE_IN_TURTLE.get(datatype)
    lexical = text[1:marker]
    if bare is not None and bare.match(lexical):
        return lexical
    if datatype == _XSD_STRING_TEXT:
        return text[: marker + 1]
    return text[: marker + 3] + _turtle_of_text(datatype)


def turtle_of_text(triples: Iterable[TextTriple]) -> str:
    """`turtle_block` for text triples: grouped by subject, in the same stable order."""
    rdf_type = _iri(str(RDF.type))
    written = ((s, "a" if p == rdf_type else _turtle_of_text(p), _turtle_of_text(o)) for s, p, o in triples)
    return _turtle_paragraphs(written, _turtle_of_text, _sort_key_of_text)


def _sort_key_of_text(text: str) -> str:
    """The order `turtle_block` gives subjects: by the term's string (an IRI without its brackets)."""
    return iri_of_text(text) if text[0] == "<" else text[2:]
