"""`kg fetch`: records from the registry's API v2, one file per study."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from kg.cli.app import main


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
