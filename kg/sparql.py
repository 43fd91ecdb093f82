"""Preparing a SPARQL query safely: read-only, nothing fetched, parameters bound as terms.

Every query is parsed before it runs. Updates, `SERVICE`, and `FROM`/`FROM NAMED` (which would make an
engine load a URL) are refused. Parameters become RDF terms bound to the query's variables (SEP-0007
substitution in Oxigraph, initBindings in rdflib): no text is ever pasted into a query.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

from pyparsing import ParseException, ParseResults
from rdflib import Literal, URIRef
from rdflib.namespace import XSD
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue

from kg import codes, iris
from kg.errors import KgError

MAX_QUERY_CHARS = 100_000
# rdflib's SPARQL grammar (pyparsing) is not safe to run from two threads at once: `kg serve` parses in
# request threads, so parsing is serialized (it takes milliseconds; the queries themselves run in parallel).
_PARSER_LOCK = threading.Lock()
QUERIES_DIR = Path(__file__).resolve().parent / "queries"
PARAM_TYPES = ("literal", "iri", "nct", "mesh", "integer")


class QueryError(KgError):
    """A query that cannot run: a syntax error (with the engine's position) or a bad parameter."""


class QueryRefused(QueryError):
    """A query kg will not run: an update, SERVICE, FROM <url>, or one past a limit."""


@dataclass(frozen=True)
class Param:
    name: str
    kind: str
    required: bool
    description: str


@dataclass(frozen=True)
class CannedQuery:
    name: str
    title: str
    answers: str
    params: tuple[Param, ...]
    text: str


@dataclass(frozen=True)
class PreparedQuery:
    text: str
    form: str  # SELECT | ASK | CONSTRUCT | DESCRIBE
    bindings: dict[str, URIRef | Literal] = field(default_factory=dict)


def canned_queries() -> dict[str, CannedQuery]:
    return {path.stem: _read_canned(path) for path in sorted(QUERIES_DIR.glob("*.rq"))}


def _read_canned(path: Path) -> CannedQuery:
    text = path.read_text(encoding="utf-8")
    header: dict[str, list[str]] = {"title": [], "answers": [], "param": []}
    key = None
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        body = line[1:].strip()
        match = re.match(r"^(title|answers|param):\s*(.*)$", body)
        if match:
            key = match.group(1)
            header[key].append(match.group(2))
        elif key == "answers" and body:
            header["answers"][-1] += " " + body
    params = []
    for spec in header["param"]:
        name, kind, need, *rest = spec.split(None, 3)
        params.append(Param(name, kind, need == "required", rest[0] if rest else ""))
    return CannedQuery(path.stem, " ".join(header["title"]), " ".join(header["answers"]), tuple(params), text)


def canned_query(name: str) -> CannedQuery:
    queries = canned_queries()
    if name not in queries:
        raise QueryError(f"no canned query named {name!r}; `kg query --list` shows them: {', '.join(queries)}")
    return queries[name]


def term_for(kind: str, value: str, name: str) -> URIRef | Literal:
    """A parameter value as the RDF term its declared kind says."""
    if kind == "nct":
        nct_id = value.strip().upper()
        if not codes.NCT_ID_PATTERN.match(nct_id):
            raise QueryError(f"parameter {name}: {value!r} is not an NCT id (NCT and 8 digits)")
        return iris.trial_iri(nct_id)
    if kind == "mesh":
        mesh_id = codes.normalize_mesh_id(value)
        if mesh_id is None:
            raise QueryError(f"parameter {name}: {value!r} is not a MeSH id (D… or C…)")
        return iris.mesh_iri(mesh_id)
    if kind == "iri":
        if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s<>\"{}|^`\\]*$", value):
            raise QueryError(f"parameter {name}: {value!r} is not an IRI")
        return URIRef(value)
    if kind == "integer":
        if not re.fullmatch(r"[+-]?\d+", value.strip()):
            raise QueryError(f"parameter {name}: {value!r} is not a whole number")
        return Literal(int(value), datatype=XSD.integer)
    return Literal(value)


def _walk(node: object):  # type: ignore[no-untyped-def]
    if isinstance(node, CompValue):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, (list, tuple, ParseResults)):
        for item in node:
            yield from _walk(item)


def prepare(text: str, params: dict[str, str] | None = None, declared: tuple[Param, ...] = ()) -> PreparedQuery:
    """Parse, refuse what must not run, and turn parameters into terms."""
    if len(text) > MAX_QUERY_CHARS:
        raise QueryRefused(f"the query is {len(text)} characters; the limit is {MAX_QUERY_CHARS}")
    with _PARSER_LOCK:
        return _prepare_locked(text, params, declared)


def _prepare_locked(text: str, params: dict[str, str] | None, declared: tuple[Param, ...]) -> PreparedQuery:
    try:
        parsed = parseQuery(text)
    except ParseException as error:
        try:
            parseUpdate(text)
        except ParseException:
            raise QueryError(f"SPARQL syntax error at line {error.lineno}, column {error.col}: {error.msg}") from None
        raise QueryRefused("SPARQL updates are refused: kg's SPARQL side is read-only") from None
    nodes = list(_walk(parsed))
    if any(n.name == "ServiceGraphPattern" for n in nodes):
        raise QueryRefused("SERVICE is refused: kg never fetches from other endpoints")
    if any(n.name == "DatasetClause" for n in nodes):
        raise QueryRefused("FROM / FROM NAMED are refused: kg never loads graphs from URLs")
    form = parsed[1].name.replace("Query", "").upper()
    return PreparedQuery(text, form, _bindings(params or {}, declared))


def _bindings(params: dict[str, str], declared: tuple[Param, ...]) -> dict[str, URIRef | Literal]:
    kinds = {p.name: p.kind for p in declared}
    if declared:
        unknown = sorted(set(params) - set(kinds))
        if unknown:
            raise QueryError(
                f"unknown parameter(s) {', '.join(unknown)}; this query takes {', '.join(kinds) or 'none'}"
            )
        missing = [p.name for p in declared if p.required and p.name not in params]
        if missing:
            raise QueryError(f"missing required parameter(s): {', '.join(missing)} (give --param NAME=VALUE)")
    bindings = {}
    for name, value in params.items():
        kind = kinds.get(name) or ("iri" if value.startswith("<") and value.endswith(">") else "literal")
        bindings[name] = term_for(kind, value.strip("<>") if kind == "iri" else value, name)
    return bindings
