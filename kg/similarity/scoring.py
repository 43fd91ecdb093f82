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

import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from kg.errors import UnknownTrial
from kg.similarity.features import TrialFeatures, readable
from kg.similarity.hybrid import block_dot, shipped_weights
from kg.similarity.index import FeatureIndex

DAMPING = 0.85
MAX_REASONS = 25  # shared features listed for one recommendation, heaviest first


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
            if feature.startswith(("word:", "word-pair:", "title-word:")):
                if not shared_words:
                    parts.append("")
                word = feature.partition(":")[2]
                if word not in shared_words:  # a title word is a word too: listed once
                    shared_words.append(word)
            else:
                parts.append(label)
        if shared_words:
            listed = ", ".join(shared_words[:word_limit]) + (", …" if len(shared_words) > word_limit else "")
            parts[parts.index("")] = f"words {listed}"
        more = len(parts) - limit
        shown = parts[:limit]
        return "both: " + "; ".join(shown) + (f"; +{more} more" if more > 0 else "") if shown else "no shared feature"


def describe(index: FeatureIndex, column: int) -> str:
    return readable(index.name(column), index.label(column))


class SparseIndex:
    """The three methods over one `FeatureIndex`: rows are trials in NCT id order."""

    def __init__(self, data: FeatureIndex, kind_weights: dict[str, float] | None = None) -> None:
        self.data = data
        self.trials = data.trials
        self.row = {nct: i for i, nct in enumerate(self.trials)}
        self.weights = np.asarray(data.weights, dtype=np.float64)
        self.kind_weights = shipped_weights() if kind_weights is None else kind_weights
        self._matrix: sparse.csr_matrix | None = None
        self._sizes: np.ndarray | None = None
        self._hybrid: sparse.csr_matrix | None = None
        self._postings: sparse.csr_matrix | None = None
        self._transposed: sparse.csr_matrix | None = None
        self._transition: sparse.csr_matrix | None = None

    @classmethod
    def from_features(cls, features: TrialFeatures) -> SparseIndex:
        return cls(FeatureIndex.of_features(features))

    @property
    def matrix(self) -> sparse.csr_matrix:
        """Trials × features, 1 where the trial has the feature."""
        if self._matrix is None:
            vectors = self.data.vectors
            self._matrix = sparse.csr_matrix(
                (np.ones(len(vectors.indices)), vectors.indices, vectors.indptr), shape=vectors.shape
            )
        return self._matrix

    @property
    def sizes(self) -> np.ndarray:
        """Σ w over each trial's features."""
        if self._sizes is None:
            self._sizes = self.matrix @ self.weights
        return self._sizes

    @property
    def hybrid(self) -> sparse.csr_matrix:
        """The per-kind unit vectors scaled by √weight(kind): their dot product is the hybrid score."""
        if self._hybrid is None:
            self._hybrid = self.data.scaled(self.kind_weights)
        return self._hybrid

    @property
    def postings(self) -> sparse.csr_matrix:
        """Features × trials: the hybrid's posting lists, as the store saved them (mapped from disk) when
        they were made with these weights, else made here once."""
        if self._postings is None:
            saved = self.data.postings
            if saved is not None and self.data.postings_weights == self.kind_weights:
                self._postings = saved
            else:
                self._postings = self.hybrid.T.tocsr()
        return self._postings

    def kind_parts(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        """Each kind's cosines of the query rows with every trial (dense, len(rows) × trials): for fitting."""
        return {kind: block_dot(self.data.scaled({kind: 1.0}), rows) for kind in self.data.kinds}

    def hybrid_scores(self, nct_id: str) -> np.ndarray:
        """The query's scaled vector against the posting lists of its own features only: the cost is the
        trials sharing a feature with it, not the whole matrix."""
        index = self.require(nct_id)
        query = self.data.scaled(self.kind_weights, np.array([index]))
        touched = self.postings[query.indices]
        scores = np.asarray(touched.T @ query.data, dtype=np.float64)
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
        query = np.zeros(self.matrix.shape[1])
        columns = self.data.columns_of(index)
        query[columns] = self.weights[columns]
        intersection = self.matrix @ query
        union = self.sizes[index] + self.sizes - intersection
        with np.errstate(divide="ignore", invalid="ignore"):
            scores = np.where(union > 0, intersection / union, 0.0)
        scores[index] = 0.0
        return scores

    def shared_feature_block(self, rows: np.ndarray) -> np.ndarray:
        """Weighted Jaccard of the query rows with every trial (dense), a query never scoring itself."""
        weighted = self.matrix[rows].multiply(self.weights).tocsr()
        intersection = np.asarray((weighted @ self._transposed_matrix()).todense())
        union = self.sizes[rows, None] + self.sizes[None, :] - intersection
        with np.errstate(divide="ignore", invalid="ignore"):
            scores = np.where(union > 0, intersection / union, 0.0)
        scores[np.arange(len(rows)), rows] = 0.0
        return scores

    def _transposed_matrix(self) -> sparse.csr_matrix:
        if self._transposed is None:
            self._transposed = self.matrix.T.tocsr()
        return self._transposed

    def hybrid_block(self, rows: np.ndarray) -> np.ndarray:
        queries = self.data.scaled(self.kind_weights, rows)
        scores = np.asarray((queries @ self.postings).todense(), dtype=np.float64)
        scores[np.arange(len(rows)), rows] = 0.0
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
        scores: np.ndarray = rank[: len(self.trials)].copy()
        scores[index] = 0.0
        return scores

    def shared(self, row: int, other: int, method: str) -> dict[int, float]:
        """What each feature both trials have (by column) adds to `other`'s place for `row`."""
        if method == "hybrid":
            matrix = self.data.scaled(self.kind_weights, np.array([row, other]))
            mine, theirs = slice(matrix.indptr[0], matrix.indptr[1]), slice(matrix.indptr[1], matrix.indptr[2])
            both, at_mine, at_theirs = np.intersect1d(
                matrix.indices[mine], matrix.indices[theirs], assume_unique=True, return_indices=True
            )
            values = matrix.data[mine][at_mine].astype(np.float64) * matrix.data[theirs][at_theirs]
            return {int(j): float(v) for j, v in zip(both, values, strict=True)}
        both = np.intersect1d(self.data.columns_of(row), self.data.columns_of(other), assume_unique=True)
        return {int(j): float(self.weights[j]) for j in both}

    def top(self, nct_id: str, method: str = "shared-features", k: int = 10) -> list[Recommendation]:
        scores = self.scores(nct_id, method)
        row = self.row[nct_id]
        results = []
        for other, score in self._best(scores, k):
            weight = self.shared(row, self.row[other], method)
            order = sorted(weight, key=lambda j: (-weight[j], j))[:MAX_REASONS]  # columns are in name order
            results.append(
                Recommendation(
                    other,
                    score,
                    self.data.titles[self.row[other]],
                    tuple((self.data.name(j), describe(self.data, j), weight[j]) for j in order),
                )
            )
        return results

    def all_top(
        self, k: int = 10, method: str = "shared-features", block: int = 256
    ) -> dict[str, list[tuple[str, float]]]:
        return dict(self.each_top(k, method, block))

    def each_top(
        self, k: int = 10, method: str = "shared-features", block: int = 256, jobs: int | None = None
    ) -> Iterator[tuple[str, list[tuple[str, float]]]]:
        """Every trial's top k, in NCT id order, a block of query rows at a time as one sparse product,
        so the whole corpus costs a few matrix products rather than one pass per trial, and memory
        holds a block's scores per thread, not the corpus's rankings. scipy's products release the GIL,
        so `jobs` threads (default: the CPUs, at most 8) work on consecutive blocks at once."""
        if method == "ppr":
            for nct in self.trials:
                yield nct, self._best(self.ppr_scores(nct), k)
            return
        # What the blocks share is made here, before the threads read it.
        if method == "hybrid":
            score_block = self.hybrid_block
            self.postings  # noqa: B018
        else:
            score_block = self.shared_feature_block
            self._transposed_matrix()
            self.sizes  # noqa: B018

        def block_top(start: int) -> list[tuple[str, list[tuple[str, float]]]]:
            rows = np.arange(start, min(start + block, len(self.trials)))
            best = self._best_of_block(score_block(rows), k)
            return [(self.trials[row], found) for row, found in zip(rows.tolist(), best, strict=True)]

        starts = range(0, len(self.trials), block)
        workers = max(1, min(jobs or os.cpu_count() or 1, 8))
        with ThreadPoolExecutor(workers) as pool:
            waiting: deque[Future[list[tuple[str, list[tuple[str, float]]]]]] = deque()
            try:
                for start in starts:
                    waiting.append(pool.submit(block_top, start))
                    if len(waiting) > workers:  # a bounded window: blocks are written in order as they finish
                        yield from waiting.popleft().result()
                while waiting:
                    yield from waiting.popleft().result()
            finally:
                for future in waiting:
                    future.cancel()

    def _best_of_block(self, scores: np.ndarray, k: int) -> list[list[tuple[str, float]]]:
        """The k best of each row of a block of scores, highest first, ties by NCT id (rows are in NCT id
        order). Only the candidates at or above a row's k-th best score are sorted, and the cuts and the
        candidates of all rows are found in one call each."""
        if k < scores.shape[1]:
            cuts = np.partition(scores, -k, axis=1)[:, -k]
            chosen = (scores >= cuts[:, None]) & (scores > 0)
        else:
            chosen = scores > 0
        rows, columns = np.nonzero(chosen)  # row by row, columns ascending
        bounds = np.searchsorted(rows, np.arange(scores.shape[0] + 1)).tolist()
        out = []
        for row in range(scores.shape[0]):
            candidates = columns[bounds[row] : bounds[row + 1]]
            values = scores[row, candidates]
            order = np.lexsort((candidates, -np.round(values, 12)))[:k]
            out.append(
                [(self.trials[i], v) for i, v in zip(candidates[order].tolist(), values[order].tolist(), strict=True)]
            )
        return out

    def _best(self, scores: np.ndarray, k: int) -> list[tuple[str, float]]:
        """The k best of one score row, highest first, ties by NCT id (rows are in NCT id order)."""
        return self._best_of_block(scores[None, :], k)[0]
