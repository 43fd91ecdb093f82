"""What keeps kg from harming the user's files: locks, leftovers, signals, modes.

- An output (and a store) is written under a lock beside it (`out/.graph.ttl.lock`, `fcntl.flock`): a
  second kg writing the same path fails at once instead of interleaving its files with the first's.
  The kernel drops the lock when its process dies, however it dies.
- Every temporary file or folder kg makes is recorded while it lives, and a temporary file holds a lock
  of its own: a run killed outright (SIGKILL) leaves them, and the next run on the same output or store
  removes those that match kg's own name patterns and that no live process holds, and nothing else.
- SIGTERM and SIGINT raise `Interrupted` in the main thread, so the abort paths that already clean up
  after a failure run; forked workers neither handle them nor inherit the parent's records.
- Files and folders get the modes the umask gives (mkstemp and mkdtemp make 0600 and 0700).
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import shutil
import signal
import stat
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from functools import cache
from pathlib import Path
from types import FrameType
from typing import Any

from kg.errors import BusyError, Interrupted, OutputError

STORE_MARKER = ".kg-store"  # in each store generation kg makes: "kg store generation", the kg version, its state
_RANDOM = r"[a-z0-9_]{8}"  # what tempfile adds to a name (mkstemp, mkdtemp)
_GENERATION = re.compile(r"\..+\.gen-.+")  # `.NAME.gen-*`: a store generation, whatever the store's name


# ---------------------------------------------------------------------------------------------- names


def lock_path(path: str | Path) -> Path:
    """`out/graph.ttl` -> `out/.graph.ttl.lock`."""
    path = Path(path)
    return path.with_name(f".{path.name}.lock")


def part_name(path: str | Path) -> re.Pattern[str]:
    """The names AtomicFile gives the temporary files of `path`: `.graph.ttl.XXXXXXXX.part`."""
    return re.compile(rf"\.{re.escape(Path(path).name)}\.{_RANDOM}\.part")


def generation_name(store_name: str) -> re.Pattern[str]:
    """The names kg gives the generations of a store: `.kg-store.gen-20250101T120000-XXXXXXXX`."""
    return re.compile(rf"\.{re.escape(store_name)}\.gen-\d{{8}}T\d{{6}}-{_RANDOM}")


def is_generation_name(name: str) -> bool:
    return _GENERATION.fullmatch(name) is not None


def is_kg_store_folder(path: str | Path) -> bool:
    """A store generation (by its marker or its name) or a store link pointing at one."""
    path = Path(path)
    if path.is_symlink():
        return is_generation_name(os.readlink(path))
    return is_generation_name(path.name) or (path / STORE_MARKER).is_file()


def resolved(path: str | Path) -> str:
    return os.path.realpath(path)


# ---------------------------------------------------------------------------------------------- modes


def current_umask() -> int:
    """The process's umask, read without changing it (Linux reports it in /proc; elsewhere it is read
    once, by setting it and putting it back, which is not safe while other threads create files)."""
    try:
        with open("/proc/self/status", "rb") as status:
            for line in status:
                if line.startswith(b"Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return _umask_set_and_restored()


@cache
def _umask_set_and_restored() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def file_mode() -> int:
    return 0o666 & ~current_umask()


def dir_mode() -> int:
    return 0o777 & ~current_umask()


# ---------------------------------------------------------------------------------------------- locks

_held: dict[str, list[int]] = {}  # lock file -> [descriptor, depth]; reentrant within a process
_held_guard = threading.Lock()


@contextmanager
def hold(path: str | Path, what: str) -> Iterator[bool]:
    """Hold the lock of `path` (`.NAME.lock` beside it) while writing it; fail at once if another
    process holds it. Reentrant in one process; yields True for the outermost hold."""
    lock = lock_path(Path(os.path.abspath(path)))
    try:
        lock.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"cannot write {lock.parent}: {error.strerror or error}") from error
    key = os.path.join(resolved(lock.parent), lock.name)
    with _held_guard:
        entry = _held.get(key)
        if entry is not None:
            entry[1] += 1
    if entry is not None:
        try:
            yield False
        finally:
            with _held_guard:
                entry[1] -= 1
        return
    descriptor: int | None = None
    try:
        with signals_deferred():  # a stop between creating the lock file and recording it would leave it
            descriptor = _acquire(lock, what)
            with _held_guard:
                _held[key] = [descriptor, 1]
        yield True
    finally:
        if descriptor is not None:
            with _held_guard:
                _held.pop(key, None)
            _release(lock, descriptor)


def _acquire(lock: Path, what: str) -> int:
    try:
        while True:
            descriptor = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o666)
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(descriptor, 32, 0).decode("ascii", "replace").strip()
                os.close(descriptor)
                by = f"kg process {holder}" if holder.isdigit() else "kg process"
                raise BusyError(
                    f"{what} is being written by another {by} (it holds {lock}); wait for it to finish, "
                    "or choose another path"
                ) from None
            except BaseException:
                os.close(descriptor)
                raise
            # Its last holder may have removed the file between our open and our lock: use the one named.
            try:
                named = os.stat(lock, follow_symlinks=False)
            except FileNotFoundError:
                named = None
            held = os.fstat(descriptor)
            if named is not None and (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino):
                os.ftruncate(descriptor, 0)
                os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
                return descriptor
            os.close(descriptor)
    except OSError as error:
        raise OutputError(f"cannot write {lock}: {error.strerror or error}") from error


def _release(lock: Path, descriptor: int) -> None:
    try:
        named = os.stat(lock, follow_symlinks=False)
        held = os.fstat(descriptor)
        if (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino):
            lock.unlink()  # while still locked, so no one else holds this file
    except OSError:
        pass
    os.close(descriptor)


def claim(descriptor: int) -> None:
    """Lock a temporary file of ours, so a run cleaning up leftovers knows a live process holds it."""
    fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)


def remove_if_unheld(path: str | Path) -> bool:
    """Remove a leftover temporary file, unless a live process holds its lock."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.unlink(path)
        return True
    except OSError:
        return False
    finally:
        os.close(descriptor)


