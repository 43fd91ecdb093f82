"""Running a prepared query with Oxigraph (a store directory or a file) or with rdflib (a file), and
turning the answer into one engine-neutral result. Answers are capped in rows and in bytes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph
from rdflib import Literal, URIRef, Variable
from rdflib.graph import Graph
from rdflib.plugins.sparql.sparql import SPARQLError

from kg.errors import AnswerTooLarge, QueryError, QueryRefused
from kg.query.prepare import PreparedQuery, check_with_rdflib
from kg.query.results import Cell, SelectResult, cell_of, node_of
from kg.rdf.rdfio import load_graph, rdf_format_of, to_rdflib
from kg.rdf.terms import Triple
from kg.store import open_store

ENGINES = ("oxigraph", "rdflib")
DEFAULT_MAX_BYTES = 64 * 1024 * 1024


def byte_size(count: int) -> str:
    """A byte count as people say it: 64 MiB, 1.5 KiB, 900 bytes."""
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= size:
            return f"{count / size:.4g} {unit}"
    return f"{count} bytes"


def too_large(max_bytes: int) -> AnswerTooLarge:
    return AnswerTooLarge(
        f"the answer is over {byte_size(max_bytes)} (the byte limit, --max-bytes); add a LIMIT, or select fewer "
        "or shorter values"
    )


class _Budget:
    """Counts an answer's characters as they arrive (a lower bound on its size in any format)."""

    def __init__(self, max_bytes: int | None) -> None:
        self.max_bytes, self.used = max_bytes, 0

    def spend(self, *texts: str | None) -> None:
        if self.max_bytes is None:
            return
        self.used += sum(len(t) for t in texts if t)
        if self.used > self.max_bytes:
            raise too_large(self.max_bytes)


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


def run_oxigraph(
    query: PreparedQuery, store: pyoxigraph.Store, row_limit: int | None = None, max_bytes: int | None = None
) -> QueryAnswer:
    substitutions: dict[
        pyoxigraph.Variable, pyoxigraph.NamedNode | pyoxigraph.BlankNode | pyoxigraph.Literal | pyoxigraph.Triple
    ] = {pyoxigraph.Variable(name): _oxigraph_term(term) for name, term in query.bindings.items()}
    try:
        result = store.query(query.text, substitutions=substitutions)
        return _oxigraph_answer(query, result, row_limit, _Budget(max_bytes))
    except SyntaxError as error:
        raise QueryError(_syntax_error(str(error), query.text)) from error
    except (OSError, RuntimeError) as error:  # Oxigraph's evaluation errors, e.g. a parameter not projected
        raise QueryError(f"the query failed: {error}") from error


def _syntax_error(message: str, text: str = "") -> str:
    """Oxigraph's `error at 1:25: expected one of LATERAL, SERVICE, [_]` in words a person can act on: the
    position, what stands there, what could, and the line with a caret under the place."""
    where, sep, rest = message.removeprefix("error at ").partition(": ")
    line, colon, column = where.partition(":")
    if not (sep and colon and line.isdigit() and column.isdigit()):
        return f"SPARQL syntax error: {message}"
    lines = text.splitlines() or [""]
    number, place = int(line), int(column)
    shown = lines[number - 1] if 0 < number <= len(lines) else ""
    start = shown.rfind(" ", 0, max(place - 1, 0)) + 1  # the whole word the place is in
    here = shown[start:].split()[0] if shown[start:].split() else ""
    undeclared = _undeclared_prefix(text)
    form = _query_form(text)
    if undeclared:
        what = f"the prefix {undeclared}: is not declared (add `PREFIX {undeclared}: <…>` before the query)"
    elif form is not None:
        what = f"a query starts with SELECT, ASK, CONSTRUCT or DESCRIBE (after any PREFIX lines), not `{form}`"
    else:
        found = f"`{here}`" if here and place <= len(shown) else "the end of the query"
        what = f"found {found} where the query needs {_expected_in_words(rest)}"
    caret = " " * (place - 1) + "^"
    return f"SPARQL syntax error at line {line}, column {column}: {what}\n  {shown}\n  {caret}"


