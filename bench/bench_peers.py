"""kg build beside its peers on one registry-like corpus: the naive rdflib script and an RML engine
(morph-kgc), each in a fresh process, with wall time, CPU time and peak memory of its whole process tree,
the triples it wrote, and its time and memory per triple as ratios to kg's.

Usage: python bench/bench_peers.py [--trials 2000] [--jobs 2] [--tools kg,naive,morph-kgc] [--keep]

The corpus is bench/corpus.py's zip of N per-study API v2 JSON files, extracted into a temporary folder
(`studies/NCT….json`) that all three tools read: morph-kgc cannot read inside a zip, and extracting it
once for everyone keeps the input the same (kg reads the folder as it would read the zip).

The tools, and what each does and does not do:

- kg: `kg build STUDIES -o out.nt -j JOBS` (.venv/bin/kg). Reads and checks every record (codes, dates,
  numbers, NCT ids; bad values become field warnings or rejects), merges records of one trial, maps
  everything the README lists (trials, sponsors and collaborators, conditions, keywords, MeSH terms and
  ancestors, interventions, arms with doses and schedules parsed from text, eligibility, locations,
  outcomes, references, related trials, provenance), validates every trial against the SHACL shapes
  (kg's core engine), and writes N-Triples plus the SHACL report and the rejects file; JOBS worker
  processes.
- naive: bench_build.NAIVE, the "naive way" of bench/bench_build.py: the same parse and mapping as kg
  (`kg.build.build_in_memory`) into one rdflib Graph in memory, pyshacl over the whole graph, rdflib's
  Turtle serializer; one process. No provenance triples. Its stage split (build / pyshacl / write) is
  printed under the table.
- morph-kgc: an RML engine materializing bench/rml/mapping.yarrrml.yml (YARRRML) to N-Triples, from its
  own venv (bench/.venv-rml, made by bench/rml/setup.sh), with `number_of_processes = JOBS` (morph-kgc's
  parallel option: a process pool over its mapping partitions, each writing its own file in
  `output_dir`). It only maps: no validation of values or shapes, no merging of records, no text parsing.
  The mapping covers the trial (types, NCT id, titles, status, phases, study type, enrollment, dates),
  lead sponsor, conditions, condition MeSH terms, interventions, arms and locations, with kg's IRIs and
  predicates, so its graph is a subgraph of kg's: the script checks how many of its triples are also in
  kg's graph. It reads the JSON through DuckDB SQL views (morph-kgc's logical sources with a query), not
  JSONPath iterators: see the mapping's header for why.

Measures: wall time from start to exit; CPU time (user + system) of the process and every descendant it
waited for (os.wait4: kg's workers, morph-kgc's pool, DuckDB's threads); peak memory of the whole process
tree, sampled every 0.1 s: the sum of proportional set sizes (PSS, so pages forked workers share count
once, as bench_build.py measures) and, beside it, the sum of resident set sizes (RSS, shared pages once
per process). Triples are the lines of each N-Triples output (morph-kgc: of all its partition files;
kg's equals its summary's `triples:`) and, for the naive Turtle, len(graph) as the script reports it.
Ratios are per triple: (peer's seconds / peer's triples) / (kg's seconds / kg's triples), likewise for
CPU and peak PSS; kg's graph holds ~2-3x as many triples a trial as the mapping makes, so the per-trial
wall ratio is shown as well.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(BENCH))

from bench_build import NAIVE  # noqa: E402
from corpus import make_corpus  # noqa: E402
from measure import tree_memory_kib  # noqa: E402

KG = str(Path(sys.executable).with_name("kg"))
RML = BENCH / "rml"
RML_VENV_PYTHON = BENCH / ".venv-rml" / "bin" / "python"
MAPPING = RML / "mapping.yarrrml.yml"
TOOLS = ("kg", "naive", "morph-kgc")

MORPH_CONFIG = """[CONFIGURATION]
output_dir = {output_dir}
output_format = N-TRIPLES
number_of_processes = {jobs}
logging_level = INFO

