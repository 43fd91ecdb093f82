"""One batch of triples indexed in plain dicts, and the focus nodes each SHACL target selects in it.

Separate from `kg.validation.core` (compiling shapes) and `kg.validation.constraints` (value checks):
this is the data side every check reads, and it is the hot path, so it holds terms as their N-Triples
text (`<iri>`, `"literal"…`, `_:id`), as the mapping writes them: no rdflib objects.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from rdflib import URIRef

from kg.rdf.iris import RDF, RDFS, SH
from kg.rdf.terms import iri_text

Node = str  # a term's N-Triples text
_TYPE, _SUBCLASS = iri_text(RDF.type), iri_text(RDFS.subClassOf)
TARGETS = {SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode}


class DataIndex:
    """One batch of triples indexed for the lookups constraints make (reverse indexes built on demand)."""

    __slots__ = ("objects", "_types", "_subjects_of", "_objects_of", "superclasses")

    def __init__(self, triples: Iterable[tuple[Node, Node, Node]]) -> None:
        objects: dict[Node, dict[Node, set[Node]]] = {}
        for s, p, o in triples:
            by_predicate = objects.get(s)
            if by_predicate is None:
                objects[s] = {p: {o}}
                continue
            values = by_predicate.get(p)
            if values is None:
                by_predicate[p] = {o}
            else:
                values.add(o)
        self.objects = objects
        self._types: dict[Node, set[Node]] | None = None
        self._subjects_of: dict[Node, set[Node]] = {}
        self._objects_of: dict[Node, set[Node]] = {}
        pairs = [(s, o) for s, by_p in objects.items() for o in by_p.get(_SUBCLASS, ())]
        self.superclasses: dict[Node, set[Node]] = _transitive(pairs) if pairs else {}

    def values(self, node: Node, predicate: Node) -> set[Node]:
        by_predicate = self.objects.get(node)
        if by_predicate is None:
            return _EMPTY
        return by_predicate.get(predicate) or _EMPTY

    def subjects_of(self, predicate: Node) -> set[Node]:
        if predicate not in self._subjects_of:
            self._subjects_of[predicate] = {s for s, by_p in self.objects.items() if predicate in by_p}
        return self._subjects_of[predicate]

    def objects_of(self, predicate: Node) -> set[Node]:
        if predicate not in self._objects_of:
            self._objects_of[predicate] = {o for by_p in self.objects.values() for o in by_p.get(predicate, ())}
        return self._objects_of[predicate]

    def instances(self, cls: Node) -> set[Node]:
        if self._types is None:
            self._types = {}
            for s, by_p in self.objects.items():
                for node_type in by_p.get(_TYPE, ()):
                    self._types.setdefault(node_type, set()).add(s)
        found = set(self._types.get(cls, ()))
        for sub, supers in self.superclasses.items():
            if cls in supers:
                found.update(self._types.get(sub, ()))
        return found

    def is_instance(self, node: Node, cls: Node) -> bool:
        if node[0] == '"':  # a literal is no instance of anything
            return False
        for node_type in self.values(node, _TYPE):
            if node_type == cls or (self.superclasses and cls in self.superclasses.get(node_type, ())):
                return True
        return False


_EMPTY: set[Node] = set()


def _transitive(pairs: list[tuple[Node, Node]]) -> dict[Node, set[Node]]:
    direct: dict[Node, set[Node]] = defaultdict(set)
    for sub, sup in pairs:
        direct[sub].add(sup)
    closure: dict[Node, set[Node]] = {}
    for start in direct:
        seen: set[Node] = set()
        stack = list(direct[start])
        while stack:
            node = stack.pop()
            if node not in seen:
                seen.add(node)
                stack.extend(direct.get(node, ()))
        closure[start] = seen
    return closure


@dataclass(frozen=True)
class Target:
    kind: URIRef  # sh:targetClass, sh:targetSubjectsOf, sh:targetObjectsOf or sh:targetNode
    node: Node  # as text


def focus_nodes(data: DataIndex, target: Target) -> set[Node]:
    if target.kind == SH.targetClass:
        return data.instances(target.node)
    if target.kind == SH.targetSubjectsOf:
        return data.subjects_of(target.node)
    if target.kind == SH.targetObjectsOf:
        return data.objects_of(target.node)
    return {target.node}  # sh:targetNode: validated whether or not the data mentions it
