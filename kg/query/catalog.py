"""kg's canned queries (`kg/query/canned/*.rq`, with their headers) and their parameters as RDF terms.

Separate from the safety checks (`kg.query.scan`) and from `kg.query.prepare`: this is what kg ships and
what a user may fill in. Parameters become RDF terms bound to the query's variables (SEP-0007
substitution in Oxigraph, initBindings in rdflib): no text is ever pasted into a query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from kg.errors import QueryError
from kg.model import codes
from kg.rdf import iris

QUERIES_DIR = Path(__file__).resolve().parent / "canned"
PARAM_TYPES = ("literal", "iri", "nct", "mesh", "integer", "measure")


@dataclass(frozen=True)
class Param:
    """A canned query's parameter: given as `name`, bound to the query's `?variable` (the same unless the
    header says `name:variable`, for a filter value that must not name an output column)."""

    name: str
    kind: str
    required: bool
    description: str
    variable: str = ""

    @property
    def bound_to(self) -> str:
        return self.variable or self.name


@dataclass(frozen=True)
class CannedQuery:
    name: str
    title: str
    answers: str
    params: tuple[Param, ...]
    text: str


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
        name, _, variable = name.partition(":")
        if kind not in PARAM_TYPES:
            raise QueryError(
                f"{path.name}: parameter {name} has the unknown type {kind!r} (known: {', '.join(PARAM_TYPES)})"
            )
        params.append(Param(name, kind, need == "required", rest[0] if rest else "", variable))
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
    if kind == "measure":
        return Literal(measure_text(name, value))
    if kind == "integer":
        if not re.fullmatch(r"[+-]?\d+", value.strip()):
            raise QueryError(f"parameter {name}: {value!r} is not a whole number")
        return Literal(int(value), datatype=XSD.integer)
    return Literal(value)


def measure_text(variable: str, value: str) -> str:
    """A patient's value of a threshold variable as the query compares it (`kg.model.thresholds.patient_value`);
    a value kg cannot read is the user's error."""
    from kg.model import thresholds  # compiles its patterns on import: only a measure parameter needs them

    try:
        return thresholds.patient_value(variable, value)
    except ValueError as error:
        raise QueryError(f"parameter {variable}: {error}") from None


def bindings(params: dict[str, str], declared: tuple[Param, ...]) -> dict[str, URIRef | Literal]:
    """The given parameters as terms, checked against the declared ones (if any); undeclared values in
    `<…>` are IRIs, others literals."""
    kinds = {p.name: p.kind for p in declared}
    variables = {p.name: p.bound_to for p in declared}
    if declared:
        unknown = sorted(set(params) - set(kinds))
        if unknown:
            raise QueryError(
                f"unknown parameter(s) {', '.join(unknown)}; this query takes {', '.join(kinds) or 'none'}"
            )
        missing = [p.name for p in declared if p.required and p.name not in params]
        if missing:
            raise QueryError(f"missing required parameter(s): {', '.join(missing)} (give --param NAME=VALUE)")
    found = {}
    for name, value in params.items():
        kind = kinds.get(name) or ("iri" if value.startswith("<") and value.endswith(">") else "literal")
        found[variables.get(name, name)] = term_for(kind, value.strip("<>") if kind == "iri" else value, name)
    return found
