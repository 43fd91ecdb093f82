"""Fit the `hybrid` method's kind weights on the tune half of a truth set; write them to `weights.json`.

    python -m kg.similarity.fit out/relatedness.ttl ../shared/data/ctgov/relatedness/truth-dev.tsv

Greedy coordinate ascent over a coarse grid, one weight per feature kind (words fixed at 1), maximising
recall@10 + MRR on the tune half only (pairs whose query's NCT id hashes to `tune`); the held-out half is
never looked at here. Few parameters and a coarse grid on purpose: acceptance uses trials nobody has seen.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pyoxigraph

from kg.rdf.rdfio import rdf_format_of
from kg.similarity.evaluate import sponsors
from kg.similarity.features import read_features
from kg.similarity.scoring import SparseIndex
from kg.similarity.truth import TruthSet, read_truth

GRID = (0.0, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0, 1.5, 2.0)
ANCHOR = "word"


def objective(
    parts: dict[str, np.ndarray], weights: dict[str, float], queries: np.ndarray, targets: np.ndarray
) -> float:
    total = sum(weight * parts[kind] for kind, weight in weights.items() if weight)
    scores = np.round(np.asarray(total), 12)
    target = scores[queries, targets]
    ahead = (scores[queries] > target[:, None]).sum(axis=1)
    rank = np.where(target > 0, 1 + ahead, np.inf)
    return float((rank <= 10).mean() + (1.0 / rank).mean())


def fit(index: SparseIndex, truth: TruthSet, steps: int = 12) -> tuple[dict[str, float], float]:
    queries = sorted({p.query for p in truth.pairs})
    position = {q: i for i, q in enumerate(queries)}
    rows = np.array([index.row[q] for q in queries])
    parts = index.kind_parts(rows)
    for matrix in parts.values():
        matrix[np.arange(len(rows)), rows] = 0.0  # a query never ranks itself
    query_of = np.array([position[p.query] for p in truth.pairs])
    target_of = np.array([index.row[p.related] for p in truth.pairs])
    weights = {kind: (1.0 if kind == ANCHOR else 0.0) for kind in parts}
    best = objective(parts, weights, query_of, target_of)
    for _ in range(steps):  # each step takes the single best change of one weight, so order does not matter
        candidates = [{**weights, kind: value} for kind in sorted(parts) if kind != ANCHOR for value in GRID]
        score, chosen = max(((objective(parts, c, query_of, target_of), c) for c in candidates), key=lambda x: x[0])
        if score <= best + 1e-9:
            break
        best, weights = score, chosen
    return weights, best


def main(graph: str, truth_path: str, output: str | None = None) -> None:
    store = pyoxigraph.Store()
    store.bulk_load(path=graph, format=rdf_format_of(Path(graph)))
    index = SparseIndex.from_features(read_features(store))
    truth = read_truth(Path(truth_path), set(index.trials), sponsors(index), "tune")
    weights, best = fit(index, truth)
    target = Path(output) if output else Path(__file__).with_name("weights.json")
    document = {
        "method": "hybrid",
        "fitted_by": "python -m kg.similarity.fit GRAPH TRUTH (kg/similarity/fit.py)",
        "fitted_on": f"{Path(truth_path).name}, tune half ({len(truth.pairs)} query-related pairs)",
        "objective": "recall@10 + MRR",
        "tune_objective": round(best, 4),
        "weights": {kind: weights[kind] for kind in sorted(weights)},
    }
    target.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(document, indent=1))


if __name__ == "__main__":
    main(*sys.argv[1:])
