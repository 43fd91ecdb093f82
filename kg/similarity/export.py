"""`kg export`: the trial–feature graph for graph tools: GraphML and GEXF (Gephi, Cytoscape) and KGX TSV
(`<stem>_nodes.tsv`, `<stem>_edges.tsv`) for the Biolink ecosystem. Every file is written atomically."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import networkx as nx

from kg.rdf.iris import slug
from kg.rdf.sinks import atomic_path
from kg.similarity.features import TrialFeatures
from kg.similarity.graph import trial_feature_graph

BIOLINK_CATEGORIES = {
    "trial": "biolink:ClinicalTrial",
    "mesh": "biolink:Disease",
    "mesh-ancestor": "biolink:DiseaseOrPhenotypicFeature",
    "condition": "biolink:DiseaseOrPhenotypicFeature",
    "intervention": "biolink:Treatment",
    "intervention-mesh": "biolink:ChemicalEntity",
    "sponsor": "biolink:Agent",
    "country": "biolink:GeographicLocation",
}
BIOLINK_PREDICATES = {
    "mesh": "biolink:studies",
    "mesh-ancestor": "biolink:studies",
    "condition": "biolink:studies",
    "intervention": "biolink:has_intervention",
    "intervention-mesh": "biolink:has_intervention",
}


def curie(node: str, kind: str) -> str:
    if kind == "trial":
        return f"clinicaltrials:{node}"
    key = node.split(":", 1)[1]
    if kind in ("mesh", "mesh-ancestor", "intervention-mesh") and key[:1] in "DC" and key[1:].isdigit():
        return f"MESH:{key}"
    digest = hashlib.sha1(key.encode("utf-8")).hexdigest()[:8]
    return f"KG:{kind}/{slug(key)}-{digest}"


def export(features: TrialFeatures, output: Path, export_format: str) -> list[Path]:
    graph = trial_feature_graph(features)
    if export_format == "graphml":
        with atomic_path(output) as temp:
            nx.write_graphml(graph, temp)
        return [output]
    if export_format == "gexf":
        with atomic_path(output) as temp:
            nx.write_gexf(graph, temp)
        return [output]
    return _write_kgx(graph, output)


def _write_kgx(graph: nx.Graph, output: Path) -> list[Path]:
    stem = output.with_suffix("") if output.suffix else output
    nodes_path, edges_path = stem.with_name(stem.name + "_nodes.tsv"), stem.with_name(stem.name + "_edges.tsv")
    with atomic_path(nodes_path) as temp:
        with temp.open("w", newline="", encoding="utf-8") as stream:
            writer = csv.writer(stream, delimiter="\t", lineterminator="\n")
            writer.writerow(["id", "category", "name", "provided_by"])
            for node, data in sorted(graph.nodes(data=True)):
                category = BIOLINK_CATEGORIES.get(data["kind"], "biolink:NamedThing")
                writer.writerow([curie(node, data["kind"]), category, data["label"], "kg"])
    with atomic_path(edges_path) as temp:
        with temp.open("w", newline="", encoding="utf-8") as stream:
            writer = csv.writer(stream, delimiter="\t", lineterminator="\n")
            writer.writerow(
                [
                    "subject",
                    "predicate",
                    "object",
                    "weight",
                    "knowledge_level",
                    "agent_type",
                    "primary_knowledge_source",
                ]
            )
            for trial, feature in sorted(
                (a, b) if graph.nodes[a]["kind"] == "trial" else (b, a) for a, b in graph.edges()
            ):
                kind = graph.nodes[feature]["kind"]
                writer.writerow([
                    curie(trial, "trial"), BIOLINK_PREDICATES.get(kind, "biolink:related_to"), curie(feature, kind),
                    f"{graph[trial][feature]['weight']:.6f}", "knowledge_assertion", "manual_agent", "infores:clinicaltrials",
                ])  # fmt: skip
    return [nodes_path, edges_path]