def remove_leftover_parts(path: str | Path) -> list[Path]:
    """The `.NAME.XXXXXXXX.part` files beside `path` left by a killed run (none a live process holds)."""
    path = Path(os.path.abspath(path))
    pattern = part_name(path)
    removed: list[Path] = []
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return removed
    for entry in entries:
        if pattern.fullmatch(entry.name) and entry.is_file(follow_symlinks=False) and remove_if_unheld(entry.path):
            removed.append(Path(entry.path))
    return removed


# ---------------------------------------------------------------------------------------------- inputs and outputs


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


# ---------------------------------------------------------------------------------------------- what this process made

_owned: dict[str, bool] = {}  # temporary path -> is a folder


def own(path: str | Path, folder: bool = False) -> None:
    _owned[os.path.abspath(path)] = folder


def disown(path: str | Path) -> None:
    _owned.pop(os.path.abspath(path), None)


def is_owned(path: str | Path) -> bool:
    return os.path.abspath(path) in _owned


def remove_owned() -> None:
    """Remove the temporary files and folders this process made and did not finish (the last line of
    defence: the abort paths normally remove them first)."""
    while _owned:
        path, folder = _owned.popitem()
        if folder:
            shutil.rmtree(path, ignore_errors=True)
        else:
            try:
                os.unlink(path)
            except OSError:
                pass


# ---------------------------------------------------------------------------------------------- signals


_handling_pid: int | None = None  # the process whose handlers are installed
_requested: int | None = None  # the signal that asked kg to stop
_deferring = 0


def _on_signal(signum: int, frame: FrameType | None) -> None:
    global _requested
    if os.getpid() != _handling_pid or _requested is not None:
        return  # already stopping: let the clean-up finish
    _requested = signum
    if not _deferring:
        raise Interrupted(signum)


