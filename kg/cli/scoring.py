"""Commands that measure what kg reads from free text against hand-labelled gold: `kg score-doses`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from kg.cli.app import main
from kg.evaluation.doses import HALVES


@main.command("score-doses")
@click.option(
    "--gold",
    "gold_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="Hand-labelled arms (the format of shared/data/ctgov/gold/doses-dev.json).",
)
@click.option(
    "--half",
    type=click.Choice(HALVES),
    default="all",
    show_default=True,
    help="The records whose NCT id hashes to this half (rules are tuned on `tune`, reported on `held-out`).",
)
@click.option(
    "--records-under",
    "base",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="The folder the gold's record paths start from [default: the one holding shared/].",
)
@click.option("--misses", is_flag=True, help="Also list every dose and schedule kg got wrong or missed.")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table", show_default=True)
def score_doses(gold_file: Path, half: str, base: Path | None, misses: bool, output_format: str) -> None:
    """Score the doses and schedules `kg parse` reads against hand-labelled arms.

    Example:

        kg score-doses --gold ../shared/data/ctgov/gold/doses-dev.json --half held-out
    """
    from kg.evaluation.doses import score_doses as run_scoring

    scores = run_scoring(gold_file, half, base)
    if output_format == "json":
        click.echo(json.dumps(scores.to_json() | ({"misses": scores.misses} if misses else {}), indent=1))
        return
    for line in scores.lines() + ([""] + scores.misses if misses else []):
        click.echo(line)
