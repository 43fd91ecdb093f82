"""The `kg` command group and what its commands share: options, error handling, progress on stderr.

Commands live beside this module, one module per stage of the pipeline (building, asking, similar trials,
fetching, the ontology). Each only parses options, calls one library function and prints the result:
data to stdout; messages, progress and summaries to stderr.
Exit codes: 0 success / conforms, 1 SHACL violations (or rejects with --strict), 2 error or nothing built.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from kg import __version__
from kg.errors import Interrupted, KgError
from kg.outputs import describe, install_signal_handlers, remove_owned, stop_workers
from kg.sources import INPUT_FORMATS, Reject
from kg.store import DEFAULT_STORE

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


class RejectPrinter:
    """Names each reject on stderr, up to a limit; the rejects file has them all."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, reject: Reject) -> None:
        self.count += 1
        if self.count <= MAX_REJECTS_SHOWN:
            click.echo(f"kg: rejected {reject.where()}: {reject.reason}: {reject.message}", err=True)
        elif self.count == MAX_REJECTS_SHOWN + 1:
            click.echo("kg: more rejects follow; see the rejects file", err=True)


class ProgressBar:
    """A progress bar on stderr for builds run from a terminal; silent when stderr is a file or pipe."""

    def __enter__(self) -> ProgressBar:
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
