"""The recommendation index is written a block of rows at a time from features spilled to disk, so a
registry-scale build never holds it in memory; block by block or all at once, the arrays are the same."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from scipy import sparse

import kg.similarity.index_files as index_files
from kg.similarity.features import TrialFeatures, read_features
from kg.similarity.hybrid import shipped_weights
from kg.similarity.index import FeatureIndex
from kg.similarity.index_files import IndexBuilder, NpyFile
from kg.store import open_store


def assert_same_index(written: FeatureIndex, expected: FeatureIndex) -> None:
    assert written.trials == expected.trials
    assert written.names.strings() == expected.names.strings()
    assert written.titles.strings() == expected.titles.strings()
    assert written.kinds == expected.kinds and written.labels == expected.labels
    for name in ("indptr", "indices", "data"):
        assert np.array_equal(getattr(written.vectors, name), getattr(expected.vectors, name)), name
    for name in ("weights", "counts", "column_kind"):
        assert np.array_equal(getattr(written, name), getattr(expected, name)), name
    assert written.postings_weights == expected.postings_weights
    assert written.postings is not None and expected.postings is not None
    for name in ("indptr", "indices", "data"):
        assert np.array_equal(getattr(written.postings, name), getattr(expected.postings, name)), name


def written_index(
    tmp_path: Path, chunks: list[TrialFeatures], above: dict[str, dict[str, str]] | None = None
) -> FeatureIndex:
    builder = IndexBuilder(tmp_path / "spill")
    for chunk in chunks:
        builder.add(chunk)
    if above is not None:
        builder.add_hierarchy(above)
    builder.write(tmp_path / "index", shipped_weights())
    assert not (tmp_path / "spill").exists() and not (tmp_path / "index.part").exists()
    loaded = FeatureIndex.load(tmp_path / "index")
    assert loaded is not None
    return loaded


def chunks_in_shuffled_order(features: TrialFeatures, size: int, seed: int) -> list[TrialFeatures]:
    """The trials handed over a few at a time in no particular order, as the build's workers finish them."""
    order = features.trial_ids()
    random.Random(seed).shuffle(order)
    chunks = []
    for start in range(0, len(order), size):
        part = order[start : start + size]
        chunks.append(
            TrialFeatures(
                trials={n: features.trials[n] for n in part},
                labels={f: label for f, label in features.labels.items() if any(f in features.trials[n] for n in part)},
                titles={n: features.titles[n] for n in part if n in features.titles},
                counts={n: features.counts[n] for n in part if n in features.counts},
            )
        )
    return chunks


@pytest.fixture(scope="module")
def store_features(real_build) -> TrialFeatures:
    return read_features(open_store(real_build[1]))


@pytest.mark.parametrize(("block", "bucket"), [(1 << 20, 1 << 22), (40, 90), (1, 500)])
def test_an_index_written_in_blocks_and_buckets_is_the_index_computed_in_memory(
    tmp_path, monkeypatch, store_features, block, bucket
) -> None:
    """Real trials, handed over out of order: rows, weights, unit vectors, counts, titles, labels and the
    posting lists equal those of `FeatureIndex.of_features`, whether one block holds every row or each
    block one row and each bucket one feature."""
    monkeypatch.setattr(index_files, "ENTRIES_PER_BLOCK", block)
    monkeypatch.setattr(index_files, "POSTINGS_PER_BUCKET", bucket)
    expected = FeatureIndex.of_features(store_features).with_postings(shipped_weights())
    written = written_index(tmp_path, chunks_in_shuffled_order(store_features, 7, seed=block))
    assert len(written.trials) > 20 and written.vectors.nnz > 10_000
    assert_same_index(written, expected)


def test_the_mesh_hierarchy_given_at_the_end_reaches_every_row_with_a_term_under_it(tmp_path, monkeypatch) -> None:
    """`mesh-ancestor` features from the hierarchy join each row that has a MeSH term below them and
    not the feature already, with the smallest label met; rows without such a term are left alone."""
    monkeypatch.setattr(index_files, "ENTRIES_PER_BLOCK", 2)
    features = TrialFeatures(
        trials={
            "NCT00000002": {"mesh:D017093", "word:liver"},
            "NCT00000001": {"mesh:D017093", "mesh-ancestor:D008107", "word:failure"},
            "NCT00000003": {"word:healthy"},
        },
        labels={"mesh:D017093": "Liver Failure", "mesh-ancestor:D008107": "Liver Diseases"},
        titles={"NCT00000001": "One", "NCT00000002": "Two", "NCT00000003": "Three"},
    )
    above = {"D017093": {"D008107": "Liver Diseases", "D004066": "Digestive System Diseases"}}
    written = written_index(tmp_path, [features], above)
    rows = {nct: {written.name(int(j)) for j in written.columns_of(i)} for i, nct in enumerate(written.trials)}
    assert written.trials == ["NCT00000001", "NCT00000002", "NCT00000003"]
    assert rows["NCT00000002"] == {"mesh:D017093", "mesh-ancestor:D008107", "mesh-ancestor:D004066", "word:liver"}
    assert rows["NCT00000001"] == {"mesh:D017093", "mesh-ancestor:D008107", "mesh-ancestor:D004066", "word:failure"}
    assert rows["NCT00000003"] == {"word:healthy"}
    column = written.names.strings().index("mesh-ancestor:D004066")
    assert written.label(column) == "Digestive System Diseases"
    assert written.titles.strings() == ["One", "Two", "Three"]
    assert written.counts.tolist() == [1.0] * written.vectors.nnz


