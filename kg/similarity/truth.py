"""`kg evaluate --truth PAIRS.tsv`: rankings scored against pairs of trials someone else linked.

Each undirected pair (a, b) is two (query, related trial) pairs: a → b and b → a. For each, the query's
ranking of every other trial gives the related trial a rank (ties by NCT id; a score of zero is never
ranked), and the metrics are averaged over these pairs: recall@k (ranked within the first k), MRR (1 / rank)
and nDCG@10 (1 / log2(rank + 1) within the first 10). Subsets: everything, each evidence kind (a pair whose
evidence lists several kinds, joined with `;`, counts under each), SECRET pairs (any `secret_` kind, with a
bootstrap 95% interval) and pairs whose lead sponsors differ (names case- and space-folded; a trial
without a lead sponsor differs from none). Pairs are split into halves by a hash of the query's NCT id:
`tune` (weights are fitted there) and `held-out` (reported).
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kg.errors import KgError

METRICS = ("recall@10", "recall@50", "mrr", "ndcg@10")
BOOTSTRAP_SAMPLES = 1000
ScoreRows = Callable[[np.ndarray], np.ndarray]  # query rows -> dense (rows × trials) scores


@dataclass(frozen=True)
class Directed:
    query: str
    related: str
    kinds: tuple[str, ...]
    sponsors_differ: bool


@dataclass
class TruthSet:
    pairs: list[Directed]
    unreachable: int  # undirected pairs with a trial that has no record in the graph

    def subsets(self) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {"overall": list(range(len(self.pairs)))}
        for i, pair in enumerate(self.pairs):
            for kind in pair.kinds:
                out.setdefault(kind, []).append(i)
            if any(k.startswith("secret_") for k in pair.kinds):
                out.setdefault("SECRET (any secret_)", []).append(i)
            if pair.sponsors_differ:
                out.setdefault("sponsors differ", []).append(i)
        return dict(sorted(out.items(), key=lambda item: (item[0] != "overall", item[0])))


def half_of(nct: str) -> str:
    return "tune" if hashlib.sha1(nct.encode("ascii")).digest()[0] % 2 == 0 else "held-out"


def fold_sponsor(name: str) -> str:
    return " ".join(name.casefold().split())


def read_truth(path: Path, known: set[str], sponsors: dict[str, str], half: str = "all") -> TruthSet:
    try:
        with path.open(newline="", encoding="utf-8") as stream:
            rows = list(csv.DictReader(stream, delimiter="\t"))
    except UnicodeDecodeError as error:
        raise KgError(f"{path}: not UTF-8 text ({error})") from error
    if rows and not {"a", "b"} <= set(rows[0]):
        raise KgError(f"{path}: a truth file needs tab-separated columns `a` and `b` (and optionally `evidence`)")
    pairs: list[Directed] = []
    unreachable = 0
    seen: set[tuple[str, str]] = set()
    for row in rows:
        a, b = (row.get("a") or "").strip().upper(), (row.get("b") or "").strip().upper()
        if not a or not b or a == b:
            continue
        if a not in known or b not in known:
            unreachable += 1
            continue
        kinds = tuple(sorted({k.strip() for k in (row.get("evidence") or "").split(";") if k.strip()})) or ("pair",)
        differ = not sponsors.get(a) or sponsors.get(a) != sponsors.get(b)
        for query, related in ((a, b), (b, a)):
            if (query, related) not in seen and half in ("all", half_of(query)):
                seen.add((query, related))
                pairs.append(Directed(query, related, kinds, differ))
    return TruthSet(pairs, unreachable)


def ranks(truth: TruthSet, trials: list[str], score_rows: ScoreRows, block: int = 128) -> np.ndarray:
    """The rank of each pair's related trial in its query's ranking (inf: never ranked)."""
    row = {nct: i for i, nct in enumerate(trials)}
    queries = sorted({p.query for p in truth.pairs})
    by_query: dict[str, list[int]] = {}
    for i, pair in enumerate(truth.pairs):
        by_query.setdefault(pair.query, []).append(i)
    out = np.full(len(truth.pairs), np.inf)
    for start in range(0, len(queries), block):
        chunk = queries[start : start + block]
        scores = score_rows(np.array([row[q] for q in chunk]))
        for offset, query in enumerate(chunk):
            values = np.round(scores[offset], 12)
            values[row[query]] = -np.inf
            for i in by_query[query]:
                target = row[truth.pairs[i].related]
                score = values[target]
                if score <= 0:
                    continue
                ahead = np.count_nonzero(values > score) + np.count_nonzero(values[:target] == score)
                out[i] = 1 + ahead
    return out


def metric_values(rank: np.ndarray) -> dict[str, np.ndarray]:
    with np.errstate(divide="ignore"):
        return {
            "recall@10": (rank <= 10).astype(float),
            "recall@50": (rank <= 50).astype(float),
            "mrr": 1.0 / rank,
            "ndcg@10": np.where(rank <= 10, 1.0 / np.log2(rank + 1), 0.0),
        }


@dataclass
class SubsetScore:
    pairs: int
    metrics: dict[str, float]
    interval: dict[str, tuple[float, float]] = field(default_factory=dict)


def score_subsets(truth: TruthSet, rank: np.ndarray, seed: int = 0) -> dict[str, SubsetScore]:
    values = metric_values(rank)
    out = {}
    for name, members in truth.subsets().items():
        index = np.array(members, dtype=int)
        score = SubsetScore(len(index), {m: float(values[m][index].mean()) for m in METRICS})
        if name.startswith("SECRET"):
            score.interval = bootstrap(values, index, seed)
        out[name] = score
    return out


def bootstrap(values: dict[str, np.ndarray], index: np.ndarray, seed: int) -> dict[str, tuple[float, float]]:
    """95% percentile interval of each metric's mean over pairs resampled with replacement."""
    generator = np.random.default_rng(seed)
    samples = generator.integers(0, len(index), size=(BOOTSTRAP_SAMPLES, len(index)))
    out = {}
    for metric in METRICS:
        means = values[metric][index][samples].mean(axis=1)
        out[metric] = (float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5)))
    return out