def _words(text: str) -> list[str]:
    """The query's words outside IRIs, strings and comments (roughly: enough to name a cause)."""
    kept: list[str] = []
    inside = ""
    for raw_line in text.splitlines():
        for char in raw_line:
            if inside:
                if char == inside:
                    inside = ""
                continue
            if char in "<\"'":
                inside = ">" if char == "<" else char
                kept.append(" ")
            elif char == "#":
                break
            else:
                kept.append(" " if char in "{}()[],;" else char)
        kept.append(" ")
    return "".join(kept).split()


def _undeclared_prefix(text: str) -> str | None:
    """`ex` when `ex:p` is used and no `PREFIX ex:` is declared (Oxigraph then names some keyword)."""
    words = _words(text)
    declared = {words[i + 1].lower() for i, w in enumerate(words[:-1]) if w.upper() == "PREFIX"}
    for word in words:
        prefix, colon, _ = word.partition(":")
        if not colon or word[:1] in "?$" or word[:1].isdigit() or f"{prefix.lower()}:" in declared:
            continue
        if all(c.isalnum() or c in "_-." for c in prefix):
            return prefix
    return None


def _query_form(text: str) -> str | None:
    """The first word after the PREFIX/BASE lines when it is not a query form (`SELEC`), else None."""
    words = _words(text)
    index = 0
    while index < len(words) and words[index].upper() in ("PREFIX", "BASE"):
        index += 2 if words[index].upper() == "PREFIX" else 1  # IRIs are not words here
    first = words[index] if index < len(words) else ""
    return None if first.upper() in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE", "") else first


_CHARACTER_CLASS = "a name"


def _expected_in_words(expected: str) -> str:
    """`one of ",", ".", [_], ['A' ..= 'Z' …]` -> "one of: `,`, `.`, a variable, IRI or value, a name"."""
    body = expected.removeprefix("expected ").removeprefix("one of ")
    words: list[str] = []
    depth, token, quoted = 0, "", False
    for char in body + ",":
        if char == '"':
            quoted = not quoted
        elif char == "[" and not quoted:
            depth += 1
        elif char == "]" and not quoted:
            depth -= 1
        if char == "," and depth == 0 and not quoted:
            words.append(_token_in_words(token.strip()))
            token = ""
        else:
            token += char
    unique = list(dict.fromkeys(w for w in words if w))
    if len(unique) > 8:
        unique = [*unique[:8], "…"]
    return unique[0] if len(unique) == 1 else "one of: " + ", ".join(unique)


def _token_in_words(token: str) -> str:
    if token == "[_]":
        return "a variable, IRI or value"
    if token.startswith("["):
        return "a variable name" if token == "['_']" else _CHARACTER_CLASS
    if token.startswith('"') and token.endswith('"'):
        return f"`{token[1:-1]}`"
    return token


def _oxigraph_answer(
    query: PreparedQuery,
    result: pyoxigraph.QuerySolutions | pyoxigraph.QueryBoolean | pyoxigraph.QueryTriples,
    row_limit: int | None,
    budget: _Budget,
) -> QueryAnswer:
    """Results are lazy: evaluation errors surface while iterating, inside the caller's error handling."""
    if isinstance(result, pyoxigraph.QueryBoolean):
        return QueryAnswer("ASK", boolean=bool(result))
    if isinstance(result, pyoxigraph.QuerySolutions):
        variables = [v.value for v in result.variables]
        select = SelectResult(variables)
        for solution in result:
            if row_limit is not None and len(select.rows) >= row_limit:
                raise AnswerTooLarge(f"the result has more than {row_limit} rows (the row limit); add a LIMIT")
            row = {v: c for v, term in zip(variables, solution, strict=True) if (c := cell_of(term)) is not None}
            if budget.max_bytes is not None:
                budget.spend(*(text for cell in row.values() for text in cell[1:]), *row)
            select.rows.append(row)
        return QueryAnswer("SELECT", select=select)
    triples = []
    for triple in result:
        triples.append((to_rdflib(triple.subject), to_rdflib(triple.predicate), to_rdflib(triple.object)))
        budget.spend(*(str(term) for term in triples[-1]))
        if row_limit is not None and len(triples) > row_limit:
            raise AnswerTooLarge(f"the result has more than {row_limit} triples (the row limit)")
    form = query.form if query.form in ("CONSTRUCT", "DESCRIBE") else "CONSTRUCT"
    return QueryAnswer(form, triples=triples)  # type: ignore[arg-type]


