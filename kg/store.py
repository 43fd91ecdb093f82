"""The embedded Oxigraph store.

A store path (`kg-store`) is a symbolic link to one generation directory beside it. A load builds a new
generation, then swaps the link atomically (rename over it), so a reader resolves the link once and opens
one whole generation: it never sees a half-loaded store or a mix of two. The previous generation is kept
until the next load, so a query that opened it just before a swap can finish; older ones are removed.
"""

from __future__ import annotations

import os
import queue
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import IO

import pyoxigraph

from kg.errors import KgError
from kg.rdfio import rdf_format_of

DEFAULT_STORE = Path("kg-store")
KEEP_GENERATIONS = 2


class StoreError(KgError):
    """A store that cannot be opened or written."""


def _generations(store_dir: Path) -> list[Path]:
    return sorted(store_dir.parent.glob(f".{store_dir.name}.gen-*"), key=lambda p: p.name)


def _new_generation(store_dir: Path) -> Path:
    """An empty, uniquely named generation directory beside the store link."""
    store_dir.parent.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    return Path(tempfile.mkdtemp(prefix=f".{store_dir.name}.gen-{stamp}-", dir=store_dir.parent))


def _swap_in(store_dir: Path, generation: Path) -> None:
    """Point the store at `generation`; keep the previous one for running readers, drop older ones."""
    _point_at(store_dir, generation)
    for old in _generations(store_dir)[:-KEEP_GENERATIONS]:
        if old != generation:
            shutil.rmtree(old, ignore_errors=True)


LINES_PER_LOAD = 250_000  # ~335 MiB peak for a load, whatever the file's size


def bulk_load(store: pyoxigraph.Store, graph: Path, kg_written: bool = False) -> None:
    """Load a file in parts of LINES_PER_LOAD lines where its syntax allows, so memory stays bounded
    (Oxigraph's bulk loader otherwise targets ~2 GB a thread on big files). N-Triples and N-Quads
    split at any line; Turtle that kg wrote (prefixes, then one paragraph per subject, no multi-line
    literals) splits between paragraphs; anything else loads in one go."""
    rdf_format = rdf_format_of(graph)
    by_line = rdf_format in (pyoxigraph.RdfFormat.N_TRIPLES, pyoxigraph.RdfFormat.N_QUADS)
    if not by_line and not (kg_written and rdf_format == pyoxigraph.RdfFormat.TURTLE):
        store.bulk_load(path=str(graph), format=rdf_format)
        return
    with graph.open("rb") as stream:
        header = b"" if by_line else _turtle_prefixes(stream)
        part: list[bytes] = []
        first_line = 1 if by_line else header.count(b"\n") + 2
        for line in stream:
            part.append(line)
            if len(part) >= LINES_PER_LOAD and (by_line or line == b"\n"):
                _load_part(store, header, part, rdf_format, first_line)
                first_line += len(part)
                part = []
        if part:
            _load_part(store, header, part, rdf_format, first_line)


def _turtle_prefixes(stream: IO[bytes]) -> bytes:
    """The lines before the first blank line (kg writes its @prefix lines there)."""
    lines = []
    for line in iter(stream.readline, b""):
        if line == b"\n":
            break
        lines.append(line)
    return b"".join(lines)


def _load_part(
    store: pyoxigraph.Store, header: bytes, part: list[bytes], rdf_format: pyoxigraph.RdfFormat, first_line: int
) -> None:
    try:
        store.bulk_load(input=header + b"".join(part), format=rdf_format)
    except SyntaxError as error:
        raise SyntaxError(
            f"{error} (in the part of the file from line {first_line}; with the prefixes before it)"
        ) from None


def load_store(graph: Path, store_dir: Path, kg_written: bool = False) -> int:
    """Bulk-load `graph` into a new generation and point `store_dir` at it; returns the triple count."""
    store_dir = Path(os.path.abspath(store_dir))
    generation = _new_generation(store_dir)
    try:
        store = pyoxigraph.Store(str(generation))
        bulk_load(store, graph, kg_written)
        store.flush()
        count = len(store)
        del store
    except (OSError, SyntaxError, ValueError) as error:
        shutil.rmtree(generation, ignore_errors=True)
        raise StoreError(f"cannot load {graph} into {store_dir}: {error}") from error
    except BaseException:
        shutil.rmtree(generation, ignore_errors=True)
        raise
    _swap_in(store_dir, generation)
    return count


