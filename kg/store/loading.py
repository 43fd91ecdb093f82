"""Filling a new generation: bulk loads in bounded parts, from a file (`kg load`, `kg build --store`
after the fact) or while a build writes (StoreWriter)."""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Collection
from contextlib import ExitStack
from pathlib import Path
from typing import IO, TYPE_CHECKING

import pyoxigraph

from kg import outputs
from kg.errors import StoreError
from kg.rdf import formats
from kg.store.generations import discard, new_generation, swap_in, writing_store

if TYPE_CHECKING:
    from kg.similarity.features import TrialFeatures
    from kg.similarity.index import IndexBuilder

LINES_PER_LOAD = 250_000  # ~335 MiB peak for a load, whatever the file's size


def bulk_load(store: pyoxigraph.Store, graph: Path, kg_written: bool = False) -> None:
    """Load a file in parts of LINES_PER_LOAD lines where its syntax allows, so memory stays bounded
    (Oxigraph's bulk loader otherwise targets ~2 GB a thread on big files). N-Triples and N-Quads
    split at any line; Turtle that kg wrote (prefixes, then one paragraph per subject, no multi-line
    literals) splits between paragraphs; anything else loads in one go."""
    found = formats.of_file(graph)
    rdf_format, by_line = found.oxigraph, found.by_line
    if not by_line and not (kg_written and found is formats.BY_NAME["turtle"]):
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


def finish_loading(store: pyoxigraph.Store) -> None:
    """Flush, then compact: a bulk load leaves many unsorted files, and a store opened read-only (as
    `kg query` and `kg serve` open it) cannot compact them itself; its queries ran 2-3x slower."""
    store.flush()
    store.optimize()


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
    with writing_store(store_dir):
        generation = new_generation(store_dir)
        try:
            store = pyoxigraph.Store(str(generation))
            bulk_load(store, graph, kg_written)
            finish_loading(store)
            save_recommendation_index(store, generation)
            count = len(store)
            del store
        except (OSError, SyntaxError, ValueError) as error:
            discard(generation)
            raise StoreError(f"cannot load {graph} into {store_dir}: {error}") from error
        except BaseException:
            discard(generation)
            raise
        swap_in(store_dir, generation)
    return count


class StoreWriter:
    """A new store generation filled while a build runs. Text the build writes is collected into parts
    of LINES_PER_LOAD triples, each bulk-loaded by a background thread (Oxigraph releases the GIL), so
    loading overlaps building and memory stays bounded (at most two parts wait). `commit` swaps the
    generation in like `load_store`; `abort` leaves the store as it was."""

    def __init__(self, store_dir: Path, rdf_format: formats.RdfFormat, header: str = "") -> None:
        if not rdf_format.streams:
            raise StoreError(f"a store is fed from a streamed format (N-Triples or Turtle), not {rdf_format.name}")
        self.store_dir = Path(os.path.abspath(store_dir))
        self._writing = ExitStack()  # the store's lock, held until commit or abort
        self._writing.enter_context(writing_store(self.store_dir))
        try:
            self._generation = new_generation(self.store_dir)
            try:
                self._store: pyoxigraph.Store | None = pyoxigraph.Store(str(self._generation))
            except BaseException:
                discard(self._generation)
                raise
        except BaseException:
            self._writing.close()
            raise
        self._format = rdf_format.oxigraph
        self._header = header.encode("utf-8")
        self._part: list[str] = []
        self._part_triples = 0
        self._parts: queue.Queue[bytes | None] = queue.Queue(maxsize=2)
        self._failure: BaseException | None = None
        self._loader = threading.Thread(target=self._load_parts, name="kg-store-loader", daemon=True)
        self._loader.start()
        self.index_builder: IndexBuilder | None = None  # set by a build that reads every trial's features

    def add_features(self, features: TrialFeatures) -> None:
        """A built trial's recommendation features, read by the worker that mapped it."""
        if self.index_builder is None:
            from kg.similarity.index import IndexBuilder, spill_folder

            self.index_builder = IndexBuilder(spill_folder(self._generation))
        self.index_builder.add(features)

    def add_hierarchy(self, above: dict[str, dict[str, str]]) -> None:
        """The MeSH hierarchy above each concept, for the features read before it was known."""
        if self.index_builder is not None:
            self.index_builder.add_hierarchy(above)

    def add(self, text: str, triples: int) -> None:
        """Text of whole statements (N-Triples lines, or Turtle subject blocks without prefixes)."""
        outputs.stop_if_interrupted()
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
            finish_loading(self._store)
            save_recommendation_index(self._store, self._generation, built=self.index_builder)
            count = len(self._store)
        except (OSError, RuntimeError) as error:
            self.abort()
            raise StoreError(f"cannot finish the store {self.store_dir}: {error}") from error
        self._store = None
        try:
            swap_in(self.store_dir, self._generation)
        finally:
            self._writing.close()
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
        if self.index_builder is not None:
            self.index_builder.discard()
        discard(self._generation)
        self._writing.close()

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


def save_recommendation_index(
    store: pyoxigraph.Store,
    generation: Path,
    previous: Path | None = None,
    replaced: Collection[str] = (),
    built: IndexBuilder | None = None,
) -> None:
    """Every generation carries the trial–feature index of its own triples (`kg recommend`, `kg serve`),
    so it is swapped in with them and can never describe another generation. An update passes the
    generation it copied and the trials it replaced: their features alone are read again."""
    from kg.similarity.index import write_store_index

    write_store_index(store, generation, previous, replaced, built)
