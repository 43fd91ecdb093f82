"""`kg evaluate`: how well recommendations recover the registry's own related-trial lists.

For every trial whose record lists related trials that also have records in the corpus, rank the
corpus for it and score the ranking against the list: precision@k, recall@k and MRR. The registry's
related edges are never features, so nothing being evaluated leaks into the scores. A text baseline
(TF-IDF cosine over titles and condition text) is computed in the same run.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyoxigraph
from scipy import sparse

from kg import textpatterns
from kg.rdf import iris
from kg.similarity import METHODS
from kg.similarity import truth as truth_set
from kg.similarity.index import FeatureIndex
from kg.similarity.scoring import SparseIndex
from kg.similarity.text import Bm25, cosine_rows, read_texts, tfidf_matrix

_TRUTH = iris.sparql(
    "SELECT DISTINCT ?a ?b WHERE { ?s kg:relatedTrial ?o ; kg:nctId ?a ; prov:wasDerivedFrom ?r . ?o kg:nctId ?b }"
)
_STOPWORDS = frozenset("a an and as at by for from in into of on or the to with vs versus study trial patients".split())
KS = (5, 10)


@dataclass
class MethodScore:
    method: str
    precision: dict[int, float] = field(default_factory=dict)
    recall: dict[int, float] = field(default_factory=dict)
    mrr: float = 0.0


@dataclass
class Evaluation:
    queries: int
    relevant_pairs: int
    unreachable_pairs: int
    corpus: int
    scores: list[MethodScore]

    def lines(self) -> list[str]:
        head = "| method | " + " | ".join(f"P@{k} | R@{k}" for k in KS) + " | MRR |"
        rule = "|---|" + "---:|---:|" * len(KS) + "---:|"
        out = [
            f"corpus: {self.corpus} trials; truth: {self.queries} trials listing {self.relevant_pairs} related trials with"
            f" records in the corpus ({self.unreachable_pairs} more listed trials have no record and cannot be found)",
            "",
            head,
            rule,
        ]
        for score in self.scores:
            cells = " | ".join(f"{score.precision[k]:.3f} | {score.recall[k]:.3f}" for k in KS)
            out.append(f"| {score.method} | {cells} | {score.mrr:.3f} |")
        return out


def related_truth(store: pyoxigraph.Store, known: set[str]) -> tuple[dict[str, set[str]], int]:
    truth: dict[str, set[str]] = {}
    unreachable = 0
    for row in store.query(_TRUTH):  # type: ignore[union-attr]
        a, b = row["a"].value, row["b"].value
        if a == b:
            continue
        if b in known:
            truth.setdefault(a, set()).add(b)
        else:
            unreachable += 1
    return truth, unreachable


def _tokens(text: str) -> list[str]:
    return [t for t in textpatterns.lower_alnum_runs(text.casefold()) if len(t) > 1 and t not in _STOPWORDS]


def tfidf_scores(index: FeatureIndex) -> sparse.csr_matrix:
    """Rows: L2-normalized TF-IDF vectors of title + condition text, in the index's trial order."""
    documents = []
    for row in range(len(index.trials)):
        conditions = " ".join(index.label(j) for j in index.columns_of(row) if index.kind(j) == "condition")
        documents.append(Counter(_tokens(f"{index.titles[row]} {conditions}")))
    vocabulary = {t: i for i, t in enumerate(sorted({t for d in documents for t in d}))}
    frequency = Counter(t for d in documents for t in d)
    rows, cols, data = [], [], []
    for i, document in enumerate(documents):
        for token, count in document.items():
            rows.append(i)
            cols.append(vocabulary[token])
            data.append((1 + math.log(count)) * math.log((1 + len(documents)) / (1 + frequency[token])) + 1e-12)
    matrix = sparse.csr_matrix((data, (rows, cols)), shape=(len(documents), len(vocabulary)))
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    return sparse.diags(np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)) @ matrix


def _ranking(scores: np.ndarray, trials: list[str], query_row: int) -> list[str]:
    order = sorted(
        (i for i in range(len(trials)) if i != query_row and scores[i] > 0),
        key=lambda i: (-round(float(scores[i]), 12), trials[i]),
    )
    return [trials[i] for i in order]


def _score(method: str, rankings: dict[str, list[str]], truth: dict[str, set[str]]) -> MethodScore:
    result = MethodScore(method)
    for k in KS:
        result.precision[k] = _mean([len(set(rankings[q][:k]) & truth[q]) / k for q in truth])
        result.recall[k] = _mean([len(set(rankings[q][:k]) & truth[q]) / len(truth[q]) for q in truth])
    reciprocal = []
    for query, relevant in truth.items():
        rank = next((i for i, nct in enumerate(rankings[query], 1) if nct in relevant), None)
        reciprocal.append(1.0 / rank if rank else 0.0)
    result.mrr = _mean(reciprocal)
    return result


