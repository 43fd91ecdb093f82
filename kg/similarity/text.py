"""The words of a trial: its text read from the graph, and two text rankings to beat.

Text comes from the title, official title, brief summary, conditions, keywords, intervention names and
descriptions, and (measured on the tune half: recall@10 + MRR 1.05 -> 1.12 on words alone) the detailed
description, arm descriptions and outcome titles; and (hybrid recall@10 + MRR 1.146 -> 1.179 on the tune half,
with title words as a kind of their own) the acronym, intervention other names, arm labels, outcome
descriptions and the eligibility criteria. Truth signals never become words: NCT ids named in text are removed, and so is any token
holding four or more digits (grant, protocol and PubMed numbers); references, secondary and org study ids
and the registry's related lists are never read at all.

Baselines, computed in the same run as the methods they judge:

- `tfidf`: fixed so nobody tunes it — title, official title, brief summary, conditions, keywords and
  intervention names; NCT ids removed; lower-cased tokens `[a-z][a-z0-9-]{2,}` minus a short stop list;
  tf = 1 + log(count), idf = log(N / df); cosine.
- `bm25`: the same tokens, Okapi BM25 (k1 = 1.2, b = 0.75) with the query trial's text as the query.
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field

import numpy as np
import pyoxigraph
from scipy import sparse

from kg import textpatterns
from kg.rdf import iris
from kg.similarity.walk import Walk, trials

_LABEL, _DESCRIPTION = str(iris.RDFS.label), str(iris.SCHEMA.description)
# field -> the path of predicates from a trial built from a record to its text
TEXT_FIELDS: dict[str, tuple[str, ...]] = {
    "title": (_LABEL,),
    "official-title": (str(iris.KG.officialTitle),),
    "summary": (str(iris.KG.briefSummary),),
    "condition": (str(iris.KG.condition), _LABEL),
    "keyword": (str(iris.KG.keyword),),
    "intervention": (str(iris.KG.hasIntervention), _LABEL),
    "intervention-description": (str(iris.KG.hasIntervention), _DESCRIPTION),
    "detailed-description": (str(iris.KG.detailedDescription),),
    "arm-description": (str(iris.KG.hasArm), _DESCRIPTION),
    "outcome": (str(iris.KG.hasOutcome), _LABEL),
    "acronym": (str(iris.KG.acronym),),
    "other-name": (str(iris.KG.hasIntervention), str(iris.KG.otherName)),
    "arm-label": (str(iris.KG.hasArm), _LABEL),
    "outcome-description": (str(iris.KG.hasOutcome), _DESCRIPTION),
    "inclusion": (str(iris.KG.hasEligibility), str(iris.KG.inclusionCriterion)),
    "exclusion": (str(iris.KG.hasEligibility), str(iris.KG.exclusionCriterion)),
}
# The fields that name the trial: their words are also a kind of their own, `title-word`, which the fitted
# weights can count apart from the words of the longer texts.
TITLE_FIELDS = ("title", "official-title", "acronym")
BASELINE_FIELDS = ("title", "official-title", "summary", "condition", "keyword", "intervention")
BASELINE_STOPWORDS = frozenset(
    "the and for with from that this are was were will been have has not but its into than then their which "
    "who whom what when where why how all any can may also such these those other study trial patients".split()
)
# Words for features: the baseline's list plus the registry's boilerplate, which says nothing about the subject.
STOPWORDS = BASELINE_STOPWORDS | frozenset(
    "about after against among based before being between both during each either more most must only over "
    "per should some through under until upon very well while within without would our your they them there "
    "here one two three four five six first second third day days week weeks month months year years "
    "subject subjects participant participants group groups arm arms randomized randomised placebo "
    "controlled control phase open label pilot safety efficacy evaluate evaluation assess investigate "
    "determine compare comparing compared effect effects treatment treated therapy clinical dose doses "
    "multicenter multi-center double-blind single blind purpose primary secondary objective aim".split()
)


@dataclass
class TrialTexts:
    """Each trial's text, field by field (a field can hold several values: conditions, keywords)."""

    fields: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    def text(self, nct: str, names: tuple[str, ...] | None = None) -> str:
        parts = self.fields.get(nct, {})
        return "\n".join(v for name, values in sorted(parts.items()) if names is None or name in names for v in values)


def read_texts(store: pyoxigraph.Store, only: Collection[str] | None = None) -> TrialTexts:
    """Each trial's text; with `only`, just those trials'."""
    texts = TrialTexts()
    for nct, walk in trials(store, only):
        add_text(texts, nct, walk)
    return texts


