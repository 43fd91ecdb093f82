"""Lock files, and the leftovers of a killed run.

An output (and a store) is written under a lock beside it (`out/.graph.ttl.lock`, `fcntl.flock`): a
second kg writing the same path fails at once instead of interleaving its files with the first's. The
kernel drops the lock when its process dies, however it dies. A temporary file holds a lock of its own,
so the next run removes only the leftovers that no live process holds. Separate because the locks held
are this process's own state, and a forked worker must not think it holds them.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kg.errors import BusyError, OutputError
from kg.outputs.names import lock_path, part_name, resolved
from kg.outputs.signals import signals_deferred

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


# A forked worker: the parent's locks are not its own.
os.register_at_fork(after_in_child=_held.clear)
