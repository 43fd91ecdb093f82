"""What kg checks before any work: that it writes over no input and no path that is not a file, and
that it holds the locks of everything it writes.

Separate because it is the one part that reads the inputs (to tell an input file from an earlier
build's output) and that ties the locks, the leftovers and the store together for a build.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path

from kg.errors import OutputError
from kg.outputs.locks import hold, remove_leftover_parts
from kg.outputs.messages import describe
from kg.outputs.names import resolved


def refuse_inputs_as_outputs(
    inputs: Sequence[str], outputs: Sequence[tuple[Path, str]], input_format: str = "auto"
) -> None:
    """Refuse to write any of `outputs` ((path, what it is)) that is one of the inputs: an input file or
    zip given by name, or a file inside an input folder that the build would read records from (a file
    there that holds none, such as an earlier build's graph, report or rejects, may be replaced)."""
    given = [(name, resolved(name)) for name in inputs]
    for path, what in outputs:
        real = resolved(path)
        for name, real_input in given:
            if real == real_input or _same_file(path, name):
                raise OutputError(
                    f"{what} {path} is the input {name}; kg never writes over its inputs: choose another -o"
                )
            inside = os.path.isdir(real_input) and real.startswith(real_input.rstrip(os.sep) + os.sep)
            if inside and os.path.isfile(real) and _holds_records(real, input_format):
                raise OutputError(
                    f"{what} {path} is an input file (in the input folder {name}, and it holds records); "
                    "kg never writes over its inputs: choose another -o"
                )


def refuse_non_file(path: str | Path, what: str) -> None:
    """kg writes a file by renaming a finished one over it: over a device (`/dev/null`), a FIFO or a
    folder that would destroy what kg did not create, so such a path is refused before any work."""
    try:
        status = os.stat(path)
    except FileNotFoundError:
        return
    except OSError as error:
        raise OutputError(f"cannot write {what} {path}: {describe(error)}") from error
    if not stat.S_ISREG(status.st_mode):
        kind = "a folder" if stat.S_ISDIR(status.st_mode) else "a device, FIFO or socket"
        raise OutputError(f"{what} {path} is {kind}, not a file; kg would replace it: choose another -o")


def _holds_records(path: str, input_format: str) -> bool:
    """Would the build read a record from this file? (A zip always counts: kg never writes one.)"""
    import zipfile

    from kg.model.records import TrialRecord
    from kg.sources import iter_records

    try:
        if zipfile.is_zipfile(path):
            return True
    except OSError:
        return True
    return any(isinstance(item, TrialRecord) for item in iter_records([path], input_format))


def _same_file(a: str | Path, b: str | Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


@contextmanager
def build_guard(
    inputs: Sequence[str],
    outputs: Sequence[tuple[Path, str]],
    store_dir: Path | None = None,
    input_format: str = "auto",
) -> Iterator[frozenset[str]]:
    """Before any work: refuse outputs that are inputs and a store path that is not kg's; then hold
    the locks of every output (and the store) and clear a killed run's leftovers beside them. Yields
    the resolved paths a walk of the input folders must not read (this build's own files)."""
    refuse_inputs_as_outputs(inputs, outputs, input_format)
    for path, what in outputs:
        refuse_non_file(path, what)
    if store_dir is not None:
        for path, what in outputs:
            if os.path.abspath(path) == os.path.abspath(store_dir):
                raise OutputError(f"{what} {path} is also the --store path: choose another -o")
    with ExitStack() as stack:
        if store_dir is not None:
            from kg.store import writing_store

            stack.enter_context(writing_store(store_dir))
        for path, what in outputs:
            if stack.enter_context(hold(path, f"{what} {path}")):
                remove_leftover_parts(path)
        excluded = {resolved(path) for path, _ in outputs}
        if store_dir is not None:
            excluded.add(os.path.join(resolved(Path(os.path.abspath(store_dir)).parent), Path(store_dir).name))
        yield frozenset(excluded)
