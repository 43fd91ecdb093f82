"""Preparing a SPARQL query safely: read-only, nothing fetched, parameters bound as terms.

What must not run (updates, `SERVICE`, `LOAD`, `FROM`) is refused by `kg.query.scan`, in both readings of
the text, before anything runs; parameters become RDF terms (`kg.query.catalog`), never pasted text. This
module puts the two together, and gives rdflib's own parse a second look before a query runs in rdflib.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyparsing import ParseException, ParseResults
from rdflib import Literal, URIRef
from rdflib.plugins.sparql.parserutils import CompValue

from kg.errors import QueryError, QueryRefused, QueryTooComplex
from kg.query.catalog import Param, bindings
from kg.query.scan import refuse_unsafe

MAX_QUERY_CHARS = 100_000


@dataclass(frozen=True)
class PreparedQuery:
    text: str
    form: str  # SELECT | ASK | CONSTRUCT | DESCRIBE
    bindings: dict[str, URIRef | Literal] = field(default_factory=dict)


def prepare(text: str, params: dict[str, str] | None = None, declared: tuple[Param, ...] = ()) -> PreparedQuery:
    """Refuse what must not run (in both readings of the text), and turn parameters into terms.

    Linear in the query's length; a syntax error is left for the engine, which reports its position."""
    if len(text) > MAX_QUERY_CHARS:
        raise QueryRefused(f"the query is {len(text)} characters; the limit is {MAX_QUERY_CHARS}")
    form = refuse_unsafe(text)
    return PreparedQuery(text, form, bindings(params or {}, declared))


def check_with_rdflib(text: str):  # type: ignore[no-untyped-def]
    """rdflib's own parse of a query about to run in rdflib, and a second look at what it would fetch.
    Runs in the query's child process (rdflib's grammar is slow on some inputs and not thread-safe)."""
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        parsed = parseQuery(text)
    except ParseException as error:
        raise QueryError(f"SPARQL syntax error at line {error.lineno}, column {error.col}: {error.msg}") from None
    except RecursionError:
        raise QueryTooComplex("the query nests too deeply for rdflib's parser; run it with --engine oxigraph") from None
    nodes = list(_walk(parsed))
    if any(n.name == "ServiceGraphPattern" for n in nodes):
        raise QueryRefused("SERVICE is refused: kg never fetches from other endpoints")
    if any(n.name == "DatasetClause" for n in nodes):
        raise QueryRefused("FROM / FROM NAMED are refused: kg never loads graphs from URLs")
    return translateQuery(parsed)


def _walk(node: object):  # type: ignore[no-untyped-def]
    if isinstance(node, CompValue):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, (list, tuple, ParseResults)):
        for item in node:
            yield from _walk(item)


__all__ = [
    "MAX_QUERY_CHARS",
    "PreparedQuery",
    "check_with_rdflib",
    "prepare",
]
