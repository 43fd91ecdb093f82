"""A zip's members are listed from its central directory as zipfile lists them (names, where each
starts, sizes, method, CRC; directories left out), in name order, without a ZipInfo per member: ZIP64
archives (a registry download has ~600,000 members), bytes before the archive, old name encodings, and
a damaged directory refused with zipfile's own error."""

from __future__ import annotations

import warnings
import zipfile
from pathlib import Path

import pytest

from kg.sources.zip_listing import read_listing


def zipfiles_listing(path: Path) -> list[tuple[str, int, int, int, int, int]]:
    with zipfile.ZipFile(path) as archive:
        return sorted(
            (i.filename, i.header_offset, i.compress_size, i.file_size, i.compress_type, i.CRC)
            for i in archive.infolist()
            if not i.is_dir()
        )


def ours(path: Path) -> list[tuple[str, int, int, int, int, int]]:
    return [(name, *entry) for name, entry in read_listing(str(path))]


def write_members(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("b/NCT00000002.json", b'{"protocolSection": {}}' * 50, zipfile.ZIP_DEFLATED)
        archive.writestr("a/", b"")  # a directory
        archive.writestr("a/NCT00000001.json", b"{}", zipfile.ZIP_STORED)
        archive.writestr("same.json", b"first")
        with warnings.catch_warnings():  # zipfile warns of the duplicate name it writes
            warnings.simplefilter("ignore", UserWarning)
            archive.writestr("same.json", b"second, later in the archive")
        archive.writestr("\u00e9tude.json", b"{}")  # a UTF-8 name (flagged)
        archive.writestr("cut\0here.json", b"{}")  # a NUL ends the name, as zipfile reads it
        raw = zipfile.ZipInfo("caf\u00e9.json")
        archive.writestr(raw, b"{}")
    with zipfile.ZipFile(path, "a") as archive:  # an old tool's name: cp437 bytes, no UTF-8 flag
        info = zipfile.ZipInfo("x")
        info.filename = "\u00c7\u00fc.json"
        archive.writestr(info, b"{}")


def test_members_are_listed_as_zipfile_lists_them_in_name_order(tmp_path: Path) -> None:
    path = tmp_path / "mixed.zip"
    write_members(path)
    listed = ours(path)
    assert listed == zipfiles_listing(path)
    assert [name for name, *_ in listed].count("same.json") == 2 and "a/" not in [n for n, *_ in listed]


def test_a_zip64_archive_is_listed_as_zipfile_lists_it(tmp_path: Path, monkeypatch) -> None:
    """Written with zipfile's ZIP64 limits lowered, so a small archive has the ZIP64 end records and
    ZIP64 offsets in its directory, as one of more than 65,535 members has."""
    monkeypatch.setattr(zipfile, "ZIP64_LIMIT", 64)
    monkeypatch.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 2)
    path = tmp_path / "zip64.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for number in range(6):
            archive.writestr(f"NCT{number:08d}.json", b"x" * 100 * number, zipfile.ZIP_DEFLATED)
    monkeypatch.undo()
    assert b"PK\x06\x06" in path.read_bytes()  # the ZIP64 end record
    assert ours(path) == zipfiles_listing(path) and len(ours(path)) == 6


def test_bytes_before_the_archive_move_every_member(tmp_path: Path) -> None:
    plain = tmp_path / "plain.zip"
    write_members(plain)
    prefixed = tmp_path / "prefixed.zip"
    prefixed.write_bytes(b"#!/bin/sh\nexit 0\n" + plain.read_bytes())
    assert ours(prefixed) == zipfiles_listing(prefixed)
    assert ours(prefixed)[0][1] == ours(plain)[0][1] + len(b"#!/bin/sh\nexit 0\n")


def outcome(read, path: Path) -> object:
    try:
        return read(path)
    except zipfile.BadZipFile as error:
        return f"BadZipFile: {error}"


@pytest.mark.parametrize("damage", ["name-runs-past-the-directory", "bad-magic", "short-directory", "not-a-zip"])
def test_a_damaged_directory_is_read_or_refused_as_zipfile_does(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "damaged.zip"
    write_members(path)
    data = bytearray(path.read_bytes())
    last = data.rindex(b"PK\x01\x02")  # the last member's directory record
    end = data.rindex(b"PK\x05\x06")  # the end record
    if damage == "name-runs-past-the-directory":
        data[last + 28] = 0xFF
    elif damage == "bad-magic":
        data[last : last + 4] = b"PK\x09\x09"
    elif damage == "short-directory":
        data[end + 12] = (data[end + 12] + 30) % 256  # the directory's size, as the end record gives it
    else:
        data = bytearray(b"not a zip at all")
    path.write_bytes(bytes(data))
    expected = outcome(zipfiles_listing, path)
    assert outcome(ours, path) == expected
    if damage in ("bad-magic", "not-a-zip"):
        assert str(expected).startswith("BadZipFile")