def stop_if_interrupted() -> None:
    """A checkpoint in kg's forward work (each document read, each piece written): raises `Interrupted`
    once a stop was asked for. The handler raises at once, but an exception raised inside an at-fork
    hook, a `__del__` or a weakref callback (e.g. while the worker pool forks) is printed and dropped by
    Python: the next checkpoint delivers it."""
    if _requested is not None and not _deferring and os.getpid() == _handling_pid:
        raise Interrupted(_requested)


@contextmanager
def signals_deferred() -> Iterator[None]:
    """A step that must not be cut in two (make a temporary file and record it; rename and forget it):
    a signal arriving inside is acted on at its end."""
    global _deferring
    _deferring += 1
    try:
        yield
    finally:
        _deferring -= 1
    stop_if_interrupted()


def install_signal_handlers() -> Callable[[], None]:
    """SIGINT and SIGTERM raise `Interrupted` (from the main thread only; a signal ignored when kg
    started stays ignored). Returns what puts the previous handlers back."""
    global _handling_pid, _requested
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    _handling_pid, _requested = os.getpid(), None
    for number, handler in previous.items():
        if handler is not signal.SIG_IGN:
            signal.signal(number, _on_signal)
    previous_hook = sys.unraisablehook

    def unraisable(report: Any) -> None:
        if not isinstance(report.exc_value, Interrupted):  # ours is delivered at the next checkpoint
            previous_hook(report)

    sys.unraisablehook = unraisable

    def restore() -> None:
        global _handling_pid, _requested
        _handling_pid, _requested = None, None
        sys.unraisablehook = previous_hook
        for number, handler in previous.items():
            signal.signal(number, handler if handler is not None else signal.SIG_DFL)

    return restore


def stop_workers() -> None:
    """After a stop: kill this process's worker processes. A signal's exception raised inside the
    process pool's own code (while it forks or starts a worker) can leave a worker no pool will shut
    down, and the interpreter waits for every worker at exit. Workers hold nothing to clean up."""
    multiprocessing = sys.modules.get("multiprocessing")
    if multiprocessing is None:
        return
    children = multiprocessing.active_children()
    for child in children:
        child.kill()
    for child in children:
        child.join(timeout=10)


def _after_fork_in_child() -> None:
    """A forked worker: the parent's locks, temporary files and signal handling are not its own. It
    ignores SIGINT (a Ctrl-C reaches the whole process group; the parent stops the workers) and dies of
    SIGTERM."""
    global _handling_pid, _requested
    _held.clear()
    _owned.clear()
    if _handling_pid is not None:
        parent, _handling_pid, _requested = _handling_pid, None, None
        try:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
        except ValueError:  # not the main thread
            pass
        _die_with(parent)


def _die_with(parent: int) -> None:
    """A worker waiting on its pool's queue would not notice a parent that died without stopping it
    (other workers hold the queue open): Linux kills it when its parent dies."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # it died before that
        os._exit(1)


os.register_at_fork(after_in_child=_after_fork_in_child)


# ---------------------------------------------------------------------------------------------- errors

_WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EIO}


def describe(error: OSError) -> str:
    """An OSError as one line: `cannot write PATH: No space left on device`."""
    reason = error.strerror or str(error)
    if error.filename is None:
        return f"cannot write: {reason}" if error.errno in _WRITE_ERRNOS else reason
    verb = "cannot write " if error.errno in _WRITE_ERRNOS else ""
    return f"{verb}{os.fsdecode(error.filename)}: {reason}"


__all__ = [
    "STORE_MARKER",
    "BusyError",
    "Interrupted",
    "build_guard",
    "claim",
    "current_umask",
    "describe",
    "dir_mode",
    "disown",
    "file_mode",
    "generation_name",
    "hold",
    "install_signal_handlers",
    "is_owned",
    "is_generation_name",
    "is_kg_store_folder",
    "lock_path",
    "own",
    "part_name",
    "refuse_inputs_as_outputs",
    "remove_if_unheld",
    "remove_leftover_parts",
    "remove_owned",
    "signals_deferred",
    "stop_if_interrupted",
    "stop_workers",
]
