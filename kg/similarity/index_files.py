"""The recommendation index's files, and an index written into them a block of rows at a time.

A trial has ~600 stored features (the words and word pairs of its text), so a registry-scale index is
hundreds of millions of values: more than a build may hold in memory. `IndexBuilder` spills each trial's
features to disk as the build's workers hand them over, and `write` makes the index from there in three
passes over blocks of rows, writing every file front to back (never mapped, so written pages are the
page cache's, not the build's):

1. rows in NCT id order, with the MeSH hierarchy's features added and columns in feature-name order:
   `indices` and `counts`, and each feature's document frequency;
2. each block weighed into unit vectors (`data`), and each posting (feature, trial, value) appended to
   the bucket file of its feature's range;
3. each bucket sorted by feature: the posting lists (`postings_*`).

Memory holds one block of rows or one bucket, the vocabulary, and a few numbers a trial. The arrays are
exactly those `FeatureIndex._weighed` and `FeatureIndex.with_postings` compute in memory (the same
arithmetic on the same values in the same order).
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import tempfile
from array import array
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import numpy as np

from kg import __version__
from kg.similarity.features import KIND_WEIGHTS, TrialFeatures

if TYPE_CHECKING:
    from kg.similarity.index import FeatureIndex

INDEX_DIR = "recommend-index"
# Bumped whenever features are read differently: an index saved by another format is rebuilt, not used.
INDEX_FORMAT = 6
ENTRIES_PER_BLOCK = 1 << 20  # stored features a block of rows holds in passes 1 and 2 (~50 MB of work)
POSTINGS_PER_BUCKET = 1 << 22  # postings a bucket holds at most in pass 3 (~150 MB while sorted)
COLUMNS_PER_BUCKET = 1 << 16


class NpyFile:
    """A one-dimensional `.npy` file written front to back in pieces: the header is written first with
    room for any length, and rewritten with the real one when the file is closed."""

    HEADER_BYTES = 128

    def __init__(self, path: Path, dtype: np.dtype | type) -> None:
        self.path, self.dtype, self.length = path, np.dtype(dtype), 0
        self._file: BinaryIO = open(path, "wb")  # noqa: SIM115 - closed by close()
        self._file.write(self._header())

    def _header(self) -> bytes:
        described = {"descr": np.lib.format.dtype_to_descr(self.dtype), "fortran_order": False, "shape": (self.length,)}
        text = repr(described).ljust(self.HEADER_BYTES - 11) + "\n"
        return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode("latin-1")

    def write(self, values: np.ndarray) -> None:
        contiguous = np.ascontiguousarray(values, dtype=self.dtype)
        self._file.write(contiguous.data)
        self.length += len(contiguous)

    def close(self) -> None:
        self._file.seek(0)
        self._file.write(self._header())
        self._file.close()

    def read(self, start: int, count: int) -> np.ndarray:
        """`count` values from position `start` of the file (closed), read (not mapped) into memory."""
        return np.fromfile(
            self.path, dtype=self.dtype, count=count, offset=self.HEADER_BYTES + start * self.dtype.itemsize
        )


def save_array(folder: Path, name: str, values: np.ndarray, dtype: np.dtype | type) -> None:
    file = NpyFile(folder / f"{name}.npy", dtype)
    file.write(values)
    file.close()


def write_meta(
    folder: Path,
    trials: list[str],
    columns: int,
    kinds: list[str],
    labels: dict[int, str],
    postings_weights: dict[str, float] | None,
) -> None:
    meta = {
        "format": INDEX_FORMAT,
        "kg_version": __version__,
        "trials": trials,
        "columns": columns,
        "kinds": kinds,
        "labels": {str(j): label for j, label in sorted(labels.items())},
        "postings_weights": postings_weights,
    }
    (folder / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")


def start_folder(folder: Path) -> Path:
    """A temporary folder beside `folder`, to be renamed into place by `finish_folder`: the index is
    whole or absent."""
    temp = folder.with_name(folder.name + ".part")
    shutil.rmtree(temp, ignore_errors=True)
    temp.mkdir()
    return temp


def finish_folder(temp: Path, folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(temp, folder)


def text_offsets(lengths: list[int] | np.ndarray) -> np.ndarray:
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return offsets


def column_kinds(names: list[str]) -> tuple[list[str], np.ndarray]:
    """The kinds met (sorted) and each column's kind as an index into them."""
    kinds = sorted({name.partition(":")[0] for name in names})
    number = {kind: i for i, kind in enumerate(kinds)}
    return kinds, np.array([number[name.partition(":")[0]] for name in names], dtype=np.int16)


