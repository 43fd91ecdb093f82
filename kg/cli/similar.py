"""Commands about related trials: `kg recommend`, `kg evaluate`, `kg export`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from kg.cli.app import graph_source, graph_source_options, main
from kg.errors import KgError
from kg.similarity import EXPORT_FORMATS, HALVES, METHODS


@main.command()
@click.argument("nct_id", required=False)
@click.option("--all", "every_trial", is_flag=True, help="Every trial's top K (--format tsv or jsonl).")
@click.option("--top", type=click.IntRange(1), default=10, show_default=True)
@click.option("--explain", is_flag=True, help="Show the shared features that earned each trial its place.")
@click.option(
    "--method",
    type=click.Choice(METHODS),
    default=METHODS[0],
    show_default=True,
    help="hybrid: fitted sum of per-kind cosines, words included; shared-features: IDF-weighted Jaccard;"
    " ppr: personalized PageRank on the trial-feature graph.",
)
@graph_source_options
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json", "tsv", "jsonl"]),
    default="table",
    show_default=True,
)
def recommend(
    nct_id: str | None,
    every_trial: bool,
    top: int,
    explain: bool,
    method: str,
    store_dir: Path | None,
    graph_file: Path | None,
    output_format: str,
) -> None:
    """Rank the trials most related to a trial (or to every trial, with --all), with the reasons.

    Example:

    \b
        kg recommend NCT03945487 --explain --graph out/graph.ttl
        kg recommend --all --top 50 --format tsv --graph out/graph.ttl > rankings.tsv
    """
    from kg.similarity.recommend import load_index, rendered, write_rankings
    from kg.similarity.recommend import recommend as rank

    if every_trial == bool(nct_id):
        raise click.UsageError("give one NCT id, or --all (not both)")
    if every_trial:
        if output_format not in ("tsv", "jsonl"):
            raise click.UsageError("--all writes --format tsv or jsonl")
        write_rankings(load_index(*graph_source(store_dir, graph_file)), top, method, output_format, sys.stdout)
        return
    assert nct_id is not None
    results = rank(load_index(*graph_source(store_dir, graph_file)), nct_id, top, method)
    click.echo(rendered(results, output_format, explain), nl=False)
    if not results:
        click.echo(f"kg: no trial shares a feature with {nct_id}", err=True)


@main.command()
@graph_source_options
@click.option(
    "--truth",
    "truth_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Pairs of related trials (TSV: a, b, optional evidence) to score against, instead of the registry lists.",
)
@click.option(
    "--half",
    type=click.Choice(HALVES),
    default="all",
    show_default=True,
    help="With --truth: the pairs whose query's NCT id hashes to this half (weights are fitted on `tune`).",
)
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table", show_default=True)
def evaluate(
    store_dir: Path | None, graph_file: Path | None, truth_file: Path | None, half: str, output_format: str
) -> None:
    """Score recommendations against truth pairs (or the registry's related-trial lists), next to TF-IDF and BM25.

    Example:

        kg evaluate --graph out/relatedness.ttl --truth truth-dev.tsv --half held-out
    """
    from kg.query.engines import oxigraph_source
    from kg.similarity.evaluate import evaluate as run_evaluation
    from kg.similarity.evaluate import evaluate_truth
    from kg.similarity.features import read_features
    from kg.similarity.scoring import SparseIndex

    store = oxigraph_source(*graph_source(store_dir, graph_file))
    if truth_file is not None:
        scored = evaluate_truth(store, SparseIndex.from_features(read_features(store)), truth_file, half)
        if scored.pairs == 0:
            raise KgError(f"{truth_file}: no pair joins two trials with records in this graph: nothing to evaluate")
        click.echo(json.dumps(scored.to_json(), indent=1) if output_format == "json" else "\n".join(scored.lines()))
        return
    result = run_evaluation(store, SparseIndex.from_features(read_features(store)))
    if result.queries == 0:
        raise KgError("no trial in this graph lists a related trial that has a record here: nothing to evaluate")
    for line in result.lines():
        click.echo(line)


@main.command("export")
@click.option("--format", "export_format", type=click.Choice(EXPORT_FORMATS), required=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The file to write (kgx: OUTPUT-stem_nodes.tsv and _edges.tsv).",
)
@graph_source_options
def export_graph(export_format: str, output: Path, store_dir: Path | None, graph_file: Path | None) -> None:
    """Write the trial-feature graph for Gephi, Cytoscape (GraphML, GEXF) or Biolink tools (KGX TSV).

    Example:

        kg export --format graphml -o out/trials.graphml --graph out/graph.ttl
    """
    from kg.query.engines import oxigraph_source
    from kg.similarity.export import export
    from kg.similarity.features import read_features

    features = read_features(oxigraph_source(*graph_source(store_dir, graph_file)))
    for path in export(features, output, export_format):
        click.echo(f"wrote {path}", err=True)
