"""The MeSH hierarchy kg knows: NLM's own (`kg build --mesh FILE`) or what the registry's records teach.

NLM's descriptor file gives each descriptor its tree numbers; a descriptor is broader than another when
one of its tree numbers is the other's with the last part cut off (`C06.552` is broader than
`C06.552.380`). Those are real parent edges (`meshv:broaderDescriptor`).

Without NLM's file, the registry's records still say a lot: an API v1/v2 record lists, beside its
condition terms, the MeSH ancestors of those terms. A trial that names exactly one term lists exactly
that term's ancestors, so the list can be learned for the term. Such a list is an ancestor *set*, not a
parent edge, so it is written with a property of its own (`kg:meshAncestor`) and the number of trials
that support it. Terms met only beside others are learned from the ancestors every one of their trials
shares, and only when the trials share no other term (so no other term's ancestors can hide in the
intersection).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from kg import textpatterns
from kg.model.records import MeshTerm


def term_key(term: MeshTerm) -> str:
    """One key per MeSH concept: its id, else its name case-folded (legacy XML names terms without ids)."""
    return term.mesh_id or "name:" + term.term.casefold()


@dataclass
class MeshVocabulary:
    """NLM's descriptors (or the part a build needs): names, entry terms and parent descriptors."""

    labels: dict[str, str] = field(default_factory=dict)  # descriptor id -> preferred name
    synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)  # id -> entry terms (not the name)
    parents: dict[str, tuple[str, ...]] = field(default_factory=dict)  # id -> broader descriptor ids

    def __len__(self) -> int:
        return len(self.labels)

    def ancestors(self, mesh_id: str) -> set[str]:
        """Every descriptor above `mesh_id` (parents, their parents, …)."""
        found: set[str] = set()
        waiting = list(self.parents.get(mesh_id, ()))
        while waiting:
            parent = waiting.pop()
            if parent not in found:
                found.add(parent)
                waiting.extend(self.parents.get(parent, ()))
        return found

    def around(self, mesh_ids: Iterable[str]) -> MeshVocabulary:
        """The descriptors a graph needs: those it names and everything above them."""
        needed: set[str] = set()
        for mesh_id in mesh_ids:
            if mesh_id in self.labels and mesh_id not in needed:
                needed.add(mesh_id)
                needed |= self.ancestors(mesh_id)
        return MeshVocabulary(
            {i: self.labels[i] for i in sorted(needed) if i in self.labels},
            {i: self.synonyms[i] for i in sorted(needed) if i in self.synonyms},
            {i: self.parents[i] for i in sorted(needed) if i in self.parents},
        )

    def names(self) -> Iterator[tuple[str, str]]:
        """(name or entry term, descriptor id) for every descriptor: what text can be matched against."""
        for mesh_id, label in self.labels.items():
            yield label, mesh_id
            for synonym in self.synonyms.get(mesh_id, ()):
                yield synonym, mesh_id


@dataclass(frozen=True)
class LearnedAncestor:
    """`ancestor` lies above `descendant` in MeSH, as `evidence` registry records show."""

    descendant: MeshTerm
    ancestor: MeshTerm
    evidence: int


@dataclass
class _TermEvidence:
    term: MeshTerm
    single: Counter[str] = field(default_factory=Counter)  # ancestor key -> trials naming only this term
    single_trials: int = 0


class AncestryLearner:
    """Learns each condition term's MeSH ancestors from trials' (terms, ancestors) lists.

    Memory is per distinct term (a few ancestor keys each), never per trial: it runs over whole builds.
    """

    def __init__(self, least_co_occurring: int = 3) -> None:
        self._terms: dict[str, _TermEvidence] = {}
        self._named: dict[str, MeshTerm] = {}  # ancestor key -> the ancestor as first met
        # Any concept met in a trial's lists (as a term or an ancestor): the concepts listed with it every
        # time, and how often it was met. Its own ancestors are always among them (the lists are closed
        # upwards), so with enough different trials what is left is them.
        self._with: dict[str, set[str]] = {}
        self._met: Counter[str] = Counter()
        self._least = least_co_occurring

    def observe(self, terms: Iterable[MeshTerm], ancestors: Iterable[MeshTerm]) -> None:
        """One trial's condition terms and the ancestors its record lists for them (none: nothing learned)."""
        own = {term_key(t): t for t in terms}
        above = {term_key(a): a for a in ancestors}
        if not own or not above:
            return
        named = set(own) | set(above)
        for key, term in (*above.items(), *own.items()):  # an ancestor's name as listed wins
            self._named.setdefault(key, term)
            listed = named - {key}  # a term's ancestor may be listed among the terms
            self._with[key] = listed if key not in self._with else self._with[key] & listed
            self._met[key] += 1
        if len(own) == 1:
            (key, term), listed = next(iter(own.items())), set(above) - set(own)
            evidence = self._terms.get(key)
            if evidence is None:
                evidence = self._terms[key] = _TermEvidence(term)
            evidence.single.update(listed)
            evidence.single_trials += 1

    def learned(self) -> list[LearnedAncestor]:
        """Each concept's ancestors where the records make them unambiguous, with how many trials say so.

        A term some trials name alone: the ancestors most of those trials list. Any other concept met in
        at least `least_co_occurring` trials: the concepts met with it in every one of them, leaving out
        pairs that always come together (neither can be told to be above the other)."""
        found: list[LearnedAncestor] = []
        for key in sorted(self._terms):
            evidence = self._terms[key]
            for ancestor, count in sorted(evidence.single.items()):
                if 2 * count > evidence.single_trials:
                    found.append(LearnedAncestor(evidence.term, self._named[ancestor], count))
        learned = {term_key(edge.descendant) for edge in found}
        for key in sorted(self._with):
            if key in learned or self._met[key] < self._least:
                continue
            above = {a for a in self._with[key] if key not in self._with.get(a, ())}  # never both ways
            for ancestor in sorted(above):
                found.append(LearnedAncestor(self._named[key], self._named[ancestor], self._met[key]))
        return found


