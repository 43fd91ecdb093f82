"""The embedded Oxigraph store.

A store path (`kg-store`) is a symbolic link to one generation directory beside it. A load builds a new
generation, then swaps the link atomically (rename over it), so a reader resolves the link once and opens
one whole generation: it never sees a half-loaded store or a mix of two. The previous generation is kept
until the next load, so a query that opened it just before a swap can finish; older ones are removed.

kg moves or removes only what it made: a generation is named `.NAME.gen-STAMP-XXXXXXXX` and holds a
`.kg-store` marker (generations of earlier kg versions have the name and Oxigraph's files, no marker),
and the store path is a link to one. A path given as a store that is anything else (a folder of the
user's, a file, another link) is refused, never moved aside. One writer at a time holds `.NAME.lock`
beside the store; when it starts, it removes what a killed writer left: generations still marked
unfinished and the temporary link.
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO

import pyoxigraph

from kg import __version__, outputs
from kg.errors import StoreError
from kg.rdf import formats, iris

DEFAULT_STORE = Path("kg-store")


def _generations(store_dir: Path) -> list[Path]:
    """The generations kg made for this store: its name pattern, a folder, and its marker (or, made by
    an earlier kg, Oxigraph's files). A `.NAME.gen-0-legacy` folder (a store folder an earlier kg moved
    aside, perhaps the user's) is never one."""
    pattern = outputs.generation_name(store_dir.name)
    found = []
    for path in store_dir.parent.glob(f".{store_dir.name}.gen-*"):
        if pattern.fullmatch(path.name) and not path.is_symlink() and path.is_dir():
            if (path / outputs.STORE_MARKER).is_file() or (path / "CURRENT").is_file():
                found.append(path)
    return sorted(found, key=lambda p: p.name)


def _current(store_dir: Path) -> Path | None:
    """The generation the store link points at (None for no store)."""
    if not store_dir.is_symlink():
        return None
    target = os.readlink(store_dir)
    return store_dir.parent / target if _is_generation_link(store_dir, target) else None


def _is_generation_link(store_dir: Path, target: str) -> bool:
    return "/" not in target and target.startswith(f".{store_dir.name}.gen-")


def refuse_foreign(store_dir: Path) -> None:
    """A store path kg may write: nothing there, an empty folder, or a store link kg made (any version)."""
    if not os.path.lexists(store_dir):
        return
    if store_dir.is_symlink():
        target = os.readlink(store_dir)
        if _is_generation_link(store_dir, target):
            return
        raise StoreError(
            f"{store_dir} is a link to {target}, not a kg store; kg will not replace it: choose another --store path"
        )
    if store_dir.is_dir():
        if not any(store_dir.iterdir()):
            return  # an empty folder: nothing in it to lose
        if (store_dir / outputs.STORE_MARKER).is_file():
            raise StoreError(f"{store_dir} is one generation of a kg store; give the store's own path (the link)")
        raise StoreError(
            f"{store_dir} exists and is not a kg store; kg will not move, replace or delete it: "
            "choose another --store path"
        )
    raise StoreError(f"{store_dir} is a file, not a kg store; kg will not replace it: choose another --store path")


@contextmanager
def writing_store(store_dir: Path) -> Iterator[Path]:
    """Be the store's one writer: refuse a path that is not kg's, hold `.NAME.lock` beside it, and (the
    first time in this process) remove what a killed writer left. Reentrant within a process."""
    refuse_foreign(Path(store_dir))
    store_dir = Path(os.path.abspath(store_dir))
    with outputs.hold(store_dir, f"the store {store_dir}") as first:
        if first:
            _remove_dead_writers_leftovers(store_dir)
        yield store_dir


def _remove_dead_writers_leftovers(store_dir: Path) -> None:
    """Under the store's lock no live kg is writing it: a generation still marked unfinished (other than
    one this process is filling) and a temporary link are a killed writer's."""
    current = _current(store_dir)
    for generation in _generations(store_dir):
        if generation != current and _state(generation) == "building" and not outputs.is_owned(generation):
            shutil.rmtree(generation, ignore_errors=True)
    link = re.compile(rf"\.{re.escape(store_dir.name)}\.link-\d+")
    for path in store_dir.parent.glob(f".{store_dir.name}.link-*"):
        if link.fullmatch(path.name) and path.is_symlink() and not outputs.is_owned(path):
            path.unlink(missing_ok=True)


def _state(generation: Path) -> str | None:
    """ "building" or "complete" (a kg generation's marker), None (an earlier kg's generation)."""
    try:
        text = (generation / outputs.STORE_MARKER).read_text(encoding="utf-8")
    except OSError:
        return None
    return "complete" if "state: complete" in text else "building"


def _mark(generation: Path, state: str) -> None:
    """Write the marker that says the generation is kg's (and whether it was finished)."""
    marker = generation / outputs.STORE_MARKER
    temp = generation / f"{outputs.STORE_MARKER}.part"
    temp.write_text(f"kg store generation\nkg-version: {__version__}\nstate: {state}\n", encoding="utf-8")
    os.replace(temp, marker)


def _new_generation(store_dir: Path, mark: bool = True) -> Path:
    """An empty, uniquely named generation directory beside the store link, marked as kg's and
    unfinished (with `mark=False`, the caller marks it once it has filled it)."""
    try:
        store_dir.parent.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%dT%H%M%S")
        with outputs.signals_deferred():
            generation = Path(tempfile.mkdtemp(prefix=f".{store_dir.name}.gen-{stamp}-", dir=store_dir.parent))
            outputs.own(generation, folder=True)
        if mark:
            _prepare(generation)
    except OSError as error:
        raise StoreError(f"cannot write {store_dir.parent}: {error.strerror or error}") from error
    return generation


def _prepare(generation: Path) -> None:
    os.chmod(generation, outputs.dir_mode())  # mkdtemp makes 0700
    _mark(generation, "building")


def _discard(generation: Path) -> None:
    shutil.rmtree(generation, ignore_errors=True)
    outputs.disown(generation)


def _swap_in(store_dir: Path, generation: Path) -> None:
    """Point the store at `generation`; keep the previous one for running readers, drop older ones."""
    previous = _current(store_dir)
    _mark(generation, "complete")
    with outputs.signals_deferred():
        _point_at(store_dir, generation)
        outputs.disown(generation)
    for old in _generations(store_dir):
        if old not in (generation, previous):
            shutil.rmtree(old, ignore_errors=True)


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
        generation = _new_generation(store_dir)
        try:
            store = pyoxigraph.Store(str(generation))
            bulk_load(store, graph, kg_written)
            store.flush()
            _save_recommendation_index(store, generation)
            count = len(store)
            del store
        except (OSError, SyntaxError, ValueError) as error:
            _discard(generation)
            raise StoreError(f"cannot load {graph} into {store_dir}: {error}") from error
        except BaseException:
            _discard(generation)
            raise
        _swap_in(store_dir, generation)
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
            self._generation = _new_generation(self.store_dir)
            try:
                self._store: pyoxigraph.Store | None = pyoxigraph.Store(str(self._generation))
            except BaseException:
                _discard(self._generation)
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
            self._store.flush()
            _save_recommendation_index(self._store, self._generation)
            count = len(self._store)
        except (OSError, RuntimeError) as error:
            self.abort()
            raise StoreError(f"cannot finish the store {self.store_dir}: {error}") from error
        self._store = None
        try:
            _swap_in(self.store_dir, self._generation)
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
        _discard(self._generation)
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


def _save_recommendation_index(store: pyoxigraph.Store, generation: Path) -> None:
    """Every generation carries the trial–feature index of its own triples (`kg recommend`, `kg serve`),
    so it is swapped in with them and can never describe another generation."""
    from kg.similarity.index import write_store_index

    write_store_index(store, generation)


def _point_at(store_dir: Path, generation: Path) -> None:
    """Swap the link in one rename. Only a store link kg made, or an empty folder, is replaced."""
    refuse_foreign(store_dir)
    if store_dir.is_dir() and not store_dir.is_symlink():
        store_dir.rmdir()  # empty (checked): fails rather than lose anything that appeared since
    link = store_dir.with_name(f".{store_dir.name}.link-{os.getpid()}")
    if link.is_symlink():
        link.unlink()
    elif os.path.lexists(link):
        raise StoreError(f"{link} is in the way and is not kg's; kg will not replace it")
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


_STORED_UPDATES = iris.sparql("""
SELECT ?nct (MAX(STR(?updated)) AS ?latest) WHERE {
  ?trial prov:wasDerivedFrom ?record ; kg:nctId ?nct . OPTIONAL { ?trial kg:lastUpdated ?updated }
} GROUP BY ?nct""")


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
    with writing_store(store_dir):
        return _update_store(delta, store_dir, trials, kg_written)


def _update_store(delta: Path, store_dir: Path, trials: set[str], kg_written: bool) -> int:
    if not (Path(os.path.realpath(store_dir)) / "CURRENT").exists():
        return load_store(delta, store_dir, kg_written)
    generation = _new_generation(store_dir, mark=False)
    generation.rmdir()  # backup() creates the directory itself
    try:
        open_store(store_dir).backup(str(generation))
        _prepare(generation)
        store = pyoxigraph.Store(str(generation))
        for nct_id in sorted(trials):
            trial, owned = iris.trial_iri(nct_id), iris.trial_owned_prefix(nct_id)
            store.update(
                f'DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o . FILTER(?s = <{trial}> || STRSTARTS(STR(?s), "{owned}")) }}'
            )
        bulk_load(store, delta, kg_written)
        store.flush()
        _save_recommendation_index(store, generation)
        count = len(store)
        del store
    except (OSError, SyntaxError, ValueError, RuntimeError) as error:
        _discard(generation)
        raise StoreError(f"cannot update {store_dir} with {delta}: {error}") from error
    except BaseException:
        _discard(generation)
        raise
    _swap_in(store_dir, generation)
    return count
