"""`kg build --related K`: each trial's top-K computed neighbours as edges of their own kind.

A direct `kg:similarTo` edge (for simple queries) and a reified `kg:ComputedRelation` node carrying the
score, the method and the rank, so SPARQL can compare computed neighbours with the registry's asserted
`kg:relatedTrial` edges. Both are added to the built graph file atomically.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import cast

import pyoxigraph
from rdflib import Literal
from rdflib.namespace import RDF, RDFS, XSD

from kg.rdf import formats, iris
from kg.rdf.iris import KG
from kg.rdf.mapping import decimal_lexical
from kg.rdf.rdfio import load_graph, rdf_format_of
from kg.rdf.sinks import atomic_path
from kg.rdf.terms import Triple
from kg.similarity.features import read_features
from kg.similarity.scoring import SparseIndex
from kg.validation.results import ValidationResult
from kg.validation.shacl import validate_triples


def computed_related_triples(index: SparseIndex, k: int, method: str) -> list[Triple]:
    triples: list[Triple] = []
    for nct, neighbours in index.all_top(k, method).items():
        source = iris.trial_iri(nct)
        for rank, (other, score) in enumerate(neighbours, 1):
            target = iris.trial_iri(other)
            node = iris.KGR[f"trial/{nct}/similar/{method}/{rank}"]
            triples += [
                (source, KG.similarTo, target),
                (node, RDF.type, KG.ComputedRelation),
                (node, RDFS.label, Literal(f"{nct} ~ {other} ({method}, rank {rank})")),
                (node, KG.fromTrial, source),
                (node, KG.toTrial, target),
                (node, KG.similarityScore, Literal(decimal_lexical(round(score, 6)), datatype=XSD.decimal)),
                (node, KG.similarityMethod, Literal(method)),
                (node, KG.similarityRank, Literal(rank, datatype=XSD.integer)),
            ]
    return triples


def add_computed_related(
    output: Path, rdf_format: str, k: int, method: str, engine: str = "core"
) -> tuple[int, int, list[ValidationResult]]:
    """Append the edges to the graph file (atomically), validated with the build's SHACL engine; returns
    edges, triples added and the shape results."""
    store = pyoxigraph.Store()
    store.bulk_load(path=str(output), format=rdf_format_of(output, rdf_format))
    triples = computed_related_triples(SparseIndex.from_features(read_features(store)), k, method)
    results = validate_triples(triples, engine)
    written = formats.named(rdf_format)
    with atomic_path(output) as temp:
        if written.block is not None:
            shutil.copyfile(output, temp)
            with temp.open("a", encoding="utf-8") as stream:
                stream.write("\n" + written.block(sorted(set(triples))))
        else:
            graph = load_graph(output, rdf_format)
            for triple in triples:
                graph.add(triple)
            temp.write_text(written.document(cast(Iterable[Triple], graph)))
    edges = sum(1 for t in triples if t[1] == KG.similarTo)
    return edges, len(set(triples)), results