[ClinicalTrials]
mappings = {mapping}
"""


@dataclass
class Run:
    tool: str
    wall: float
    cpu: float
    peak_pss_kib: int
    peak_rss_kib: int
    triples: int = 0
    notes: dict = field(default_factory=dict)


def run_measured(tool: str, command: list[str], folder: Path, cwd: Path | None = None) -> tuple[Run, str]:
    """Runs `command` in a fresh process; returns its measures and its stdout + stderr."""
    log = folder / f"{tool}.log"
    with open(log, "w") as output:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, cwd=cwd)
        peak_pss = peak_rss = 0
        done = threading.Event()

        def sample() -> None:
            nonlocal peak_pss, peak_rss
            while not done.is_set():
                pss, rss = tree_memory_kib(process.pid)
                peak_pss, peak_rss = max(peak_pss, pss), max(peak_rss, rss)
                done.wait(0.1)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        done.set()
        sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    text = log.read_text(errors="replace")
    if process.returncode not in (0, 1) or (tool != "kg" and process.returncode != 0):  # kg: 1 = SHACL violations
        raise SystemExit(f"{tool}: {' '.join(command)} failed ({process.returncode}):\n{text[-3000:]}")
    return Run(tool, wall, usage.ru_utime + usage.ru_stime, peak_pss, peak_rss), text


def ntriples_lines(paths: list[Path]) -> int:
    count = 0
    for path in paths:
        with open(path, "rb") as lines:
            count += sum(1 for line in lines if line.strip() and not line.startswith(b"#"))
    return count


def extract(corpus: Path, folder: Path) -> int:
    studies = folder / "studies"
    studies.mkdir()
    with zipfile.ZipFile(corpus) as archive:
        names = [name for name in archive.namelist() if name.endswith(".json") and "/" not in name]
        for name in names:
            (studies / name).write_bytes(archive.read(name))
    return len(names)


def run_kg(folder: Path, jobs: int) -> Run:
    out = folder / "kg.nt"
    run, text = run_measured("kg", [KG, "build", str(folder / "studies"), "-o", str(out), "-j", str(jobs)], folder)
    run.triples = ntriples_lines([out])
    for line in text.splitlines():
        for label in ("triples:", "trials:", "SHACL:"):
            if line.startswith(label):
                run.notes[label.rstrip(":")] = line.split(":", 1)[1].strip()
    if run.notes.get("triples", "").split()[:1] != [str(run.triples)]:
        print(f"note: kg's summary says {run.notes.get('triples')!r} triples, its file has {run.triples}")
    return run


def run_naive(folder: Path) -> Run:
    command = [sys.executable, "-c", NAIVE, str(folder / "studies"), str(folder / "naive.ttl")]
    run, text = run_measured("naive", command, folder)
    report = json.loads(text.strip().splitlines()[-1])
    run.triples = report["triples"]
    run.notes = {stage: report[stage] for stage in ("build", "validate", "write")}
    return run


def setup_morph_kgc() -> None:
    subprocess.run(["bash", str(RML / "setup.sh")], check=True)


def run_morph_kgc(folder: Path, jobs: int) -> Run:
    output_dir = folder / "morph-kgc-out"
    config = folder / "morph-kgc.ini"
    config.write_text(MORPH_CONFIG.format(output_dir=output_dir, jobs=jobs, mapping=MAPPING))
    # cwd: the mapping's SQL views read `studies/*.json` relative to it
    run, text = run_measured("morph-kgc", [str(RML_VENV_PYTHON), "-m", "morph_kgc", str(config)], folder, cwd=folder)
    run.triples = ntriples_lines(sorted(output_dir.glob("*.nt")))
    for line in text.splitlines():
        if "Number of triples generated in total:" in line:
            run.notes["reported"] = int(line.rsplit(":", 1)[1].strip(" ."))
    return run


OVERLAP = """
import sys
from pathlib import Path
from pyoxigraph import RdfFormat, parse
kg = set(parse(path=sys.argv[1], format=RdfFormat.N_TRIPLES))
peer = set()
for path in sorted(Path(sys.argv[2]).glob("*.nt")):
    peer.update(parse(path=str(path), format=RdfFormat.N_TRIPLES))