def feature_weights(kinds: list[str], column_kind: np.ndarray, df: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Each feature's shared-features weight (kind's base weight × log(1 + N / df)) and its BM25 idf."""
    base = np.array([KIND_WEIGHTS.get(k, 0.0) for k in kinds])[column_kind] if len(df) else np.zeros(0)
    weights = base * np.log(1 + max(n, 1) / np.maximum(df, 1))
    idf = np.log(1 + (n - df + 0.5) / (df + 0.5))
    return weights, idf


def unit_values(
    indices: np.ndarray, indptr: np.ndarray, raw: np.ndarray, idf: np.ndarray, column_kind: np.ndarray, kind_count: int
) -> np.ndarray:
    """Rows of raw counts (`indptr` from 0) weighed and made unit length per kind: float32 values."""
    rows = len(indptr) - 1
    if not len(indices):
        return np.zeros(0, dtype=np.float32)
    data = (1.0 + np.log(np.asarray(raw, dtype=np.float64))) * idf[indices]
    key = np.repeat(np.arange(rows), np.diff(indptr)) * max(kind_count, 1) + column_kind[indices]
    lengths = np.sqrt(np.bincount(key, weights=data * data, minlength=rows * max(kind_count, 1)))[key]
    values: np.ndarray = np.divide(data, lengths, out=np.zeros_like(data), where=lengths > 0).astype(np.float32)
    return values


def kind_scale(kinds: list[str], kind_weights: dict[str, float]) -> np.ndarray:
    """√weight of each kind (0 for kinds the hybrid leaves out): scaled rows' dot product is the hybrid."""
    scale: np.ndarray = np.sqrt(np.array([max(kind_weights.get(kind, 0.0), 0.0) for kind in kinds]))
    return scale


