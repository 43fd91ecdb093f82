"""Writing a query answer in the format asked for; shared by `kg query` and `kg serve`."""

from __future__ import annotations

from kg.errors import KgError
from kg.query.engines import QueryAnswer
from kg.query.results import SELECT_FORMATS, ask_json, ask_xml
from kg.rdf import formats


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
    name = "turtle" if output_format == "table" else output_format
    if name not in formats.WRITTEN:
        raise KgError(f"a {answer.form} answer is written as {', '.join(formats.WRITTEN)}, not {output_format!r}")
    return formats.named(name).document(answer.triples)