print(len(peer), len(peer & kg))
"""


def overlap_with_kg(folder: Path) -> tuple[int, int]:
    """(distinct morph-kgc triples, how many of them are in kg's graph): not timed."""
    completed = subprocess.run(
        [sys.executable, "-c", OVERLAP, str(folder / "kg.nt"), str(folder / "morph-kgc-out")],
        capture_output=True,
        text=True,
        check=True,
    )
    distinct, shared = completed.stdout.split()
    return int(distinct), int(shared)


def versions() -> str:
    code = "import importlib.metadata as m; print(m.version('morph-kgc'), m.version('duckdb'), m.version('pandas'))"
    completed = subprocess.run([str(RML_VENV_PYTHON), "-c", code], capture_output=True, text=True)
    if completed.returncode != 0:
        return "morph-kgc: not installed"
    morph, duckdb, pandas = completed.stdout.split()
    return f"morph-kgc {morph} (DuckDB {duckdb}, pandas {pandas})"


def table(runs: list[Run], trials: int) -> str:
    base = next((run for run in runs if run.tool == "kg"), None)
    lines = [
        "| tool | trials | triples | wall s | CPU s | peak MiB (PSS) | peak MiB (RSS sum) | µs/triple (wall) "
        "| µs/triple (CPU) | time/triple ÷ kg | CPU/triple ÷ kg | memory/triple ÷ kg | time/trial ÷ kg |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        per_triple = run.wall / run.triples * 1e6
        cpu_per_triple = run.cpu / run.triples * 1e6
        if base is not None:
            time_ratio = f"{per_triple / (base.wall / base.triples * 1e6):.2f}"
            cpu_ratio = f"{cpu_per_triple / (base.cpu / base.triples * 1e6):.2f}"
            memory_ratio = f"{(run.peak_pss_kib / run.triples) / (base.peak_pss_kib / base.triples):.2f}"
            trial_ratio = f"{run.wall / base.wall:.2f}"
        else:
            time_ratio = cpu_ratio = memory_ratio = trial_ratio = "–"
        lines.append(
            f"| {run.tool} | {trials:,} | {run.triples:,} | {run.wall:.1f} | {run.cpu:.1f} | "
            f"{run.peak_pss_kib / 1024:,.0f} | {run.peak_rss_kib / 1024:,.0f} | {per_triple:.1f} | "
            f"{cpu_per_triple:.1f} | {time_ratio} | {cpu_ratio} | {memory_ratio} | {trial_ratio} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=2000, help="corpus size in trials (default 2000)")
    parser.add_argument("--jobs", type=int, default=2, help="kg build -j and morph-kgc's number_of_processes")
    parser.add_argument("--tools", default=",".join(TOOLS), help=f"comma-separated, of {', '.join(TOOLS)}")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (corpus, outputs, logs)")
    args = parser.parse_args()
    tools = [tool for tool in args.tools.split(",") if tool]
    unknown = set(tools) - set(TOOLS)
    if unknown:
        parser.error(f"unknown tools: {', '.join(sorted(unknown))}")
    if "morph-kgc" in tools:
        setup_morph_kgc()
    corpus = make_corpus(args.trials)
    folder = Path(tempfile.mkdtemp(dir=BENCH))  # bench/tmp*/ is gitignored
    try:
        trials = extract(corpus, folder)
        print(
            f"Peers benchmark: {platform.python_implementation()} {platform.python_version()}, "
            f"{os.cpu_count()} CPUs; {trials:,} trials (bench/corpus.py, extracted to per-study files); "
            f"kg build -j {args.jobs}; {versions()}, number_of_processes = {args.jobs}; "
            f"load average at start {os.getloadavg()[0]:.1f}\n"
        )
        runs: list[Run] = []
        for tool in tools:
            if tool == "kg":
                runs.append(run_kg(folder, args.jobs))
            elif tool == "naive":
                runs.append(run_naive(folder))
            else:
                runs.append(run_morph_kgc(folder, args.jobs))
            print(f"  ... {tool} done in {runs[-1].wall:.1f} s", file=sys.stderr, flush=True)
        print(table(runs, trials))
        notes = {run.tool: run for run in runs}
        print()
        if "kg" in notes:
            kg = notes["kg"]
            print(f"- kg: trials {kg.notes.get('trials', '?')}; SHACL: {kg.notes.get('SHACL', '?')}.")
        if "naive" in notes:
            naive = notes["naive"].notes
            print(
                f"- naive: build {naive['build']:.1f} s, pyshacl {naive['validate']:.1f} s, "
                f"Turtle write {naive['write']:.1f} s (plus interpreter start and imports)."
            )
        if "morph-kgc" in notes:
            morph = notes["morph-kgc"]
            line = f"- morph-kgc: {morph.triples:,} triple lines (morph-kgc reports {morph.notes.get('reported', '?')})"
            if "kg" in notes:
                distinct, shared = overlap_with_kg(folder)
                line += (
                    f"; {distinct:,} distinct, of which {shared:,} ({shared / max(distinct, 1):.1%}) are in kg's graph"
                )
            print(line + ".")
    finally:
        if args.keep:
            print(f"\nwork folder kept: {folder}", file=sys.stderr)
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
