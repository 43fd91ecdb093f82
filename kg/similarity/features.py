"""Trial features read from the graph with SPARQL: what two trials can have in common.

Kinds and their base weights (a feature's weight is its kind's base weight times its IDF, so rare
features count more than common ones):

| kind | from | base weight |
|---|---|---|
| mesh | the trial's condition MeSH terms | 1.0 |
| mesh-ancestor | the registry's MeSH ancestors of those terms | 0.5 (more general) |
| condition | the registrant's condition text, normalized | 0.8 |
| intervention | intervention names, normalized (type prefix dropped) | 1.0 |
| intervention-mesh | intervention MeSH terms | 1.0 |
| dose | dose band: unit and power of ten of the highest amount | 0.6 |
| sponsor | lead sponsor | 0.5 |
| phase | phase code | 0.3 |
| design | allocation, intervention model, masking, primary purpose | 0.2 |
| country | site countries | 0.2 |
| word | words of the title, official title, acronym, summaries, conditions, keywords, interventions (names, other names, descriptions), arms, outcomes, eligibility criteria | 0.3 |
| word-pair | two adjacent words of one of those texts | 0.3 |
| title-word | words of the title, official title and acronym alone | 0.3 |

Registry-listed related trials are never features: they are what recommendations are judged against; nor
are references, PubMed ids, secondary or org study ids, NCT ids named in text, dates or sources.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field

import pyoxigraph

from kg import textpatterns
from kg.rdf import iris
from kg.similarity.text import TITLE_FIELDS, TrialTexts, read_texts, trial_restrictions, words

KIND_WEIGHTS = {
    "mesh": 1.0,
    "mesh-ancestor": 0.5,
    "condition": 0.8,
    "intervention": 1.0,
    "intervention-mesh": 1.0,
    "dose": 0.6,
    "sponsor": 0.5,
    "phase": 0.3,
    "design": 0.2,
    "country": 0.2,
    "word": 0.3,
    "word-pair": 0.3,
    "title-word": 0.3,
}
KIND_LABELS = {
    "mesh": "MeSH", "mesh-ancestor": "MeSH branch", "condition": "condition", "intervention": "intervention",
    "intervention-mesh": "intervention MeSH", "dose": "dose band", "sponsor": "sponsor", "phase": "phase",
    "design": "design", "country": "country", "word": "word", "word-pair": "words", "title-word": "title word",
}  # fmt: skip

_PREFIXES = iris.sparql_prefixes()
# Each query yields ?nct ?key ?label for one feature kind, over trials built from a record.
_QUERIES = {
    "mesh": "?t kg:conditionMesh ?m . ?m rdfs:label ?label . OPTIONAL { ?m kg:meshId ?id } BIND(COALESCE(?id, ?label) AS ?key)",
    "mesh-ancestor": "?t kg:conditionMeshAncestor ?m . ?m rdfs:label ?label . OPTIONAL { ?m kg:meshId ?id } BIND(COALESCE(?id, ?label) AS ?key)",
    "condition": "?t kg:condition/rdfs:label ?label . BIND(LCASE(?label) AS ?key)",
    "intervention": "?t kg:hasIntervention/rdfs:label ?label . BIND(LCASE(?label) AS ?key)",
    "intervention-mesh": "?t kg:interventionMesh ?m . ?m rdfs:label ?label . OPTIONAL { ?m kg:meshId ?id } BIND(COALESCE(?id, ?label) AS ?key)",
    "dose": "?t kg:hasArm/kg:hasDose ?d . ?d schema:maxValue ?high ; schema:unitText ?unit . BIND(?unit AS ?label) BIND(STR(?high) AS ?key)",
    "sponsor": "?t kg:leadSponsor/rdfs:label ?label . BIND(LCASE(?label) AS ?key)",
    "phase": "?t kg:phase ?label . BIND(?label AS ?key)",
    "design": "{ ?t kg:allocation ?label } UNION { ?t kg:interventionModel ?label } UNION { ?t kg:masking ?label } UNION { ?t kg:primaryPurpose ?label } BIND(?label AS ?key)",
    "country": "?t kg:hasLocation/schema:addressCountry ?label . BIND(LCASE(?label) AS ?key)",
}


@dataclass
class TrialFeatures:
    """Every trial's feature set, with each feature's label, kind and weight (base weight × IDF)."""

    trials: dict[str, set[str]] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    weights: dict[str, float] = field(default_factory=dict)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # word features: times each occurs

    def trial_ids(self) -> list[str]:
        return sorted(self.trials)


def readable(feature: str, label: str) -> str:
    """`mesh:D017093` labelled `Liver Failure` -> `MeSH Liver Failure (D017093)`."""
    kind, _, key = feature.partition(":")
    if kind in ("mesh", "mesh-ancestor", "intervention-mesh") and key != label:
        return f"{KIND_LABELS[kind]} {label} ({key})"
    return f"{KIND_LABELS[kind]} {label}"


def normalize(text: str) -> str:
    return " ".join(textpatterns.word_runs(text.casefold()))


def dose_band(high: str, unit: str) -> tuple[str, str]:
    """`2000000.0`, `cells/kg` -> key `cells/kg:1e6`, label `1e6 cells/kg` (the power of ten)."""
    value = float(high)
    power = math.floor(math.log10(value)) if value > 0 else 0
    return f"{unit}:1e{power}", f"1e{power} {unit}"


def read_features(
    store: pyoxigraph.Store, with_words: bool = True, only: Collection[str] | None = None
) -> TrialFeatures:
    """Every trial's features; with `only`, just those trials' (an update reads the rebuilt ones alone).
    Weights are over the trials read."""
    features = TrialFeatures()
    for restriction in trial_restrictions(only):
        titles = store.query(
            _PREFIXES
            + f"SELECT ?nct ?title WHERE {{ {restriction} ?t prov:wasDerivedFrom ?r ; kg:nctId ?nct ; rdfs:label ?title }}"
        )
        for row in titles:  # type: ignore[union-attr]
            nct = row["nct"].value
            features.trials.setdefault(nct, set())
            features.titles[nct] = row["title"].value
        for kind, pattern in _QUERIES.items():
            query = (
                _PREFIXES
                + f"SELECT DISTINCT ?nct ?key ?label WHERE {{ {restriction} ?t prov:wasDerivedFrom ?r ; kg:nctId ?nct . {pattern} }}"
            )
            for row in store.query(query):  # type: ignore[union-attr]
                _add_feature(features, kind, row["nct"].value, row["key"].value, row["label"].value)
    if with_words:
        add_words(features, read_texts(store, only))
    weigh(features)
    return features


def _add_feature(features: TrialFeatures, kind: str, nct: str, key: str, label: str) -> None:
    if kind == "dose":
        key, label = dose_band(key, label)
    elif kind in ("condition", "intervention", "sponsor", "country"):
        key = normalize(key)
    feature = f"{kind}:{key}"
    features.trials.setdefault(nct, set()).add(feature)
    features.labels.setdefault(feature, label)
    features.kinds[feature] = kind


def add_words(features: TrialFeatures, texts: TrialTexts) -> None:
    """Each word of a trial's text becomes a feature `word:<word>`, and each pair of adjacent words within
    one text `word-pair:<word> <word>`, counted for term frequency; a word of the title, official title or
    acronym is also `title-word:<word>`."""
    for nct in features.trials:
        counts: Counter[str] = Counter()
        for name, values in texts.fields.get(nct, {}).items():
            for value in values:
                found = words(value)
                counts.update(["word:" + word for word in found])
                if name in TITLE_FIELDS:
                    counts.update(["title-word:" + word for word in found])
                counts.update([f"word-pair:{first} {second}" for first, second in zip(found, found[1:], strict=False)])
        features.trials[nct].update(counts)
        for feature in counts:
            if feature not in features.kinds:  # a word's label is the word itself
                kind, _, label = feature.partition(":")
                features.kinds[feature], features.labels[feature] = kind, label
        features.counts[nct] = dict(counts)


def weigh(features: TrialFeatures) -> None:
    """weight(f) = base weight of f's kind × log(1 + N / df(f)): rarer features count more."""
    document_frequency: dict[str, int] = defaultdict(int)
    for feature_set in features.trials.values():
        for feature in feature_set:
            document_frequency[feature] += 1
    total = max(1, len(features.trials))
    features.weights = {
        f: KIND_WEIGHTS[features.kinds[f]] * math.log(1 + total / df) for f, df in document_frequency.items()
    }
