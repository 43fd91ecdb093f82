"""Commands that make and check a graph: `kg parse`, `kg build`, `kg validate`, `kg stats`, `kg load`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from kg.cli.app import ProgressBar, RejectPrinter, input_options, main
from kg.rdf.formats import WRITTEN as RDF_FORMATS
from kg.similarity import METHODS
from kg.store import DEFAULT_STORE
from kg.validation import ENGINES as SHACL_ENGINES


@main.command()
@input_options
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["json", "pretty"]),
    default="json",
    show_default=True,
    help="json: one record per line (JSON Lines); pretty: indented.",
)
@click.option("--strict", is_flag=True, help="Exit 1 if any record is rejected.")
def parse(inputs: tuple[str, ...], input_format: str, include_contacts: bool, output_format: str, strict: bool) -> None:
    """Print each record as kg reads it, one normalized JSON object per line.

    Example:

        kg parse examples/NCT04267848.json --format pretty
    """
    from kg.model.records import TrialRecord, record_to_dict
    from kg.sources import iter_records

    printer, parsed = RejectPrinter(), 0
    for item in iter_records(list(inputs), input_format, include_contacts):
        if isinstance(item, TrialRecord):
            parsed += 1
            indent = 2 if output_format == "pretty" else None
            click.echo(json.dumps(record_to_dict(item), ensure_ascii=False, indent=indent))
        else:
            printer(item)
    click.echo(f"kg: {parsed} record(s) parsed, {printer.count} rejected", err=True)
    sys.exit(2 if parsed == 0 else 1 if strict and printer.count else 0)


@main.command()
@input_options
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="The graph file to write; the report and rejects are written beside it.",
)
@click.option(
    "--format",
    "rdf_format",
    type=click.Choice(RDF_FORMATS),
    help="Output format [default: from the extension (.ttl, .nt, .jsonld), else turtle].",
)
@click.option("--strict", is_flag=True, help="Exit 1 if any record is rejected.")
@click.option(
    "--batch-size",
    type=click.IntRange(1),
    default=64,
    show_default=True,
    help="Input documents handed to a worker at a time.",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(1),
    help="Worker processes for parsing, mapping and validating [default: the number of CPUs, at most 8].",
)
@click.option(
    "--shacl-engine",
    type=click.Choice(SHACL_ENGINES),
    default=SHACL_ENGINES[0],
    show_default=True,
    help="core: kg's compiled SHACL Core engine (fast; same results); pyshacl: the reference engine.",
)
@click.option(
    "--store",
    "store_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also load the graph into this Oxigraph store (replacing what it held), for kg query and kg serve.",
)
@click.option(
    "--update",
    is_flag=True,
    help="With --store: rebuild only trials newer than the store's copy; -o gets just those trials.",
)
@click.option("--related", "related_k", type=click.IntRange(1), help="Add each trial's top K computed neighbours.")
@click.option(
    "--related-method",
    type=click.Choice(METHODS),
    default=METHODS[0],
    show_default=True,
    help="How --related scores neighbours.",
)
@click.option(
    "--mesh",
    "mesh_source",
    metavar="FILE|none",
    help="The MeSH hierarchy (meshv:broaderDescriptor) written above the graph's descriptors, with entry "
    "terms as synonyms: by default kg's bundled MeSH 2024 (Diseases and Psychiatry trees); FILE: NLM's "
    "own (descYYYY.xml, MeSH RDF N-Triples or a MeSH table, gzip or not), e.g. a newer year; none: only "
    "the ancestry learned from the records.",
)
def build(
    inputs: tuple[str, ...],
    input_format: str,
    include_contacts: bool,
    output: Path,
    rdf_format: str | None,
    strict: bool,
    batch_size: int,
    store_dir: Path | None,
    related_k: int | None,
    related_method: str,
    update: bool,
    jobs: int | None,
    shacl_engine: str,
    mesh_source: str | None,
) -> None:
    """Build a validated knowledge graph from registry records.

    Writes GRAPH, GRAPH-stem.report.ttl (SHACL report) and GRAPH-stem.rejects.jsonl.

    Example:

        kg build examples/ -o out/graph.ttl
    """
    from kg.build import BuildConfig
    from kg.build import build as run_build
    from kg.build.config import mesh_file_of
    from kg.build.pipeline import default_jobs

    config = BuildConfig(
        inputs=list(inputs),
        output=output,
        rdf_format=rdf_format,
        input_format=input_format,
        strict=strict,
        batch_size=batch_size,
        include_contacts=include_contacts,
        jobs=jobs or default_jobs(),
        shacl_engine=shacl_engine,
        store_dir=store_dir,
        update=update,
        related=related_k,
        related_method=related_method,
        mesh_file=mesh_file_of(mesh_source),
    )
    with ProgressBar() as progress:
        summary = run_build(config, on_reject=RejectPrinter(), progress=progress)
    for line in summary.lines():
        click.echo(line, err=True)
    sys.exit(summary.exit_code)


@main.command()
@click.argument("graph", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path), help="Also write the SHACL report here.")
@click.option(
    "--engine",
    type=click.Choice(SHACL_ENGINES),
    default=SHACL_ENGINES[0],
    show_default=True,
    help="core: kg's compiled SHACL Core engine (fast; same results); pyshacl: the reference engine.",
)
def validate(graph: Path, report: Path | None, engine: str) -> None:
    """Validate an existing graph against kg's SHACL shapes.

    Example:

        kg validate out/graph.ttl --report out/graph.report.ttl
    """
    from kg.validation.shacl import digest, validate_file

    outcome = validate_file(graph, report, engine)
    for line in digest(outcome):
        click.echo(line, err=True)
    sys.exit(0 if outcome.conforms else 1)


@main.command()
@click.argument("graph", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table", show_default=True)
def stats(graph: Path, output_format: str) -> None:
    """Count nodes per class and edges per property.

    Example:

        kg stats out/graph.ttl
    """
    from kg.report.stats import graph_stats

    result = graph_stats(graph)
    if output_format == "json":
        click.echo(json.dumps(result.as_dict(), indent=2))
        return
    click.echo(f"triples\t{result.triples}")
    click.echo("\nclass\tnodes")
    for name, count in result.classes.most_common():
        click.echo(f"{name}\t{count}")
    click.echo("\nproperty\tedges")
    for name, count in result.properties.most_common():
        click.echo(f"{name}\t{count}")


@main.command()
@click.argument("graph", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--store",
    "store_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=str(DEFAULT_STORE),
    show_default=True,
    help="The store to (re)create.",
)
def load(graph: Path, store_dir: Path) -> None:
    """Load an RDF file into an Oxigraph store, replacing what the store held.

    Example:

        kg load out/graph.ttl --store kg-store
    """
    from kg.store import load_store

    click.echo(f"store: {store_dir} ({load_store(graph, store_dir)} triples)", err=True)
