"""A trial's features and text read by walking the store from the trial, not by SPARQL.

Recommendations read a few dozen paths of every trial (its title, its arms' labels, its conditions' MeSH
terms, …). As SPARQL that is one query per path, each joining every trial again; walking instead reads
each trial's statements once, and those of each node it links to once, by indexed lookups (subject
first), so the cost is the trial's own statements. The answers are the SPARQL patterns' answers: the
same paths, values as their lexical forms, each distinct value once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from typing import Any, Protocol

import pyoxigraph

from kg.rdf import iris
from kg.rdf.terms import TextTriple, iri_of_text, literal_parts

Term = pyoxigraph.NamedNode | pyoxigraph.BlankNode | pyoxigraph.Literal | pyoxigraph.Triple
_DEFAULT = pyoxigraph.DefaultGraph()
_DERIVED_FROM = pyoxigraph.NamedNode(str(iris.PROV.wasDerivedFrom))
_NCT_ID = pyoxigraph.NamedNode(str(iris.KG.nctId))


class TrialWalk:
    """One trial's outgoing statements, and those of the nodes they lead to, each node read once."""

    def __init__(self, store: pyoxigraph.Store, trial: pyoxigraph.NamedNode | pyoxigraph.BlankNode) -> None:
        self._store = store
        self._read: dict[Term, dict[str, list[Term]]] = {}
        self.trial = trial

    def _out(self, node: Term) -> dict[str, list[Term]]:
        found = self._read.get(node)
        if found is None:
            found = defaultdict(list)
            if isinstance(node, pyoxigraph.NamedNode | pyoxigraph.BlankNode):
                for quad in self._store.quads_for_pattern(node, None, None, _DEFAULT):
                    found[quad.predicate.value].append(quad.object)
            self._read[node] = found
        return found

    def nodes(self, *path: str, start: Term | None = None) -> list[Term]:
        """The objects at the end of a path of predicate IRIs from the trial (or from `start`)."""
        current: list[Term] = [self.trial if start is None else start]
        for predicate in path:
            current = [value for node in current for value in self._out(node).get(predicate, ())]
        return current

    def values(self, *path: str, start: Term | None = None) -> list[str]:
        """The distinct lexical forms at the end of the path, in the order first met."""
        return list(dict.fromkeys(term.value for term in self.nodes(*path, start=start) if hasattr(term, "value")))


class Walk(Protocol):
    """What feature and text reading asks of a trial's walk: a store's (`TrialWalk`) or a build's (`TextWalk`)."""

    def nodes(self, *path: str, start: Any = None) -> list[Any]: ...

    def values(self, *path: str, start: Any = None) -> list[str]: ...


class TextWalk:
    """`TrialWalk` over the N-Triples text a build maps for one trial (its own statements and those of the
    nodes it references), so the build's workers read a trial's features without a store."""

    def __init__(self, triples: Iterable[TextTriple], trial: str) -> None:
        out: dict[str, dict[str, list[str]]] = {}
        for s, p, o in triples:
            out.setdefault(s, {}).setdefault(iri_of_text(p), []).append(o)
        self._out = out
        self.trial = trial

    def nodes(self, *path: str, start: str | None = None) -> list[str]:
        current = [self.trial if start is None else start]
        for predicate in path:
            current = [value for node in current for value in self._out.get(node, {}).get(predicate, ())]
        return current

    def values(self, *path: str, start: str | None = None) -> list[str]:
        return list(dict.fromkeys(_lexical(term) for term in self.nodes(*path, start=start)))


def _lexical(term: str) -> str:
    """What pyoxigraph's `.value` gives: an IRI, a literal's lexical form, a blank node's id."""
    if term[0] == "<":
        return iri_of_text(term)
    if term[0] == "_":
        return term[2:]
    return literal_parts(term)[0]


def trials(store: pyoxigraph.Store, only: Collection[str] | None = None) -> Iterator[tuple[str, TrialWalk]]:
    """(NCT id, walk) of every trial built from a record (`?t prov:wasDerivedFrom ?r ; kg:nctId ?nct`), in
    NCT id order; with `only`, just those trials."""
    if only is None:
        subjects = {quad.subject for quad in store.quads_for_pattern(None, _DERIVED_FROM, None, _DEFAULT)}
    else:
        subjects = {
            quad.subject
            for nct in only
            for quad in store.quads_for_pattern(None, _NCT_ID, pyoxigraph.Literal(nct), _DEFAULT)
        }
    found = []
    for subject in subjects:
        if only is not None and not any(True for _ in store.quads_for_pattern(subject, _DERIVED_FROM, None, _DEFAULT)):
            continue
        for quad in store.quads_for_pattern(subject, _NCT_ID, None, _DEFAULT):
            if isinstance(quad.object, pyoxigraph.Literal) and isinstance(
                subject, pyoxigraph.NamedNode | pyoxigraph.BlankNode
            ):
                found.append((quad.object.value, subject))
    for nct, subject in sorted(set(found), key=lambda pair: (pair[0], str(pair[1]))):
        yield nct, TrialWalk(store, subject)


def trial_chunks(store: pyoxigraph.Store, size: int) -> Iterator[list[tuple[str, TrialWalk]]]:
    """`trials(store)` in lists of about `size` trials; a trial's walks are never split between two."""
    chunk: list[tuple[str, TrialWalk]] = []
    for nct, walk in trials(store):
        if len(chunk) >= size and chunk[-1][0] != nct:
            yield chunk
            chunk = []
        chunk.append((nct, walk))
    if chunk:
        yield chunk
