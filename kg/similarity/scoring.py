"""Scoring related trials two ways, on a sparse trial × feature matrix built from the same graph that
`graph.py` holds in NetworkX (NetworkX does the same scoring on small graphs; tests keep them equal).

- `shared-features`: weighted Jaccard. score(a, b) = Σ w(f) over features both have / Σ w(f) over
  features either has. Symmetric, in [0, 1], and says exactly which features earned it.
- `hybrid` (default, `hybrid.py`): per feature kind, the cosine of rarity-weighted vectors, summed with
  weights fitted on development truth (`weights.json`); words of the trial's text are features too.
- `ppr`: personalized PageRank on the trial–feature graph (edge weight w(f)), restarting at the query
  trial: trials reached by many short, heavy paths score high, including through features they do not
  share directly with the query (two hops out).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from kg.errors import KgError
from kg.similarity.features import KIND_LABELS, TrialFeatures
from kg.similarity.hybrid import KindCosines, shipped_weights

METHODS = ("hybrid", "shared-features", "ppr")
DAMPING = 0.85


class UnknownTrial(KgError):
    """The NCT id asked about is not a trial built from a record in this graph."""


@dataclass(frozen=True)
class Recommendation:
    nct_id: str
    score: float
    title: str
    shared: tuple[tuple[str, str, float], ...]  # (feature, readable label, weight), heaviest first

    def reasons(self, limit: int = 6, word_limit: int = 5) -> str:
        """`both: MeSH Liver Failure; words umbilical, decompensated, infusion; …`: shared words are
        listed together, at the place of the heaviest."""
        parts: list[str] = []
        shared_words: list[str] = []
        for feature, label, _ in self.shared:
            if feature.startswith(("word:", "word-pair:")):
                if not shared_words:
                    parts.append("")
                shared_words.append(feature.partition(":")[2])
            else:
                parts.append(label)
        if shared_words:
            listed = ", ".join(shared_words[:word_limit]) + (", …" if len(shared_words) > word_limit else "")
            parts[parts.index("")] = f"words {listed}"
        more = len(parts) - limit
        shown = parts[:limit]
        return "both: " + "; ".join(shown) + (f"; +{more} more" if more > 0 else "") if shown else "no shared feature"


def describe(feature: str, features: TrialFeatures) -> str:
    kind, _, key = feature.partition(":")
    label = features.labels.get(feature, key)
    if kind in ("mesh", "mesh-ancestor", "intervention-mesh") and key != label:
        return f"{KIND_LABELS[kind]} {label} ({key})"
    return f"{KIND_LABELS[kind]} {label}"


class SparseIndex:
    """Trials × features, binary, with a weight per feature; rows in NCT id order."""

    def __init__(self, features: TrialFeatures) -> None:
        self.features = features
        self.trials = features.trial_ids()
        self.row = {nct: i for i, nct in enumerate(self.trials)}
        self.columns = sorted(features.weights)
        column = {f: j for j, f in enumerate(self.columns)}
        rows, cols = [], []
        for nct in self.trials:
            for feature in features.trials[nct]:
                rows.append(self.row[nct])
                cols.append(column[feature])
        data = np.ones(len(rows))
        self.matrix = sparse.csr_matrix((data, (rows, cols)), shape=(len(self.trials), len(self.columns)))
        self.weights = np.array([features.weights[f] for f in self.columns])
        self.sizes = self.matrix @ self.weights  # Σ w over each trial's features
        self._transition: sparse.csr_matrix | None = None
        self._cosines: KindCosines | None = None
        self.kind_weights = shipped_weights()

    @property
    def cosines(self) -> KindCosines:
        if self._cosines is None:
            self._cosines = KindCosines(self.features, self.trials, self.columns)
        return self._cosines

    def hybrid_scores(self, nct_id: str) -> np.ndarray:
        index = self.require(nct_id)
        scores = self.cosines.scores(np.array([index]), self.kind_weights)[0]
        scores[index] = 0.0
        return scores

    def scores(self, nct_id: str, method: str) -> np.ndarray:
        if method == "ppr":
            return self.ppr_scores(nct_id)
        if method == "hybrid":
            return self.hybrid_scores(nct_id)
        return self.shared_feature_scores(nct_id)

    def require(self, nct_id: str) -> int:
        if nct_id not in self.row:
            raise UnknownTrial(
                f"{nct_id} is not a trial with a record in this graph (known: {len(self.trials)} trials)"
            )
        return self.row[nct_id]

    def shared_feature_scores(self, nct_id: str) -> np.ndarray:
        index = self.require(nct_id)
        query = self.matrix[index].multiply(self.weights).tocsr()
        intersection = np.asarray((self.matrix @ query.T).todense()).ravel()
        union = self.sizes[index] + self.sizes - intersection
        with np.errstate(divide="ignore", invalid="ignore"):
            scores = np.where(union > 0, intersection / union, 0.0)
        scores[index] = 0.0
        return scores

    def _walk(self) -> sparse.csr_matrix:
        """Column-stochastic transitions of the bipartite graph (trials first, then features)."""
        if self._transition is None:
            weighted = self.matrix.multiply(self.weights).tocsr()  # trial -> feature edge weights
            n, m = weighted.shape
            adjacency = sparse.bmat(
                [[sparse.csr_matrix((n, n)), weighted], [weighted.T, sparse.csr_matrix((m, m))]], format="csr"
            )
            out = np.asarray(adjacency.sum(axis=0)).ravel()
            inverse = np.divide(1.0, out, out=np.zeros_like(out), where=out > 0)
            self._transition = (adjacency @ sparse.diags(inverse)).tocsr()
        return self._transition

    def ppr_scores(self, nct_id: str, tolerance: float = 1e-10, max_iterations: int = 200) -> np.ndarray:
        index = self.require(nct_id)
        transition = self._walk()
        size = transition.shape[0]
        restart = np.zeros(size)
        restart[index] = 1.0
        dangling = np.asarray(transition.sum(axis=0)).ravel() == 0
        rank = restart.copy()
        for _ in range(max_iterations):
            previous = rank
            rank = DAMPING * (transition @ rank + rank[dangling].sum() * restart) + (1 - DAMPING) * restart
            if np.abs(rank - previous).sum() < tolerance:
                break
        scores = rank[: len(self.trials)].copy()
        scores[index] = 0.0
        return scores

    def top(self, nct_id: str, method: str = "shared-features", k: int = 10) -> list[Recommendation]:
        scores = self.scores(nct_id, method)
        mine = self.features.trials[nct_id]
        results = []
        for other, score in self._best(scores, k):
            if method == "hybrid":
                parts = self.cosines.contributions(self.row[nct_id], self.row[other], self.kind_weights)
                weight = {self.columns[j]: value for j, value in parts.items()}
            else:
                weight = {f: self.features.weights[f] for f in mine & self.features.trials[other]}
            shared = sorted(weight, key=lambda f: (-weight[f], f))
            results.append(
                Recommendation(
                    other,
                    score,
                    self.features.titles.get(other, ""),
                    tuple((f, describe(f, self.features), weight[f]) for f in shared),
                )
            )
        return results

    def all_top(
        self, k: int = 10, method: str = "shared-features", block: int = 256
    ) -> dict[str, list[tuple[str, float]]]:
        """Every trial's top k. Shared-feature scores are computed a block of query rows at a time as one
        sparse product, so the whole corpus costs a few matrix products rather than one pass per trial."""
        results: dict[str, list[tuple[str, float]]] = {}
        if method == "ppr":
            for nct in self.trials:
                scores = self.ppr_scores(nct)
                results[nct] = self._best(scores, k)
            return results
        if method == "hybrid":
            for start in range(0, len(self.trials), block):
                chunk = np.arange(start, min(start + block, len(self.trials)))
                block_scores = self.cosines.scores(chunk, self.kind_weights)
                for offset, row in enumerate(chunk):
                    block_scores[offset, row] = 0.0
                    results[self.trials[row]] = self._best(block_scores[offset], k)
            return results
        weighted = self.matrix.multiply(self.weights).tocsr()
        for start in range(0, len(self.trials), block):
            rows = slice(start, min(start + block, len(self.trials)))
            intersection = np.asarray((weighted[rows] @ self.matrix.T).todense())
            union = self.sizes[rows, None] + self.sizes[None, :] - intersection
            with np.errstate(divide="ignore", invalid="ignore"):
                scores = np.where(union > 0, intersection / union, 0.0)
            for offset, nct in enumerate(self.trials[rows]):
                row = scores[offset]
                row[start + offset] = 0.0
                results[nct] = self._best(row, k)
        return results

    def _best(self, scores: np.ndarray, k: int) -> list[tuple[str, float]]:
        """The k best of one score row, highest first, ties by NCT id (rows are in NCT id order).
        Only the candidates at or above the k-th best score are sorted, not the whole corpus."""
        if k < len(scores):
            cut = np.partition(scores, -k)[-k]
            candidates = np.flatnonzero(scores >= cut)
        else:
            candidates = np.arange(len(scores))
        ranked = sorted((i for i in candidates if scores[i] > 0), key=lambda i: (-round(float(scores[i]), 12), i))
        return [(self.trials[i], float(scores[i])) for i in ranked[:k]]