class StoreWriter:
    """A new store generation filled while a build runs. Text the build writes is collected into parts
    of LINES_PER_LOAD triples, each bulk-loaded by a background thread (Oxigraph releases the GIL), so
    loading overlaps building and memory stays bounded (at most two parts wait). `commit` swaps the
    generation in like `load_store`; `abort` leaves the store as it was."""

    def __init__(self, store_dir: Path, rdf_format: str, header: str = "") -> None:
        formats = {"nt": pyoxigraph.RdfFormat.N_TRIPLES, "turtle": pyoxigraph.RdfFormat.TURTLE}
        if rdf_format not in formats:
            raise StoreError(f"a store is fed from N-Triples or Turtle, not {rdf_format}")
        self.store_dir = Path(os.path.abspath(store_dir))
        self._generation = _new_generation(self.store_dir)
        self._format = formats[rdf_format]
        self._header = header.encode("utf-8")
        self._store: pyoxigraph.Store | None = pyoxigraph.Store(str(self._generation))
        self._part: list[str] = []
        self._part_triples = 0
        self._parts: queue.Queue[bytes | None] = queue.Queue(maxsize=2)
        self._failure: BaseException | None = None
        self._loader = threading.Thread(target=self._load_parts, name="kg-store-loader", daemon=True)
        self._loader.start()

    def add(self, text: str, triples: int) -> None:
        """Text of whole statements (N-Triples lines, or Turtle subject blocks without prefixes)."""
        self._raise_failure()
        self._part.append(text)
        self._part_triples += triples
        if self._part_triples >= LINES_PER_LOAD:
            self._send_part()

    def commit(self) -> int:
        """Load what is left, then point the store at the new generation; returns the triple count."""
        self._send_part()
        self._parts.put(None)
        self._loader.join()
        self._raise_failure()
        assert self._store is not None
        try:
            self._store.flush()
            count = len(self._store)
        except (OSError, RuntimeError) as error:
            self.abort()
            raise StoreError(f"cannot finish the store {self.store_dir}: {error}") from error
        self._store = None
        _swap_in(self.store_dir, self._generation)
        return count

    def abort(self) -> None:
        if self._loader.is_alive():
            self._failure = self._failure or StoreError("aborted")
            while self._loader.is_alive():  # unblock a loader waiting for parts, then let it stop
                try:
                    self._parts.put(None, timeout=0.1)
                except queue.Full:
                    pass
                self._loader.join(timeout=0.1)
        self._store = None
        shutil.rmtree(self._generation, ignore_errors=True)

    def _send_part(self) -> None:
        if self._part:
            data = self._header + "".join(self._part).encode("utf-8")
            self._part, self._part_triples = [], 0
            while self._loader.is_alive():
                try:
                    self._parts.put(data, timeout=0.5)
                    return
                except queue.Full:
                    continue
            self._raise_failure()

    def _load_parts(self) -> None:
        while True:
            data = self._parts.get()
            if data is None or self._failure is not None:
                return
            try:
                assert self._store is not None
                self._store.bulk_load(input=data, format=self._format)
            except BaseException as error:  # handed to the build thread at its next call
                self._failure = error
                return

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise StoreError(f"cannot load the build into {self.store_dir}: {self._failure}") from self._failure


def _point_at(store_dir: Path, generation: Path) -> None:
    """Swap the link in one rename; a plain directory left by an older kg is moved aside first."""
    if store_dir.exists() and not store_dir.is_symlink():
        legacy = store_dir.with_name(f".{store_dir.name}.gen-0-legacy")
        shutil.rmtree(legacy, ignore_errors=True)
        store_dir.rename(legacy)
    link = store_dir.with_name(f".{store_dir.name}.link-{os.getpid()}")
    link.unlink(missing_ok=True)
    link.symlink_to(generation.name)
    os.replace(link, store_dir)


def open_store(store_dir: Path) -> pyoxigraph.Store:
    """Open the store's current generation read-only (several readers may share it)."""
    for attempt in range(2):
        resolved = Path(os.path.realpath(store_dir))
        if not (resolved / "CURRENT").exists():
            raise StoreError(
                f"{store_dir} is not a kg store; build one with `kg build ... --store {store_dir}` or `kg load`"
            )
        try:
            return pyoxigraph.Store.read_only(str(resolved))
        except (OSError, RuntimeError) as error:  # the generation was removed while opening: look again
            if attempt == 1:
                raise StoreError(f"cannot open the store {store_dir}: {error}") from error
    raise AssertionError("unreachable")


_STORED_UPDATES = """PREFIX kg: <https://w3id.org/kg-trials/ontology#>
PREFIX prov: <http://www.w3.org/ns/prov#>
SELECT ?nct (MAX(STR(?updated)) AS ?latest) WHERE {
  ?trial prov:wasDerivedFrom ?record ; kg:nctId ?nct . OPTIONAL { ?trial kg:lastUpdated ?updated }
} GROUP BY ?nct"""


def stored_updates(store_dir: Path) -> dict[str, str]:
    """NCT id -> the last-update date the store holds for it ("" when it holds none); empty if no store."""
    if not (Path(os.path.realpath(store_dir)) / "CURRENT").exists():
        return {}
    store = open_store(store_dir)
    return {row["nct"].value: (row["latest"].value if row["latest"] else "") for row in store.query(_STORED_UPDATES)}  # type: ignore[union-attr]


def update_store(delta: Path, store_dir: Path, trials: set[str], kg_written: bool = False) -> int:
    """A new generation: a copy of the current one, minus what it said about `trials` (each trial node
    and the nodes it owns), plus `delta`; swapped in like a load. Returns the triple count."""
    store_dir = Path(os.path.abspath(store_dir))
    if not (Path(os.path.realpath(store_dir)) / "CURRENT").exists():
        return load_store(delta, store_dir, kg_written)
    generation = _new_generation(store_dir)
    generation.rmdir()  # backup() creates the directory itself
    try:
        open_store(store_dir).backup(str(generation))
        store = pyoxigraph.Store(str(generation))
        for nct_id in sorted(trials):
            trial = f"https://clinicaltrials.gov/study/{nct_id}"
            owned = f"https://w3id.org/kg-trials/resource/trial/{nct_id}/"
            store.update(
                f'DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o . FILTER(?s = <{trial}> || STRSTARTS(STR(?s), "{owned}")) }}'
            )
        bulk_load(store, delta, kg_written)
        store.flush()
        count = len(store)
        del store
    except (OSError, SyntaxError, ValueError, RuntimeError) as error:
        shutil.rmtree(generation, ignore_errors=True)
        raise StoreError(f"cannot update {store_dir} with {delta}: {error}") from error
    except BaseException:
        shutil.rmtree(generation, ignore_errors=True)
        raise
    _swap_in(store_dir, generation)
    return count
