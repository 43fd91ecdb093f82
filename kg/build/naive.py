"""The naive reference build: every trial mapped into one rdflib graph, no workers, no streaming."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from rdflib import Graph

from kg.build.merge import TrialIndex
from kg.model.mesh import AncestryLearner, agreeing_with
from kg.model.records import TrialRecord
from kg.rdf import iris
from kg.rdf.mapping import map_trial
from kg.rdf.mesh_hierarchy import hierarchy_triples
from kg.rdf.terms import iri_of_text, rdflib_triples
from kg.sources import iter_records
from kg.sources.mesh_vocabulary import BUNDLED_MESH, read_mesh_vocabulary


def build_in_memory(
    inputs: list[str], input_format: str = "auto", include_contacts: bool = False, mesh_file: Path | None = BUNDLED_MESH
) -> Graph:
    """The naive reference: every trial mapped into one rdflib graph, no workers, no streaming (no
    provenance or validation). The streaming build must give the same graph; the benchmark times both."""
    vocabulary = read_mesh_vocabulary(mesh_file) if mesh_file is not None else None
    records = [r for r in iter_records(inputs, input_format, include_contacts) if isinstance(r, TrialRecord)]
    index = TrialIndex()
    for record in records:
        index.offer(record)
    index.resolve()
    index.name_mesh_terms(vocabulary)
    graph, described, learner = Graph(), set(), AncestryLearner()
    for trial in index.trials(records):
        if not trial.mesh_terms:
            trial = replace(trial, text_mesh_terms=index.mesh_in_text(trial))
        if trial.mesh_ancestors:
            learner.observe(trial.mesh_terms, trial.mesh_ancestors)
        mapped = map_trial(trial)
        for triple in rdflib_triples(mapped.own):
            graph.add(triple)
        for node, triples in mapped.shared.items():
            if node in described or iris.nct_id_of(iri_of_text(node)) in index:
                continue
            described.add(node)
            for triple in rdflib_triples(triples):
                graph.add(triple)
    named = None
    if vocabulary is not None:
        named = vocabulary.around(iris.mesh_id_of(iri_of_text(node)) or "" for node in described)
    learned = agreeing_with(vocabulary, learner.learned())
    for triple in rdflib_triples(hierarchy_triples(named, learned, described)[0]):
        graph.add(triple)
    return graph
