"""Trial features read from the graph with SPARQL: what two trials can have in common.

Kinds and their base weights (a feature's weight is its kind's base weight times its IDF, so rare
features count more than common ones):

| kind | from | base weight |
|---|---|---|
| mesh | the trial's condition MeSH terms (the registry's, or those kg found in its condition text) | 1.0 |
| mesh-ancestor | the MeSH concepts above those terms: the registry's ancestor lists, and the graph's hierarchy (NLM's parent edges, ancestors learned from the records) | 0.5 (more general) |
| condition | the registrant's condition text, normalized | 0.8 |
| intervention | intervention names, normalized (type prefix dropped) | 1.0 |
| intervention-mesh | intervention MeSH terms | 1.0 |
| dose | dose band: unit and power of ten of the highest amount | 0.6 |
| cell-product | a cell therapy's cell type, tissue source, donor and route (`type MSC`, `source umbilical cord`) | 0.6 |
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
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

import pyoxigraph

from kg import textpatterns
from kg.rdf import iris
from kg.similarity.text import TITLE_FIELDS, TrialTexts, add_text, words
from kg.similarity.walk import Walk, trials

KIND_WEIGHTS = {
    "mesh": 1.0,
    "mesh-ancestor": 0.5,
    "condition": 0.8,
    "intervention": 1.0,
    "intervention-mesh": 1.0,
    "dose": 0.6,
    "cell-product": 0.6,
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
    "intervention-mesh": "intervention MeSH", "dose": "dose band", "cell-product": "cell product", "sponsor": "sponsor", "phase": "phase",
    "design": "design", "country": "country", "word": "word", "word-pair": "words", "title-word": "title word",
}  # fmt: skip

_LABEL, _MESH_ID = str(iris.RDFS.label), str(iris.KG.meshId)
# Kinds read as MeSH concepts: the path to the concept; its key is its MeSH id, else its label.
_MESH_PATHS = {
    "mesh": (str(iris.KG.conditionMesh), str(iris.KG.conditionMeshFromText)),
    "mesh-ancestor": (str(iris.KG.conditionMeshAncestor),),
    "intervention-mesh": (str(iris.KG.interventionMesh),),
}
# Steps up the graph's MeSH hierarchy: NLM's parent edges and learned ancestors. Two trials on Liver
# Failure and on Hepatic Insufficiency share what lies above both; IDF makes a specific one count more.
HIERARCHY_STEPS = (str(iris.KG.meshAncestor), str(iris.MESHV.broaderDescriptor))
# Kinds read as a label at the end of a path: the label is the key (normalized for some kinds below).
_LABEL_PATHS: dict[str, list[tuple[str, ...]]] = {
    "condition": [(str(iris.KG.condition), _LABEL)],
    "intervention": [(str(iris.KG.hasIntervention), _LABEL)],
    "sponsor": [(str(iris.KG.leadSponsor), _LABEL)],
    "phase": [(str(iris.KG.phase),)],
    "design": [
        (str(p),) for p in (iris.KG.allocation, iris.KG.interventionModel, iris.KG.masking, iris.KG.primaryPurpose)
    ],
    "country": [(str(iris.KG.hasLocation), str(iris.SCHEMA.addressCountry))],
}
_CODES = ("phase", "design")  # registry codes, kept as written; names are lower-cased
_DOSES = (str(iris.KG.hasArm), str(iris.KG.hasDose))
# A cell therapy's fields, each a feature `cell-product:<field> <value>` (two trials of umbilical-cord MSCs
# given into a peripheral vein share three).
_CELL_PATHS = {
    name: (str(iris.KG.hasIntervention), str(predicate))
    for name, predicate in (
        ("type", iris.KG.cellType),
        ("source", iris.KG.tissueSource),
        ("donor", iris.KG.cellDonor),
        ("route", iris.KG.deliveryRoute),
    )
}
_HIGH, _UNIT = str(iris.SCHEMA.maxValue), str(iris.SCHEMA.unitText)


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
    features = features_of(trials(store, only), with_words)
    weigh(features)
    return features


def features_of(walks: Iterable[tuple[str, Walk]], with_words: bool = True) -> TrialFeatures:
    """The features (not yet weighed) of the trials walked: a whole store's, or one chunk of it."""
    features = TrialFeatures()
    texts = TrialTexts()
    for nct, walk in walks:
        titles = walk.values(_LABEL)
        if titles:
            features.trials.setdefault(nct, set())
            features.titles[nct] = titles[-1]
        for kind, predicates in _MESH_PATHS.items():
            for predicate in predicates:
                for concept in walk.nodes(predicate):
                    _add_concept(features, kind, nct, walk, concept)
        for predicate in _MESH_PATHS["mesh"]:
            for concept in walk.nodes(predicate):
                for above in _above(walk, concept):
                    _add_concept(features, "mesh-ancestor", nct, walk, above)
        for kind, paths in _LABEL_PATHS.items():
            for path in paths:
                for label in walk.values(*path):
                    _add_feature(features, kind, nct, label if kind in _CODES else label.lower(), label)
        for name, path in _CELL_PATHS.items():
            for value in walk.values(*path):
                _add_feature(features, "cell-product", nct, f"{name} {value}", f"{name} {value}")
        for dose in walk.nodes(*_DOSES):
            for high in walk.values(_HIGH, start=dose):
                for unit in walk.values(_UNIT, start=dose):
                    _add_feature(features, "dose", nct, high, unit)
        if with_words:
            add_text(texts, nct, walk)
    if with_words:
        add_words(features, texts)
    return features


def _add_concept(features: TrialFeatures, kind: str, nct: str, walk: Walk, concept: object) -> None:
    """A MeSH concept as a feature keyed by its MeSH id, else by its label."""
    ids = walk.values(_MESH_ID, start=concept)
    for label in walk.values(_LABEL, start=concept):
        for key in ids or [label]:
            _add_feature(features, kind, nct, key, label)


def _above(walk: Walk, concept: object) -> list[object]:
    """Every concept above `concept` in the graph's hierarchy, each once."""
    found: dict[object, None] = {}
    waiting = [concept]
    while waiting:
        node = waiting.pop()
        for step in HIERARCHY_STEPS:
            for parent in walk.nodes(step, start=node):
                if parent not in found and parent != concept:
                    found[parent] = None
                    waiting.append(parent)
    return list(found)


def _add_feature(features: TrialFeatures, kind: str, nct: str, key: str, label: str) -> None:
    if kind == "dose":
        key, label = dose_band(key, label)
    elif kind in ("condition", "intervention", "sponsor", "country"):
        key = normalize(key)
    feature = f"{kind}:{key}"
    features.trials.setdefault(nct, set()).add(feature)
    known = features.labels.get(feature)
    if known is None or label < known:  # the same whatever order trials are read in
        features.labels[feature] = label
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