# Names too general to say what a trial studies, met as a word of nearly any condition text.
_TOO_GENERAL = frozenset({"disease", "diseases", "syndrome", "disorder", "disorders", "infection", "infections"})


def name_words(text: str) -> tuple[str, ...]:
    """A name as the words it is matched by: case-folded, punctuation gone (`Hepatitis, Viral, Human`
    and `hepatitis viral human` are one name)."""
    return tuple(word for word in textpatterns.word_runs(text.casefold().replace("_", " ")))


class MeshNames:
    """MeSH names (and NLM's entry terms) to find in free text: for trials the registry mapped to no
    MeSH term, whose conditions ("Acute-on-chronic Liver Failure") still name one."""

    def __init__(self, names: Iterable[tuple[str, MeshTerm]] = ()) -> None:
        self._terms: dict[tuple[str, ...], MeshTerm] = {}
        self._longest = 0
        for name, term in names:
            self.add(name, term)

    def add(self, name: str, term: MeshTerm) -> None:
        words = name_words(name)
        if not words or (len(words) == 1 and (len(words[0]) < 4 or words[0] in _TOO_GENERAL)):
            return
        self._terms.setdefault(words, term)
        self._longest = max(self._longest, len(words))

    def __len__(self) -> int:
        return len(self._terms)

    def found_in(self, texts: Iterable[str]) -> tuple[MeshTerm, ...]:
        """The terms named in the texts, longest name first at each place (`Acute-On-Chronic Liver
        Failure`, not also `Liver Failure` inside it)."""
        found: dict[str, MeshTerm] = {}
        for text in texts:
            words = name_words(text)
            start = 0
            while start < len(words):
                for length in range(min(self._longest, len(words) - start), 0, -1):
                    term = self._terms.get(words[start : start + length])
                    if term is not None:
                        found.setdefault(term_key(term), term)
                        start += length
                        break
                else:
                    start += 1
        return tuple(found.values())


def feature_key(term: MeshTerm) -> str:
    """How recommendation features name a concept: its MeSH id, else its label."""
    return term.mesh_id or term.term


def hierarchy_above(vocabulary: MeshVocabulary | None, learned: Iterable[LearnedAncestor]) -> dict[str, dict[str, str]]:
    """Feature key -> {key: label} of every concept above it through NLM's parent edges and the learned
    ancestors: what a walk up `kg:meshAncestor|meshv:broaderDescriptor` from the concept finds."""
    steps: dict[str, dict[str, str]] = {}
    for edge in learned:
        steps.setdefault(feature_key(edge.descendant), {})[feature_key(edge.ancestor)] = edge.ancestor.term
    if vocabulary is not None:
        for mesh_id, parents in vocabulary.parents.items():
            for parent in parents:
                if parent in vocabulary.labels:
                    steps.setdefault(mesh_id, {})[parent] = vocabulary.labels[parent]
    above: dict[str, dict[str, str]] = {}
    for start in steps:
        found: dict[str, str] = {}
        waiting = [start]
        while waiting:
            for key, label in steps.get(waiting.pop(), {}).items():
                if key not in found and key != start:
                    found[key] = label
                    waiting.append(key)
        above[start] = found
    return above


def agreeing_with(vocabulary: MeshVocabulary | None, learned: Iterable[LearnedAncestor]) -> list[LearnedAncestor]:
    """The learned ancestors NLM's hierarchy does not contradict: where NLM knows both concepts, the
    ancestor must be above the descendant in NLM's tree too (a co-occurrence can put Pathologic Processes
    under Liver Diseases; NLM cannot). Concepts NLM's file does not hold (another tree, a supplementary
    concept) keep what the records teach."""
    if vocabulary is None:
        return list(learned)
    by_name = {label.casefold(): mesh_id for mesh_id, label in vocabulary.labels.items()}
    kept = []
    for edge in learned:
        below = edge.descendant.mesh_id or by_name.get(edge.descendant.term.casefold())
        above = edge.ancestor.mesh_id or by_name.get(edge.ancestor.term.casefold())
        if below in vocabulary.labels and above in vocabulary.labels and above not in vocabulary.ancestors(below):
            continue
        kept.append(edge)
    return kept


def learned_ancestor_sets(learned: Iterable[LearnedAncestor]) -> dict[str, set[str]]:
    """Term key -> the keys of its learned ancestors."""
    sets: dict[str, set[str]] = {}
    for edge in learned:
        sets.setdefault(term_key(edge.descendant), set()).add(term_key(edge.ancestor))
    return sets


__all__ = [
    "feature_key",
    "hierarchy_above",
    "AncestryLearner",
    "LearnedAncestor",
    "MeshNames",
    "MeshVocabulary",
    "name_words",
    "learned_ancestor_sets",
    "term_key",
]
