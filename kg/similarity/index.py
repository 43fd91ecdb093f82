"""The trial–feature index: every trial's features as arrays, built once and kept with the store.

Reading features from a graph costs SPARQL and tokenizing every trial (minutes at registry scale), so it
is done when a store is built, loaded or updated, and the result is saved inside that store generation
(`recommend-index/`, swapped in with it). `kg recommend` and `kg serve` then map the arrays from disk
(numpy `mmap`) and answer in milliseconds. A `--graph FILE`, or a store made by an earlier kg, gets the
same index built on the fly. The files are written a block of rows at a time (`kg.similarity.index_files`),
so no build or update holds the whole index in memory.

Arrays, rows in NCT id order and columns in feature-name order:

- `vectors`: trials × features, float32; per feature kind each row has length one (BM25 idf of the
  feature, times `1 + log(count)` for words). The `hybrid` cosine of a kind is the dot product of rows.
- `counts`: the raw count behind each stored value (a word's count in the trial's text, 1 for any other
  feature), so an update re-weighs every row without reading unchanged trials again.
- `postings_*`: features × trials, the `hybrid` vectors (scaled by the shipped kind weights) transposed,
  so one recommendation reads only the posting lists of the query's own features and `--all` multiplies
  blocks of queries by it, with nothing to compute when the index is mapped.
- `weights`: each feature's shared-features weight (its kind's base weight × `log(1 + N / df)`).
- `column_kind`: each feature's kind, an index into `kinds`.
- feature names, trial ids and titles as UTF-8 text with offsets; `labels` (JSON) where a feature's
  readable label differs from its key (a MeSH id's name, a sponsor's spelling).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyoxigraph
from scipy import sparse

from kg import __version__
from kg.similarity.features import TrialFeatures, features_of, read_features
from kg.similarity.hybrid import shipped_weights
from kg.similarity.index_files import (
    INDEX_DIR,
    INDEX_FORMAT,
    IndexBuilder,
    column_kinds,
    feature_weights,
    kind_scale,
    text_offsets,
    unit_values,
)
from kg.similarity.walk import trial_chunks

__all__ = ["INDEX_DIR", "FeatureIndex", "IndexBuilder", "Texts", "index_of_store", "saved_index", "write_store_index"]


class Texts:
    """Strings stored as one UTF-8 blob and offsets: loads without building a Python object per string."""

    def __init__(self, blob: np.ndarray, offsets: np.ndarray) -> None:
        self.blob = blob
        self.offsets = offsets

    @classmethod
    def of(cls, strings: list[str]) -> Texts:
        encoded = [s.encode("utf-8") for s in strings]
        return cls(np.frombuffer(b"".join(encoded), dtype=np.uint8), text_offsets([len(e) for e in encoded]))

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i: int) -> str:
        return bytes(self.blob[self.offsets[i] : self.offsets[i + 1]]).decode("utf-8")

    def __iter__(self) -> Iterator[str]:
        return iter(self.strings())

    def strings(self) -> list[str]:
        """All of them at once (one copy of the blob, not one array access per string)."""
        raw, bounds = bytes(self.blob), self.offsets.tolist()
        return [raw[start:end].decode("utf-8") for start, end in zip(bounds, bounds[1:], strict=False)]

    def position(self, text: str) -> int | None:
        """Where `text` is, for sorted strings (binary search), or None."""
        low, high = 0, len(self)
        while low < high:
            middle = (low + high) // 2
            if self[middle] < text:
                low = middle + 1
            else:
                high = middle
        return low if low < len(self) and self[low] == text else None


@dataclass
class FeatureIndex:
    trials: list[str]
    titles: Texts
    names: Texts
    kinds: list[str]
    column_kind: np.ndarray
    labels: dict[int, str]
    weights: np.ndarray
    vectors: sparse.csr_matrix
    counts: np.ndarray  # each stored feature's raw count in its trial (1 for a set feature): for updates
    # features × trials, the hybrid's scaled vectors transposed (a posting list per feature), made with
    # `postings_weights`: a query touches only the trials that share one of its features.
    postings: sparse.csr_matrix | None = None
    postings_weights: dict[str, float] | None = None

    def name(self, column: int) -> str:
        return self.names[column]

    def label(self, column: int) -> str:
        return self.labels.get(column) or self.names[column].partition(":")[2]

    def kind(self, column: int) -> str:
        return self.kinds[int(self.column_kind[column])]

    def columns_of(self, row: int) -> np.ndarray:
        indices: np.ndarray = self.vectors.indices[self.vectors.indptr[row] : self.vectors.indptr[row + 1]]
        return indices

    def scaled(self, kind_weights: dict[str, float], rows: np.ndarray | None = None) -> sparse.csr_matrix:
        """The per-kind unit vectors (of `rows`, or all), each feature scaled by √weight(its kind) (float64,
        kinds of weight 0 dropped): since kinds never share a column, the dot product of two rows is
        Σ weight(kind) × cosine(kind), the hybrid score."""
        vectors = self.vectors if rows is None else self.vectors[rows]
        scale = kind_scale(self.kinds, kind_weights)
        indices = np.asarray(vectors.indices)
        data = np.asarray(vectors.data, dtype=np.float64) * scale[np.asarray(self.column_kind)[indices]]
        kept = data != 0
        counted = np.repeat(np.arange(vectors.shape[0]), np.diff(vectors.indptr))[kept]
        indptr = np.zeros(vectors.shape[0] + 1, dtype=np.int64)
        np.cumsum(np.bincount(counted, minlength=vectors.shape[0]), out=indptr[1:])
        return sparse.csr_matrix((data[kept], indices[kept], indptr), shape=vectors.shape)

    def with_postings(self, kind_weights: dict[str, float]) -> FeatureIndex:
        """This index with the hybrid's posting lists for these weights (what a store generation saves)."""
        self.postings = self.scaled(kind_weights).T.tocsr()
        self.postings_weights = dict(kind_weights)
        return self

    @classmethod
    def of_features(cls, features: TrialFeatures) -> FeatureIndex:
        trials = features.trial_ids()
        names = sorted({f for fs in features.trials.values() for f in fs})
        counts = _counts_of(features, trials, {f: j for j, f in enumerate(names)}, len(names))
        labels = _differing_labels(features, names)
        return cls._weighed(trials, [features.titles.get(nct, "") for nct in trials], names, labels, counts)

    @classmethod
    def _weighed(
        cls, trials: list[str], titles: list[str], names: list[str], labels: dict[int, str], counts: sparse.csr_matrix
    ) -> FeatureIndex:
        """Weights and unit vectors from raw counts (trials × features, rows in `trials` order)."""
        kinds, column_kind = column_kinds(names)
        index_array, indptr, raw = counts.indices.astype(np.int32), counts.indptr.astype(np.int64), counts.data
        n, m = len(trials), len(names)
        df = np.bincount(index_array, minlength=m).astype(np.float64)
        weights, idf = feature_weights(kinds, column_kind, df, n)
        data = unit_values(index_array, indptr, raw, idf, column_kind, len(kinds))
        vectors = sparse.csr_matrix((data, index_array, indptr), shape=(n, m))
        return cls(
            trials, Texts.of(titles), Texts.of(names), kinds, column_kind, labels, weights, vectors,
            np.asarray(raw, dtype=np.float32),
        )  # fmt: skip

    @classmethod
    def load(cls, folder: Path) -> FeatureIndex | None:
        """The index saved in `folder`, its arrays mapped from disk; None when absent or of another format."""
        try:
            meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
            if meta.get("format") != INDEX_FORMAT or meta.get("kg_version") != __version__:
                return None

            def array(name: str) -> np.ndarray:
                loaded: np.ndarray = np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False)
                return loaded

            trials = list(meta["trials"])
            postings = None
            if meta.get("postings_weights") is not None:
                postings = sparse.csr_matrix(
                    (array("postings_data"), array("postings_indices"), array("postings_indptr")),
                    shape=(int(meta["columns"]), len(trials)),
                )
            vectors = sparse.csr_matrix(
                (array("data"), array("indices"), array("indptr")), shape=(len(trials), int(meta["columns"]))
            )
            return cls(
                trials,
                Texts(array("title_blob"), array("title_offsets")),
                Texts(array("name_blob"), array("name_offsets")),
                list(meta["kinds"]),
                array("column_kind"),
                {int(j): label for j, label in meta["labels"].items()},
                array("weights"),
                vectors,
                array("counts"),
                postings,
                meta.get("postings_weights") if postings is not None else None,
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None


def _counts_of(features: TrialFeatures, trials: list[str], column: dict[str, int], width: int) -> sparse.csr_matrix:
    """Raw counts, trials × features: a word's count in the trial's text, 1 for any other feature."""
    indptr = np.zeros(len(trials) + 1, dtype=np.int64)
    parts: list[np.ndarray] = []
    tallies: list[np.ndarray] = []
    for i, nct in enumerate(trials):
        own, tally = features.trials[nct], features.counts.get(nct, {})
        found = np.fromiter((column[f] for f in own), dtype=np.int32, count=len(own))
        order = np.argsort(found)
        parts.append(found[order])
        tallies.append(np.fromiter((tally.get(f, 1) for f in own), dtype=np.float64, count=len(own))[order])
        indptr[i + 1] = indptr[i] + len(own)
    indices = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)
    data = np.concatenate(tallies) if tallies else np.zeros(0)
    return sparse.csr_matrix((data, indices, indptr), shape=(len(trials), width))


