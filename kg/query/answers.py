"""Writing a query answer in the format asked for; shared by `kg query` and `kg serve`."""

from __future__ import annotations

from rdflib import Graph

from kg.errors import KgError
from kg.query.engines import QueryAnswer
from kg.query.results import SELECT_FORMATS, ask_json, ask_xml
from kg.rdf.iris import PREFIXES
from kg.rdf.sinks import bind_prefixes
from kg.rdf.terms import ntriples, turtle_block

GRAPH_FORMATS = ("turtle", "nt", "jsonld")
ASK_FORMATS = ("table", "json", "xml", "csv", "tsv")


def render(answer: QueryAnswer, output_format: str) -> str:
    if answer.form == "SELECT" and answer.select is not None:
        if output_format not in SELECT_FORMATS:
            raise KgError(f"a SELECT answer is written as {', '.join(SELECT_FORMATS)}, not {output_format!r}")
        return SELECT_FORMATS[output_format](answer.select)
    if answer.form == "ASK":
        value = bool(answer.boolean)
        if output_format == "json":
            return ask_json(value)
        if output_format == "xml":
            return ask_xml(value)
        return ("true" if value else "false") + "\n"
    if output_format == "nt":
        return ntriples(answer.triples)
    if output_format == "jsonld":
        graph = bind_prefixes(Graph())
        for triple in answer.triples:
            graph.add(triple)
        context = {prefix: str(namespace) for prefix, namespace in PREFIXES.items()}
        return graph.serialize(format="json-ld", context=context, indent=1)
    if output_format in ("turtle", "table"):
        header = "".join(f"@prefix {prefix}: <{namespace}> .\n" for prefix, namespace in PREFIXES.items())
        return header + "\n" + turtle_block(answer.triples)
    raise KgError(f"a {answer.form} answer is written as {', '.join(GRAPH_FORMATS)}, not {output_format!r}")
