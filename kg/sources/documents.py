"""Expand input paths into documents: plain files, files in directories, members of zip archives.

A document is opened lazily and read as a stream, so a 500,000-member zip is never loaded at once.
Nothing is extracted to disk: zip member names (even `../x`) are only labels.
"""

from __future__ import annotations

import io
import os
import stat
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import IO

from kg.errors import DamagedMember, MemberTooLarge, UnsupportedMember
from kg.model.records import Provenance
from kg.sources.zip_listing import ZipEntry, read_listing

HEAD_BYTES = 4096
# A member that inflates past this is refused, whatever its header claims (zip bombs).
MAX_MEMBER_BYTES = 512 * 1024 * 1024
# Registry JSON compresses 10-30x; a member claiming far more is refused before it is inflated.
MAX_RATIO = 200
# XML records and pages are read whole; no real one comes near this.
MAX_TEXT_BYTES = 64 * 1024 * 1024
SKIPPED_NAMES = ("SOURCES.md", "README.md", ".DS_Store")


def visible(name: str) -> str:
    """`a\nb` -> `a\\nb`: line breaks and other control characters escaped, the rest as it is."""
    if name.isprintable():
        return name
    return "".join(c if c.isprintable() or c == " " else c.encode("unicode_escape").decode("ascii") for c in name)


@dataclass(frozen=True)
class Reject:
    """A record or file that could not be built, with where it was and why."""

    path: str
    reason: str
    message: str
    position: int | None = None
    member: str | None = None
    nct_id: str | None = None
    detail: str | None = None  # the traceback, for `internal-error` (a kg bug to report)
    # The record was read whole; reading its free text (doses, thresholds) failed. A build's pass one, which
    # does not read that text, counted it as a record of its trial: pass two reports it.
    after_read: bool = False

    def with_detail(self, detail: str) -> Reject:
        return replace(self, detail=detail)

    def where(self) -> str:
        """File, member, record and NCT id, for one line of stderr: a name's control characters are
        shown escaped, so no file name can forge lines of the summary."""
        place = visible(f"{self.path}:{self.member}" if self.member else self.path)
        if self.position is not None:
            place += f" record {self.position + 1}"
        if self.nct_id:
            place += f" ({self.nct_id})"
        return place

    def as_dict(self) -> dict[str, object]:
        line: dict[str, object] = {
            "kind": "reject",
            "path": self.path,
            "member": self.member,
            "position": self.position,
            "nct_id": self.nct_id,
            "reason": self.reason,
            "message": self.message,
        }
        if self.detail:
            line["detail"] = self.detail
        return line


@dataclass(frozen=True)
class Document:
    """One readable byte stream: a file, or one member of a zip file."""

    path: str
    member: str | None = None
    entry: ZipEntry | None = field(default=None, compare=False)

    def open(self) -> IO[bytes]:
        if self.member is None:
            return open(self.path, "rb")
        try:
            small = _small_member(self)
            if small is not None:
                return io.BytesIO(small)
            return _LimitedReader(_archive(self.path).open(self._info()), MAX_MEMBER_BYTES)  # type: ignore[return-value]
        except (NotImplementedError, RuntimeError) as error:
            # Deflate64, bzip2 without the module, an encrypted member: zipfile cannot give its bytes.
            raise UnsupportedMember(f"a zip member kg cannot unpack: {error}") from error

    def _info(self) -> zipfile.ZipInfo:
        """This member's own directory entry: two members may share a name."""
        archive = _archive(self.path)
        info = archive.getinfo(self.member_name)  # the last member of that name
        if self.entry is not None and info.header_offset != self.entry.header_offset:
            info = next(i for i in archive.infolist() if i.header_offset == self.entry.header_offset)
        return info

    @property
    def member_name(self) -> str:
        """The name in the archive (`member` may carry `@offset` to tell same-named members apart)."""
        if self.member and self.entry is not None and self.member.endswith(f"@{self.entry.header_offset}"):
            return self.member[: -len(f"@{self.entry.header_offset}")]
        return self.member or ""

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
    direct = _read_entry(document.path, document.entry) if document.entry is not None else None
    if direct is not None:
        return direct
    archive = _archive(document.path)  # the same object while the file is unchanged
    key = (id(archive), document.member or "", os.getpid())
    if _last_small_member is not None and _last_small_member[0] == key:
        return _last_small_member[1]
    info = document._info()
    if info.file_size > SMALL_MEMBER_BYTES:
        return None
    try:
        with archive.open(info) as stream:
            data = stream.read(SMALL_MEMBER_BYTES + 1)
    except (zlib.error, zipfile.BadZipFile, EOFError) as error:
        raise DamagedMember(f"a damaged zip member: {error}") from error
    if len(data) > SMALL_MEMBER_BYTES:  # the header understated the size
        return None
    _last_small_member = (key, data)
    return data


_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, then the name and extra-field lengths
_last_direct: tuple[tuple[str, int, int], bytes] | None = None


