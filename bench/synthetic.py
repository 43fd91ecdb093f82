"""Synthetic corpora for benchmarks: real trials cloned with new NCT ids, made on the fly."""

from __future__ import annotations

import re
from pathlib import Path

from kg.build import BuildConfig, build

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data" / "ctgov" / "v2-json"
NCT = re.compile(rb"NCT(\d{8})")


class ClonedTriples:
    """A file-like N-Triples stream of `copies` disjoint copies of the seed lines, made on the fly."""

    def __init__(self, lines: list[bytes], ids: dict[bytes, int], copies: int) -> None:
        self._lines, self._ids, self._copies, self._copy, self._buffer = lines, ids, copies, 0, b""
        self._trials = len(ids)

    def _chunk(self) -> bytes:
        offset = self._copy * self._trials
        self._copy += 1

        def renumber(match: re.Match[bytes]) -> bytes:
            return b"NCT%08d" % (10_000_000 + offset + self._ids[match.group(0)])

        return b"".join(NCT.sub(renumber, line) for line in self._lines)

    def read(self, size: int = -1) -> bytes:
        while (size < 0 or len(self._buffer) < size) and self._copy < self._copies:
            self._buffer += self._chunk()
        if size < 0:
            data, self._buffer = self._buffer, b""
        else:
            data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data


def seed_graph(folder: Path) -> tuple[list[bytes], dict[bytes, int]]:
    inputs = [str(SHARED)] if SHARED.is_dir() else [str(ROOT / "examples")]
    output = folder / "seed.nt"
    build(BuildConfig(inputs=inputs, output=output, rdf_format="nt"))
    lines = [
        line + b"\n"
        for line in output.read_bytes().splitlines()
        if b"/resource/build/" not in line and b"/resource/file/" not in line
    ]
    ids: dict[bytes, int] = {}
    for line in lines:
        for match in NCT.finditer(line):
            ids.setdefault(match.group(0), len(ids))
    return lines, ids


def write_clones(lines: list[bytes], ids: dict[bytes, int], trials: int, graph: Path) -> None:
    """An N-Triples file of about `trials` trials: as many disjoint copies of the seed as that takes."""
    with graph.open("wb") as out:
        stream = ClonedTriples(lines, ids, max(1, round(trials / len(ids))))
        while chunk := stream.read(1 << 24):
            out.write(chunk)
