from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = ROOT.parent / "shared" / "data" / "ctgov"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"

needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data/ctgov is not beside this checkout")


def run_kg(*args: str):
    """`kg ARGS…` in this process; exceptions propagate (a bug is a failure, not an exit code)."""
    from click.testing import CliRunner

    from kg.cli import main

    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(scope="session")
def real_build(tmp_path_factory) -> tuple[Path, Path]:
    """Real records built once for the session into a graph file and a store: the bundled examples, the
    five seed pages and the eight focus trials' v1 records. Tests only read them."""
    folder = tmp_path_factory.mktemp("real-build")
    graph, store = folder / "graph.ttl", folder / "store"
    result = run_kg(
        "build", str(EXAMPLES), str(FIXTURES / "seeds"), str(FIXTURES / "v1"), "-o", str(graph), "--store", str(store)
    )
    assert result.exit_code == 0, result.stderr
    assert f"store: {store}" in result.stderr
    return graph, store


@pytest.fixture(scope="session")
def examples_build(tmp_path_factory) -> tuple[Path, object]:
    """The bundled examples alone, built once for the session into graph.ttl (its report and rejects file
    beside it), with the command's result. Tests only read them."""
    output = tmp_path_factory.mktemp("examples-build") / "graph.ttl"
    result = run_kg("build", str(EXAMPLES), "-o", str(output))
    assert result.exit_code == 0, result.stderr
    return output, result


def example_paths() -> list[Path]:
    return sorted(EXAMPLES.glob("NCT*.json"))


def load_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def stored_triples(store: Path) -> str:
    """The store's triple count as `kg query` answers it (CSV)."""
    result = run_kg("query", "--store", str(store), COUNT, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    return result.stdout


def kg_temporaries(folder: Path) -> list[str]:
    """kg's temporary files, locks and store generations (finished or not) in a folder."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith((".part", ".lock")) or ".gen-" in p.name)


def new_generations(folder: Path) -> list[str]:
    """Store generations in a folder that no store link points at: being filled, or waiting to be swapped in."""
    current = {os.readlink(p) for p in folder.iterdir() if p.is_symlink()}
    return sorted(p.name for p in folder.glob(".*.gen-*") if p.name not in current)


# ---------------------------------------------------------------------------------------------- kg mid-way

# kg, with each piece of the graph written slowly: a build that is surely running when signalled.
SLOW_KG = """
import sys, time
from kg.rdf import sinks
original = sinks.RdfSink._append
def slow(self, text, triples):
    original(self, text, triples)
    time.sleep(0.2)
sinks.RdfSink._append = slow
from kg.cli import main
main()
"""

# kg, held at one known moment of its work until it is killed: `python -c HELD_KG MOMENT FLAG ARGS…`
# runs `kg ARGS…` and, at MOMENT, writes FLAG and sleeps.
HELD_KG = """
import sys, time
from pathlib import Path

moment, flag = sys.argv[1], Path(sys.argv[2])
sys.argv = ["kg", *sys.argv[3:]]


def hold(name):
    if name == moment:
        flag.write_text(name)
        while True:
            time.sleep(1)


from kg.build import pipeline
from kg.rdf import sinks
from kg.store import generations, loading

units = pipeline.units
def units_held(*args, **kwargs):
    for unit in units(*args, **kwargs):
        yield unit
        hold("reading")  # a unit of documents is with the workers; the next is being read
pipeline.units = units_held

append = sinks.RdfSink._append
def append_held(self, text, triples):
    append(self, text, triples)
    hold("writing")  # a first piece of the graph is in the .part file (and in a new store generation)
sinks.RdfSink._append = append_held

bulk_load = loading.bulk_load
def bulk_load_held(*args, **kwargs):
    bulk_load(*args, **kwargs)
    hold("filling")  # `kg load`: a new generation filled, still marked unfinished
loading.bulk_load = bulk_load_held

point_at = generations._point_at
def point_at_held(*args, **kwargs):
    hold("swapping")  # a new generation marked complete; the store link not yet switched to it
    point_at(*args, **kwargs)
generations._point_at = point_at_held

from kg.cli import main
main()
"""

MOMENTS = ("reading", "writing", "filling", "swapping")


def _as_from_a_terminal() -> None:
    """Ctrl-C as a user at a terminal sends it: a shell starting a background job (`make test &`, some CI
    runners) makes its children ignore SIGINT, and kg rightly keeps an ignored signal ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class KgProcesses:
    """kg commands started in process groups of their own, their stderr in files outside the test's
    folder (`process.stderr_path`: nothing can hold a pipe open); any still running at the end are killed."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.started: list[subprocess.Popen] = []

    def start(self, *argv: str) -> subprocess.Popen:
        stderr_path = self.logs / f"{len(self.started)}.txt"
        with stderr_path.open("w") as stderr:
            process = subprocess.Popen(
                [sys.executable, "-c", *argv],
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,
                preexec_fn=_as_from_a_terminal,
            )
        process.stderr_path = stderr_path  # type: ignore[attr-defined]
        self.started.append(process)
        return process

    def wait_until(self, process: subprocess.Popen, ready: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + 60
        while not ready():
            assert process.poll() is None, process.stderr_path.read_text()  # type: ignore[attr-defined]
            assert time.monotonic() < deadline, what
            time.sleep(0.02)

    def kill_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture()
def slow_build(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., subprocess.Popen]]:
    """Start `kg build ARGS…` (slowed down) in its own process group; wait until it is writing into the
    test's folder (a `.part` file, and a new store generation when it has --store)."""
    processes = KgProcesses(tmp_path_factory.mktemp("kg-stderr"))

    def start(*args: str, writing: bool = True) -> subprocess.Popen:
        """writing=False: return as soon as it holds its locks (it is still reading its inputs)."""
        process = processes.start(SLOW_KG, "build", *args)

        def ready() -> bool:
            if not writing:
                return bool(list(tmp_path.glob(".*.lock")))
            return bool(list(tmp_path.glob(".*.part"))) and ("--store" not in args or bool(new_generations(tmp_path)))

        processes.wait_until(process, ready, "the build never started writing")
        return process

    yield start
    processes.kill_all()


@pytest.fixture()
def held_kg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., subprocess.Popen]]:
    """Start `kg ARGS…` in its own process group and return once it is held at MOMENT, where it stays
    until killed. "reading": a build holds its locks and reads its inputs, nothing written yet;
    "writing": the first piece of its graph is in the `.part` file (and in a new store generation);
    "filling": `kg load` has filled a new generation, still marked unfinished; "swapping": a new
    generation is marked complete, the store link not yet switched to it (a build's graph is renamed
    into place by then)."""
    logs = tmp_path_factory.mktemp("kg-held")
    processes = KgProcesses(logs)

    def start(moment: str, *args: str) -> subprocess.Popen:
        assert moment in MOMENTS, moment
        flag = logs / f"{len(processes.started)}.{moment}"
        process = processes.start(HELD_KG, moment, str(flag), *args)
        processes.wait_until(process, flag.exists, f"kg never reached the moment {moment!r}")
        return process

    yield start
    processes.kill_all()


class ConnectionCounter:
    """A listener on 127.0.0.1 that answers nothing and counts the connections it receives: the proof
    that kg contacted no address it was not given."""

    def __init__(self) -> None:
        import socket
        import threading

        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.05)
        self.port: int = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._count, daemon=True)
        self._thread.start()

    def _count(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            connection.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()
