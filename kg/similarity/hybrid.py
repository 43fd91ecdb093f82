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


def shipped_weights() -> dict[str, float]:
    data = json.loads(resources.files("kg.similarity").joinpath("weights.json").read_text(encoding="utf-8"))
    return {str(kind): float(weight) for kind, weight in data["weights"].items()}


def block_dot(matrix: sparse.csr_matrix, rows: np.ndarray) -> np.ndarray:
    """Dot products of the given rows with every row (dense, len(rows) × trials)."""
    return np.asarray((matrix[rows] @ matrix.T).todense(), dtype=np.float64)
