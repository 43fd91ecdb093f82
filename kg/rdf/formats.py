"""Every RDF format kg reads or writes, in one table: its name, extensions, media type, Oxigraph's
format, how kg writes it, and whether it streams. Readers, writers, the store, the endpoint and the
CLI's choices all look formats up here, so adding one is one entry (and its writer).

kg writes Turtle and N-Triples a block of triples at a time (`streams`), so a graph of any size is
never held whole; JSON-LD is one document, written at the end. A file kg wrote splits for loading at
any line (N-Triples, N-Quads) or between paragraphs (kg's Turtle: prefixes, then one paragraph per
subject, no multi-line literals).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph
from rdflib import Graph

from kg.errors import InputError, OutputError
from kg.rdf.iris import PREFIXES
from kg.rdf.terms import TextTriple, Triple, ntriples, ntriples_of_text, turtle_block, turtle_of_text


def turtle_prefixes() -> str:
    """The `@prefix` lines kg's Turtle starts with (and each part of it loaded into a store)."""
    return "".join(f"@prefix {prefix}: <{namespace}> .\n" for prefix, namespace in PREFIXES.items())


def jsonld_context() -> dict[str, str]:
    """The JSON-LD context kg writes: the same prefixes as its Turtle."""
    return {prefix: str(namespace) for prefix, namespace in PREFIXES.items()}


def bind_prefixes(graph: Graph) -> Graph:
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True)
    return graph


def jsonld_document(triples: Iterable[Triple]) -> str:
    graph = bind_prefixes(Graph())
    for triple in triples:
        graph.add(triple)
    return graph.serialize(format=BY_NAME["jsonld"].rdflib, context=jsonld_context(), indent=1)


def _turtle_block(triples: Iterable[Triple]) -> str:
    found = list(triples)
    return turtle_block(found) + "\n" if found else ""


def _turtle_text_block(triples: Iterable[TextTriple]) -> str:
    found = list(triples)
    return turtle_of_text(found) + "\n" if found else ""


@dataclass(frozen=True)
class RdfFormat:
    name: str  # kg's name for it (--format)
    extensions: tuple[str, ...]  # the first is the one kg writes
    media_type: str
    oxigraph: pyoxigraph.RdfFormat
    rdflib: str  # rdflib's parser and serializer name
    # Text for a block of triples, appended as the graph is built; None: written whole at the end.
    block: Callable[[Iterable[Triple]], str] | None = None
    text_block: Callable[[Iterable[TextTriple]], str] | None = None  # the same, of N-Triples text triples
    header: Callable[[], str] = str  # what a written file starts with
    written: bool = True  # kg writes it (build output, query answers)
    by_line: bool = False  # a file in it splits at any line

    @property
    def streams(self) -> bool:
        return self.block is not None

    def document(self, triples: Iterable[Triple]) -> str:
        """A whole file of these triples."""
        if self.block is None:
            return jsonld_document(triples)
        return self.header() + ("\n" if self.header() else "") + self.block(triples)


FORMATS = (
    RdfFormat(
        "turtle",
        (".ttl",),
        "text/turtle",
        pyoxigraph.RdfFormat.TURTLE,
        "turtle",
        block=_turtle_block,
        text_block=_turtle_text_block,
        header=turtle_prefixes,
    ),
    RdfFormat(
        "nt",
        (".nt",),
        "application/n-triples",
        pyoxigraph.RdfFormat.N_TRIPLES,
        "nt",
        block=ntriples,
        text_block=ntriples_of_text,
        by_line=True,
    ),
    RdfFormat("jsonld", (".jsonld",), "application/ld+json", pyoxigraph.RdfFormat.JSON_LD, "json-ld"),
    RdfFormat(
        "nq", (".nq",), "application/n-quads", pyoxigraph.RdfFormat.N_QUADS, "nquads", written=False, by_line=True
    ),
    RdfFormat("rdfxml", (".rdf", ".owl"), "application/rdf+xml", pyoxigraph.RdfFormat.RDF_XML, "xml", written=False),
)
BY_NAME = {f.name: f for f in FORMATS}
WRITTEN = tuple(f.name for f in FORMATS if f.written)  # turtle, nt, jsonld
DEFAULT = BY_NAME["turtle"]


def named(name: str) -> RdfFormat:
    try:
        return BY_NAME[name]
    except KeyError:
        raise OutputError(f"unknown RDF format {name!r} (choose from {', '.join(BY_NAME)})") from None


def of_extension(path: Path) -> RdfFormat | None:
    suffix = path.suffix.lower()
    return next((f for f in FORMATS if suffix in f.extensions), None)


def of_file(path: Path, name: str | None = None) -> RdfFormat:
    """The format of a file to read: as named, else from its extension."""
    if name is not None:
        return named(name)
    found = of_extension(path)
    if found is None:
        known = ", ".join(e for f in FORMATS for e in f.extensions)
        raise InputError(f"{path}: cannot tell the RDF format from the extension (known: {known})")
    return found


def for_output(path: Path, requested: str | None) -> RdfFormat:
    """The format to write: as asked, else from the extension (Turtle for an unknown one). An extension
    naming another format is refused: `kg load` and other tools read a file by its extension."""
    implied = of_extension(path)
    if implied is not None and not implied.written:
        implied = None
    if requested is None:
        return implied or DEFAULT
    chosen = named(requested)
    if not chosen.written:
        raise OutputError(f"kg does not write {requested}; choose from {', '.join(WRITTEN)}")
    if implied is not None and implied is not chosen:
        raise OutputError(f"{path}: the extension says {implied.name}, but --format {requested} was asked for")
    return chosen


def of_media_type(accept: str) -> RdfFormat | None:
    """The first written format an Accept header names, in kg's order of preference."""
    accept = accept.lower()
    return next((f for f in (BY_NAME["nt"], BY_NAME["jsonld"], BY_NAME["turtle"]) if f.media_type in accept), None)
