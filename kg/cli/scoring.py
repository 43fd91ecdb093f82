"""Commands that measure what kg reads from free text against hand-labelled gold (`kg score-doses`,
`kg score-cell-products`, `kg score-thresholds`), and the MeSH ancestry it learns against the registry's
own lists (`kg score-mesh-ancestry`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from kg.cli.app import main
from kg.evaluation import HALVES


def gold_options(labelled: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """The options every scoring command takes: the gold file, the half, where its records are, the output."""
    options = [
        click.option(
            "--gold",
            "gold_file",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            required=True,
            help=f"Hand-labelled {labelled}.",
        ),
        click.option(
            "--half",
            type=click.Choice(HALVES),
            default="all",
            show_default=True,
            help="The records whose NCT id hashes to this half (rules are tuned on `tune`, reported on `held-out`).",
        ),
        click.option(
            "--records-under",
            "base",
            type=click.Path(exists=True, file_okay=False, path_type=Path),
            default=None,
            help="The folder the gold's record paths start from [default: the nearest one above the gold that "
            "holds shared/].",
        ),
        click.option("--misses", is_flag=True, help="Also list everything kg got wrong or missed."),
        click.option(
            "--format", "output_format", type=click.Choice(["table", "json"]), default="table", show_default=True
        ),
    ]

    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


def _print(scores: Any, misses: bool, output_format: str) -> None:
    if output_format == "json":
        click.echo(json.dumps(scores.to_json() | ({"misses": scores.misses} if misses else {}), indent=1))
        return
    for line in scores.lines() + ([""] + scores.misses if misses else []):
        click.echo(line)


@main.command("score-doses")
@gold_options("arms (the format of shared/data/ctgov/gold/doses-dev.json)")
def score_doses(gold_file: Path, half: str, base: Path | None, misses: bool, output_format: str) -> None:
    """Score the doses and schedules `kg parse` reads against hand-labelled arms.

    Example:

        kg score-doses --gold ../shared/data/ctgov/gold/doses-dev.json --half held-out
    """
    from kg.evaluation.doses import score_doses as run_scoring

    _print(run_scoring(gold_file, half, base), misses, output_format)


@main.command("score-cell-products")
@gold_options("interventions (the format of gold/cell-products-dev.json)")
def score_cell_products(gold_file: Path, half: str, base: Path | None, misses: bool, output_format: str) -> None:
    """Score the cell products `kg parse` reads (cell type, tissue source, donor, route) against hand labels.

    Example:

        kg score-cell-products --gold gold/cell-products-dev.json --half held-out
    """
    from kg.evaluation.cell_products import score_cell_products as run_scoring

    _print(run_scoring(gold_file, half, base), misses, output_format)


@main.command("score-thresholds")
@gold_options("eligibility thresholds (the format of shared/data/ctgov/gold/eligibility-dev.json)")
def score_thresholds(gold_file: Path, half: str, base: Path | None, misses: bool, output_format: str) -> None:
    """Score the eligibility thresholds `kg parse` reads (variable, side, comparator, value) against hand labels.

    Example:

        kg score-thresholds --gold ../shared/data/ctgov/gold/eligibility-dev.json --half held-out
    """
    from kg.evaluation.thresholds import score_thresholds as run_scoring

    _print(run_scoring(gold_file, half, base), misses, output_format)


@main.command("score-mesh-ancestry")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True))
@click.option(
    "--half",
    type=click.Choice(HALVES[:2]),
    default="held-out",
    show_default=True,
    help="Test on the records whose NCT id hashes to this half, after learning from the other half.",
)
@click.option("--misses", is_flag=True, help="Also list every record whose learned ancestors differ.")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table", show_default=True)
def score_mesh_ancestry(inputs: tuple[str, ...], half: str, misses: bool, output_format: str) -> None:
    """Check the MeSH ancestry kg learns from records against the ancestor lists of records it did not see.

    Example:

        kg score-mesh-ancestry ../shared/data/ctgov/v1-studyfields-json ../shared/data/ctgov/v2-json
    """
    from kg.evaluation.mesh_ancestry import score_mesh_ancestry as run_scoring

    _print(run_scoring(list(inputs), half), misses, output_format)