def test_an_index_of_no_trials_is_written_and_loads_empty(tmp_path) -> None:
    written = written_index(tmp_path, [])
    assert written.trials == [] and written.vectors.shape == (0, 0) and len(written.names) == 0


def test_a_discarded_builder_leaves_nothing_behind(tmp_path) -> None:
    builder = IndexBuilder(tmp_path / "spill")
    builder.add(TrialFeatures(trials={"NCT00000001": {"word:liver"}}, titles={"NCT00000001": "One"}))
    builder.discard()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("dtype", [np.int32, np.float32, np.float64, np.int64, np.uint8, np.int16])
def test_an_npy_file_written_in_pieces_is_what_numpy_reads(tmp_path, dtype) -> None:
    values = (np.arange(1000) % 97).astype(dtype)
    file = NpyFile(tmp_path / "a.npy", dtype)
    for start in range(0, 1000, 333):
        file.write(values[start : start + 333])
    file.close()
    assert np.array_equal(np.load(tmp_path / "a.npy"), values)
    assert np.array_equal(np.load(tmp_path / "a.npy", mmap_mode="r"), values)
    assert np.array_equal(file.read(500, 17), values[500:517])
    empty = NpyFile(tmp_path / "empty.npy", dtype)
    empty.close()
    assert np.load(tmp_path / "empty.npy").shape == (0,)


def test_the_postings_are_the_transposed_hybrid_vectors(tmp_path, store_features) -> None:
    """What `kg recommend` reads: each feature's posting list is its column of the scaled vectors."""
    written = written_index(tmp_path, [store_features])
    assert written.postings is not None
    scaled = written.scaled(shipped_weights())
    assert (sparse.csr_matrix(written.postings.T) != scaled).nnz == 0


def test_a_feature_labelled_differently_by_two_trials_keeps_the_smallest_label_whatever_the_order(tmp_path) -> None:
    def chunk(nct: str, label: str) -> TrialFeatures:
        return TrialFeatures(trials={nct: {"sponsor:acme"}}, labels={"sponsor:acme": label}, titles={nct: nct})

    for order, folder in ((("Acme Inc", "ACME inc."), "a"), (("ACME inc.", "Acme Inc"), "b")):
        (tmp_path / folder).mkdir()
        written = written_index(tmp_path / folder, [chunk("NCT00000001", order[0]), chunk("NCT00000002", order[1])])
        assert written.label(0) == "ACME inc."


@pytest.mark.parametrize(("block", "bucket"), [(1 << 20, 1 << 22), (40, 90)])
def test_an_updated_index_is_the_index_built_from_scratch_of_what_the_store_now_holds(
    tmp_path, monkeypatch, store_features, block, bucket
) -> None:
    """`kg build --update`: the earlier index's rows are read from its files, the replaced trials' rows
    dropped (features nobody has any more with them), changed and new trials put in their NCT order, and
    every row weighed again: the arrays equal an index built at once from the store's features now."""
    monkeypatch.setattr(index_files, "ENTRIES_PER_BLOCK", block)
    monkeypatch.setattr(index_files, "POSTINGS_PER_BUCKET", bucket)
    earlier = written_index(tmp_path / "earlier", [store_features])
    ids = store_features.trial_ids()
    withdrawn, changed = ids[3], ids[10:14]
    only_withdrawn = store_features.trials[withdrawn] - set().union(
        *(store_features.trials[n] for n in ids if n != withdrawn)
    )
    assert only_withdrawn, "the withdrawn trial has a feature of its own"
    delta = TrialFeatures(
        trials={
            n: (store_features.trials[n] - {sorted(store_features.trials[n])[0]}) | {"word:zzchanged"} for n in changed
        },
        titles={n: f"changed {n}" for n in changed},
        counts={n: store_features.counts.get(n, {}) for n in changed},
    )
    delta.trials["NCT99999999"] = {"word:zzchanged", "sponsor:new sponsor"}
    delta.labels["sponsor:new sponsor"] = "New Sponsor"
    now = TrialFeatures(
        trials={**{n: f for n, f in store_features.trials.items() if n != withdrawn}, **delta.trials},
        labels={**delta.labels, **store_features.labels},
        titles={**{n: t for n, t in store_features.titles.items() if n != withdrawn}, **delta.titles},
        counts={**{n: c for n, c in store_features.counts.items() if n != withdrawn}, **delta.counts},
    )
    builder = IndexBuilder(tmp_path / "spill")
    builder.add(delta)
    builder.keep(tmp_path / "earlier" / "index", earlier, [withdrawn, *changed])
    builder.write(tmp_path / "updated", shipped_weights())
    updated = FeatureIndex.load(tmp_path / "updated")
    assert updated is not None and withdrawn not in updated.trials and "NCT99999999" in updated.trials
    assert not only_withdrawn & set(updated.names.strings())
    assert_same_index(updated, FeatureIndex.of_features(now).with_postings(shipped_weights()))


def test_buckets_split_where_postings_or_columns_would_overflow() -> None:
    counts = np.array([3, 3, 3, 10, 1, 1] + [0] * 70_000 + [1])
    bounds = index_files._bucket_bounds(counts, 6)
    assert bounds[:4].tolist() == [0, 2, 3, 4]  # 3+3; 3; 10 alone (one column over the limit); then the rest
    assert all(b - a <= 1 << 16 for a, b in zip(bounds.tolist(), [*bounds.tolist()[1:], len(counts)], strict=True))