class IndexBuilder:
    """Each trial's features spilled to disk as met (columns numbered as met), then written as an index.

    The spill lives in `folder` (made here, removed by `write` or `discard`); without one, in a
    temporary folder. The MeSH hierarchy given by `add_hierarchy` is applied to every row when written."""

    def __init__(self, folder: Path | None = None) -> None:
        if folder is None:
            folder = Path(tempfile.mkdtemp(prefix="kg-index-"))
        else:
            folder.mkdir(parents=True)
        self.folder = folder
        self.vocabulary: dict[str, int] = {}
        self.labels: dict[str, str] = {}  # the smallest label met: the same in any order of arrival
        self.trials: list[str] = []
        self._above: dict[str, dict[str, str]] = {}
        self._row_lengths = array("q")
        self._title_lengths = array("q")
        self._base: _EarlierIndex | None = None
        self._columns: BinaryIO = open(folder / "columns.i32", "wb")  # noqa: SIM115 - closed by write
        self._counts: BinaryIO = open(folder / "counts.f32", "wb")  # noqa: SIM115
        self._titles: BinaryIO = open(folder / "titles.utf8", "wb")  # noqa: SIM115

    def add(self, features: TrialFeatures) -> None:
        number = self.vocabulary.setdefault
        for nct in features.trial_ids():
            own, tally = features.trials[nct], features.counts.get(nct, {})
            self.trials.append(nct)
            title = features.titles.get(nct, "").encode("utf-8")
            self._titles.write(title)
            self._title_lengths.append(len(title))
            columns = np.fromiter((number(f, len(self.vocabulary)) for f in own), np.int32, len(own))
            self._columns.write(columns.data)
            self._counts.write(np.fromiter((tally.get(f, 1) for f in own), np.float32, len(own)).data)
            self._row_lengths.append(len(own))
        for feature, label in features.labels.items():
            self._keep_label(feature, label)

    def add_hierarchy(self, above: dict[str, dict[str, str]]) -> None:
        """Each MeSH concept's concepts higher up (`kg.model.mesh.hierarchy_above`), given to every row's
        `mesh` features as `mesh-ancestor` features when the index is written: the graph's hierarchy is
        known only once every trial is built; a walk of the finished store finds the same features."""
        self._above = above

    def _keep_label(self, feature: str, label: str) -> None:
        known = self.labels.get(feature)
        if known is None or label < known:  # the same whatever order trials arrive in
            self.labels[feature] = label

    def discard(self) -> None:
        for file in (self._columns, self._counts, self._titles):
            file.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def keep(self, folder: Path, earlier: FeatureIndex, replaced: Collection[str]) -> None:
        """Have `write` put in the rows of an earlier index (saved in `folder`), but those of `replaced`
        trials and of trials added here: what `kg build --update` saves. Weights and unit
        vectors are computed again over every row from the raw counts, so the result equals an index
        built from scratch; the earlier rows are read from its files, never re-read from the store."""
        self._base = _EarlierIndex(folder, earlier, set(replaced))

    def write(self, folder: Path, postings_weights: dict[str, float] | None) -> None:
        """The index of every trial added (and kept), into `folder` (whole or absent); with the hybrid's
        posting lists for `postings_weights` unless None. The spill is removed either way."""
        try:
            for file in (self._columns, self._counts, self._titles):
                file.close()
            temp = start_folder(folder)
            ancestors = self._hierarchy_columns()
            base = self._base
            if base is not None:
                base.dropped.update(self.trials)
            names = sorted(set(self.vocabulary).union(base.used_names() if base is not None else ()))
            column = {name: j for j, name in enumerate(names)}
            renumber = np.fromiter((column[f] for f in self.vocabulary), np.int32, len(self.vocabulary))
            trials, indptr, df, stored = self._sorted_rows(temp, ancestors, renumber, column)
            kinds, column_kind = column_kinds(names)
            weights, idf = feature_weights(kinds, column_kind, df, len(trials))
            scale = kind_scale(kinds, postings_weights) if postings_weights is not None else None
            posted = _weighed_rows(temp, stored, indptr, df, idf, column_kind, len(kinds), scale)
            if posted is not None:
                save_array(temp, "postings_indptr", text_offsets(posted), np.int64)
            save_array(temp, "indptr", indptr, np.int64)
            save_array(temp, "weights", weights, np.float64)
            save_array(temp, "column_kind", column_kind, np.int16)
            encoded = [name.encode("utf-8") for name in names]
            save_array(temp, "name_blob", np.frombuffer(b"".join(encoded), dtype=np.uint8), np.uint8)
            save_array(temp, "name_offsets", text_offsets([len(e) for e in encoded]), np.int64)
            labelled = {name: label for name, label in self.labels.items() if label != name.partition(":")[2]}
            if base is not None:
                labelled.update(base.labels())  # as before, where it was
            labels = {column[name]: label for name, label in labelled.items() if name in column}
            write_meta(temp, trials, len(names), kinds, labels, postings_weights if posted is not None else None)
            finish_folder(temp, folder)
        finally:
            self.discard()

    def _hierarchy_columns(self) -> dict[int, list[tuple[int, str, str]]]:
        """Each `mesh` column's ancestors as (`mesh-ancestor` column, feature, label), numbered into the
        vocabulary."""
        ancestors: dict[int, list[tuple[int, str, str]]] = {}
        number = self.vocabulary.setdefault
        for name, column in list(self.vocabulary.items()):
            above = self._above.get(name[5:]) if name.startswith("mesh:") else None
            if above:
                features = [f"mesh-ancestor:{key}" for key in above]
                ancestors[column] = [
                    (number(feature, len(self.vocabulary)), feature, label)
                    for feature, label in zip(features, above.values(), strict=True)
                ]
        return ancestors

    def _sorted_rows(
        self,
        temp: Path,
        ancestors: dict[int, list[tuple[int, str, str]]],
        renumber: np.ndarray,
        column: dict[str, int],
    ) -> tuple[list[str], np.ndarray, np.ndarray, tuple[NpyFile, NpyFile]]:
        """Pass 1: rows in NCT id order (the earlier index's kept rows among them), with their hierarchy
        features, columns renumbered and sorted: `indices`, `counts`, titles; returns the sorted trials,
        the row pointers, each column's df and the (closed) `indices` and `counts` files."""
        base = self._base
        rows = [(nct, False, i) for i, nct in enumerate(self.trials)]
        if base is not None:
            rows += [(nct, True, i) for i, nct in enumerate(base.index.trials) if nct not in base.dropped]
        rows.sort()
        spilled = _RowFiles(self.folder / "columns.i32", self.folder / "counts.f32", self._row_lengths)
        earlier = base.rows() if base is not None else None
        old_renumber = base.renumbered(column) if base is not None else None
        title_starts = text_offsets(np.frombuffer(self._title_lengths, dtype=np.int64))
        has_ancestors = np.zeros(len(self.vocabulary), dtype=bool)
        has_ancestors[list(ancestors)] = True
        indices_file, counts_file = NpyFile(temp / "indices.npy", np.int32), NpyFile(temp / "counts.npy", np.float32)
        title_file = NpyFile(temp / "title_blob.npy", np.uint8)
        lengths: list[np.ndarray] = []  # entries a row, then title bytes a row: a few numbers a trial
        title_lengths: list[np.ndarray] = []
        df = np.zeros(len(column), dtype=np.int64)
        block: list[tuple[np.ndarray, np.ndarray, bytes]] = []
        held = 0

        def flush() -> None:
            nonlocal block, held
            indices = np.concatenate([columns for columns, _, _ in block])
            indices_file.write(indices)
            counts_file.write(np.concatenate([counts for _, counts, _ in block]))
            title_file.write(np.frombuffer(b"".join(titles for _, _, titles in block), np.uint8))
            df[:] += np.bincount(indices, minlength=len(df))
            block, held = [], 0

        try:
            with open(self.folder / "titles.utf8", "rb") as titles_in:
                for is_earlier, first, stop in _runs(rows, base):
                    if is_earlier:  # a run of the earlier index's rows, read at once
                        assert earlier is not None and old_renumber is not None and base is not None
                        old_columns, counts = earlier.rows_between(first, stop)
                        columns = old_renumber[old_columns]  # names kept in order: each row stays sorted
                        lengths.append(np.diff(earlier.starts[first : stop + 1]))
                        titles, title_run = base.titles_between(first, stop)
                        title_lengths.append(title_run)
                    else:
                        vocabulary_columns, counts = spilled.rows_between(first, stop)
                        if ancestors and has_ancestors[vocabulary_columns].any():
                            vocabulary_columns, counts = self._with_ancestors(vocabulary_columns, counts, ancestors)
                        columns = renumber[vocabulary_columns]
                        sort = np.argsort(columns)
                        columns, counts = columns[sort], counts[sort]
                        lengths.append(np.array([len(columns)], dtype=np.int64))
                        title_start, title_stop = int(title_starts[first]), int(title_starts[stop])
                        titles = os.pread(titles_in.fileno(), title_stop - title_start, title_start)
                        title_lengths.append(np.array([len(titles)], dtype=np.int64))
                    block.append((columns, counts, titles))
                    held += len(columns)
                    if held >= ENTRIES_PER_BLOCK:
                        flush()
                if block:
                    flush()
        finally:
            spilled.close()
            if earlier is not None:
                earlier.close()
        for file in (indices_file, counts_file, title_file):
            file.close()
        save_array(temp, "title_offsets", text_offsets(_joined(title_lengths)), np.int64)
        return (
            [nct for nct, _, _ in rows],
            text_offsets(_joined(lengths)),
            df.astype(np.float64),
            (indices_file, counts_file),
        )

    def _with_ancestors(
        self, columns: np.ndarray, counts: np.ndarray, ancestors: dict[int, list[tuple[int, str, str]]]
    ) -> tuple[np.ndarray, np.ndarray]:
        own = set(columns.tolist())
        added: dict[int, tuple[str, str]] = {}
        for column in own:
            for ancestor, feature, label in ancestors.get(column, ()):
                if ancestor not in own and (ancestor not in added or label < added[ancestor][1]):
                    added[ancestor] = (feature, label)
        if not added:
            return columns, counts
        for feature, label in added.values():
            self._keep_label(feature, label)
        extra = np.fromiter(added, np.int32, len(added))
        return np.concatenate([columns, extra]), np.concatenate([counts, np.ones(len(added), np.float32)])


