"""`kg build`: read records, keep one per trial, map, validate, write atomically.

Two passes over the inputs: the first finds rejects and, per NCT id, which records describe the trial
(memory holds only small keys, see `kg.build.merge`); the second builds each trial (map, validate with the
nodes it references, serialize) and streams it to the output. Both passes run in worker processes
(`kg.build.pipeline`), units of documents coming back in input order, so memory stays bounded and the
output is the same whatever the number of workers.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterator
from dataclasses import replace

from kg import outputs
from kg.build import pipeline
from kg.build.config import BuildConfig, sidecar_paths
from kg.build.merge import PendingMerges, TrialIndex, nct_number, nct_text
from kg.build.naive import build_in_memory
from kg.build.provenance import provenance_graph
from kg.build.summary import BuildSummary, write_rejects
from kg.model.mesh import AncestryLearner, MeshVocabulary, agreeing_with, hierarchy_above
from kg.model.records import TrialRecord
from kg.rdf import iris
from kg.rdf.mesh_hierarchy import hierarchy_triples
from kg.rdf.sinks import RdfSink
from kg.rdf.terms import Triple, iri_of_text
from kg.sources import Document, Reject
from kg.sources.mesh_vocabulary import BUNDLED_MESH, read_mesh_vocabulary
from kg.sources.snapshot import InputSnapshot
from kg.store import load_store, stored_updates, update_store
from kg.validation.shacl import validate_text, validate_triples, write_report


def build(
    config: BuildConfig,
    on_reject: Callable[[Reject], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> BuildSummary:
    """The whole `kg build`: the graph, its rejects file, computed related edges, the SHACL report
    (written once every triple has been validated), and the store (filled while building, loaded after
    the edges are added, or updated with just the changed trials).

    Before any work: refuse an output (or its report or rejects file) that is one of the inputs, and a
    store path that is not kg's; then hold their locks for the whole build (a second build on the same
    output or store fails at once), clear a killed run's leftovers, and never read its own outputs back."""
    report_path, rejects_path = sidecar_paths(config.output)
    written = [(config.output, "the output"), (report_path, "the report"), (rejects_path, "the rejects file")]
    with outputs.build_guard(config.inputs, written, config.store_dir, config.input_format) as exclude:
        config = replace(config, exclude=exclude, rdf_format=config.written_format)
        if config.update and config.store_dir is not None:
            config = replace(config, stored_updates=stored_updates(config.store_dir))
        summary = _build(config, on_reject, progress)
        summary.strict = config.strict
        if summary.output is None:
            if config.update and summary.unchanged:
                summary.notes.append(f"store: {config.store_dir} is current ({summary.unchanged} trials unchanged)")
            return summary
        if config.related:
            _add_related(config, summary)
        write_report(report_path, summary.outcome)
        summary.report_path = report_path
        _fill_store(config, summary)
        return summary


def _add_related(config: BuildConfig, summary: BuildSummary) -> None:
    from kg.similarity.related import add_computed_related

    assert summary.output is not None and config.related is not None and config.rdf_format is not None
    edges, added, results = add_computed_related(
        summary.output, config.rdf_format, config.related, config.related_method, config.shacl_engine
    )
    summary.outcome.add(results)
    summary.triples += added
    summary.notes.append(f"computed related edges: {edges} (top {config.related} by {config.related_method})")


def _fill_store(config: BuildConfig, summary: BuildSummary) -> None:
    """The store after the graph: already filled while building, updated with the rebuilt trials, or
    loaded from the finished graph file."""
    store_dir, graph = config.store_dir, summary.output
    if store_dir is None or graph is None:
        return
    if config.update:
        rebuilt = summary.rebuilt or set()
        count = update_store(graph, store_dir, rebuilt, kg_written=True)
        summary.notes.append(f"store: {store_dir} updated: {len(rebuilt)} trials rebuilt ({count} triples)")
        return
    if summary.store_triples is None:
        summary.store_triples = load_store(graph, store_dir, kg_written=True)
    summary.notes.append(f"store: {store_dir} ({summary.store_triples} triples)")


