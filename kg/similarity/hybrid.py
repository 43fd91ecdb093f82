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

from kg.similarity.features import TrialFeatures


def shipped_weights() -> dict[str, float]:
    data = json.loads(resources.files("kg.similarity").joinpath("weights.json").read_text(encoding="utf-8"))
    return {str(kind): float(weight) for kind, weight in data["weights"].items()}


class KindCosines:
    """Per kind, trials × features, each row of length one; rows in `trials` order."""

    def __init__(self, features: TrialFeatures, trials: list[str], columns: list[str]) -> None:
        self.features = features
        column = {f: j for j, f in enumerate(columns)}
        by_kind: dict[str, tuple[list[int], list[int], list[float]]] = {}
        for i, nct in enumerate(trials):
            counts = features.counts.get(nct, {})
            for feature in features.trials[nct]:
                rows, cols, data = by_kind.setdefault(features.kinds[feature], ([], [], []))
                rows.append(i)
                cols.append(column[feature])
                data.append(1.0 + np.log(counts.get(feature, 1)))
        n, m = len(trials), len(columns)
        self.idf = np.zeros(m)
        self.kinds: dict[str, sparse.csr_matrix] = {}
        for kind, (rows, cols, data) in sorted(by_kind.items()):
            matrix = sparse.csr_matrix((data, (rows, cols)), shape=(n, m))
            df = np.bincount(matrix.indices, minlength=m).astype(float)
            present = df > 0
            self.idf[present] = np.log(1 + (n - df[present] + 0.5) / (df[present] + 0.5))
            weighted = (matrix @ sparse.diags(self.idf)).tocsr()
            norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
            inverse = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
            self.kinds[kind] = (sparse.diags(inverse) @ weighted).tocsr()

    def parts(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        """Each kind's cosines of the query rows with every trial (dense, len(rows) × trials)."""
        return {kind: np.asarray((m[rows] @ m.T).todense()) for kind, m in self.kinds.items()}

    def scores(self, rows: np.ndarray, weights: dict[str, float]) -> np.ndarray:
        total = np.zeros((len(rows), next(iter(self.kinds.values())).shape[0] if self.kinds else 0))
        for kind, matrix in self.kinds.items():
            if weights.get(kind, 0.0):
                total += weights[kind] * np.asarray((matrix[rows] @ matrix.T).todense())
        return total

    def contributions(self, row: int, other: int, weights: dict[str, float]) -> dict[int, float]:
        """What each shared feature (by column) adds to the score of `other` for `row`."""
        out: dict[int, float] = {}
        for kind, matrix in self.kinds.items():
            weight = weights.get(kind, 0.0)
            if not weight:
                continue
            mine, theirs = matrix[row], matrix[other]
            shared = np.intersect1d(mine.indices, theirs.indices)
            for j in shared:
                out[int(j)] = weight * float(mine[0, j]) * float(theirs[0, j])
        return out
