"""Output sinks, one per RDF format, all written atomically (temp file in the same folder, then rename).

Turtle and N-Triples stream: each batch of triples is appended as it is built, so the whole graph is
never held in memory. JSON-LD is one document, so that sink holds its graph until the end.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING

from rdflib import Graph

from kg.errors import OutputError
from kg.iris import PREFIXES
from kg.terms import Triple, ntriples, turtle_block

if TYPE_CHECKING:
    from kg.store import StoreWriter

RDF_FORMATS = ("turtle", "nt", "jsonld")
EXTENSIONS = {"turtle": ".ttl", "nt": ".nt", "jsonld": ".jsonld"}


def output_format(path: Path, requested: str | None) -> str:
    """The format to write: as asked, else from the extension (turtle for an unknown one). An extension
    naming another format is refused: `kg load` and other tools read a file by its extension."""
    by_extension = {extension: name for name, extension in EXTENSIONS.items()}
    implied = by_extension.get(path.suffix.lower())
    if requested is None:
        return implied or "turtle"
    if implied is not None and implied != requested:
        raise OutputError(f"{path}: the extension says {implied}, but --format {requested} was asked for")
    return requested


class AtomicFile:
    """A text file that appears under its name only once complete; an abort or crash leaves no trace."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        directory = self.path.parent
        try:
            directory.mkdir(parents=True, exist_ok=True)
            descriptor, temp_name = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".part", dir=directory)
        except OSError as error:
            raise OutputError(f"cannot write {self.path}: {error}") from error
        self._temp = Path(temp_name)
        self.stream: IO[str] = os.fdopen(descriptor, "w", encoding="utf-8", newline="\n")

    def commit(self) -> None:
        self.stream.flush()
        os.fsync(self.stream.fileno())
        self.stream.close()
        os.replace(self._temp, self.path)

    def abort(self) -> None:
        if not self.stream.closed:
            self.stream.close()
        self._temp.unlink(missing_ok=True)


def write_atomically(path: str | Path, text: str) -> None:
    output = AtomicFile(path)
    try:
        output.stream.write(text)
    except BaseException:
        output.abort()
        raise
    output.commit()


def bind_prefixes(graph: Graph) -> Graph:
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True)
    return graph


class RdfSink:
    """Appends batches of triples to an output file in one RDF format."""

    def __init__(self, path: str | Path, rdf_format: str, store_dir: Path | None = None) -> None:
        """With `store_dir`, every piece written also goes to a new generation of that store."""
        if rdf_format not in RDF_FORMATS:
            raise OutputError(f"unknown output format {rdf_format!r} (choose from {', '.join(RDF_FORMATS)})")
        self.format = rdf_format
        self.triples = 0
        self.store_triples: int | None = None
        self._file = AtomicFile(path)
        self._held = bind_prefixes(Graph()) if rdf_format == "jsonld" else None
        header = ""
        if rdf_format == "turtle":
            header = "".join(f"@prefix {prefix}: <{namespace}> .\n" for prefix, namespace in PREFIXES.items())
            self._file.stream.write(header + "\n")
        self._store: StoreWriter | None = None
        if store_dir is not None:
            from kg.store import StoreWriter

            try:
                self._store = StoreWriter(store_dir, rdf_format, header)
            except BaseException:
                self._file.abort()
                raise

    def write(self, triples: Iterable[Triple]) -> None:
        """Append triples; the caller never passes one triple twice across calls (the build sees to it)."""
        unique = set(triples)
        self.triples += len(unique)
        if self._held is not None:
            for triple in unique:
                self._held.add(triple)
        elif self.format == "nt":
            self._append(ntriples(unique), len(unique))
        elif unique:
            self._append(turtle_block(unique) + "\n", len(unique))

    def write_body(self, body: str | list[Triple], triples: int) -> None:
        """Append a piece already serialized for this format (or triples, for a held graph)."""
        if isinstance(body, list):
            self.write(body)
            return
        self.triples += triples
        self._append(body, triples)

    def _append(self, text: str, triples: int) -> None:
        self._file.stream.write(text)
        if self._store is not None:
            self._store.add(text, triples)

    def commit(self) -> None:
        """The file first, then the store: a store never holds a graph whose file was not written."""
        if self._held is not None:
            context = {prefix: str(namespace) for prefix, namespace in PREFIXES.items()}
            self._file.stream.write(self._held.serialize(format="json-ld", context=context, indent=1))
        try:
            self._file.commit()
        except BaseException:
            self.abort()
            raise
        if self._store is not None:
            self.store_triples = self._store.commit()

    def abort(self) -> None:
        self._file.abort()
        if self._store is not None:
            self._store.abort()


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path beside `path`, renamed onto it when the block succeeds, removed when it fails."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(descriptor)
    temp = Path(temp_name)
    try:
        yield temp
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)