def _mean(values: list[float]) -> float:
    """0 for no queries (the caller says there was nothing to evaluate), never numpy's empty-mean warning."""
    return float(np.mean(values)) if values else 0.0


def evaluate(store: pyoxigraph.Store, index: SparseIndex) -> Evaluation:
    truth, unreachable = related_truth(store, set(index.trials))
    truth = {q: r for q, r in truth.items() if q in index.row}
    scores = []
    for method in METHODS:
        rankings = {}
        for query in truth:
            values = index.scores(query, method)
            rankings[query] = _ranking(values, index.trials, index.row[query])
        scores.append(_score(method, rankings, truth))
    text = tfidf_scores(index.data)
    rankings = {}
    for query in truth:
        row = index.row[query]
        values = np.asarray((text @ text[row].T).todense()).ravel()
        rankings[query] = _ranking(values, index.trials, row)
    scores.append(_score("text baseline (TF-IDF)", rankings, truth))
    return Evaluation(len(truth), sum(len(r) for r in truth.values()), unreachable, len(index.trials), scores)


def method_scorers(store: pyoxigraph.Store, index: SparseIndex) -> dict[str, truth_set.ScoreRows]:
    """Every method and baseline as query rows -> dense scores, on the same trials in the same order."""
    texts = read_texts(store)
    tfidf = tfidf_matrix(texts, index.trials)
    bm25 = Bm25(texts, index.trials)
    return {
        "hybrid": index.hybrid_block,
        "shared-features": index.shared_feature_block,
        "ppr": lambda rows: np.vstack([index.ppr_scores(index.trials[r]) for r in rows]),
        "tfidf": lambda rows: cosine_rows(tfidf, rows),
        "bm25": bm25.scores,
    }


@dataclass
class TruthEvaluation:
    half: str
    corpus: int
    pairs: int
    unreachable: int
    methods: dict[str, dict[str, truth_set.SubsetScore]]

    def to_json(self) -> dict[str, object]:
        return {
            "half": self.half, "corpus": self.corpus, "pairs": self.pairs, "unreachable_pairs": self.unreachable,
            "methods": {
                method: {
                    subset: {"pairs": s.pairs, **{m: round(v, 4) for m, v in s.metrics.items()},
                             **({"ci95": {m: [round(lo, 4), round(hi, 4)] for m, (lo, hi) in s.interval.items()}}
                                if s.interval else {})}
                    for subset, s in subsets.items()
                }
                for method, subsets in self.methods.items()
            },
        }  # fmt: skip

    def lines(self) -> list[str]:
        out = [
            f"corpus: {self.corpus} trials; truth ({self.half}): {self.pairs} (query, related trial) pairs"
            f" ({self.unreachable} undirected pairs name a trial without a record)",
            "",
            "| subset | pairs | method | R@10 | R@50 | MRR | nDCG@10 |",
            "|---|---:|---|---:|---:|---:|---:|",
        ]
        subsets = next(iter(self.methods.values()), {})
        for subset in subsets:
            for method, scores in self.methods.items():
                s = scores[subset]
                cells = [f"{s.metrics[m]:.3f}" for m in truth_set.METRICS]
                if s.interval:
                    cells = [
                        f"{c} [{lo:.2f}, {hi:.2f}]" for c, (lo, hi) in zip(cells, s.interval.values(), strict=True)
                    ]
                out.append(f"| {subset} | {s.pairs} | {method} | " + " | ".join(cells) + " |")
        return out


def sponsors(index: SparseIndex) -> dict[str, str]:
    out = {}
    data = index.data
    for row, nct in enumerate(index.trials):
        names = sorted(truth_set.fold_sponsor(data.label(j)) for j in data.columns_of(row) if data.kind(j) == "sponsor")
        if names:
            out[nct] = names[0]
    return out


def evaluate_truth(
    store: pyoxigraph.Store, index: SparseIndex, path: Path, half: str = "all", methods: tuple[str, ...] = ()
) -> TruthEvaluation:
    truth = truth_set.read_truth(path, set(index.trials), sponsors(index), half)
    scorers = method_scorers(store, index)
    results = {}
    for method in methods or tuple(scorers):
        rank = truth_set.ranks(truth, index.trials, scorers[method])
        results[method] = truth_set.score_subsets(truth, rank)
    return TruthEvaluation(half, len(index.trials), len(truth.pairs), truth.unreachable, results)
