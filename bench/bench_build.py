"""Benchmark `kg build`: trials/s and peak memory, each build in a fresh process.

Usage: python bench/bench_build.py [--repeat N]
Builds the shared API v2 set (392 records) when ../shared is beside the checkout, and the bundled
examples always; prints a Markdown table for the README.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data" / "ctgov"

CHILD = """
import json, resource, sys, time
from pathlib import Path
from kg.build import BuildConfig, build
started = time.perf_counter()
summary = build(BuildConfig(sys.argv[2:], Path(sys.argv[1])))
elapsed = time.perf_counter() - started
print(json.dumps({"seconds": elapsed, "trials": summary.trials, "records": summary.records_read,
                  "triples": summary.triples, "violations": summary.outcome.violations,
                  "peak_rss_kib": max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                                      resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)}))
"""


def run_once(inputs: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "bench.ttl"
        completed = subprocess.run(
            [sys.executable, "-c", CHILD, str(output), *inputs], capture_output=True, text=True, check=True
        )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3, help="runs per corpus; the best is reported")
    args = parser.parse_args()
    corpora = [("bundled examples", [str(ROOT / "examples")])]
    if SHARED.is_dir():
        corpora.append(("shared API v2 set", [str(SHARED / "v2-json")]))
    print(
        f"kg build benchmark, {platform.python_implementation()} {platform.python_version()}, "
        f"{platform.machine()}, best of {args.repeat}\n"
    )
    print("| corpus | records | trials | triples | seconds | trials/s | triples/s | peak RSS (MiB) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, inputs in corpora:
        runs = [run_once(inputs) for _ in range(args.repeat)]
        best = min(runs, key=lambda r: r["seconds"])
        peak = max(r["peak_rss_kib"] for r in runs) / 1024
        print(
            f"| {name} | {best['records']} | {best['trials']} | {best['triples']} | {best['seconds']:.2f} | "
            f"{best['trials'] / best['seconds']:.0f} | {best['triples'] / best['seconds']:.0f} | {peak:.0f} |"
        )


if __name__ == "__main__":
    main()
