"""`hybrid`, the default method: one cosine per feature kind, summed with fitted weights.

Every kind of the trial–feature graph (MeSH terms, MeSH ancestors, conditions, interventions, words, …)
gives a trial a vector: each feature's rarity (BM25 idf, `log(1 + (N - df + 0.5) / (df + 0.5))`), times
`1 + log(count)` for words; each vector is scaled to length one. The score of a candidate is
Σ weight(kind) × cosine(kind), so a shared rare word counts, a shared rare MeSH term counts more, and a
long summary does not drown a short one. The weights are data (`weights.json`), fitted by
`kg/similarity/fit.py` on half of the development truth and checked on the other half.
"""

from __future__ import annotations

import json
from importlib import resources

import numpy as np
from scipy import sparse

from kg.similarity.index import FeatureIndex


def shipped_weights() -> dict[str, float]:
    data = json.loads(resources.files("kg.similarity").joinpath("weights.json").read_text(encoding="utf-8"))
    return {str(kind): float(weight) for kind, weight in data["weights"].items()}


def scaled_by_kind(index: FeatureIndex, kind_weights: dict[str, float]) -> sparse.csr_matrix:
    """The index's per-kind unit vectors, each feature scaled by √weight(its kind) (float64, kinds of
    weight 0 dropped): since kinds never share a column, the dot product of two rows is
    Σ weight(kind) × cosine(kind), the hybrid score."""
    vectors = index.vectors
    scale = np.sqrt(np.array([max(kind_weights.get(kind, 0.0), 0.0) for kind in index.kinds]))
    indices = np.asarray(vectors.indices)
    data = np.asarray(vectors.data, dtype=np.float64) * scale[np.asarray(index.column_kind)[indices]]
    kept = data != 0
    rows = np.repeat(np.arange(vectors.shape[0]), np.diff(vectors.indptr))[kept]
    indptr = np.zeros(vectors.shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=vectors.shape[0]), out=indptr[1:])
    return sparse.csr_matrix((data[kept], indices[kept], indptr), shape=vectors.shape)


def block_dot(matrix: sparse.csr_matrix, rows: np.ndarray) -> np.ndarray:
    """Dot products of the given rows with every row (dense, len(rows) × trials)."""
    return np.asarray((matrix[rows] @ matrix.T).todense(), dtype=np.float64)
