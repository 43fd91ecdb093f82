"""The trial–feature graph in NetworkX: the model for exports and the reference scorer on small graphs."""

from __future__ import annotations

import networkx as nx

from kg.similarity.features import TrialFeatures, readable
from kg.similarity.scoring import DAMPING


def trial_feature_graph(features: TrialFeatures) -> nx.Graph:
    """Bipartite: trial nodes (`NCT…`) and feature nodes (`kind:key`), edges weighted by the feature."""
    graph = nx.Graph()
    for nct, feature_set in sorted(features.trials.items()):
        graph.add_node(nct, kind="trial", label=features.titles.get(nct, nct))
        for feature in sorted(feature_set):
            if feature not in graph:
                graph.add_node(
                    feature,
                    kind=features.kinds[feature],
                    label=readable(feature, features.labels.get(feature, feature.partition(":")[2])),
                    weight=features.weights[feature],
                )
            graph.add_edge(nct, feature, weight=features.weights[feature])
    return graph


def shared_feature_scores(graph: nx.Graph, nct_id: str) -> dict[str, float]:
    """Weighted Jaccard by walking two hops; the reference the sparse scorer must match."""
    mine = set(graph[nct_id])
    size = {n: sum(graph.nodes[f]["weight"] for f in graph[n]) for n in graph if graph.nodes[n]["kind"] == "trial"}
    scores = {}
    for feature in mine:
        for other in graph[feature]:
            if other == nct_id or other in scores:
                continue
            shared = mine & set(graph[other])
            intersection = sum(graph.nodes[f]["weight"] for f in shared)
            scores[other] = intersection / (size[nct_id] + size[other] - intersection)
    return scores


def ppr_scores(graph: nx.Graph, nct_id: str) -> dict[str, float]:
    ranks = nx.pagerank(graph, alpha=DAMPING, personalization={nct_id: 1.0}, weight="weight", tol=1e-12, max_iter=500)
    return {n: r for n, r in ranks.items() if graph.nodes[n]["kind"] == "trial" and n != nct_id}
