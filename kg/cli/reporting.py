"""Commands that give people something to share: `kg table` and `kg report`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from kg.cli.app import graph_source, graph_source_options, main


def selection_options(command: Callable[..., None]) -> Callable[..., None]:
    """--condition, --intervention, --term: which trials (combined with AND; any case)."""
    for name, help_text in reversed(
        [
            ("--condition", "Trials on this condition: a MeSH term (name or entry term) or anything below it, "
             "or condition and keyword text."),
            ("--intervention", "Trials whose intervention names, other names or types contain this."),
            ("--term", "Trials whose titles, summaries, conditions, keywords or interventions contain this."),
        ]
    ):  # fmt: skip
        command = click.option(name, help=help_text)(command)
    return command


@main.command()
@selection_options
@graph_source_options
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="trials.csv, .tsv, .parquet or .xlsx (the extension names the format).")  # fmt: skip
def table(
    condition: str | None,
    intervention: str | None,
    term: str | None,
    store_dir: Path | None,
    graph_file: Path | None,
    output: Path,
) -> None:
    """Write one row per trial (status, phases, sponsor, conditions, doses, thresholds, …) to share.

    Example:

        kg table --condition "liver diseases" -o out/liver-trials.csv
    """
    from kg.report.selection import Selection
    from kg.report.table import make_table

    selection = Selection(condition, intervention, term)
    rows = make_table(*graph_source(store_dir, graph_file), selection, output)
    click.echo(f"{rows} trials ({selection.describe()}) written to {output}", err=True)


@main.command()
@selection_options
@graph_source_options
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The HTML file to write (self-contained: it fetches nothing when opened).")  # fmt: skip
def report(
    condition: str | None,
    intervention: str | None,
    term: str | None,
    store_dir: Path | None,
    graph_file: Path | None,
    output: Path,
) -> None:
    """Write a landscape report: phases, statuses, years, sponsors, countries, doses, eligibility, network, table.

    Example:

        kg report --condition "liver diseases" -o out/liver-report.html
    """
    from kg.report.page import make_report
    from kg.report.selection import Selection

    selection = Selection(condition, intervention, term)
    trials, full_table = make_report(*graph_source(store_dir, graph_file), selection, output)
    beside = f"; the full table is {full_table}" if full_table else ""
    click.echo(f"report of {trials} trials ({selection.describe()}) written to {output}{beside}", err=True)