def _weighed_rows(
    temp: Path,
    stored: tuple[NpyFile, NpyFile],
    indptr: np.ndarray,
    df: np.ndarray,
    idf: np.ndarray,
    column_kind: np.ndarray,
    kind_count: int,
    scale: np.ndarray | None,
) -> np.ndarray | None:
    """Passes 2 and 3: `data` (unit vectors), and with `scale` the posting lists; returns how many
    postings each feature has (None without postings)."""
    indices_file, counts_file = stored
    data_file = NpyFile(temp / "data.npy", np.float32)
    n = len(indptr) - 1
    if scale is not None:
        posted_df = np.where(scale[column_kind] > 0, df, 0) if len(df) else np.zeros(0)
        bounds = _bucket_bounds(posted_df, POSTINGS_PER_BUCKET)
        buckets = _Buckets(temp, bounds)
        posted = np.zeros(len(df), dtype=np.int64)
    start_row = 0
    while start_row < n:
        stop_row = int(np.searchsorted(indptr, indptr[start_row] + ENTRIES_PER_BLOCK, side="right")) - 1
        stop_row = min(max(stop_row, start_row + 1), n)
        first, last = int(indptr[start_row]), int(indptr[stop_row])
        indices = indices_file.read(first, last - first)
        local_indptr = indptr[start_row : stop_row + 1] - first
        values = unit_values(indices, local_indptr, counts_file.read(first, last - first), idf, column_kind, kind_count)
        data_file.write(values)
        if scale is not None:
            kept = (values != 0) & (scale[column_kind[indices]] != 0)  # what `FeatureIndex.scaled` keeps
            rows = np.repeat(np.arange(start_row, stop_row, dtype=np.int32), np.diff(local_indptr))[kept]
            buckets.add(indices[kept], rows, values[kept])
            posted += np.bincount(indices[kept], minlength=len(posted))
        start_row = stop_row
    data_file.close()
    if scale is None:
        return None
    buckets.write_postings(temp, scale[column_kind])
    return posted


