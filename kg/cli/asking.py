"""Commands that ask a graph: `kg query` and `kg serve`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from kg.cli.app import graph_source, graph_source_options, main
from kg.errors import QueryError

if TYPE_CHECKING:
    from kg.query.catalog import CannedQuery
from kg.store import DEFAULT_STORE


@main.command()
@click.argument("query_text", required=False)
@click.option(
    "-f",
    "--file",
    "query_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Read the query from a .rq file.",
)
@click.option("--name", help="Run a canned query by name (see --list).")
@click.option("--list", "list_queries", is_flag=True, help="List the canned queries and their parameters.")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE", help="Bind a query variable (repeatable).")
@graph_source_options
@click.option("--engine", type=click.Choice(["oxigraph", "rdflib"]), default="oxigraph", show_default=True)
@click.option(
    "--format",
    "output_format",
    default="table",
    show_default=True,
    type=click.Choice(["table", "csv", "tsv", "json", "xml", "turtle", "nt", "jsonld"]),
    help="SELECT: table|csv|tsv|json|xml; CONSTRUCT/DESCRIBE: turtle|nt|jsonld; ASK prints true/false.",
)
@click.option(
    "--max-bytes",
    type=click.IntRange(1),
    default=64 * 1024 * 1024,
    show_default=True,
    help="Refuse an answer larger than this many bytes (64 MiB by default).",
)
def query(
    query_text: str | None,
    query_file: Path | None,
    name: str | None,
    list_queries: bool,
    params: tuple[str, ...],
    store_dir: Path | None,
    graph_file: Path | None,
    engine: str,
    output_format: str,
    max_bytes: int,
) -> None:
    """Run a read-only SPARQL query: inline, from a file, or a canned one by name.

    Example:

        kg query --name trials-by-condition --param term="Liver Diseases" --graph out/graph.ttl
    """
    from kg.query.catalog import Param, canned_queries, canned_query
    from kg.query.engines import answer_isolated
    from kg.query.prepare import prepare

    if list_queries:
        for canned in canned_queries().values():
            click.echo(f"{canned.name}: {canned.title}")
            click.echo(f"    {canned.answers}")
            for param in canned.params:
                need = "required" if param.required else "optional"
                click.echo(f"    --param {param.name}=…  ({param.kind}, {need}) {param.description}")
        return
    sources = [s for s in (query_text, query_file, name) if s]
    if len(sources) != 1:
        raise click.UsageError("give exactly one of: a query, -f FILE, --name NAME (or --list)")
    declared: tuple[Param, ...] = ()
    if name:
        canned = canned_query(name)
        text, declared = canned.text, canned.params
    else:
        text = query_file.read_text(encoding="utf-8") if query_file else str(query_text)
    bound = {}
    for item in params:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.UsageError(f"--param takes NAME=VALUE, not {item!r}")
        bound[key] = value
    prepared = prepare(text, bound, declared)
    store_dir, graph_file = graph_source(store_dir, graph_file)
    answer = answer_isolated(prepared, engine, store_dir, graph_file, output_format, max_bytes)
    if name and answer.rows == 0:
        nothing_found(canned_query(name), bound)  # exits 2 for a trial the graph does not hold
    click.echo(answer.text, nl=False)
    if name and answer.rows == 0 and bound:
        searched = ", ".join(f"{key}={value!r}" for key, value in bound.items())
        click.echo(f"kg query: nothing found for {searched} (what it searches: {canned_query(name).answers})", err=True)


def nothing_found(canned: CannedQuery, bound: dict[str, str]) -> None:
    """A canned query about one trial that the graph does not hold is an error, not an empty answer."""
    for param in canned.params:
        if param.kind == "nct" and param.name in bound:
            raise QueryError(f"no trial {bound[param.name].strip().upper()} in this graph")


@main.command()
@click.option(
    "--store",
    "store_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=str(DEFAULT_STORE),
    show_default=True,
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (loopback by default).")
@click.option("--port", type=click.IntRange(0, 65535), default=7878, show_default=True)
@click.option("--timeout", type=click.FloatRange(0.1), default=10.0, show_default=True, help="Seconds per query.")
@click.option("--max-rows", type=click.IntRange(1), default=10_000, show_default=True, help="Rows per answer.")
@click.option(
    "--max-bytes",
    type=click.IntRange(1),
    default=64 * 1024 * 1024,
    show_default=True,
    help="Bytes per answer (64 MiB by default).",
)
def serve(store_dir: Path, host: str, port: int, timeout: float, max_rows: int, max_bytes: int) -> None:
    """Serve a read-only SPARQL 1.1 endpoint over a store, with a query page at /.

    Example:

        kg serve --store kg-store --port 7878
    """
    from kg.query.endpoint import ServerConfig, serve_forever

    serve_forever(ServerConfig(store_dir, host, port, timeout, max_rows, max_bytes=max_bytes))