def _differing_labels(features: TrialFeatures, names: list[str]) -> dict[int, str]:
    """Column -> readable label, where it differs from the feature's key (a MeSH id's name, a spelling)."""
    return {
        j: features.labels[f]
        for j, f in enumerate(names)
        if f in features.labels and features.labels[f] != f.partition(":")[2]
    }


TRIALS_PER_CHUNK = 2_000


def index_of_store(store: pyoxigraph.Store) -> FeatureIndex:
    """The index of every trial in a store, read a chunk of trials at a time and spilled to disk: memory
    holds one chunk's feature sets, not every trial's. Equal to
    `FeatureIndex.of_features(read_features(store))`."""
    return built_index(_with_store_trials(IndexBuilder(), store))


def _with_store_trials(builder: IndexBuilder, store: pyoxigraph.Store) -> IndexBuilder:
    try:
        for chunk in trial_chunks(store, TRIALS_PER_CHUNK):
            builder.add(features_of(chunk))
    except BaseException:
        builder.discard()
        raise
    return builder


def built_index(builder: IndexBuilder) -> FeatureIndex:
    """The builder's index, its arrays mapped from a temporary folder that is gone once they are."""
    folder = Path(tempfile.mkdtemp(prefix="kg-index-"))
    try:
        builder.write(folder / INDEX_DIR, postings_weights=None)
        index = FeatureIndex.load(folder / INDEX_DIR)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert index is not None, "an index just written loads"
    return index


