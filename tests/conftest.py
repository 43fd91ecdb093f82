from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = ROOT.parent / "shared" / "data" / "ctgov"

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


def example_paths() -> list[Path]:
    return sorted(EXAMPLES.glob("NCT*.json"))


def load_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


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
