"""`kg stats`: nodes per class and edges per property, read as a stream (the graph is never loaded)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph

from kg.rdf.iris import RDF
from kg.rdf.rdfio import iter_quads
from kg.rdf.terms import compact_iri as compact

_RDF_TYPE = str(RDF.type)


@dataclass
class GraphStats:
    triples: int = 0
    classes: Counter[str] = field(default_factory=Counter)
    properties: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, object]:
        return {
            "triples": self.triples,
            "classes": dict(self.classes.most_common()),
            "properties": dict(self.properties.most_common()),
        }


def graph_stats(path: Path) -> GraphStats:
    stats = GraphStats()
    for quad in iter_quads(path):
        stats.triples += 1
        predicate = quad.predicate.value
        stats.properties[compact(predicate)] += 1
        if predicate == _RDF_TYPE and isinstance(quad.object, pyoxigraph.NamedNode):
            stats.classes[compact(quad.object.value)] += 1
    return stats