def _build(
    config: BuildConfig,
    on_reject: Callable[[Reject], None] | None,
    progress: Callable[[int, int], None] | None,
) -> BuildSummary:
    summary = BuildSummary(output=config.output, rebuilt=set() if config.update else None)
    snapshot = InputSnapshot()
    index = _first_pass(config, summary, on_reject, snapshot)
    index.resolve()
    vocabulary = read_mesh_vocabulary(config.mesh_file) if config.mesh_file is not None else None
    index.name_mesh_terms(vocabulary)
    summary.duplicates = index.duplicates
    summary.resolved_by_title, summary.unresolved = index.resolved, index.unresolved
    _, rejects_path = sidecar_paths(config.output)
    summary.rejects_path = rejects_path
    if len(index) == 0 or (
        config.stored_updates is not None
        and all(
            n in config.stored_updates and index.latest_update.get(n, "") <= config.stored_updates[n]
            for n in index.groups
        )
    ):
        summary.unchanged = 0 if len(index) == 0 else len(index)
        summary.output = None
        write_rejects(rejects_path, summary)
        return summary
    assert config.rdf_format is not None  # resolved by `build`
    sink = RdfSink(config.output, config.rdf_format, config.store_dir if config.fills_store_while_building else None)
    try:
        learner = AncestryLearner()
        written = _second_pass(config, index, sink, summary, progress, snapshot, learner)
        _write_mesh_hierarchy(config, vocabulary, learner, written, sink, summary)
        provenance = provenance_graph(config, summary)
        provenance_triples: list[Triple] = [(s, p, o) for s, p, o in provenance]  # type: ignore[misc]
        summary.outcome.add(validate_triples(provenance_triples, config.shacl_engine))
        sink.write(provenance_triples)
        write_rejects(rejects_path, summary)
    except BaseException:
        sink.abort()
        raise
    if summary.trials == 0 and summary.unchanged == 0:  # every trial failed: keep what was there
        sink.abort()
        summary.output = None
        return summary
    sink.commit()
    summary.triples, summary.store_triples = sink.triples, sink.store_triples
    return summary


def _write_mesh_hierarchy(
    config: BuildConfig,
    vocabulary: MeshVocabulary | None,
    learner: AncestryLearner,
    written: set[str],
    sink: RdfSink,
    summary: BuildSummary,
) -> None:
    """After the trials: NLM's hierarchy above the descriptors the graph names (given `--mesh`), and the
    ancestors learned from the records; validated like the trials' triples."""
    assert config.rdf_format is not None
    learned_everything = learner.learned()
    learned = agreeing_with(vocabulary, learned_everything)
    named = None
    if vocabulary is not None:
        named = vocabulary.around(iris.mesh_id_of(iri_of_text(node)) or "" for node in written)
    triples, pointed_at = hierarchy_triples(named, learned, written)
    if not triples:
        return
    if sink.reads_features:
        sink.add_hierarchy(hierarchy_above(named, learned))
    summary.outcome.add(validate_text(triples + pointed_at, config.shacl_engine))
    sink.write_body(pipeline.serialize(triples, config.rdf_format), len(triples))
    if named is not None:
        source = "kg's bundled MeSH 2024" if config.mesh_file == BUNDLED_MESH else str(config.mesh_file)
        summary.notes.append(f"MeSH hierarchy from {source}: {len(named)} descriptors")
    contradicted = len(learned_everything) - len(learned)
    left_out = f" ({contradicted} that NLM's hierarchy contradicts left out)" if contradicted else ""
    summary.notes.append(f"MeSH ancestors learned from the records: {len(learned)}{left_out}")


def _first_pass(
    config: BuildConfig,
    summary: BuildSummary,
    on_reject: Callable[[Reject], None] | None,
    snapshot: InputSnapshot,
) -> TrialIndex:
    index = TrialIndex(tracks_updates=config.stored_updates is not None)
    pipeline.configure(_settings(config))
    work = pipeline.units(config.inputs, config.batch_size, snapshot.note)
    for items in pipeline.run_in_order(pipeline.keys_of_unit, work, config.jobs, _crashed_in_pass_one):
        for item in items:
            if isinstance(item, pipeline.ReportedWarning):
                summary.field_warnings.append(item)
                continue
            summary.records_read += 1
            path = item.path if isinstance(item, Reject) else item.key[0]
            summary.files[path] = summary.files.get(path, 0) + 1
            if isinstance(item, Reject):
                _reject(summary, item, on_reject)
            else:
                index.offer(item)
                number = nct_number(item.nct_id or "")
                summary.ids_by_file.setdefault(path, array("q")).append(-1 if number is None else number)
    summary.on_reject = on_reject
    return index


def _reject(summary: BuildSummary, reject: Reject, on_reject: Callable[[Reject], None] | None) -> None:
    summary.rejects.append(reject)
    if on_reject:
        on_reject(reject)


def _crashed_in_pass_one(document: Document | Reject) -> list[pipeline.PassOneItem]:
    if isinstance(document, Reject):
        return [document]
    return [document.reject("worker-crashed", "reading this document killed kg's worker process twice; skipped")]


def _crashed_in_pass_two(document: Document | Reject) -> pipeline.UnitOutcome:
    """The records pass one counted in a document that now kills a worker: each one lost. Its keys are
    read again, alone in a fresh process (pass one read them without dying)."""
    outcome = pipeline.UnitOutcome()
    if isinstance(document, Reject):
        return outcome
    message = "building this document's records killed kg's worker process twice; skipped"
    keys = list(pipeline.run_in_order(pipeline.keys_of_unit, [[document]], 1, _crashed_in_pass_one))[0]
    for item in keys:
        if isinstance(item, pipeline.RecordKeys):
            path, member, position = item.key
            reject = Reject(path, "worker-crashed", message, position, member, item.nct_id)
            outcome.trials.append(pipeline.TrialResult("lost", item.nct_id or "", reject=reject))
    return outcome


