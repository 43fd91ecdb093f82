"""Output sinks for every RDF format kg writes (`kg.rdf.formats`), all written atomically (temp file in the same folder, then rename).

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

from kg import outputs
from kg.errors import OutputError
from kg.rdf import formats
from kg.rdf.terms import Triple

if TYPE_CHECKING:
    from kg.similarity.features import TrialFeatures

if TYPE_CHECKING:
    from kg.store import StoreWriter


def _open_text(descriptor: int) -> IO[str]:
    return os.fdopen(descriptor, "w", encoding="utf-8", newline="\n")


def _cannot_write(path: Path, error: OSError) -> OutputError:
    return OutputError(f"cannot write {path}: {error.strerror or error}")


class AtomicFile:
    """A text file that appears under its name only once complete; an abort or crash leaves no trace
    (a crash leaves `.NAME.XXXXXXXX.part`, locked while its writer lives, which the next build on the
    same output removes). It gets the mode the umask gives. Any OSError becomes an OutputError."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        outputs.refuse_non_file(self.path, "the output")
        directory = self.path.parent
        try:
            directory.mkdir(parents=True, exist_ok=True)
            with outputs.signals_deferred():
                descriptor, temp_name = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".part", dir=directory)
                outputs.own(temp_name)
        except OSError as error:
            raise _cannot_write(self.path, error) from error
        self._temp = Path(temp_name)
        try:
            outputs.claim(descriptor)
            os.fchmod(descriptor, outputs.file_mode())  # mkstemp makes 0600
            self.stream: IO[str] = _open_text(descriptor)
        except BaseException as error:
            os.close(descriptor)
            self._temp.unlink(missing_ok=True)
            outputs.disown(self._temp)
            if isinstance(error, OSError):
                raise _cannot_write(self.path, error) from error
            raise

    def write(self, text: str) -> None:
        outputs.stop_if_interrupted()
        try:
            self.stream.write(text)
        except OSError as error:
            self.abort()
            raise _cannot_write(self.path, error) from error

    def commit(self) -> None:
        try:
            self.stream.flush()
            os.fsync(self.stream.fileno())
            self.stream.close()
            with outputs.signals_deferred():
                os.replace(self._temp, self.path)
                outputs.disown(self._temp)
        except OSError as error:
            self.abort()
            raise _cannot_write(self.path, error) from error

    def abort(self) -> None:
        try:
            if not self.stream.closed:
                self.stream.close()  # a full disk fails the flush; the file is closed all the same
        except OSError:
            pass
        try:
            self._temp.unlink(missing_ok=True)
        except OSError:
            pass
        outputs.disown(self._temp)


def write_atomically(path: str | Path, text: str) -> None:
    output = AtomicFile(path)
    try:
        output.write(text)
    except BaseException:
        output.abort()
        raise
    output.commit()


class RdfSink:
    """Appends batches of triples to an output file in one RDF format."""

    def __init__(self, path: str | Path, rdf_format: str, store_dir: Path | None = None) -> None:
        """With `store_dir`, every piece written also goes to a new generation of that store."""
        self.format = formats.named(rdf_format)
        self.triples = 0
        self.store_triples: int | None = None
        self._file = AtomicFile(path)
        self._held: list[Triple] | None = None if self.format.streams else []
        header = self.format.header()
        if header:
            self._file.write(header + "\n")
        self._store: StoreWriter | None = None
        if store_dir is not None:
            from kg.store import StoreWriter

            try:
                self._store = StoreWriter(store_dir, self.format, header)
            except BaseException:
                self._file.abort()
                raise

    def write(self, triples: Iterable[Triple]) -> None:
        """Append triples; the caller never passes one triple twice across calls (the build sees to it)."""
        unique = set(triples)
        self.triples += len(unique)
        if self._held is not None:
            self._held.extend(unique)
        elif self.format.block is not None:
            self._append(self.format.block(unique), len(unique))

    def write_body(self, body: str | list[Triple], triples: int) -> None:
        """Append a piece already serialized for this format (or triples, for a held graph)."""
        if isinstance(body, list):
            self.write(body)
            return
        self.triples += triples
        self._append(body, triples)

    def add_features(self, features: TrialFeatures) -> None:
        """A trial's recommendation features, for the store's index (nothing without a store)."""
        if self._store is not None:
            self._store.add_features(features)

    def add_hierarchy(self, above: dict[str, dict[str, str]]) -> None:
        """The MeSH hierarchy above each concept, for the store's index (nothing without a store)."""
        if self._store is not None:
            self._store.add_hierarchy(above)

    @property
    def reads_features(self) -> bool:
        return self._store is not None

    def _append(self, text: str, triples: int) -> None:
        self._file.write(text)
        if self._store is not None:
            self._store.add(text, triples)

    def commit(self) -> None:
        """The file first, then the store: a store never holds a graph whose file was not written."""
        try:
            if self._held is not None:
                self._file.write(self.format.document(self._held))
            self._file.commit()
        except BaseException:
            self.abort()
            raise
        if self._store is not None:
            try:
                self.store_triples = self._store.commit()
            except BaseException:
                self._store.abort()
                raise

    def abort(self) -> None:
        self._file.abort()
        if self._store is not None:
            self._store.abort()


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path beside `path`, renamed onto it when the block succeeds, removed when it fails."""
    target = Path(path)
    outputs.refuse_non_file(target, "the output")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with outputs.signals_deferred():
            descriptor, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
            outputs.own(temp_name)
    except OSError as error:
        raise _cannot_write(target, error) from error
    temp = Path(temp_name)
    try:
        outputs.claim(descriptor)  # held while the block writes the file by its name
        yield temp
        os.chmod(temp, outputs.file_mode())
        with outputs.signals_deferred():
            os.replace(temp, target)
            outputs.disown(temp)
    except OSError as error:
        if error.filename is None or os.fsdecode(error.filename) == str(temp):
            raise _cannot_write(target, error) from error
        raise
    finally:
        os.close(descriptor)
        temp.unlink(missing_ok=True)
        outputs.disown(temp)