def add_text(texts: TrialTexts, nct: str, walk: Walk) -> None:
    """The trial's distinct values of each text field, sorted (a trial met twice adds what is new)."""
    for name, path in TEXT_FIELDS.items():
        found = walk.values(*path)
        if found:
            values = texts.fields.setdefault(nct, {}).setdefault(name, [])
            values.extend(v for v in found if v not in values)
            values.sort()


def without_nct_ids(text: str) -> str:
    return str(textpatterns.NCT_ID_ANY_CASE.sub(" ", text))


def baseline_tokens(text: str) -> list[str]:
    found = textpatterns.BASELINE_TOKEN.findall(without_nct_ids(text).lower())
    return [t for t in found if t not in BASELINE_STOPWORDS]


def words(text: str) -> list[str]:
    """Feature words: runs of letters, digits and inner hyphens, lower-cased, 3+ characters, not stop
    words, not numbers, and never an identifier (an NCT id, or four or more digits)."""
    out = []
    for run in textpatterns.word_runs(without_nct_ids(text).casefold().replace("-", "_")):
        word = _feature_word(run)
        if word:
            out.append(word)
    return out


@functools.lru_cache(maxsize=1 << 18)
def _feature_word(run: str) -> str:
    """One run of word characters (hyphens read as `_`) as a feature word, or "" when it is none."""
    token = run.strip("_").replace("_", "-")
    if len(token) < 3 or not token[0].isalpha() or token in STOPWORDS:
        return ""
    if sum(c.isdigit() for c in token) >= 4:
        return ""
    return plural_stem(token)


def plural_stem(token: str) -> str:
    """`cells` -> `cell`, `therapies` -> `therapy`: a plural and its singular are one word."""
    if len(token) > 4 and token.endswith("ies"):
        return token[:-3] + "y"
    if len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


def _normalized(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    return (sparse.diags(np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)) @ matrix).tocsr()


def _counts(texts: TrialTexts, trials: list[str]) -> tuple[sparse.csr_matrix, np.ndarray]:
    documents = [Counter(baseline_tokens(texts.text(nct, BASELINE_FIELDS))) for nct in trials]
    vocabulary = {t: i for i, t in enumerate(sorted({t for d in documents for t in d}))}
    rows, cols, data = [], [], []
    for i, document in enumerate(documents):
        for token, count in document.items():
            rows.append(i)
            cols.append(vocabulary[token])
            data.append(float(count))
    matrix = sparse.csr_matrix((data, (rows, cols)), shape=(len(trials), len(vocabulary)))
    df = np.bincount(matrix.indices, minlength=len(vocabulary)).astype(float)
    return matrix, df


def tfidf_matrix(texts: TrialTexts, trials: list[str]) -> sparse.csr_matrix:
    """Rows: L2-normalized TF-IDF vectors (tf = 1 + log count, idf = log N/df), in `trials` order."""
    matrix, df = _counts(texts, trials)
    idf = np.log(len(trials) / np.maximum(df, 1))
    weighted = matrix.copy()
    weighted.data = 1.0 + np.log(weighted.data)
    return _normalized(weighted @ sparse.diags(idf))


class Bm25:
    """Okapi BM25 between trials: each query trial's distinct tokens against every trial's text."""

    def __init__(self, texts: TrialTexts, trials: list[str], k1: float = 1.2, b: float = 0.75) -> None:
        counts, df = _counts(texts, trials)
        n = len(trials)
        self.idf = np.log(1 + (n - df + 0.5) / (df + 0.5))
        lengths = np.asarray(counts.sum(axis=1)).ravel()
        average = lengths.mean() if n else 1.0
        saturated = counts.tocoo()
        norm = k1 * (1 - b + b * lengths[saturated.row] / max(average, 1e-9))
        values = saturated.data * (k1 + 1) / (saturated.data + norm)
        self.document = sparse.csr_matrix((values, (saturated.row, saturated.col)), shape=counts.shape)
        self.present = (counts > 0).astype(float).tocsr()

    def scores(self, rows: np.ndarray) -> np.ndarray:
        """Dense (len(rows) × trials) scores."""
        query = self.present[rows] @ sparse.diags(self.idf)
        return np.asarray((query @ self.document.T).todense())


def cosine_rows(matrix: sparse.csr_matrix, rows: np.ndarray) -> np.ndarray:
    return np.asarray((matrix[rows] @ matrix.T).todense())


def idf(document_frequency: int, total: int) -> float:
    return math.log(1 + total / max(1, document_frequency))
