"""Running a prepared query with Oxigraph (a store directory or a file) or with rdflib (a file), and
turning the answer into one engine-neutral result."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph
from rdflib import Literal, URIRef, Variable
from rdflib.graph import Graph
from rdflib.plugins.sparql.sparql import SPARQLError

from kg.rdfio import load_graph, rdf_format_of, to_rdflib
from kg.results import Cell, SelectResult, cell_of, node_of
from kg.sparql import PreparedQuery, QueryError, QueryRefused
from kg.store import open_store
from kg.terms import Triple

ENGINES = ("oxigraph", "rdflib")


@dataclass
class QueryAnswer:
    form: str
    select: SelectResult | None = None
    boolean: bool | None = None
    triples: list[Triple] = field(default_factory=list)


def _oxigraph_term(term: URIRef | Literal) -> pyoxigraph.NamedNode | pyoxigraph.Literal:
    if isinstance(term, URIRef):
        return pyoxigraph.NamedNode(str(term))
    if term.language:
        return pyoxigraph.Literal(str(term), language=term.language)
    if term.datatype:
        return pyoxigraph.Literal(str(term), datatype=pyoxigraph.NamedNode(str(term.datatype)))
    return pyoxigraph.Literal(str(term))


def oxigraph_source(store_dir: Path | None, graph_file: Path | None) -> pyoxigraph.Store:
    if store_dir is not None:
        return open_store(store_dir)
    if graph_file is None:
        raise QueryError("give a store (--store DIR) or a graph file (--graph FILE)")
    store = pyoxigraph.Store()
    try:
        store.bulk_load(path=str(graph_file), format=rdf_format_of(graph_file))
    except (OSError, SyntaxError, ValueError) as error:
        raise QueryError(f"{graph_file}: cannot read the graph: {error}") from error
    return store


def run_oxigraph(query: PreparedQuery, store: pyoxigraph.Store, row_limit: int | None = None) -> QueryAnswer:
    substitutions: dict[
        pyoxigraph.Variable, pyoxigraph.NamedNode | pyoxigraph.BlankNode | pyoxigraph.Literal | pyoxigraph.Triple
    ] = {pyoxigraph.Variable(name): _oxigraph_term(term) for name, term in query.bindings.items()}
    try:
        return _oxigraph_answer(query, store.query(query.text, substitutions=substitutions), row_limit)
    except SyntaxError as error:
        raise QueryError(f"SPARQL syntax error: {error}") from error
    except (OSError, RuntimeError) as error:  # Oxigraph's evaluation errors, e.g. a parameter not projected
        raise QueryError(f"the query failed: {error}") from error


def _oxigraph_answer(
    query: PreparedQuery,
    result: pyoxigraph.QuerySolutions | pyoxigraph.QueryBoolean | pyoxigraph.QueryTriples,
    row_limit: int | None,
) -> QueryAnswer:
    """Results are lazy: evaluation errors surface while iterating, inside the caller's error handling."""
    if isinstance(result, pyoxigraph.QueryBoolean):
        return QueryAnswer("ASK", boolean=bool(result))
    if isinstance(result, pyoxigraph.QuerySolutions):
        variables = [v.value for v in result.variables]
        select = SelectResult(variables)
        for solution in result:
            if row_limit is not None and len(select.rows) >= row_limit:
                raise QueryRefused(f"the result has more than {row_limit} rows (the row limit); add a LIMIT")
            select.rows.append({v: c for v in variables if (c := cell_of(solution[v])) is not None})
        return QueryAnswer("SELECT", select=select)
    triples = []
    for triple in result:
        triples.append((to_rdflib(triple.subject), to_rdflib(triple.predicate), to_rdflib(triple.object)))
        if row_limit is not None and len(triples) > row_limit:
            raise QueryRefused(f"the result has more than {row_limit} triples (the row limit)")
    return QueryAnswer(query.form, triples=triples)  # type: ignore[arg-type]


def run_rdflib(query: PreparedQuery, graph: Graph, row_limit: int | None = None) -> QueryAnswer:
    bindings: dict[str, URIRef | Literal] = {Variable(name): term for name, term in query.bindings.items()}
    try:
        result = graph.query(query.text, initBindings=bindings)
    except SPARQLError as error:
        raise QueryError(f"the query failed in rdflib: {error}") from error
    if result.type == "ASK":
        return QueryAnswer("ASK", boolean=bool(result.askAnswer))
    if result.type == "SELECT":
        variables = [str(v) for v in result.vars or []]
        select = SelectResult(variables)
        for row in result:
            if row_limit is not None and len(select.rows) >= row_limit:
                raise QueryRefused(f"the result has more than {row_limit} rows (the row limit); add a LIMIT")
            cells: dict[str, Cell] = {}
            for name in variables:
                cell = cell_of(row[name])  # type: ignore[index, call-overload]
                if cell is not None:
                    cells[name] = cell
            select.rows.append(cells)
        return QueryAnswer("SELECT", select=select)
    return QueryAnswer(query.form, triples=[t for t in result])  # type: ignore[misc]


def run_query(
    query: PreparedQuery,
    engine: str = "oxigraph",
    store_dir: Path | None = None,
    graph_file: Path | None = None,
    row_limit: int | None = None,
) -> QueryAnswer:
    if engine == "rdflib":
        if graph_file is None:
            raise QueryError("the rdflib engine reads a graph file: give --graph FILE")
        return run_rdflib(query, load_graph(graph_file), row_limit)
    return run_oxigraph(query, oxigraph_source(store_dir, graph_file), row_limit)


__all__ = ["ENGINES", "QueryAnswer", "node_of", "run_query"]
