"""`kg build`: read records, keep one per trial, map, validate, write atomically.

Two passes over the inputs: the first finds rejects and, per NCT id, which records describe the trial
(memory holds only small keys, see `kg.merge`); the second builds each trial (map, validate with the
nodes it references, serialize) and streams it to the output. Both passes run in worker processes
(`kg.pipeline`), units of documents coming back in input order, so memory stays bounded and the
output is the same whatever the number of workers.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from rdflib import Graph, Literal
from rdflib.namespace import PROV, RDF, RDFS, XSD

from kg import __version__, iris, pipeline
from kg.iris import KG
from kg.mapping import map_trial
from kg.merge import PendingMerges, TrialIndex
from kg.records import TrialRecord
from kg.sinks import AtomicFile, RdfSink, write_atomically
from kg.sources import Reject, iter_records
from kg.terms import Triple
from kg.validation import ValidationOutcome, digest, report_graph, validate_triples


@dataclass(frozen=True)
class BuildConfig:
    inputs: list[str]
    output: Path
    rdf_format: str = "turtle"
    input_format: str = "auto"
    strict: bool = False
    batch_size: int = 64  # input documents handed to a worker at a time
    include_contacts: bool = False
    # For `--update`: the last-update date a store holds per trial; trials no newer than that are skipped.
    stored_updates: dict[str, str] | None = None
    jobs: int = 1  # worker processes (1: all in this process)
    shacl_engine: str = "core"  # or "pyshacl", the reference engine
    # Also fill a new generation of this store while building (N-Triples or Turtle output).
    store_dir: Path | None = None


@dataclass
class BuildSummary:
    records_read: int = 0
    trials: int = 0
    triples: int = 0
    duplicates: int = 0
    unchanged: int = 0
    rebuilt: set[str] = field(default_factory=set)
    resolved_by_title: int = 0
    unresolved: int = 0
    mesh_terms_without_id: set[str] = field(default_factory=set)
    mesh_runs_unsplit: set[str] = field(default_factory=set)
    rejects: list[Reject] = field(default_factory=list)
    files: dict[str, int] = field(default_factory=dict)  # input file -> records read from it
    outcome: ValidationOutcome = field(default_factory=ValidationOutcome)
    output: Path | None = None
    store_triples: int | None = None  # what the store holds after the build (with BuildConfig.store_dir)
    report_path: Path | None = None
    rejects_path: Path | None = None

    @property
    def rejects_by_reason(self) -> Counter[str]:
        return Counter(reject.reason for reject in self.rejects)

    @property
    def exit_code(self) -> int:
        """0 built and conforms; 1 SHACL violations; 2 nothing could be built."""
        if self.trials == 0 and self.unchanged == 0:
            return 2
        return 0 if self.outcome.conforms else 1

    def lines(self) -> list[str]:
        lines = [
            f"records read: {self.records_read} from {len(self.files)} file(s)",
            f"trials: {self.trials} (duplicate records merged: {self.duplicates})"
            + (f"; unchanged since the store's copy, skipped: {self.unchanged}" if self.unchanged else ""),
            f"records without an NCT id: {self.resolved_by_title} matched to a trial by title, "
            f"{self.unresolved} unresolved",
            f"MeSH terms named without an id and matching no id in the build: {len(self.mesh_terms_without_id)}",
            f"run-together MeSH rows (tabular pages) that no known terms split, left out: {len(self.mesh_runs_unsplit)}",
            f"triples: {self.triples}",
            f"rejected: {len(self.rejects)}"
            + "".join(f"\n  {count:>6} x {reason}" for reason, count in sorted(self.rejects_by_reason.items())),
        ]
        lines.extend(digest(self.outcome))
        for label, path in (("graph", self.output), ("report", self.report_path), ("rejects", self.rejects_path)):
            if path is not None:
                lines.append(f"{label}: {path}")
        return lines


def sidecar_paths(output: Path) -> tuple[Path, Path]:
    """`out/graph.ttl` -> (`out/graph.report.ttl`, `out/graph.rejects.jsonl`)."""
    stem = output.with_suffix("") if output.suffix else output
    return stem.with_name(stem.name + ".report.ttl"), stem.with_name(stem.name + ".rejects.jsonl")


def build(
    config: BuildConfig,
    on_reject: Callable[[Reject], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> BuildSummary:
    summary = BuildSummary(output=config.output)
    index = _first_pass(config, summary, on_reject)
    index.resolve()
    summary.duplicates = index.duplicates
    summary.resolved_by_title, summary.unresolved = index.resolved, index.unresolved
    report_path, rejects_path = sidecar_paths(config.output)
    _write_rejects(rejects_path, summary.rejects)
    summary.rejects_path = rejects_path
    if len(index) == 0:
        summary.output = None
        return summary
    if config.stored_updates is not None and all(
        n in config.stored_updates and index.latest_update.get(n, "") <= config.stored_updates[n] for n in index.groups
    ):
        summary.unchanged = len(index)
        summary.output = None
        return summary
    sink = RdfSink(config.output, config.rdf_format, config.store_dir)
    try:
        _second_pass(config, index, sink, summary, progress)
        provenance = _provenance_graph(config, summary)
        provenance_triples: list[Triple] = [(s, p, o) for s, p, o in provenance]  # type: ignore[misc]
        summary.outcome.add(validate_triples(provenance_triples, config.shacl_engine))
        sink.write(provenance_triples)
    except BaseException:
        sink.abort()
        raise
    sink.commit()
    summary.triples, summary.store_triples = sink.triples, sink.store_triples
    report = report_graph(summary.outcome)
    write_atomically(report_path, report.serialize(format="turtle"))
    summary.report_path = report_path
    return summary


def _first_pass(config: BuildConfig, summary: BuildSummary, on_reject: Callable[[Reject], None] | None) -> TrialIndex:
    index = TrialIndex()
    pipeline.configure(_settings(config))
    work = pipeline.units(config.inputs, config.batch_size)
    for keys_and_rejects in pipeline.run_in_order(pipeline.keys_of_unit, work, config.jobs):
        for item in keys_and_rejects:
            summary.records_read += 1
            path = item.path if isinstance(item, Reject) else item.key[0]
            summary.files[path] = summary.files.get(path, 0) + 1
            if isinstance(item, Reject):
                summary.rejects.append(item)
                if on_reject:
                    on_reject(item)
            else:
                index.offer(item)
    return index


def _second_pass(
    config: BuildConfig,
    index: TrialIndex,
    sink: RdfSink,
    summary: BuildSummary,
    progress: Callable[[int, int], None] | None,
) -> None:
    """Workers build single-record trials; the parent merges multi-record ones and writes all in order."""
    pipeline.configure(_settings(config), index)
    emitted_shared: set[str] = set()
    waiting = PendingMerges()
    work = pipeline.units(config.inputs, config.batch_size)
    for outcome in pipeline.run_in_order(pipeline.build_unit, work, config.jobs):
        summary.mesh_runs_unsplit |= outcome.unsplit_runs
        for item in outcome.trials:
            if isinstance(item, str):
                summary.unchanged += 1
                continue
            if isinstance(item, TrialRecord):
                merged = waiting.add(item, index.groups[item.nct_id or ""])
                if merged is None:
                    continue
                if pipeline.is_unchanged(merged.nct_id or "", index):
                    summary.unchanged += 1
                    continue
                item = pipeline.build_trial(merged, index)
            _write_trial(item, sink, emitted_shared, summary)
            if progress and summary.trials % 250 == 0:
                progress(summary.trials, len(index))
    summary.mesh_runs_unsplit |= index.unsplit_runs
    if progress:
        progress(summary.trials, len(index))


def _write_trial(trial: pipeline.BuiltTrial, sink: RdfSink, emitted_shared: set[str], summary: BuildSummary) -> None:
    sink.write_body(trial.body, trial.triples)
    for node, body, count in trial.shared:
        if node not in emitted_shared:
            emitted_shared.add(node)
            sink.write_body(body, count)
    summary.outcome.add(trial.results)
    summary.mesh_terms_without_id |= trial.mesh_terms_without_id
    summary.rebuilt.add(trial.nct_id)
    summary.trials += 1


def _settings(config: BuildConfig) -> pipeline.BuildSettings:
    return pipeline.BuildSettings(
        config.input_format, config.include_contacts, config.rdf_format, config.shacl_engine, config.stored_updates
    )


def build_in_memory(inputs: list[str], input_format: str = "auto", include_contacts: bool = False) -> Graph:
    """The naive reference: every trial mapped into one rdflib graph, no workers, no streaming (no
    provenance or validation). The streaming build must give the same graph; the benchmark times both."""
    records = [r for r in iter_records(inputs, input_format, include_contacts) if isinstance(r, TrialRecord)]
    index = TrialIndex()
    for record in records:
        index.offer(record)
    index.resolve()
    graph, described = Graph(), set()
    for trial in index.trials(records):
        mapped = map_trial(trial)
        for triple in mapped.own:
            graph.add(triple)
        for node, triples in mapped.shared.items():
            if node in described or (str(node).startswith(str(iris.CTGOV)) and str(node)[len(iris.CTGOV) :] in index):
                continue
            described.add(node)
            for triple in triples:
                graph.add(triple)
    return graph


def _provenance_graph(config: BuildConfig, summary: BuildSummary) -> Graph:
    """PROV-O: this build, the kg version, when it ran, each input file with checksum and record count."""
    graph = Graph()
    started = datetime.now(timezone.utc).replace(microsecond=0)
    checksums = {path: _sha256(path) for path in sorted(summary.files) if Path(path).is_file()}
    build_id = hashlib.sha256((started.isoformat() + "".join(sorted(checksums.values()))).encode()).hexdigest()[:16]
    build_node = iris.build_iri(build_id)
    graph.add((build_node, RDF.type, KG.Build))
    graph.add((build_node, RDFS.label, Literal(f"kg build {started.isoformat()}")))
    graph.add((build_node, KG.kgVersion, Literal(__version__)))
    graph.add((build_node, PROV.startedAtTime, Literal(started.isoformat(), datatype=XSD.dateTime)))
    for path, checksum in checksums.items():
        node = iris.input_file_iri(checksum)
        graph.add((build_node, PROV.used, node))
        graph.add((node, RDF.type, KG.InputFile))
        graph.add((node, RDFS.label, Literal(path)))
        graph.add((node, KG.sha256, Literal(checksum)))
        graph.add((node, KG.recordCount, Literal(summary.files[path], datatype=XSD.integer)))
    return graph


def _sha256(path: str) -> str:
    digest_ = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest_.update(chunk)
    return digest_.hexdigest()


def _write_rejects(path: Path, rejects: list[Reject]) -> None:
    output = AtomicFile(path)
    try:
        for reject in rejects:
            output.stream.write(json.dumps(reject.as_dict(), ensure_ascii=False) + "\n")
    except BaseException:
        output.abort()
        raise
    output.commit()


__all__ = ["BuildConfig", "BuildSummary", "build", "build_in_memory", "sidecar_paths"]
