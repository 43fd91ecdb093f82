"""Benchmark `kg build --update` on a store of cloned real trials: 1,000 changed trials into a store of
N trials (the issue's target: ≤ 30 s into 200,000). Times the store part of an update (a copy of the
current generation, the changed trials' old statements removed, the new ones loaded, the recommendation
index saved with it, the swap) and reading which trials the store already holds (what `--update` asks
first). Building the 1,000 changed records is the build's own speed (bench_build.py).

Usage: python bench/bench_update.py [--sizes 10000,200000] [--changed 1000]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from synthetic import ClonedTriples, seed_graph, write_clones  # noqa: E402

from kg.store import load_store, stored_updates, update_store  # noqa: E402

SUBJECT_NCT = re.compile(rb"^<[^>]*?(NCT\d{8})[/>]")


def changed_trials(lines: list[bytes], ids: dict[bytes, int], count: int, folder: Path) -> tuple[Path, set[str]]:
    """The store's first `count` trials (from its first copies), each with one statement changed."""
    per_copy = len({found.group(1) for line in lines if (found := SUBJECT_NCT.match(line))})
    first_copy = ClonedTriples(lines, ids, -(-count // per_copy)).read().splitlines(keepends=True)
    subjects = [found.group(1) for line in first_copy if (found := SUBJECT_NCT.match(line))]
    chosen = set(list(dict.fromkeys(subjects))[:count])
    delta = folder / "delta.nt"
    with delta.open("wb") as out:
        for line in first_copy:
            found = SUBJECT_NCT.match(line)
            if found and found.group(1) in chosen:
                out.write(line.replace(b'"RECRUITING"', b'"COMPLETED"'))
    return delta, {n.decode() for n in chosen}


def bench_size(lines: list[bytes], ids: dict[bytes, int], trials: int, changed: int, folder: Path) -> list[str]:
    graph, store = folder / f"graph-{trials}.nt", folder / f"store-{trials}"
    write_clones(lines, ids, trials, graph)
    started = time.perf_counter()
    triples = load_store(graph, store)
    load = time.perf_counter() - started
    graph.unlink()
    delta, names = changed_trials(lines, ids, changed, folder)
    started = time.perf_counter()
    held = stored_updates(store)
    asked = time.perf_counter() - started
    started = time.perf_counter()
    after = update_store(delta, store, names, kg_written=True)
    update = time.perf_counter() - started
    n = len(held)
    assert abs(after - triples) < triples // 100, (after, triples)
    return [
        f"| {n:,} | {triples:,} | load into a new store (s) | {load:.1f} |",
        f"| {n:,} | {triples:,} | what the store holds: every trial's last update (s) | {asked:.2f} |",
        f"| {n:,} | {triples:,} | {len(names):,} changed trials into the store (s) | {update:.1f} |",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,200000")
    parser.add_argument("--changed", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        lines, ids = seed_graph(folder)
        print("\nUpdates of cloned trials (the store part of `kg build --update`)\n")
        print("| trials | triples | what | figure |")
        print("|---:|---:|---|---:|")
        for trials in [int(s) for s in args.sizes.split(",")]:
            for row in bench_size(lines, ids, trials, args.changed, folder):
                print(row, flush=True)


if __name__ == "__main__":
    main()
