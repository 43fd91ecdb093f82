"""The `kg` command line: parses options, calls one library function, prints the result.

Data goes to stdout; messages, progress and summaries go to stderr.
Exit codes: 0 success / conforms, 1 SHACL violations (or rejects with --strict), 2 error or nothing built.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from kg import __version__
from kg.errors import Interrupted, KgError
from kg.outputs import describe, install_signal_handlers, remove_owned, stop_workers
from kg.rdf.formats import WRITTEN as RDF_FORMATS
from kg.similarity import EXPORT_FORMATS, HALVES, METHODS
from kg.sources import INPUT_FORMATS, Reject
from kg.store import DEFAULT_STORE
from kg.validation import ENGINES as SHACL_ENGINES

MAX_REJECTS_SHOWN = 20
Command = TypeVar("Command", bound=Callable[..., Any])


class KgGroup(click.Group):
    """Turns kg's own errors (and any OSError, e.g. a full disk) into a one-line message and exit code 2.
    SIGTERM and SIGINT stop a command through its abort paths (unfinished files removed, earlier
    outputs and the store as they were), exit 128 + the signal's number."""

    def invoke(self, ctx: click.Context) -> object:
        restore = install_signal_handlers()
        try:
            return super().invoke(ctx)
        except KgError as error:
            click.echo(f"kg: error: {error}", err=True)
            ctx.exit(2)
        except OSError as error:
            click.echo(f"kg: error: {describe(error)}", err=True)
            ctx.exit(2)
        except Interrupted as stop:
            stop_workers()
            remove_owned()
            click.echo(f"kg: stopped by {stop}; unfinished files removed, earlier outputs left as they were", err=True)
            ctx.exit(128 + stop.signum)
        finally:
            remove_owned()
            restore()


@click.group(cls=KgGroup)
@click.version_option(__version__, prog_name="kg")
def main() -> None:
    """kg: build a validated RDF knowledge graph of clinical trials from ClinicalTrials.gov records."""


def input_options(function: Command) -> Command:
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


def graph_source_options(function: Command) -> Command:
    """--store DIR or --graph FILE: where a command reads the graph from."""
    function = click.option(
        "--graph", "graph_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="Read an RDF file instead of a store.",
    )(function)  # fmt: skip
    return click.option(
        "--store", "store_dir", type=click.Path(file_okay=False, path_type=Path),
        help="Read this Oxigraph store (default kg-store when no --graph is given).",
    )(function)  # fmt: skip


