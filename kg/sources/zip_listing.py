"""A zip archive's members, read from its central directory straight into arrays.

`zipfile.ZipFile` makes a ZipInfo per member (~600 bytes: ~360 MB for a registry download of 600,000
studies, while the directory is read) and a build lists the archive in both passes. This reads the same
directory the way zipfile does (its end record, ZIP64, bytes before the archive, name encodings, the same
errors) into ~40 bytes a member, and gives the members in name order.
"""

from __future__ import annotations

import os
import struct
import zipfile
from array import array
from collections.abc import Iterator
from typing import NamedTuple

import numpy as np

_CENTRAL = struct.Struct(zipfile.structCentralDir)  # type: ignore[attr-defined]
_ZIP64_EXTRA = 0x0001
_UNKNOWN_32 = 0xFFFF_FFFF
_BLOCK = 4096


class ZipEntry(NamedTuple):
    """Where a zip member's bytes are, from the archive's central directory, so a worker can read a
    member without loading the whole directory."""

    header_offset: int
    compress_size: int
    file_size: int
    compress_type: int
    crc: int


class ZipListing:
    """The members of one archive (directories left out), sorted by name, then by where they start."""

    def __init__(self, names: list[str], fields: np.ndarray) -> None:
        """`fields`: a row per name: header offset, compressed size, size, method, CRC."""
        if max(map(len, names), default=0) <= 64:  # registry names are short: sorted by numpy
            order = np.lexsort((fields[:, 0], np.array(names, dtype=str))).tolist()
        else:
            order = sorted(range(len(names)), key=lambda i: (names[i], int(fields[i, 0])))
        encoded = [names[i].encode("utf-8", "surrogatepass") for i in order]
        self._ends = np.cumsum([len(name) for name in encoded], dtype=np.int64)
        self._blob = b"".join(encoded)
        self._fields = fields[order] if order else fields

    def __len__(self) -> int:
        return len(self._ends)

    def __iter__(self) -> Iterator[tuple[str, ZipEntry]]:
        start = 0
        for block in range(0, len(self), _BLOCK):  # a block's rows made Python values at once
            ends = self._ends[block : block + _BLOCK].tolist()
            for end, row in zip(ends, self._fields[block : block + _BLOCK].tolist(), strict=True):
                yield self._blob[start:end].decode("utf-8", "surrogatepass"), ZipEntry(*row)
                start = end


def read_listing(path: str) -> ZipListing:
    """The archive's members; raises zipfile.BadZipFile (or OSError, ValueError, NotImplementedError)
    where `zipfile.ZipFile(path)` would."""
    with open(path, "rb") as stream:
        try:
            end = zipfile._EndRecData(stream)  # type: ignore[attr-defined]  # zipfile's own reader of the end record
        except OSError:
            raise zipfile.BadZipFile("File is not a zip file") from None
        if not end:
            raise zipfile.BadZipFile("File is not a zip file")
        size, offset = end[zipfile._ECD_SIZE], end[zipfile._ECD_OFFSET]  # type: ignore[attr-defined]
        before = end[zipfile._ECD_LOCATION] - size - offset  # type: ignore[attr-defined]  # bytes before the archive
        if end[zipfile._ECD_SIGNATURE] == zipfile.stringEndArchive64:  # type: ignore[attr-defined]
            before -= zipfile.sizeEndCentDir64 + zipfile.sizeEndCentDir64Locator  # type: ignore[attr-defined]
        if offset + before < 0:
            raise zipfile.BadZipFile("Bad offset for central directory")
        stream.seek(offset + before)
        directory = stream.read(size)
    names: list[str] = []
    columns = array("q")  # five values a member, as `ZipListing` keeps them
    at = 0
    while at < size:
        if len(directory) - at < _CENTRAL.size:
            raise zipfile.BadZipFile("Truncated central directory")
        record = _CENTRAL.unpack_from(directory, at)
        if record[0] != zipfile.stringCentralDir:  # type: ignore[attr-defined]
            raise zipfile.BadZipFile("Bad magic number for central directory")
        name_length, extra_length, comment_length = record[12], record[13], record[14]
        start = at + _CENTRAL.size
        raw_name = directory[start : start + name_length]
        name = raw_name.decode("utf-8") if record[5] & zipfile._MASK_UTF_FILENAME else raw_name.decode("cp437")  # type: ignore[attr-defined]
        if record[3] > zipfile.MAX_EXTRACT_VERSION:
            raise NotImplementedError(f"zip file version {record[3] / 10:.1f}")
        extra = directory[start + name_length : start + name_length + extra_length]
        crc, compressed, file_size, header_offset = record[9], record[10], record[11], record[18]
        file_size, compressed, header_offset = _zip64_values(extra, file_size, compressed, header_offset)
        name = name.split("\0", 1)[0].replace(os.sep, "/")  # as ZipInfo names it
        if not name.endswith("/"):  # a directory
            names.append(name)
            columns.extend((header_offset + before, compressed, file_size, record[6], crc))
        at = start + name_length + extra_length + comment_length
    return ZipListing(names, np.frombuffer(columns, dtype=np.int64).reshape(len(names), 5))


def _zip64_values(extra: bytes, file_size: int, compressed: int, header_offset: int) -> tuple[int, int, int]:
    """The sizes and offset a ZIP64 extra field gives for those the directory marks unknown, read as
    `ZipInfo._decodeExtra` reads them."""
    while len(extra) >= 4:
        kind, length = struct.unpack("<HH", extra[:4])
        if length + 4 > len(extra):
            raise zipfile.BadZipFile(f"Corrupt extra field {kind:04x} (size={length})")
        if kind == _ZIP64_EXTRA:
            data, field = extra[4 : length + 4], ""
            try:
                if file_size in (0xFFFF_FFFF_FFFF_FFFF, _UNKNOWN_32):
                    field = "File size"
                    (file_size,), data = struct.unpack("<Q", data[:8]), data[8:]
                if compressed == _UNKNOWN_32:
                    field = "Compress size"
                    (compressed,), data = struct.unpack("<Q", data[:8]), data[8:]
                if header_offset == _UNKNOWN_32:
                    field = "Header offset"
                    (header_offset,) = struct.unpack("<Q", data[:8])
            except struct.error:
                raise zipfile.BadZipFile(f"Corrupt zip64 extra field. {field} not found.") from None
        extra = extra[length + 4 :]
    return file_size, compressed, header_offset
