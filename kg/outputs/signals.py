"""SIGTERM and SIGINT raise `Interrupted` in the main thread, so the abort paths that already clean up
after a failure run; forked workers neither handle them nor inherit the parent's handling.

Separate because the handling's state (which process handles, which signal asked to stop, whether a
step defers it) is read from signal handlers and checkpoints alike, and lives here only.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from kg.errors import Interrupted

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
    """A forked worker: the parent's signal handling is not its own. It ignores SIGINT (a Ctrl-C
    reaches the whole process group; the parent stops the workers) and dies of SIGTERM."""
    global _handling_pid, _requested
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