def graph_source(store_dir: Path | None, graph_file: Path | None) -> tuple[Path | None, Path | None]:
    """A graph file wins; otherwise the store given, or kg-store in the working directory."""
    if graph_file is not None:
        return None, graph_file
    return store_dir or DEFAULT_STORE, None


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
    from kg.model.records import TrialRecord, record_to_dict
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
) -> None:
    """Build a validated knowledge graph from registry records.

    Writes GRAPH, GRAPH-stem.report.ttl (SHACL report) and GRAPH-stem.rejects.jsonl.

    Example:

        kg build examples/ -o out/graph.ttl
    """
    from kg.build import BuildConfig
    from kg.build import build as run_build
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
    )
    with _ProgressBar() as progress:
        summary = run_build(config, on_reject=_RejectPrinter(), progress=progress)
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
    from kg.query.engines import answer_isolated
    from kg.query.prepare import Param, canned_queries, canned_query, prepare

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
    click.echo(answer_isolated(prepared, engine, store_dir, graph_file, output_format, max_bytes), nl=False)


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

        kg recommend NCT03945487 --explain --graph out/graph.ttl
        kg recommend --all --top 50 --format tsv --graph out/graph.ttl > rankings.tsv
    """
    from kg.similarity.recommend import as_json, load_index, write_rankings
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
    if output_format in ("json", "jsonl"):
        click.echo(json.dumps(as_json(results), ensure_ascii=False, indent=1))
        return
    for rank_number, result in enumerate(results, 1):
        click.echo(f"{rank_number:>3}. {result.nct_id}  {result.score:.4f}  {result.title}")
        if explain:
            click.echo(f"       {result.reasons()}")
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


@main.command("fetch")
@click.argument("nct_ids", nargs=-1)
@click.option("--condition", help="query.cond: a condition or disease, e.g. 'liver failure'.")
@click.option("--term", help="query.term: words anywhere in the record, e.g. 'mesenchymal stem cells'.")
@click.option("--intervention", help="query.intr: an intervention or treatment.")
@click.option(
    "--status", "statuses", multiple=True, help="filter.overallStatus, repeatable (RECRUITING, COMPLETED, ...)."
)
@click.option("--since", help="Only studies last updated on or after this date (YYYY-MM-DD).")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for NCT….json files and the resume state.",
)
@click.option("--max", "max_studies", type=click.IntRange(1), help="Stop after this many studies.")
@click.option("--base-url", default="https://clinicaltrials.gov/api/v2", show_default=True)
@click.option("--rate", type=click.FloatRange(0.1), default=50.0, show_default=True, help="Requests per minute.")
@click.option("--page-size", type=click.IntRange(1, 1000), default=1000, show_default=True)
@click.option(
    "--timeout",
    type=click.FloatRange(0.1),
    default=120.0,
    show_default=True,
    help="Seconds for each request as a whole (connecting, headers and body), not per read.",
)
@click.option(
    "--retries",
    type=click.IntRange(0, 100),
    default=6,
    show_default=True,
    help="Tries after the first for 429, 5xx, dropped or late replies; each is shown on stderr.",
)
@click.option(
    "--max-bytes",
    type=click.IntRange(1024),
    default=64 * 1024 * 1024,
    show_default=True,
    help="Largest reply body read (one page); a longer one is an error.",
)
def fetch_studies(
    nct_ids: tuple[str, ...],
    condition: str | None,
    term: str | None,
    intervention: str | None,
    statuses: tuple[str, ...],
    since: str | None,
    out_dir: Path,
    max_studies: int | None,
    base_url: str,
    rate: float,
    page_size: int,
    timeout: float,
    retries: int,
    max_bytes: int,
) -> None:
    """Download studies from the registry's API v2 as NCT….json files, resumably.

    Only the --base-url host and port are contacted: redirects are not followed (an error names the
    target), each request has an overall --timeout, a reply body at most --max-bytes. A study that is
    not an object or has no valid NCT id is reported on stderr and skipped.

    Example:

        kg fetch --condition "liver failure" --term "mesenchymal stem cells" --status RECRUITING --out msc-liver/
    """
    from kg.sources.fetch import FetchConfig, fetch

    config = FetchConfig(out_dir, base_url, condition, term, intervention, tuple(s.upper() for s in statuses), since,
                         max_studies, tuple(nct_ids), page_size, rate, timeout=timeout, retries=retries,
                         max_bytes=max_bytes)  # fmt: skip
    with _FetchProgress() as progress:
        result = fetch(config, progress, lambda message: click.echo(f"kg: {message}", err=True))
    resumed = " (resumed)" if result.resumed else ""
    total = f" of {result.total}" if result.total is not None else ""
    skipped = f", {result.skipped} skipped (reported above)" if result.skipped else ""
    click.echo(f"fetched {result.fetched}{total} studies into {out_dir}{resumed}; {result.requests} requests, "
               f"{result.retries} retried{skipped}", err=True)  # fmt: skip


class _FetchProgress:
    """Studies fetched / total on stderr, on a terminal."""

    def __enter__(self) -> _FetchProgress:
        self._bar: Any = None
        return self

    def __call__(self, done: int, total: int | None) -> None:
        if not sys.stderr.isatty():
            return
        if self._bar is None:
            self._bar = click.progressbar(length=total or done, label="fetching studies", file=sys.stderr)
            self._bar.__enter__()
        if total and self._bar.length != total:
            self._bar.length = total
        self._bar.update(done - self._bar.pos)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)


@main.group()
def ontology() -> None:
    """Work with kg's OWL ontology."""


@ontology.command("check")
def ontology_check() -> None:
    """Load the ontology with owlready2 and run the HermiT reasoner: consistent, no unsatisfiable class.

    Example:

        kg ontology check
    """
    from kg.rdf.ontology import check_ontology

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
