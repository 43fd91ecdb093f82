"""`kg recommend`: rank related trials for a query trial, from the index saved with a store (mapped
from disk in milliseconds) or, for a graph file or a store without one, an index built in memory."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import TextIO

from kg.errors import UnknownTrial
from kg.model import codes
from kg.query.engines import oxigraph_source
from kg.similarity import METHODS
from kg.similarity.index import FeatureIndex, index_of_store, saved_index
from kg.similarity.scoring import Recommendation, SparseIndex

__all__ = ["METHODS", "Recommendation", "load_index", "recommend"]


def load_index(store_dir: Path | None = None, graph_file: Path | None = None) -> SparseIndex:
    data: FeatureIndex | None = None
    if store_dir is not None and graph_file is None:
        data, generation = saved_index(store_dir)
        if data is None:
            data = index_of_store(oxigraph_source(generation, None))
    else:
        data = index_of_store(oxigraph_source(store_dir, graph_file))
    return SparseIndex(data)


def recommend(index: SparseIndex, nct_id: str, top: int = 10, method: str = "hybrid") -> list[Recommendation]:
    """The trials most like `nct_id`; a malformed id is told apart from one the graph lacks."""
    wanted = nct_id.strip().upper()
    if not codes.NCT_ID_PATTERN.fullmatch(wanted):
        raise UnknownTrial(f"{nct_id!r} is not an NCT id (NCT and 8 digits, e.g. NCT03945487)")
    return index.top(wanted, method, top)


def as_json(results: list[Recommendation]) -> list[dict[str, object]]:
    """Recommendations as `kg recommend --format json` and `kg serve /recommend` give them."""
    return [
        {
            "rank": rank,
            "nct_id": r.nct_id,
            "score": round(r.score, 6),
            "title": r.title,
            "reasons": r.reasons(),
            "shared": [{"feature": f, "label": label, "weight": round(w, 4)} for f, label, w in r.shared],
        }
        for rank, r in enumerate(results, 1)
    ]


def rendered(results: list[Recommendation], output_format: str, explain: bool = False) -> str:
    """`kg recommend`'s answer: JSON (`as_json`), or a numbered table with the reasons under each row."""
    if output_format in ("json", "jsonl"):
        return json.dumps(as_json(results), ensure_ascii=False, indent=1) + "\n"
    lines = []
    for rank, result in enumerate(results, 1):
        lines.append(f"{rank:>3}. {result.nct_id}  {result.score:.4f}  {result.title}")
        if explain:
            lines.append(f"       {result.reasons()}")
    return "".join(line + "\n" for line in lines)


class StoreRecommender:
    """A store's index for a long-running server: loaded once, and again only when the store has been
    swapped to a new generation (a later build or load), so answers always match the store's triples."""

    def __init__(self, store_dir: Path) -> None:
        self.store_dir = store_dir
        self._lock = threading.Lock()
        self._generation = ""
        self._index: SparseIndex | None = None

    def index(self) -> SparseIndex:
        generation = os.path.realpath(self.store_dir)
        with self._lock:
            if self._index is None or generation != self._generation:
                index = load_index(Path(generation))
                _ = index.postings  # mapped (or made) once here rather than by the first query
                self._index, self._generation = index, generation
            return self._index

    def recommend(self, nct_id: str, top: int = 10, method: str = "hybrid") -> list[Recommendation]:
        return recommend(self.index(), nct_id, top, method)


def write_rankings(index: SparseIndex, top: int, method: str, output_format: str, out: TextIO) -> None:
    """`kg recommend --all`: every trial's top K as TSV (`query rank candidate score`, a header line)
    or JSON Lines with the same keys; queries in NCT id order, ranks from 1, ties by NCT id."""
    if output_format == "tsv":
        out.write("query\trank\tcandidate\tscore\n")
    lines: list[str] = []
    for query, neighbours in index.each_top(top, method):
        for rank, (candidate, score) in enumerate(neighbours, 1):
            if output_format == "jsonl":
                row = {"query": query, "rank": rank, "candidate": candidate, "score": round(score, 6)}
                lines.append(json.dumps(row) + "\n")
            else:
                lines.append(f"{query}\t{rank}\t{candidate}\t{round(score, 6)}\n")
        if len(lines) > 10_000:
            out.write("".join(lines))
            lines = []
    out.write("".join(lines))
