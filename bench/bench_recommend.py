"""Benchmark recommendations on synthetic corpora of cloned real trials (the growth between sizes is the
point): what the index costs when a store is loaded, `kg recommend` end to end (a new process, the
index mapped from the store), one recommendation once loaded, and `kg recommend --all --top 100`.

Usage: python bench/bench_recommend.py [--sizes 1000,50000]
Targets from the issue: at 50,000 trials `kg recommend` ≤ 2 s end to end, process start included;
≤ 50 ms a recommendation once loaded; every trial's top 100 ≤ 3 minutes.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from synthetic import seed_graph, write_clones  # noqa: E402

from kg.similarity.index import index_of_store  # noqa: E402
from kg.similarity.recommend import load_index  # noqa: E402
from kg.store import load_store, open_store  # noqa: E402

KG = [sys.executable, "-c", "from kg.cli import main; main()"]


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def bench_size(lines: list[bytes], ids: dict[bytes, int], trials: int, folder: Path) -> list[str]:
    graph, store = folder / f"graph-{trials}.nt", folder / f"store-{trials}"
    write_clones(lines, ids, trials, graph)
    started = time.perf_counter()
    load_store(graph, store)
    load = time.perf_counter() - started
    started = time.perf_counter()
    index_of_store(open_store(store))
    index_build = time.perf_counter() - started
    graph.unlink()
    rows = bench_store(store)
    n = rows[0].split("|")[1].strip()
    return [f"| {n} | load into a store (s) | {load:.1f} (index: {index_build:.1f}) |", *rows]


def bench_store(store: Path) -> list[str]:
    """Everything but the load, on a store that exists (made here, or given with --store)."""
    started = time.perf_counter()
    index = load_index(store_dir=store)
    _ = index.postings  # what `kg recommend` and `kg serve` touch first
    mapped = time.perf_counter() - started
    query = index.trials[len(index.trials) // 2]
    end_to_end = statistics.median(
        timed([*KG, "recommend", query, "--store", str(store), "--explain"]) for _ in range(3)
    )
    rows = []
    for method in ("hybrid", "shared-features", "ppr"):
        index.top(query, method, 10)  # warm (PPR builds its transition matrix once)
        started = time.perf_counter()
        for _ in range(5):
            index.top(query, method, 10)
        one = (time.perf_counter() - started) / 5
        rows.append((method, one))
    every = timed([*KG, "recommend", "--all", "--top", "100", "--format", "tsv", "--store", str(store)])
    n = len(index.trials)
    out = [
        f"| {n:,} | index mapped from the store (s) | {mapped:.2f} |",
        f"| {n:,} | `kg recommend` end to end, hybrid (s) | {end_to_end:.2f} |",
    ]
    out += [f"| {n:,} | one recommendation once loaded, {method} (ms) | {one * 1000:.1f} |" for method, one in rows]
    out.append(f"| {n:,} | `kg recommend --all --top 100`, hybrid, end to end (s) | {every:.1f} |")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,50000")
    parser.add_argument("--store", type=Path, help="measure this store (its saved index) instead of making corpora")
    args = parser.parse_args()
    if args.store:
        print("| trials | what | figure |\n|---:|---|---:|\n" + "\n".join(bench_store(args.store)))
        return
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        lines, ids = seed_graph(folder)
        print("\nRecommendations on cloned trials (end to end: median of 3 new processes; once loaded: mean of 5)\n")
        print("| trials | what | figure |")
        print("|---:|---|---:|")
        for trials in [int(s) for s in args.sizes.split(",")]:
            for row in bench_size(lines, ids, trials, folder):
                print(row, flush=True)


if __name__ == "__main__":
    main()
