"""Query results in one engine-neutral shape, and their serializations: a terminal table, CSV, TSV and
the SPARQL 1.1 JSON and XML results formats. Both engines' answers go through here, so they compare."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph
from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from kg.rdf import formats
from kg.rdf.iris import XSD
from kg.rdf.terms import compact_iri

_XSD_STRING = str(XSD.string)

# ("uri", iri) | ("bnode", id) | ("literal", lexical, datatype or None, language or None)
Cell = tuple[str, ...] | tuple[str, str, str | None, str | None]


def cell_of(term: object) -> Cell | None:
    """An rdflib or Oxigraph term as a comparable tuple (None for an unbound variable)."""
    kind = type(term)  # Oxigraph's exact types first: an answer can hold hundreds of thousands of terms
    if kind is pyoxigraph.Literal:
        language = term.language  # type: ignore[attr-defined]
        if language is not None:
            return ("literal", term.value, None, language)  # type: ignore[attr-defined]
        datatype = term.datatype.value  # type: ignore[attr-defined]
        return ("literal", term.value, None if datatype == _XSD_STRING else datatype, None)  # type: ignore[attr-defined]
    if kind is pyoxigraph.NamedNode:
        return ("uri", term.value)  # type: ignore[attr-defined]
    if term is None:
        return None
    if isinstance(term, (URIRef, pyoxigraph.NamedNode)):
        return ("uri", str(term) if isinstance(term, URIRef) else term.value)
    if isinstance(term, (BNode, pyoxigraph.BlankNode)):
        return ("bnode", str(term) if isinstance(term, BNode) else term.value)
    if isinstance(term, Literal):
        datatype = str(term.datatype) if term.datatype and str(term.datatype) != _XSD_STRING else None
        return ("literal", str(term), None if term.language else datatype, term.language)
    if isinstance(term, pyoxigraph.Literal):
        datatype = term.datatype.value
        plain = datatype == _XSD_STRING or term.language is not None
        return ("literal", term.value, None if plain else datatype, term.language)
    raise TypeError(f"not an RDF term: {term!r}")


@dataclass
class SelectResult:
    variables: list[str]
    rows: list[dict[str, Cell]] = field(default_factory=list)
    truncated: bool = False

    def as_multiset(self) -> list[tuple[Cell | None, ...]]:
        """Rows as a sorted list of comparable tuples; numbers compare by value ("2.0" = "2")."""
        return sorted((tuple(comparable_cell(row.get(v)) for v in self.variables) for row in self.rows), key=repr)


_NUMERIC = {str(XSD[t]) for t in ("integer", "decimal", "double", "float", "long", "int")}


def comparable_cell(cell: Cell | None) -> Cell | None:
    if cell is None or cell[0] != "literal" or cell[2] not in _NUMERIC:
        return cell
    try:
        return ("number", format(Decimal(cell[1]).normalize(), "f"))
    except InvalidOperation:
        return cell


def _display(cell: Cell | None) -> str:
    if cell is None:
        return ""
    if cell[0] == "uri":
        compact = compact_iri(cell[1])
        return cell[1] if compact.startswith("<") else compact
    if cell[0] == "bnode":
        return f"_:{cell[1]}"
    return cell[1]


def to_table(result: SelectResult, max_width: int = 60) -> str:
    headers = result.variables
    rows = [[_display(row.get(v))[:max_width] for v in headers] for row in result.rows]
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''}{', truncated' if result.truncated else ''})")
    return "\n".join(out) + "\n"


def to_delimited(result: SelectResult, delimiter: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(result.variables)
    for row in result.rows:
        writer.writerow([(row.get(v) or ("", ""))[1] for v in result.variables])
    return buffer.getvalue()


def _json_term(cell: Cell) -> dict[str, str]:
    if cell[0] == "literal":
        term = {"type": "literal", "value": cell[1]}
        if cell[3]:
            term["xml:lang"] = cell[3]
        elif cell[2]:
            term["datatype"] = cell[2]
        return term
    return {"type": cell[0], "value": cell[1]}


def to_json(result: SelectResult) -> str:
    bindings = [{v: _json_term(c) for v, c in row.items() if c is not None} for row in result.rows]
    return json.dumps({"head": {"vars": result.variables}, "results": {"bindings": bindings}}, ensure_ascii=False)


def to_xml(result: SelectResult) -> str:
    out = ['<?xml version="1.0"?>', '<sparql xmlns="http://www.w3.org/2005/sparql-results#">', "<head>"]
    out += [f"<variable name={quoteattr(v)}/>" for v in result.variables]
    out += ["</head>", "<results>"]
    for row in result.rows:
        out.append("<result>")
        for variable, cell in row.items():
            if cell is None:
                continue
            if cell[0] == "uri":
                value = f"<uri>{escape(cell[1])}</uri>"
            elif cell[0] == "bnode":
                value = f"<bnode>{escape(cell[1])}</bnode>"
            else:
                attrs = (
                    f" xml:lang={quoteattr(cell[3])}"
                    if cell[3]
                    else f" datatype={quoteattr(cell[2])}"
                    if cell[2]
                    else ""
                )
                value = f"<literal{attrs}>{escape(cell[1])}</literal>"
            out.append(f"<binding name={quoteattr(variable)}>{value}</binding>")
        out.append("</result>")
    out += ["</results>", "</sparql>"]
    return "\n".join(out) + "\n"


def ask_json(value: bool) -> str:
    return json.dumps({"head": {}, "boolean": value})


def ask_xml(value: bool) -> str:
    return (
        '<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n<head/>\n'
        f"<boolean>{'true' if value else 'false'}</boolean>\n</sparql>\n"
    )


SELECT_FORMATS = {
    "table": to_table,
    "csv": lambda r: to_delimited(r, ","),
    "tsv": lambda r: to_delimited(r, "\t"),
    "json": to_json,
    "xml": to_xml,
}
MEDIA_TYPES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "table": "text/plain",
    **{f.name: f.media_type for f in formats.FORMATS if f.written},
}


def node_of(cell: Cell) -> Node:
    if cell[0] == "uri":
        return URIRef(cell[1])
    if cell[0] == "bnode":
        return BNode(cell[1])
    return Literal(cell[1], datatype=URIRef(cell[2]) if cell[2] else None, lang=cell[3] or None)
