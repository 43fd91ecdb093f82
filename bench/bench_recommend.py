"""Benchmark recommendations: loading the index, one recommendation, and every trial's top 10, on
synthetic corpora of cloned real trials (the growth between sizes is the point).

Usage: python bench/bench_recommend.py [--sizes 1000,50000]
Targets from the issue: at 50,000 trials one recommendation ≤ 50 ms once the index is loaded, and the
whole corpus's top 10 ≤ 2 minutes.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from synthetic import ClonedTriples, seed_graph  # noqa: E402

from kg.similarity.features import read_features  # noqa: E402
from kg.similarity.scoring import SparseIndex  # noqa: E402


def bench_size(lines: list[bytes], ids: dict[bytes, int], trials: int, folder: Path) -> list[str]:
    copies = max(1, round(trials / len(ids)))
    store = pyoxigraph.Store(str(folder / f"store-{trials}"))
    store.bulk_load(ClonedTriples(lines, ids, copies), format=pyoxigraph.RdfFormat.N_TRIPLES)
    started = time.perf_counter()
    index = SparseIndex(read_features(store))
    load = time.perf_counter() - started
    query = index.trials[len(index.trials) // 2]
    rows = []
    for method in ("shared-features", "ppr"):
        index.top(query, method, 10)  # warm (PPR builds its transition matrix once)
        started = time.perf_counter()
        for _ in range(5):
            index.top(query, method, 10)
        one = (time.perf_counter() - started) / 5
        rows.append(f"| {len(index.trials)} | {method} | {load:.1f} | {one * 1000:.1f} | {{all}} |")
    started = time.perf_counter()
    index.all_top(10, "shared-features")
    everything = time.perf_counter() - started
    rows[0] = rows[0].replace("{all}", f"{everything:.1f}")
    rows[1] = rows[1].replace("{all}", "–")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,50000")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        lines, ids = seed_graph(folder)
        print("\nRecommendations on cloned trials (one recommendation: mean of 5 after a warm-up)\n")
        print("| trials | method | index load (s) | one recommendation (ms) | all trials' top 10 (s) |")
        print("|---:|---|---:|---:|---:|")
        for trials in [int(s) for s in args.sizes.split(",")]:
            for row in bench_size(lines, ids, trials, folder):
                print(row, flush=True)


if __name__ == "__main__":
    main()