def run_rdflib(
    query: PreparedQuery, graph: Graph, row_limit: int | None = None, max_bytes: int | None = None
) -> QueryAnswer:
    bindings: dict[str, URIRef | Literal] = {Variable(name): term for name, term in query.bindings.items()}
    budget = _Budget(max_bytes)
    try:
        result = graph.query(check_with_rdflib(query.text), initBindings=bindings)
    except SPARQLError as error:
        raise QueryError(f"the query failed in rdflib: {error}") from error
    if result.type == "ASK":
        return QueryAnswer("ASK", boolean=bool(result.askAnswer))
    if result.type == "SELECT":
        variables = [str(v) for v in result.vars or []]
        select = SelectResult(variables)
        for row in result:
            if row_limit is not None and len(select.rows) >= row_limit:
                raise AnswerTooLarge(f"the result has more than {row_limit} rows (the row limit); add a LIMIT")
            cells: dict[str, Cell] = {}
            for name in variables:
                cell = cell_of(row[name])  # type: ignore[index, call-overload]
                if cell is not None:
                    cells[name] = cell
                    budget.spend(name, *cell[1:])
            select.rows.append(cells)
        return QueryAnswer("SELECT", select=select)
    triples = []
    for triple in result:
        budget.spend(*(str(term) for term in triple))  # type: ignore[union-attr]
        triples.append(triple)
    return QueryAnswer(query.form, triples=triples)  # type: ignore[arg-type]


def run_query(
    query: PreparedQuery,
    engine: str = "oxigraph",
    store_dir: Path | None = None,
    graph_file: Path | None = None,
    row_limit: int | None = None,
    max_bytes: int | None = None,
) -> QueryAnswer:
    """Run a query in this process. `kg query` and `kg serve` use `answer_isolated` instead."""
    if engine == "rdflib":
        if graph_file is None:
            raise QueryError("the rdflib engine reads a graph file: give --graph FILE")
        return run_rdflib(query, load_graph(graph_file), row_limit, max_bytes)
    return run_oxigraph(query, oxigraph_source(store_dir, graph_file), row_limit, max_bytes)


def rendered(answer: QueryAnswer, output_format: str, max_bytes: int | None) -> str:
    """The answer written in a format, refused when the writing passes the byte limit."""
    from kg.query.answers import render

    text = render(answer, output_format)
    if max_bytes is not None and (len(text) > max_bytes or len(text.encode("utf-8")) > max_bytes):
        raise too_large(max_bytes)
    return text


@dataclass(frozen=True)
class RenderedAnswer:
    """An answer as the user asked to see it, and how many rows (or triples) it holds."""

    text: str
    rows: int


def _answer(
    query: PreparedQuery,
    engine: str,
    store_dir: Path | None,
    graph_file: Path | None,
    output_format: str,
    max_bytes: int | None,
) -> RenderedAnswer:
    answer = run_query(query, engine, store_dir, graph_file, max_bytes=max_bytes)
    if answer.form in ("CONSTRUCT", "DESCRIBE") and output_format == "table":
        output_format = "turtle"
    if answer.select is not None:
        rows = len(answer.select.rows)
    else:
        rows = len(answer.triples) if answer.form != "ASK" else int(bool(answer.boolean))
    return RenderedAnswer(rendered(answer, output_format, max_bytes), rows)


def answer_isolated(
    query: PreparedQuery,
    engine: str = "oxigraph",
    store_dir: Path | None = None,
    graph_file: Path | None = None,
    output_format: str = "table",
    max_bytes: int | None = DEFAULT_MAX_BYTES,
) -> RenderedAnswer:
    """`kg query`: run and write the answer in a child process with no network (kg.query.sandbox), so an engine
    that aborts (an Oxigraph panic) is reported here as an error instead of taking kg down with it."""
    from kg.query.sandbox import run_isolated

    outcome = run_isolated(_answer, (query, engine, store_dir, graph_file, output_format, max_bytes), timeout=None)
    if outcome.status == "ok":
        assert isinstance(outcome.value, RenderedAnswer)
        return outcome.value
    if outcome.status == "too-large":
        raise AnswerTooLarge(outcome.value)
    if outcome.status == "refused":
        raise QueryRefused(outcome.value)
    if outcome.status == "engine":
        raise QueryError(f"the query engine failed: {outcome.value}")
    raise QueryError(outcome.value)


__all__ = ["DEFAULT_MAX_BYTES", "ENGINES", "QueryAnswer", "RenderedAnswer", "answer_isolated", "node_of", "run_query"]
