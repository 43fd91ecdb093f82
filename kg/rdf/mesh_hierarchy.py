"""The MeSH hierarchy as triples: NLM's parent edges (`meshv:broaderDescriptor`, names and entry terms)
and the ancestors kg learned from the registry's records (`kg:meshAncestor`, with an evidence node that
says how many trials show it). Written once per build, after the trials, as N-Triples text.
"""

from __future__ import annotations

from collections.abc import Iterable

from rdflib.namespace import SKOS as _SKOS

from kg.model.mesh import LearnedAncestor, MeshVocabulary, term_key
from kg.model.records import MeshTerm
from kg.rdf import iris
from kg.rdf.mapping import KG, MESHV, RDF, RDFS, Triple, mesh_concept
from kg.rdf.terms import TextVocabulary, iri_text, literal_text, typed_text

SKOS = TextVocabulary(str(_SKOS))


def hierarchy_triples(
    vocabulary: MeshVocabulary | None, learned: Iterable[LearnedAncestor], written: set[str]
) -> tuple[list[Triple], list[Triple]]:
    """(every hierarchy triple, what was written before about the concepts they name). Concept nodes
    the build has not written yet (not in `written`, updated here) get their type and name in the
    first; the second is for validation, which checks the hierarchy with the nodes it points at."""
    triples: list[Triple] = []
    context: dict[str, list[Triple]] = {}

    def concept(term: MeshTerm) -> str:
        node, said = mesh_concept(term)
        if node not in written:
            written.add(node)
            triples.extend(said)
        elif node not in context:
            context[node] = said
        return node

    if vocabulary is not None:
        for mesh_id, label in vocabulary.labels.items():
            node = concept(MeshTerm(mesh_id, label))
            triples.extend(
                (node, SKOS.altLabel, literal_text(synonym)) for synonym in vocabulary.synonyms.get(mesh_id, ())
            )
            for parent in vocabulary.parents.get(mesh_id, ()):
                if parent in vocabulary.labels:
                    triples.append(
                        (node, MESHV.broaderDescriptor, concept(MeshTerm(parent, vocabulary.labels[parent])))
                    )
    for edge in learned:
        descendant, ancestor = concept(edge.descendant), concept(edge.ancestor)
        evidence = iri_text(iris.learned_ancestry_iri(term_key(edge.descendant), term_key(edge.ancestor)))
        triples += [
            (descendant, KG.meshAncestor, ancestor),
            (evidence, RDF.type, KG.LearnedMeshAncestry),
            (evidence, RDFS.label, literal_text(f"{edge.descendant.term} below {edge.ancestor.term}")),
            (evidence, KG.descendant, descendant),
            (evidence, KG.ancestor, ancestor),
            (evidence, KG.evidenceCount, typed_text(str(edge.evidence), "integer")),
        ]
    return triples, [t for said in context.values() for t in said]
