"""The `kg` command line: parses options, calls one library function, prints the result.

Data goes to stdout; messages, progress and summaries go to stderr.
Exit codes: 0 success / conforms, 1 SHACL violations (or rejects with --strict), 2 error or nothing built.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from kg import __version__
from kg.errors import KgError
from kg.sinks import RDF_FORMATS
from kg.sources import INPUT_FORMATS, Reject

MAX_REJECTS_SHOWN = 20


class KgGroup(click.Group):
    """Turns kg's own errors into a one-line message and exit code 2."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except KgError as error:
            click.echo(f"kg: error: {error}", err=True)
            ctx.exit(2)


@click.group(cls=KgGroup)
@click.version_option(__version__, prog_name="kg")
def main() -> None:
    """kg: build a validated RDF knowledge graph of clinical trials from ClinicalTrials.gov records."""


def input_options(function):  # type: ignore[no-untyped-def]
    function = click.option(
        "--include-contacts",
        is_flag=True,
        help="Keep contact persons' names, e-mail addresses and phone numbers (left out by default).",
    )(function)
    function = click.option(
        "--input-format",
        type=click.Choice(INPUT_FORMATS),
        default="auto",
        show_default=True,
        help="Force an input format instead of detecting it from content.",
    )(function)
    return click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=str))(function)


class _RejectPrinter:
    """Names each reject on stderr, up to a limit; the rejects file has them all."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, reject: Reject) -> None:
        self.count += 1
        if self.count <= MAX_REJECTS_SHOWN:
            click.echo(f"kg: rejected {reject.where()}: {reject.reason}: {reject.message}", err=True)
        elif self.count == MAX_REJECTS_SHOWN + 1:
            click.echo("kg: more rejects follow; see the rejects file", err=True)


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
    from kg.records import TrialRecord, record_to_dict
    from kg.sources import iter_records

    printer, parsed = _RejectPrinter(), 0
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
@click.option("--format", "rdf_format", type=click.Choice(RDF_FORMATS), default="turtle", show_default=True)
@click.option("--strict", is_flag=True, help="Exit 1 if any record is rejected.")
@click.option(
    "--batch-size", type=click.IntRange(1), default=250, show_default=True, help="Trials mapped and validated together."
)
def build(
    inputs: tuple[str, ...],
    input_format: str,
    include_contacts: bool,
    output: Path,
    rdf_format: str,
    strict: bool,
    batch_size: int,
) -> None:
    """Build a validated knowledge graph from registry records.

    Writes GRAPH, GRAPH-stem.report.ttl (SHACL report) and GRAPH-stem.rejects.jsonl.

    Example:

        kg build examples/ -o out/graph.ttl
    """
    from kg.build import BuildConfig
    from kg.build import build as run_build

    config = BuildConfig(list(inputs), output, rdf_format, input_format, strict, batch_size, include_contacts)
    with _ProgressBar() as progress:
        summary = run_build(config, on_reject=_RejectPrinter(), progress=progress)
    for line in summary.lines():
        click.echo(line, err=True)
    code = summary.exit_code
    if code == 0 and strict and summary.rejects:
        code = 1
    sys.exit(code)


@main.command()
@click.argument("graph", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path), help="Also write the SHACL report here.")
def validate(graph: Path, report: Path | None) -> None:
    """Validate an existing graph against kg's SHACL shapes.

    Example:

        kg validate out/graph.ttl --report out/graph.report.ttl
    """
    from kg.validation import digest, validate_file

    outcome = validate_file(graph, report)
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
    from kg.stats import graph_stats

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


@main.group()
def ontology() -> None:
    """Work with kg's OWL ontology."""


@ontology.command("check")
def ontology_check() -> None:
    """Load the ontology with owlready2 and run the HermiT reasoner: consistent, no unsatisfiable class.

    Example:

        kg ontology check
    """
    from kg.ontology import check_ontology

    result = check_ontology()
    for line in result.lines():
        click.echo(line, err=True)
    sys.exit(0 if result.ok else 1)


class _ProgressBar:
    """A progress bar on stderr for builds run from a terminal; silent when stderr is a file or pipe."""

    def __enter__(self) -> _ProgressBar:
        self._bar: Any = None
        return self

    def __call__(self, done: int, total: int) -> None:
        if not sys.stderr.isatty():
            return
        if self._bar is None:
            self._bar = click.progressbar(length=total, label="mapping and validating", file=sys.stderr)
            self._bar.__enter__()
        self._bar.update(done - self._bar.pos)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