def write_store_index(
    store: pyoxigraph.Store,
    generation: Path,
    previous: Path | None = None,
    replaced: Collection[str] = (),
    built: IndexBuilder | None = None,
) -> None:
    """Build the index of a store generation being made and save it inside it: from the features the
    build's workers read as they mapped each trial (`built`), else by walking the store, written a
    block at a time (`kg.similarity.index_files`). For an update, the previous generation's index is
    updated with the replaced trials' features alone."""
    earlier = FeatureIndex.load(previous / INDEX_DIR) if previous is not None else None
    if earlier is not None:
        assert previous is not None
        if built is not None:
            built.discard()
        built = IndexBuilder(spill_folder(generation))
        try:
            built.add(read_features(store, only=replaced))
        except BaseException:
            built.discard()
            raise
        built.keep(previous / INDEX_DIR, earlier, replaced)
    elif built is None:
        built = _with_store_trials(IndexBuilder(spill_folder(generation)), store)
    built.write(generation / INDEX_DIR, shipped_weights())


def spill_folder(generation: Path) -> Path:
    """Where a store generation's index is spilled while it is built (inside it: gone if it is discarded)."""
    return generation / (INDEX_DIR + ".spill")


def saved_index(store_dir: Path) -> tuple[FeatureIndex | None, Path]:
    """The index saved in the store's current generation (resolved once, so a swap meanwhile cannot mix
    two generations), and that generation."""
    generation = Path(os.path.realpath(store_dir))
    return FeatureIndex.load(generation / INDEX_DIR), generation
