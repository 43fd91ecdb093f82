"""`kg recommend`: load a graph's trial features once, then rank related trials for a query trial."""

from __future__ import annotations

from pathlib import Path

from kg.query import oxigraph_source
from kg.similarity.features import read_features
from kg.similarity.scoring import METHODS, Recommendation, SparseIndex

__all__ = ["METHODS", "Recommendation", "load_index", "recommend"]


def load_index(store_dir: Path | None = None, graph_file: Path | None = None) -> SparseIndex:
    return SparseIndex(read_features(oxigraph_source(store_dir, graph_file)))


def recommend(index: SparseIndex, nct_id: str, top: int = 10, method: str = "hybrid") -> list[Recommendation]:
    return index.top(nct_id.strip().upper(), method, top)