def _runs(rows: list[tuple[str, bool, int]], base: _EarlierIndex | None) -> Iterator[tuple[bool, int, int]]:
    """The rows in order as (from the earlier index?, first row, stop row): the earlier index's rows that
    follow each other there and here make one run (of at most ENTRIES_PER_BLOCK entries), read at once."""
    starts = np.asarray(base.index.vectors.indptr, dtype=np.int64) if base is not None else np.zeros(1, np.int64)
    run: tuple[bool, int, int] | None = None
    for _, is_earlier, row in rows:
        if run is not None and is_earlier and run[0] and run[2] == row:
            if starts[row + 1] - starts[run[1]] <= ENTRIES_PER_BLOCK:
                run = (True, run[1], row + 1)
                continue
        if run is not None:
            yield run
        run = (is_earlier, row, row + 1)
    if run is not None:
        yield run


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def npy_data_offset(path: Path) -> int:
    """Where an `.npy` file's values start (after its header)."""
    with open(path, "rb") as file:
        major, _ = np.lib.format.read_magic(file)
        if major == 1:
            np.lib.format.read_array_header_1_0(file)
        else:
            np.lib.format.read_array_header_2_0(file)
        return file.tell()


class _RowFiles:
    """Rows of (columns as int32, counts as float32) read from two files without mapping them."""

    def __init__(self, columns: Path, counts: Path, row_lengths: array[int] | np.ndarray, start: int = 0) -> None:
        self._starts = text_offsets(np.asarray(row_lengths, dtype=np.int64))
        self._columns, self._counts = os.open(columns, os.O_RDONLY), os.open(counts, os.O_RDONLY)
        self._columns_at = npy_data_offset(columns) if columns.suffix == ".npy" else start
        self._counts_at = npy_data_offset(counts) if counts.suffix == ".npy" else start

    @property
    def starts(self) -> np.ndarray:
        return self._starts

    def rows_between(self, first: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        """Rows `first` to `stop` (excluded), their entries end to end."""
        start, size = int(self._starts[first]) * 4, int(self._starts[stop] - self._starts[first]) * 4
        columns = np.frombuffer(os.pread(self._columns, size, self._columns_at + start), dtype=np.int32)
        counts = np.frombuffer(os.pread(self._counts, size, self._counts_at + start), dtype=np.float32)
        return columns, counts

    def row(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        return self.rows_between(i, i + 1)

    def close(self) -> None:
        os.close(self._columns)
        os.close(self._counts)


class _EarlierIndex:
    """A saved index whose rows an update keeps (but those of `dropped` trials)."""

    def __init__(self, folder: Path, index: FeatureIndex, dropped: set[str]) -> None:
        self.folder, self.index, self.dropped = folder, index, dropped
        self.names = index.names.strings()

    def rows(self) -> _RowFiles:
        lengths = np.diff(np.asarray(self.index.vectors.indptr, dtype=np.int64))
        return _RowFiles(self.folder / "indices.npy", self.folder / "counts.npy", lengths)

    def titles_between(self, first: int, stop: int) -> tuple[bytes, np.ndarray]:
        """Rows `first` to `stop` (excluded): their titles end to end, and each one's length in bytes."""
        offsets = np.asarray(self.index.titles.offsets[first : stop + 1], dtype=np.int64)
        return bytes(self.index.titles.blob[int(offsets[0]) : int(offsets[-1])]), np.diff(offsets)

    def used_names(self) -> list[str]:
        """The features some kept row has (read a block at a time; the dropped rows' taken off)."""
        names = self.names
        indices = self.folder / "indices.npy"
        offset, total = npy_data_offset(indices), int(self.index.vectors.indptr[-1])
        used = np.zeros(len(names), dtype=np.int64)
        for start in range(0, total, ENTRIES_PER_BLOCK):
            count = min(ENTRIES_PER_BLOCK, total - start)
            used += np.bincount(np.fromfile(indices, np.int32, count, offset=offset + 4 * start), minlength=len(names))
        rows = self.rows()
        try:
            for i, nct in enumerate(self.index.trials):
                if nct in self.dropped:
                    used -= np.bincount(rows.row(i)[0], minlength=len(names))
        finally:
            rows.close()
        return [name for name, count in zip(names, used.tolist(), strict=True) if count > 0]

    def renumbered(self, column: dict[str, int]) -> np.ndarray:
        """Each earlier column's number among the new names (-1: no kept row has it)."""
        return np.fromiter((column.get(name, -1) for name in self.names), np.int32, len(self.names))

    def labels(self) -> dict[str, str]:
        return {self.index.names[j]: label for j, label in self.index.labels.items()}


POSTING = np.dtype([("column", "<i4"), ("row", "<i4"), ("value", "<f4")])  # the unit vector's value


def _bucket_bounds(column_postings: np.ndarray, per_bucket: int) -> np.ndarray:
    """First column of each bucket: consecutive columns holding at most `per_bucket` postings (or one
    column, if it alone holds more), and at most COLUMNS_PER_BUCKET columns, so that a bucket's columns
    sort as 16-bit numbers (numpy's stable sort of those is a radix sort). At most 65,536 buckets."""
    bounds = [0]
    total = 0
    for column, count in enumerate(column_postings.tolist()):
        if (total + count > per_bucket and column > bounds[-1]) or column - bounds[-1] >= COLUMNS_PER_BUCKET:
            bounds.append(column)
            total = 0
        total += count
    if len(bounds) > 1 << 16:
        raise ValueError(f"{len(bounds)} posting buckets: more than 16-bit bucket numbers hold")
    return np.array(bounds, dtype=np.int64)


class _Buckets:
    """Postings appended to one file per range of columns, rows ascending within each (each file opened
    for a block's append alone: however many buckets, few files are open)."""

    def __init__(self, temp: Path, bounds: np.ndarray) -> None:
        self.bounds = bounds
        self.paths = [temp / f"postings-{b}.bucket" for b in range(len(bounds))]
        for path in self.paths:
            path.write_bytes(b"")

    def add(self, columns: np.ndarray, rows: np.ndarray, values: np.ndarray) -> None:
        records = np.empty(len(columns), dtype=POSTING)
        records["column"], records["row"], records["value"] = columns, rows, values
        if len(self.bounds) == 1:
            edges = np.array([0, len(records)])
        else:  # a stable sort of 16-bit bucket numbers is a radix sort: rows stay ascending in each
            bucket = (np.searchsorted(self.bounds, columns, side="right") - 1).astype(np.uint16)
            order = np.argsort(bucket, kind="stable")
            edges = np.searchsorted(bucket[order], np.arange(len(self.bounds) + 1))
            records = records[order]
        for b in range(len(self.bounds)):
            if edges[b + 1] > edges[b]:
                with open(self.paths[b], "ab") as bucket_file:
                    bucket_file.write(records[edges[b] : edges[b + 1]].data)

    def write_postings(self, temp: Path, column_scale: np.ndarray) -> None:
        """Each bucket sorted by column (stable: rows stay ascending) onto the end of the posting files,
        each value scaled by its column's kind (in float64, as `FeatureIndex.scaled` does)."""
        rows_file = NpyFile(temp / "postings_indices.npy", np.int32)
        values_file = NpyFile(temp / "postings_data.npy", np.float64)
        for path, first_column in zip(self.paths, self.bounds.tolist(), strict=True):
            records = np.fromfile(path, dtype=POSTING)
            order = np.argsort((records["column"] - first_column).astype(np.uint16), kind="stable")
            rows_file.write(records["row"][order])
            columns = records["column"][order]
            values_file.write(records["value"][order].astype(np.float64) * column_scale[columns])
            path.unlink()
        rows_file.close()
        values_file.close()
