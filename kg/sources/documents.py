"""Expand input paths into documents: plain files, files in directories, members of zip archives.

A document is opened lazily and read as a stream, so a 500,000-member zip is never loaded at once.
Nothing is extracted to disk: zip member names (even `../x`) are only labels.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from kg.records import Provenance

HEAD_BYTES = 4096
# A member that inflates past this is refused, whatever its header claims (zip bombs).
MAX_MEMBER_BYTES = 512 * 1024 * 1024
# Registry JSON compresses 10-30x; a member claiming far more is refused before it is inflated.
MAX_RATIO = 200
# XML records and pages are read whole; no real one comes near this.
MAX_TEXT_BYTES = 64 * 1024 * 1024
SKIPPED_NAMES = ("SOURCES.md", "README.md", ".DS_Store")


@dataclass(frozen=True)
class Reject:
    """A record or file that could not be built, with where it was and why."""

    path: str
    reason: str
    message: str
    position: int | None = None
    member: str | None = None
    nct_id: str | None = None

    def where(self) -> str:
        place = f"{self.path}:{self.member}" if self.member else self.path
        if self.position is not None:
            place += f" record {self.position + 1}"
        if self.nct_id:
            place += f" ({self.nct_id})"
        return place

    def as_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "member": self.member,
            "position": self.position,
            "nct_id": self.nct_id,
            "reason": self.reason,
            "message": self.message,
        }


@dataclass(frozen=True)
class Document:
    """One readable byte stream: a file, or one member of a zip file."""

    path: str
    member: str | None = None

    def open(self) -> IO[bytes]:
        if self.member is None:
            return open(self.path, "rb")
        small = _small_member(self)
        if small is not None:
            return io.BytesIO(small)
        return _LimitedReader(_archive(self.path).open(self.member), MAX_MEMBER_BYTES)  # type: ignore[return-value]

    def head(self) -> bytes:
        with self.open() as stream:
            return stream.read(HEAD_BYTES)

    def name(self) -> str:
        return f"{self.path}:{self.member}" if self.member else self.path

    def reject(self, reason: str, message: str, position: int | None = None, nct_id: str | None = None) -> Reject:
        return Reject(self.path, reason, message, position, self.member, nct_id)

    def provenance(self, source_format: str, position: int, version_date: str | None = None) -> Provenance:
        return Provenance(source_format, self.path, position, self.member, version_date)


SMALL_MEMBER_BYTES = 1024 * 1024
_last_small_member: tuple[tuple[int, str, int], bytes] | None = None


def _small_member(document: Document) -> bytes | None:
    """A registry member (~20 KB) is read for its head, then whole: inflate it once and keep the
    last one. None for a member over SMALL_MEMBER_BYTES, which is streamed instead."""
    global _last_small_member
    archive = _archive(document.path)  # the same object while the file is unchanged
    key = (id(archive), document.member or "", os.getpid())
    if _last_small_member is not None and _last_small_member[0] == key:
        return _last_small_member[1]
    if archive.getinfo(document.member or "").file_size > SMALL_MEMBER_BYTES:
        return None
    with archive.open(document.member or "") as stream:
        data = stream.read(SMALL_MEMBER_BYTES + 1)
    if len(data) > SMALL_MEMBER_BYTES:  # the header understated the size
        return None
    _last_small_member = (key, data)
    return data


_OPEN_ARCHIVES: dict[tuple[str, int, int, int, int], zipfile.ZipFile] = {}


def _archive(path: str) -> zipfile.ZipFile:
    """One open ZipFile per archive and process: opening one reads its whole central directory, which
    for a registry download (~600,000 members) costs far more than reading a member."""
    # A forked worker opens its own (a shared file position would interleave reads); a replaced file is
    # opened afresh.
    status = os.stat(path)
    key = (path, os.getpid(), status.st_ino, status.st_mtime_ns, status.st_size)
    archive = _OPEN_ARCHIVES.get(key)
    if archive is None:
        for stale in [k for k in _OPEN_ARCHIVES if k[1] != os.getpid()]:
            del _OPEN_ARCHIVES[stale]
        if len(_OPEN_ARCHIVES) >= 4:
            _OPEN_ARCHIVES.pop(next(iter(_OPEN_ARCHIVES))).close()
        archive = _OPEN_ARCHIVES[key] = zipfile.ZipFile(path)
    return archive


class MemberTooLarge(OSError):
    """A zip member inflated past MAX_MEMBER_BYTES."""


class _LimitedReader:
    """Reads a zip member, failing once more than `limit` bytes come out of it."""

    def __init__(self, stream: IO[bytes], limit: int) -> None:
        self._stream, self._left = stream, limit

    def read(self, size: int = -1) -> bytes:
        chunk = self._stream.read(size if size >= 0 else self._left + 1)
        self._left -= len(chunk)
        if self._left < 0:
            raise MemberTooLarge(f"inflates past {MAX_MEMBER_BYTES // (1024 * 1024)} MiB")
        return chunk

    def __enter__(self) -> _LimitedReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._stream.close()


def iter_documents(paths: list[str]) -> Iterator[Document | Reject]:
    """Each input path as documents, in a stable (sorted) order; unreadable paths become rejects."""
    for path in paths:
        if os.path.isdir(path):
            yield from _documents_in_directory(path)
        elif os.path.isfile(path):
            yield from _documents_in_file(path)
        else:
            yield Reject(path, "unreadable-file", "no such file or directory")


def _documents_in_directory(root: str) -> Iterator[Document | Reject]:
    # followlinks=False: a symlink loop cannot make the walk endless.
    for directory, subdirectories, files in os.walk(root, followlinks=False):
        subdirectories.sort()
        for name in sorted(files):
            if name.startswith(".") or name in SKIPPED_NAMES:
                continue
            path = os.path.join(directory, name)
            if os.path.islink(path):
                # Inside a folder a link could point anywhere; only what was given is read.
                yield Reject(path, "unreadable-file", "a symbolic link inside an input folder: not followed")
                continue
            yield from _documents_in_file(path)


def _documents_in_file(path: str) -> Iterator[Document | Reject]:
    if not zipfile.is_zipfile(path):
        yield Document(path)
        return
    try:
        with zipfile.ZipFile(path) as archive:
            members = [info for info in archive.infolist() if not info.is_dir()]
            names = sorted(info.filename for info in members)
            suspicious = {
                info.filename: info.file_size // max(info.compress_size, 1)
                for info in members
                if info.file_size > MAX_RATIO * max(info.compress_size, 1) and info.file_size > 1024 * 1024
            }
    except (zipfile.BadZipFile, OSError) as error:
        yield Reject(path, "unreadable-file", f"broken zip archive: {error}")
        return
    # The member list and archive hold a ZipInfo (~600 bytes) per member: not kept while yielding.
    del members, archive
    for name in names:
        if name in suspicious:
            yield Reject(path, "too-large", f"inflates {suspicious[name]:,}x (a zip bomb?); refused", member=name)
            continue
        base = name.rsplit("/", 1)[-1]
        if base.startswith(".") or base in SKIPPED_NAMES or name.startswith("__MACOSX/"):
            continue
        yield Document(path, name)
