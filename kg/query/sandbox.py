"""Running one query in a child process of its own: within a time limit, cut off from the network, and
with an engine crash reported rather than suffered.

- The child reads and checks the query itself (`kg.query.prepare.prepare`), so a slow or hostile query costs
  its own time limit, never the server's other requests.
- Before it opens anything, the child moves into a new, empty network namespace (Linux: `unshare` with
  `CLONE_NEWNET`, inside a new user namespace when kg is not root). Nothing it runs can reach any
  address, 127.0.0.1 included: a second wall behind the query check. Where the kernel refuses (not
  Linux, or unprivileged user namespaces disabled), the query check is the only wall; `kg serve` says so.
- Oxigraph aborts the whole process on some internal errors (a Rust panic, e.g. sorting values of mixed
  types with ORDER BY) and overflows its stack on some inputs. The child's stderr goes to a file, so the
  parent can name the engine's error when the child dies.
"""

from __future__ import annotations

import ctypes
import faulthandler
import functools
import multiprocessing
import os
import resource
import signal
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import IO, Any

from kg.errors import AnswerTooLarge, KgError, QueryRefused, QueryTooComplex

_CLONE_NEWNET = 0x40000000
_CLONE_NEWUSER = 0x10000000
_STDERR_KEPT = 64 * 1024

# What the child reports: ok, too-large, refused, error, engine (an exception from the engine that is
# not kg's); and what the parent sees: timeout, crashed (the child died without a word).


@dataclass(frozen=True)
class Outcome:
    status: str
    value: Any


def cut_network() -> str | None:
    """Put this process in a new network namespace with no interface up. None when done, else why not."""
    if not sys.platform.startswith("linux"):
        return f"network namespaces are a Linux feature; this is {sys.platform}"
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.unshare(_CLONE_NEWNET) == 0:
            return None
        if libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET) == 0:  # unprivileged: a user namespace of its own
            return None
        return f"the kernel refused a network namespace ({os.strerror(ctypes.get_errno())})"
    except (OSError, AttributeError) as error:
        return f"unshare is not available ({error})"


def network_wall() -> str | None:
    """Whether a query's process can be cut off from the network here: None if so, else why not.
    Tried in a throwaway child, as each query's process will."""
    outcome = run_isolated(_probe, (), timeout=10.0, isolate=False)
    if outcome.status != "ok":
        return f"the check failed ({outcome.value})"
    return outcome.value  # type: ignore[no-any-return]


def _probe() -> str | None:
    return cut_network()


@functools.cache
def wall_expected() -> bool:
    """Whether a child can be cut off from the network on this machine (probed once a process)."""
    return network_wall() is None


def run_isolated(
    function: Callable[..., Any], args: tuple[Any, ...], timeout: float | None, isolate: bool | None = None
) -> Outcome:
    """`function(*args)` in a forked child with no network (and at most MEMORY_LIMIT of memory); its
    result, or what went wrong. `isolate` None: cut the network where this machine can, and then
    refuse to run at all if the cut fails (the wall fails closed)."""
    if isolate is None:
        isolate = wall_expected()
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    with tempfile.TemporaryFile() as errors:
        child = context.Process(target=_child, args=(sender, errors, function, args, isolate), daemon=True)
        child.start()
        sender.close()
        try:
            if not receiver.poll(timeout):
                child.kill()  # at the limit, not later: its slot and CPU are freed at once
                return Outcome("timeout", f"the query ran past the time limit ({timeout:g} s) and was stopped")
            try:
                status, value = receiver.recv()
            except EOFError:
                child.join(timeout=10)
                return Outcome("crashed", _crash_report(child.exitcode, errors))
            return Outcome(status, value)
        finally:
            receiver.close()
            child.join(timeout=5)
            if child.is_alive():
                child.kill()
                child.join()


def _child(
    connection: Connection, errors: IO[bytes], function: Callable[..., Any], args: tuple[Any, ...], isolate: bool
) -> None:
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, signal.SIG_DFL)  # the parent stops this process by killing it
    faulthandler.disable()  # a crash is reported by the parent, not dumped on the parent's terminal
    os.dup2(errors.fileno(), 2)
    os.environ["RUST_BACKTRACE"] = "0"  # a panic's message only, not pages of backtrace
    try:
        if isolate and (why_not := cut_network()) is not None:
            connection.send(("refused", f"kg could not cut this query off from the network ({why_not}); not run"))
            return
        _limit_memory()
        connection.send(("ok", function(*args)))
    except AnswerTooLarge as error:
        connection.send(("too-large", str(error)))
    except QueryRefused as error:
        connection.send(("refused", str(error)))
    except KgError as error:
        connection.send(("error", str(error)))
    except RecursionError:
        connection.send(("error", str(QueryTooComplex("the query nests too deeply to be read"))))
    except BaseException as error:  # noqa: B036 - pyo3's PanicException derives from BaseException
        connection.send(("engine", f"{type(error).__name__}: {error}"))
    finally:
        connection.close()


MEMORY_LIMIT = 4 << 30  # bytes of address space a query's process may map


def _limit_memory() -> None:
    """A query that builds ever larger values (CONCAT doubling) fails in its own process instead of
    taking the machine's memory."""
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = MEMORY_LIMIT if hard == resource.RLIM_INFINITY else min(MEMORY_LIMIT, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ValueError, OSError):
        pass  # a platform without the limit: the time limit still bounds the query


def _crash_report(exitcode: int | None, errors: IO[bytes]) -> str:
    """What killed the child: the engine's panic message if it left one, else the signal."""
    errors.seek(0)
    text = errors.read(_STDERR_KEPT).decode("utf-8", errors="replace")
    lines = [line.strip() for line in text.splitlines()]
    for index, line in enumerate(lines):
        if " panicked at " in line and index + 1 < len(lines):
            message = lines[index + 1]
            hint = (
                " (Oxigraph cannot sort these values: ORDER BY over values of different types, e.g. numbers and "
                "dates, triggers it; order by STR(?x), or FILTER the values to one type)"
                if "total order" in message
                else ""
            )
            return f"the query engine crashed: Oxigraph panicked: {message}{hint}"
    if exitcode is not None and exitcode < 0:
        name = signal.Signals(-exitcode).name
        last = next((line for line in reversed(lines) if line), "")
        return f"the query engine crashed ({name})" + (f": {last}" if last else "")
    return f"the query process ended without an answer (exit code {exitcode})"
