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

import numpy as np
import pyoxigraph
from scipy import sparse

from kg import textpatterns
from kg.similarity.features import TrialFeatures
from kg.similarity.scoring import METHODS, SparseIndex

_TRUTH = """PREFIX kg: <https://w3id.org/kg-trials/ontology#>
PREFIX prov: <http://www.w3.org/ns/prov#>
SELECT DISTINCT ?a ?b WHERE { ?s kg:relatedTrial ?o ; kg:nctId ?a ; prov:wasDerivedFrom ?r . ?o kg:nctId ?b }"""
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


def tfidf_scores(features: TrialFeatures, trials: list[str]) -> sparse.csr_matrix:
    """Rows: L2-normalized TF-IDF vectors of title + condition text, in `trials` order."""
    documents = []
    for nct in trials:
        conditions = " ".join(features.labels[f] for f in features.trials[nct] if features.kinds.get(f) == "condition")
        documents.append(Counter(_tokens(f"{features.titles.get(nct, '')} {conditions}")))
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
        result.precision[k] = float(np.mean([len(set(rankings[q][:k]) & truth[q]) / k for q in truth]))
        result.recall[k] = float(np.mean([len(set(rankings[q][:k]) & truth[q]) / len(truth[q]) for q in truth]))
    reciprocal = []
    for query, relevant in truth.items():
        rank = next((i for i, nct in enumerate(rankings[query], 1) if nct in relevant), None)
        reciprocal.append(1.0 / rank if rank else 0.0)
    result.mrr = float(np.mean(reciprocal))
    return result


def evaluate(store: pyoxigraph.Store, index: SparseIndex) -> Evaluation:
    truth, unreachable = related_truth(store, set(index.trials))
    truth = {q: r for q, r in truth.items() if q in index.row}
    scores = []
    for method in METHODS:
        rankings = {}
        for query in truth:
            values = index.ppr_scores(query) if method == "ppr" else index.shared_feature_scores(query)
            rankings[query] = _ranking(values, index.trials, index.row[query])
        scores.append(_score(method, rankings, truth))
    text = tfidf_scores(index.features, index.trials)
    rankings = {}
    for query in truth:
        row = index.row[query]
        values = np.asarray((text @ text[row].T).todense()).ravel()
        rankings[query] = _ranking(values, index.trials, row)
    scores.append(_score("text baseline (TF-IDF)", rankings, truth))
    return Evaluation(len(truth), sum(len(r) for r in truth.values()), unreachable, len(index.trials), scores)
