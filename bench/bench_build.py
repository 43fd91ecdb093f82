"""Benchmark `kg build` at registry scale: registry-like zips of N trials (bench/corpus.py) built by the
CLI in a fresh process, to N-Triples alone and to N-Triples plus the Oxigraph store; the phase x status
query on that store; the same work done the naive way (rdflib in memory, pyshacl, rdflib's serializer)
where it fits; and where a trial's time goes, stage by stage.

Usage: python bench/bench_build.py [--sizes 10000,50000,200000] [--jobs 2] [--naive-max 10000]
Peak memory is that of the build's whole process tree (the parent, its workers): the sum of their
proportional set sizes, sampled every 0.1 s. The naive run is one process: its peak RSS.
Prints Markdown tables for the README.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from corpus import make_corpus  # noqa: E402
from measure import tree_memory_kib  # noqa: E402

KG = str(Path(sys.executable).with_name("kg"))

NAIVE = """
import json, resource, sys, time
from kg.build import build_in_memory
from kg.validation.shacl import validate_graph
started = time.perf_counter()
graph = build_in_memory([sys.argv[1]])
built = time.perf_counter()
results = validate_graph(graph, "pyshacl")
validated = time.perf_counter()
graph.serialize(destination=sys.argv[2], format="turtle")
done = time.perf_counter()
print(json.dumps({"triples": len(graph), "build": built - started, "validate": validated - built,
                  "write": done - validated, "seconds": done - started, "results": len(results),
                  "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""

STAGES = """
import json, sys, time
from kg.rdf.mapping import map_trial
from kg.build.merge import RecordKeys
from kg.model.records import TrialRecord
from kg.sources import iter_documents, iter_records, records_in_document
from kg.rdf.terms import ntriples_of_text
from kg.validation.shacl import validate_text
timings = {}
def stage(name, function, items):
    started = time.perf_counter()
    out = [function(item) for item in items]
    timings[name] = time.perf_counter() - started
    return out
started = time.perf_counter()
for document in iter_documents([sys.argv[1]]):
    for _ in records_in_document(document, doses=False):
        pass
timings["pass one: read + parse, keys (no doses, thresholds)"] = time.perf_counter() - started
started = time.perf_counter()
records = [r for r in iter_records([sys.argv[1]], "auto", False) if isinstance(r, TrialRecord)]
timings["pass two: read + parse whole (doses, thresholds)"] = time.perf_counter() - started
stage("merge keys", RecordKeys.of, records)
mapped = stage("map to triples", map_trial, records)
checked = [list(dict.fromkeys(m.own)) + [t for ts in m.shared.values() for t in ts] for m in mapped]
stage("SHACL (core engine)", validate_text, checked)
stage("serialize N-Triples", ntriples_of_text, checked)
print(json.dumps({"trials": len(records), "triples": sum(map(len, checked)), "stages": timings}))
"""


def run_measured(command: list[str]) -> tuple[float, int, str]:
    """(wall seconds, peak memory (PSS) of the process tree in KiB, stdout and stderr); the tree's CPU
    seconds (user + system, workers included: they are waited for) in `last_cpu_seconds`."""
    global last_cpu_seconds
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_memory_kib(process.pid)[0])
            done.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = process.communicate()
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    last_cpu_seconds = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    done.set()
    sampler.join()
    if process.returncode not in (0, 1):  # 1: SHACL violations, still a whole build
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{stderr[-2000:]}")
    return seconds, peak, stdout + stderr


last_cpu_seconds = 0.0


def _count(text: str, label: str) -> int:
    for line in text.splitlines():
        if line.startswith(label):
            return int(line.split(label, 1)[1].split()[0].strip("():"))
    raise SystemExit(f"no '{label}' line in:\n{text[-2000:]}")


def query_seconds(store: Path) -> float:
    """The canned phase x status aggregate (store opened, query answered), best of 3 after a warm-up."""
    code = """
import sys, time
from pathlib import Path
from kg.query.catalog import canned_queries
from kg.query.engines import run_oxigraph
from kg.query.prepare import prepare
from kg.store import open_store
query = prepare(canned_queries()["phase-status-counts"].text)
times = []
for _ in range(4):  # the first warms the page cache
    started = time.perf_counter()
    answer = run_oxigraph(query, open_store(Path(sys.argv[1])))
    times.append(time.perf_counter() - started)
assert answer.select is not None and answer.select.rows
print(min(times[1:]))
"""
    completed = subprocess.run([sys.executable, "-c", code, str(store)], capture_output=True, text=True, check=True)
    return float(completed.stdout.strip().splitlines()[-1])


def bench_size(size: int, jobs: int, naive_max: int, folder: Path, with_store: bool = True) -> dict:
    corpus = make_corpus(size)
    row: dict = {"trials": size, "corpus_mib": corpus.stat().st_size / 2**20}
    graph = folder / f"build-{size}.nt"
    seconds, peak, text = run_measured([KG, "build", str(corpus), "-o", str(graph), "-j", str(jobs)])
    row.update(build_seconds=seconds, build_peak_kib=peak, triples=_count(text, "triples:"), build_cpu=last_cpu_seconds)
    row["built_trials"] = _count(text, "trials:")
    graph.unlink()
    if not with_store:
        return row
    store = folder / f"store-{size}"
    seconds, peak, text = run_measured(
        [KG, "build", str(corpus), "-o", str(graph), "-j", str(jobs), "--store", str(store)]
    )
    store_line = next(line for line in text.splitlines() if line.startswith("store:"))
    row.update(store_seconds=seconds, store_peak_kib=peak, store_triples=int(store_line.split("(")[1].split()[0]))
    row["store_cpu"] = last_cpu_seconds
    row["query_seconds"] = query_seconds(store)
    graph.unlink()
    for path in folder.glob("*store-*"):
        shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink()
    if size <= naive_max:
        naive = subprocess.run(
            [sys.executable, "-c", NAIVE, str(corpus), str(folder / "naive.ttl")], capture_output=True, text=True
        )
        if naive.returncode == 0:
            row["naive"] = json.loads(naive.stdout.strip().splitlines()[-1])
        (folder / "naive.ttl").unlink(missing_ok=True)
    return row


def stage_profile(size: int) -> dict:
    corpus = make_corpus(size)
    completed = subprocess.run([sys.executable, "-c", STAGES, str(corpus)], capture_output=True, text=True, check=True)
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,50000,200000", help="corpus sizes in trials, comma-separated")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (kg build -j)")
    parser.add_argument("--naive-max", type=int, default=10000, help="largest size also built the naive way")
    parser.add_argument("--stage-trials", type=int, default=2000, help="trials for the per-stage profile")
    parser.add_argument(
        "--store-max", type=int, default=10**9, help="largest size also built into the store (larger: N-Triples only)"
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    print(
        f"kg build benchmark: {platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, kg build -j {args.jobs}; corpora cloned from real API v2 records\n"
    )
    rows = []
    with tempfile.TemporaryDirectory(dir=ROOT / "bench") as folder:
        for size in sizes:
            rows.append(bench_size(size, args.jobs, args.naive_max, Path(folder), size <= args.store_max))
            print(f"  ... {size} trials done", file=sys.stderr, flush=True)
    print("| trials | triples | build + validate → N-Triples: s | trials/s | triples/s | CPU ms a trial | peak MiB "
          "| … and into the store: s | trials/s | CPU ms a trial | peak MiB | phase × status query s |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        stored = (
            f"{row['store_seconds']:.1f} | {row['trials'] / row['store_seconds']:,.0f} | "
            f"{row['store_cpu'] / row['trials'] * 1000:.2f} | {row['store_peak_kib'] / 1024:,.0f} | "
            f"{row['query_seconds']:.2f}"
            if "store_seconds" in row
            else "– | – | – | – | –"
        )
        print(
            f"| {row['trials']:,} | {row['triples']:,} | {row['build_seconds']:.1f} | "
            f"{row['trials'] / row['build_seconds']:,.0f} | {row['triples'] / row['build_seconds']:,.0f} | "
            f"{row['build_cpu'] / row['trials'] * 1000:.2f} | {row['build_peak_kib'] / 1024:,.0f} | {stored} |"
        )
    if len(rows) > 1:
        first, last = rows[0], rows[-1]
        ratio = last["build_seconds"] / first["build_seconds"]
        print(
            f"\nTime to N-Triples, largest / smallest ({last['trials']:,} / {first['trials']:,} trials): {ratio:.1f}x"
        )
        for what, key in (("N-Triples", "build_peak_kib"), ("with the store", "store_peak_kib")):
            measured = [row for row in rows if key in row]
            if len(measured) > 1:
                low, high = measured[0], measured[-1]
                growth = (high[key] - low[key]) / 1024 / ((high["trials"] - low["trials"]) / 10_000)
                print(f"Peak memory growth, {what}: {growth:.1f} MiB per 10,000 trials")
    naive_rows = [row for row in rows if "naive" in row]
    if naive_rows:
        print("\nThe naive way (one rdflib graph in memory, pyshacl on it, rdflib's Turtle serializer, one process):\n")
        print("| trials | triples | build s | pyshacl s | write s | total s | trials/s | peak RSS MiB |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|")
        for row in naive_rows:
            naive = row["naive"]
            print(
                f"| {row['trials']:,} | {naive['triples']:,} | {naive['build']:.1f} | {naive['validate']:.1f} | "
                f"{naive['write']:.1f} | {naive['seconds']:.1f} | {row['trials'] / naive['seconds']:,.0f} | "
                f"{naive['peak_rss_kib'] / 1024:,.0f} |"
            )
    profile = stage_profile(args.stage_trials)
    per_trial = {name: seconds / profile["trials"] * 1000 for name, seconds in profile["stages"].items()}
    print(f"\nWhere a trial's CPU time goes (one process, {profile['trials']:,} trials, "
          f"{profile['triples'] / profile['trials']:.0f} triples a trial):\n")  # fmt: skip
    print("| stage | ms per trial |")
    print("|---|---:|")
    for name, ms in per_trial.items():
        print(f"| {name} | {ms:.2f} |")


if __name__ == "__main__":
    main()