def _second_pass(
    config: BuildConfig,
    index: TrialIndex,
    sink: RdfSink,
    summary: BuildSummary,
    progress: Callable[[int, int], None] | None,
    snapshot: InputSnapshot,
    learner: AncestryLearner,
) -> set[str]:
    """Workers build single-record trials; the parent merges multi-record ones and writes all in order.
    A record lost here (its file changed, its worker died) is rejected, and its trial is built from
    the records that remain. Returns the shared nodes written; `learner` sees each trial's MeSH lists."""
    settings = _settings(config)
    pipeline.configure(settings, index)
    emitted_shared: set[str] = set()
    waiting = PendingMerges()

    def lose(reject: Reject, nct_id: str) -> None:
        _reject(summary, reject, summary.on_reject)
        index.groups.remove_one(nct_id)

    def changed(path: str) -> None:
        message = "the file changed or disappeared between the build's two passes; its records were not built"
        for number in summary.ids_by_file.pop(path, array("q")):
            nct_id = nct_text(number) if number >= 0 else ""
            lose(Reject(path, "changed-during-build", message, nct_id=nct_id or None), nct_id)

    def checked(documents: Iterator[Document | Reject]) -> Iterator[Document | Reject]:
        return snapshot.check(documents, changed)

    work = pipeline.units(config.inputs, config.batch_size, checked)
    for outcome in pipeline.run_in_order(pipeline.build_unit, work, config.jobs, _crashed_in_pass_two):
        summary.mesh_runs_unsplit |= outcome.unsplit_runs
        summary.field_warnings.extend(outcome.warnings)
        for result in outcome.trials:
            if result.kind == "unchanged":
                summary.unchanged += 1
            elif result.kind == "lost" and result.reject is not None:
                lose(result.reject, result.nct_id)
            elif result.kind == "to-merge" and result.record is not None:
                merged = waiting.add(result.record, index.groups.get(result.nct_id, 1))
                if merged is not None:
                    _finish_merged(merged, index, settings, sink, emitted_shared, summary, learner)
            elif result.kind == "failed" and result.reject is not None:
                _reject(summary, result.reject, summary.on_reject)
            elif result.kind == "built" and result.built is not None:
                _write_trial(result.built, sink, emitted_shared, summary, learner)
                if progress and summary.trials % 250 == 0:
                    progress(summary.trials, len(index))
    for merged in waiting.remaining():  # trials that lost a record in this pass
        _finish_merged(merged, index, settings, sink, emitted_shared, summary, learner)
    summary.duplicates = index.duplicates
    summary.mesh_runs_unsplit |= index.unsplit_runs
    if progress:
        progress(summary.trials, len(index))
    return emitted_shared


def _finish_merged(
    merged: TrialRecord,
    index: TrialIndex,
    settings: pipeline.BuildSettings,
    sink: RdfSink,
    emitted_shared: set[str],
    summary: BuildSummary,
    learner: AncestryLearner,
) -> None:
    if pipeline.is_unchanged(merged.nct_id or "", index, settings):
        summary.unchanged += 1
        return
    built = pipeline.guarded_build(merged, index, settings)
    if isinstance(built, Reject):
        _reject(summary, built, summary.on_reject)
    else:
        _write_trial(built, sink, emitted_shared, summary, learner)


def _write_trial(
    trial: pipeline.BuiltTrial,
    sink: RdfSink,
    emitted_shared: set[str],
    summary: BuildSummary,
    learner: AncestryLearner,
) -> None:
    sink.write_body(trial.body, trial.triples)
    for node, body, count in trial.shared:
        if node not in emitted_shared:
            emitted_shared.add(node)
            sink.write_body(body, count)
    if trial.features is not None:
        sink.add_features(trial.features)
    summary.outcome.add(trial.results)
    summary.mesh_terms_without_id |= trial.mesh_terms_without_id
    if trial.mesh_evidence is not None:
        learner.observe(*trial.mesh_evidence)
    if summary.rebuilt is not None:
        summary.rebuilt.add(trial.nct_id)
    summary.trials += 1


def _settings(config: BuildConfig) -> pipeline.BuildSettings:
    return pipeline.BuildSettings(
        config.input_format,
        config.include_contacts,
        config.written_format,
        config.shacl_engine,
        config.stored_updates,
        exclude=config.exclude,
        read_features=config.fills_store_while_building,
    )


__all__ = ["BuildConfig", "BuildSummary", "build", "build_in_memory", "sidecar_paths"]