def _read_entry(path: str, entry: ZipEntry) -> bytes | None:
    """A small stored or deflated member read straight from its local header; None (the caller then
    goes through zipfile) for anything else, or for bytes that do not match the directory's size and
    CRC, so odd or damaged members get zipfile's own handling and messages."""
    global _last_direct
    if (
        entry.file_size > SMALL_MEMBER_BYTES
        or entry.compress_size > SMALL_MEMBER_BYTES + 1024
        or entry.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
    ):
        return None
    key = (path, entry.header_offset, os.getpid())
    if _last_direct is not None and _last_direct[0] == key:
        return _last_direct[1]
    try:
        with open(path, "rb") as stream:
            stream.seek(entry.header_offset)
            signature, name_length, extra_length = _LOCAL_HEADER.unpack(stream.read(_LOCAL_HEADER.size))
            if signature != b"PK\x03\x04":
                return None
            stream.seek(entry.header_offset + _LOCAL_HEADER.size + name_length + extra_length)
            raw = stream.read(entry.compress_size)
        if entry.compress_type == zipfile.ZIP_STORED:
            data = raw
        else:
            data = zlib.decompressobj(-15).decompress(raw, SMALL_MEMBER_BYTES + 1)
    except (OSError, struct.error, zlib.error):
        return None
    if len(data) != entry.file_size or zlib.crc32(data) != entry.crc:
        return None
    _last_direct = (key, data)
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


class _LimitedReader:
    """Reads a zip member, failing once more than `limit` bytes come out of it."""

    def __init__(self, stream: IO[bytes], limit: int) -> None:
        self._stream, self._left = stream, limit

    def read(self, size: int = -1) -> bytes:
        try:
            chunk = self._stream.read(size if size >= 0 else self._left + 1)
        except (zlib.error, zipfile.BadZipFile, EOFError) as error:
            raise DamagedMember(f"a damaged zip member: {error}") from error
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


def iter_documents(paths: list[str], exclude: frozenset[str] = frozenset()) -> Iterator[Document | Reject]:
    """Each input path as documents, in a stable (sorted) order; unreadable paths become rejects.
    A folder's walk never reads kg's own files: the resolved paths in `exclude` (the build's outputs),
    kg stores, and dot-files (kg's temporary and lock files among them)."""
    from kg.outputs import stop_if_interrupted

    for item in _documents_in_paths(paths, exclude):
        stop_if_interrupted()  # a SIGTERM or SIGINT whose exception Python dropped stops the build here
        yield item


def _documents_in_paths(paths: list[str], exclude: frozenset[str]) -> Iterator[Document | Reject]:
    from kg.outputs import is_kg_store_folder

    for path in paths:
        if os.path.isdir(path):
            if is_kg_store_folder(path):
                yield Reject(path, "unknown-format", "a kg store: kg does not read its own stores as input")
                continue
            yield from _documents_in_directory(path, exclude)
        elif os.path.isfile(path):
            yield from _documents_in_file(path)
        else:
            yield Reject(path, "unreadable-file", "no such file or directory")


def _documents_in_directory(root: str, exclude: frozenset[str] = frozenset()) -> Iterator[Document | Reject]:
    from kg.outputs import is_kg_store_folder

    # followlinks=False: a symlink loop cannot make the walk endless.
    for directory, subdirectories, files in os.walk(root, followlinks=False):
        real = os.path.realpath(directory) if exclude else directory
        # A kg store's generations (and a store kept in a plain folder with its marker) are not input.
        subdirectories[:] = sorted(
            name
            for name in subdirectories
            if not is_kg_store_folder(os.path.join(directory, name)) and os.path.join(real, name) not in exclude
        )
        for name in sorted(files):
            if name.startswith(".") or name in SKIPPED_NAMES:
                continue
            if exclude and os.path.join(real, name) in exclude:
                continue  # this build's own output, report or rejects
            path = os.path.join(directory, name)
            if os.path.islink(path):
                if is_kg_store_folder(path):
                    continue  # a kg store's link whose generation is gone
                # Inside a folder a link could point anywhere; only what was given is read.
                yield Reject(path, "unreadable-file", "a symbolic link inside an input folder: not followed")
                continue
            yield from _documents_in_file(path)


def _documents_in_file(path: str) -> Iterator[Document | Reject]:
    try:
        status = os.stat(path)
    except OSError as error:
        yield Reject(path, "unreadable-file", f"cannot read: {error.strerror or error}")
        return
    if not stat.S_ISREG(status.st_mode):
        # A FIFO or a device would block or never end: only regular files are read.
        yield Reject(path, "unreadable-file", "not a regular file (a FIFO, socket or device); not read")
        return
    try:
        is_zip = zipfile.is_zipfile(path)
    except OSError as error:
        yield Reject(path, "unreadable-file", f"cannot read: {error.strerror or error}")
        return
    if not is_zip:
        yield Document(path)
        return
    try:
        # Read by directory entry: same-named members are two documents, each read once.
        members = read_listing(path)
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        yield Reject(path, "unreadable-file", f"broken zip archive: {error}")
        return
    listed = iter(members)
    previous, current = None, next(listed, None)
    while current is not None:
        (name, entry), following = current, next(listed, None)
        shared = previous == name or (following is not None and following[0] == name)  # sorted by name
        previous, current = name, following
        label = f"{name}@{entry.header_offset}" if shared else name
        if entry.file_size > MAX_RATIO * max(entry.compress_size, 1) and entry.file_size > 1024 * 1024:
            ratio = entry.file_size // max(entry.compress_size, 1)
            yield Reject(path, "too-large", f"inflates {ratio:,}x (a zip bomb?); refused", member=label)
            continue
        base = name.rsplit("/", 1)[-1]
        if base.startswith(".") or base in SKIPPED_NAMES or name.startswith("__MACOSX/"):
            continue
        yield Document(path, label, entry)
