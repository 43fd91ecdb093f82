"""`kg build --related K`: each trial's top-K computed neighbours as edges of their own kind.

A direct `kg:similarTo` edge (for simple queries) and a reified `kg:ComputedRelation` node carrying the
score, the method and the rank, so SPARQL can compare computed neighbours with the registry's asserted
`kg:relatedTrial` edges. Both are added to the built graph file atomically.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph
from rdflib import Graph, Literal
from rdflib.namespace import RDF, RDFS, XSD

from kg.rdf import iris
from kg.rdf.iris import KG
from kg.rdf.mapping import decimal_literal
from kg.rdf.rdfio import load_graph, rdf_format_of
from kg.rdf.sinks import atomic_path, bind_prefixes
from kg.rdf.terms import Triple, ntriples, turtle_block
from kg.similarity.features import read_features
from kg.similarity.scoring import SparseIndex
from kg.validation.shacl import ValidationResult, validate_graph


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
                (node, KG.similarityScore, decimal_literal(round(score, 6))),
                (node, KG.similarityMethod, Literal(method)),
                (node, KG.similarityRank, Literal(rank, datatype=XSD.integer)),
            ]
    return triples


def add_computed_related(output: Path, k: int, method: str) -> tuple[int, int, list[ValidationResult]]:
    """Append the edges to the graph file (atomically); returns edges, triples added and shape results."""
    store = pyoxigraph.Store()
    store.bulk_load(path=str(output), format=rdf_format_of(output))
    triples = computed_related_triples(SparseIndex.from_features(read_features(store)), k, method)
    graph = Graph()
    for triple in triples:
        graph.add(triple)
    results = validate_graph(graph)
    suffix = output.suffix.lower()
    with atomic_path(output) as temp:
        if suffix in (".ttl", ".nt"):
            shutil.copyfile(output, temp)
            with temp.open("a", encoding="utf-8") as stream:
                stream.write("\n" + (turtle_block(triples) if suffix == ".ttl" else ntriples(set(triples))))
        else:
            whole = bind_prefixes(load_graph(output))
            whole += graph
            temp.write_text(
                whole.serialize(format="json-ld", context={p: str(n) for p, n in iris.PREFIXES.items()}, indent=1)
            )
    edges = sum(1 for t in triples if t[1] == KG.similarTo)
    return edges, len(graph), results
