"""Benchmark SPARQL: canned-query latency in Oxigraph (the store) and rdflib, on the bundled examples and
on synthetic graphs made by cloning real trials with new NCT ids.

Usage: python bench/bench_query.py [--sizes 2000,10000,50000] [--rdflib-max 10000]
The seed graph is the shared API v2 set (392 trials) when ../shared is present, else the examples. Each
clone rewrites every NCT id of the seed graph (trial IRIs, their parts, literals, related-trial targets)
so a clone is a disjoint copy. rdflib runs only up to --rdflib-max trials: beyond that its memory use
(~2.4 GiB per million triples) makes it the wrong tool, which is the point of the store. Each store is
loaded, compacted as kg compacts its stores, and queried opened read-only, as `kg query --store` and
`kg serve` open it; the queries about one trial ask for NCT04267848's clone in the last copy.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from synthetic import ClonedTriples, seed_graph  # noqa: E402

NCT_CLONE = b"NCT%08d"

from kg.build import BuildConfig, build  # noqa: E402
from kg.query.catalog import canned_queries  # noqa: E402
from kg.query.engines import run_oxigraph, run_rdflib  # noqa: E402
from kg.query.prepare import prepare  # noqa: E402
from kg.rdf.rdfio import load_graph  # noqa: E402
from kg.store.generations import open_store  # noqa: E402
from kg.store.loading import finish_loading  # noqa: E402

PARAMS = {"trials-by-condition": {"term": "neoplasms"}, "related-trials": {"trial": "NCT04267848"},
          "trial-record": {"trial": "NCT04267848"},
          "trials-by-threshold": {"total_bilirubin": "12mg/dL", "inr": "1.8", "meld": "24"}}  # fmt: skip


def timed(function, repeat: int = 3) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def prepared_queries(trial: str = "NCT04267848"):  # type: ignore[no-untyped-def]
    """The canned queries with the bench's parameters; `trial` for the queries about one trial."""
    params = {name: {k: (trial if k == "trial" else v) for k, v in given.items()} for name, given in PARAMS.items()}
    return {name: prepare(q.text, params.get(name, {}), q.params) for name, q in canned_queries().items()}


def cloned_id(ids: dict[bytes, int], copy: int, nct_id: str = "NCT04267848") -> str:
    """The NCT id a seed trial has in one copy of the synthetic graph (every copy renumbers every id)."""
    return (NCT_CLONE % (10_000_000 + copy * len(ids) + ids[nct_id.encode()])).decode()


def bench_size(lines: list[bytes], ids: dict[bytes, int], trials: int, rdflib_max: int, folder: Path) -> list[str]:
    copies = max(1, round(trials / len(ids)))
    store = pyoxigraph.Store(str(folder / f"store-{trials}"))
    started = time.perf_counter()
    store.bulk_load(ClonedTriples(lines, ids, copies), format=pyoxigraph.RdfFormat.N_TRIPLES)
    finish_loading(store)
    load_seconds = time.perf_counter() - started
    size = len(store)
    del store
    store = open_store(folder / f"store-{trials}")  # read-only, as `kg query --store` and `kg serve` open it
    graph = None
    if copies * len(ids) <= rdflib_max:
        nt = folder / f"clone-{trials}.nt"
        nt.write_bytes(ClonedTriples(lines, ids, copies).read())
        graph = load_graph(nt)
    rows = []
    for name, query in prepared_queries(cloned_id(ids, copies - 1)).items():
        oxigraph_ms = timed(lambda q=query: run_oxigraph(q, store)) * 1000
        rdflib_ms = f"{timed(lambda q=query: run_rdflib(q, graph), repeat=1) * 1000:.0f}" if graph is not None else "–"
        rows.append(f"| {copies * len(ids)} | {size} | {name} | {oxigraph_ms:.1f} | {rdflib_ms} |")
    rows.append(f"| {copies * len(ids)} | {size} | (bulk load and compaction) | {load_seconds * 1000:.0f} | – |")
    return rows


def bench_examples(folder: Path) -> list[str]:
    """The bundled examples as built: both engines, same graph."""
    output = folder / "examples.nt"
    build(BuildConfig(inputs=[str(ROOT / "examples")], output=output, rdf_format="nt"))
    store = pyoxigraph.Store()
    store.bulk_load(path=str(output), format=pyoxigraph.RdfFormat.N_TRIPLES)
    graph = load_graph(output)
    rows = []
    for name, query in prepared_queries().items():
        oxigraph_ms = timed(lambda q=query: run_oxigraph(q, store)) * 1000
        rdflib_ms = timed(lambda q=query: run_rdflib(q, graph)) * 1000
        rows.append(f"| examples (55) | {len(store)} | {name} | {oxigraph_ms:.1f} | {rdflib_ms:.0f} |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="2000,10000,50000", help="trial counts of the synthetic graphs")
    parser.add_argument("--rdflib-max", type=int, default=10_000, help="largest graph (trials) rdflib also runs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        lines, ids = seed_graph(folder)
        print(f"\nSPARQL latency (median of 3; rdflib one run), seed graph {len(ids)} trials, {len(lines)} triples\n")
        print("| trials | triples | query | Oxigraph store (ms) | rdflib (ms) |")
        print("|---:|---:|---|---:|---:|")
        for row in bench_examples(folder):
            print(row, flush=True)
        for trials in [int(s) for s in args.sizes.split(",")]:
            for row in bench_size(lines, ids, trials, args.rdflib_max, folder):
                print(row, flush=True)


if __name__ == "__main__":
    main()
