"""Reading RDF files: format from the extension, parsed by Oxigraph (fast, and it never fetches
remote JSON-LD contexts or XML entities), converted to rdflib where rdflib is needed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyoxigraph
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from kg.errors import InputError
from kg.rdf import formats
from kg.rdf.iris import XSD

_XSD_STRING = str(XSD.string)


def rdf_format_of(path: Path, name: str | None = None) -> pyoxigraph.RdfFormat:
    """Oxigraph's format for a file: as named (kg's format names), else from the extension."""
    return formats.of_file(path, name).oxigraph


def iter_quads(path: Path, name: str | None = None) -> Iterator[pyoxigraph.Quad]:
    """Stream a file's triples; a syntax error names the file and position."""
    try:
        yield from pyoxigraph.parse(path=str(path), format=rdf_format_of(path, name))
    except (OSError, SyntaxError, ValueError) as error:
        raise InputError(f"{path}: cannot read the graph: {error}") from error


def to_rdflib(term: object) -> Node:
    if isinstance(term, pyoxigraph.NamedNode):
        return URIRef(term.value)
    if isinstance(term, pyoxigraph.BlankNode):
        return BNode(term.value)
    if isinstance(term, pyoxigraph.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        if term.datatype.value == _XSD_STRING:  # rdflib tells "x" from "x"^^xsd:string; RDF 1.1 does not
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(term.datatype.value))
    raise InputError(f"unsupported RDF term {term!r}")


def load_graph(path: Path, name: str | None = None) -> Graph:
    graph = Graph()
    for quad in iter_quads(path, name):
        graph.add((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))
    return graph
