"""The build's per-document work, run in worker processes so both cores parse, map and validate.

Work goes out in units (a few dozen input documents) and comes back in order, so a build with four
workers writes the same file as a build with none. Pass one sends back only each record's small keys
(`RecordKeys`); pass two sends back each trial ready to write: its RDF text, the text of each shared
node (MeSH term, sponsor, referenced trial) the worker has not sent before, and its SHACL results.
A trial with several records goes back as records, to be merged by the parent once all have arrived.

Workers are forked after pass one, so they inherit the trial index without pickling it.

Faults cost one record: a record that fails to map, validate or serialize comes back as an
`internal-error` reject, and a unit whose worker process dies (out of memory, a crash) is run again
one document at a time, each in a fresh process, so the document that kills a worker again is
rejected as `worker-crashed` and the build goes on.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from itertools import islice
from typing import Literal, TypeVar

from kg import outputs
from kg.build.merge import RecordKeys, TrialIndex
from kg.model.records import FieldWarning, MeshTerm, TrialRecord
from kg.rdf import formats, iris
from kg.rdf.mapping import map_trial
from kg.rdf.terms import TextTriple, Triple, iri_of_text, rdflib_triples
from kg.similarity.features import TrialFeatures, features_of
from kg.similarity.walk import TextWalk
from kg.sources import Document, Reject, internal_error, iter_documents, records_in_document
from kg.validation.results import ValidationResult
from kg.validation.shacl import validate_text

Unit = list[Document | Reject]
T = TypeVar("T")


@dataclass(frozen=True)
class BuildSettings:
    """What a worker needs to know; set before workers fork."""

    input_format: str = "auto"
    include_contacts: bool = False
    rdf_format: str = "turtle"
    shacl_engine: str = "core"
    stored_updates: dict[str, str] | None = None
    exclude: frozenset[str] = frozenset()  # resolved paths a folder walk skips: the build's own outputs
    read_features: bool = False  # read each trial's recommendation features as it is mapped (a store is filled)


@dataclass
class BuiltTrial:
    """One trial, mapped, validated and serialized."""

    nct_id: str
    body: str | list[Triple]  # RDF text, or rdflib triples for sinks that hold a whole graph (JSON-LD)
    triples: int
    shared: list[tuple[str, str | list[Triple], int]]  # (node's N-Triples text, body, triples) not sent before
    results: list[ValidationResult]
    mesh_terms_without_id: set[str] = field(default_factory=set)
    features: TrialFeatures | None = None  # its recommendation features, when the build fills a store
    # Its condition terms and the MeSH ancestors its record lists for them: what the build learns the
    # hierarchy from (None when the record lists no ancestors).
    mesh_evidence: tuple[tuple[MeshTerm, ...], tuple[MeshTerm, ...]] | None = None


@dataclass(frozen=True)
class ReportedWarning:
    """A field warning with the record it came from, as the rejects file lists it."""

    path: str
    member: str | None
    position: int
    nct_id: str | None
    warning: FieldWarning

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": "field-warning",
            "path": self.path,
            "member": self.member,
            "position": self.position,
            "nct_id": self.nct_id,
            "field": self.warning.field,
            "value": self.warning.value,
            "reason": self.warning.reason,
            "message": self.warning.message,
        }

    @classmethod
    def all_of(
        cls, record: TrialRecord, only: Callable[[FieldWarning], bool] = lambda w: True
    ) -> list[ReportedWarning]:
        source = record.provenance
        return [
            cls(source.path, source.member, source.position, record.nct_id or None, w)
            for w in record.field_warnings
            if only(w)
        ]


@dataclass(frozen=True)
class TrialResult:
    """One trial's outcome in pass two, told apart by `kind`:

    - `built`: mapped, validated and serialized (`built`);
    - `to-merge`: one of several records of a trial, merged in the parent (`record`);
    - `unchanged`: no newer than the store's copy (`--update`), skipped;
    - `failed`: building it raised; `reject` says why (internal-error);
    - `lost`: a record pass one counted but pass two could not build (`reject`); its trial expects one
      record fewer.
    """

    kind: Literal["built", "to-merge", "unchanged", "failed", "lost"]
    nct_id: str
    built: BuiltTrial | None = None
    record: TrialRecord | None = None
    reject: Reject | None = None

    @classmethod
    def of_build(cls, nct_id: str, outcome: BuiltTrial | Reject) -> TrialResult:
        if isinstance(outcome, Reject):
            return cls("failed", nct_id, reject=outcome)
        return cls("built", nct_id, built=outcome)


@dataclass
class UnitOutcome:
    """What one unit gave in pass two, in input order."""

    trials: list[TrialResult] = field(default_factory=list)
    unsplit_runs: set[str] = field(default_factory=set)
    warnings: list[ReportedWarning] = field(default_factory=list)  # found only in pass two (doses)


@dataclass
class _WorkerState:
    """What forked workers inherit: set in the parent before a pass's workers fork, and read only by
    the work functions they run (`units`, `keys_of_unit`, `build_unit`). The parent's own building
    (merged trials) is given its settings explicitly."""

    settings: BuildSettings = field(default_factory=BuildSettings)
    index: TrialIndex | None = None
    sent_shared: set[str] = field(default_factory=set)  # shared nodes this worker has sent already


_worker = _WorkerState()


def configure(settings: BuildSettings, index: TrialIndex | None = None) -> None:
    global _worker
    _worker = _WorkerState(settings, index)


def units(
    inputs: list[str],
    size: int,
    through: Callable[[Iterator[Document | Reject]], Iterator[Document | Reject]] | None = None,
) -> Iterator[Unit]:
    """The inputs' documents in units of `size`; `through` sees (and may drop) each on the way."""
    documents = iter_documents(inputs, _worker.settings.exclude)
    if through is not None:
        documents = through(documents)
    while chunk := list(islice(documents, size)):
        yield chunk


PassOneItem = RecordKeys | Reject | ReportedWarning


def keys_of_unit(unit: Unit) -> list[PassOneItem]:
    """Pass one: each record's keys and field warnings (doses are not read: keys do not need them)."""
    out: list[PassOneItem] = []
    for document in unit:
        if isinstance(document, Reject):
            out.append(document)
            continue
        settings = _worker.settings
        for item in records_in_document(document, settings.input_format, settings.include_contacts, doses=False):
            if isinstance(item, Reject):
                out.append(item)
                continue
            out.append(RecordKeys.of(item))
            out.extend(ReportedWarning.all_of(item))
    return out


def build_unit(unit: Unit) -> UnitOutcome:
    """Pass two: every single-record trial built; records of multi-record trials handed back."""
    index, settings = _worker.index, _worker.settings
    assert index is not None, "configure() the pipeline with the trial index first"
    outcome = UnitOutcome()
    for document in unit:
        if isinstance(document, Reject):
            continue  # counted in pass one
        for record in records_in_document(document, settings.input_format, settings.include_contacts):
            if isinstance(record, Reject):
                if record.after_read:  # pass one counted it as a record of its trial: lost now
                    key = (record.path, record.member, record.position or 0)
                    nct_id = record.nct_id or index.assigned.get(key, "")
                    outcome.trials.append(TrialResult("lost", nct_id, reject=record))
                continue  # otherwise counted in pass one
            outcome.warnings.extend(ReportedWarning.all_of(record, lambda w: w.field == "doses"))
            linked, expected = index.link(record)
            nct_id = linked.nct_id or ""
            if expected > 1:
                outcome.trials.append(TrialResult("to-merge", nct_id, record=linked))
            elif is_unchanged(nct_id, index, settings):
                outcome.trials.append(TrialResult("unchanged", nct_id))
            else:
                built = guarded_build(linked, index, settings, _worker.sent_shared)
                outcome.trials.append(TrialResult.of_build(nct_id, built))
    outcome.unsplit_runs = set(index.unsplit_runs)
    index.unsplit_runs.clear()
    return outcome


def is_unchanged(nct_id: str, index: TrialIndex, settings: BuildSettings) -> bool:
    stored = (settings.stored_updates or {}).get(nct_id)
    return stored is not None and index.latest_update.get(nct_id, "") <= stored


def guarded_build(
    trial: TrialRecord, index: TrialIndex, settings: BuildSettings, sent_shared: set[str] | None = None
) -> BuiltTrial | Reject:
    """`build_trial`, with any unexpected error turned into the trial's `internal-error` reject."""
    try:
        return build_trial(trial, index, settings, sent_shared)
    except Exception as error:  # noqa: BLE001 - the boundary: one trial's fault, never the build's
        source = trial.provenance
        document = Document(source.path, source.member)
        reject = internal_error(document, error, source.position, "mapping, validating or writing this trial")
        return Reject(
            reject.path, reject.reason, reject.message, reject.position, reject.member, trial.nct_id, reject.detail
        )


def build_trial(
    trial: TrialRecord, index: TrialIndex, settings: BuildSettings, sent_shared: set[str] | None = None
) -> BuiltTrial:
    """Map, validate with every node the trial references, serialize; shared nodes already in
    `sent_shared` (a worker's record of what it sent) are left out, the receiver has them."""
    if not trial.mesh_terms:
        trial = replace(trial, text_mesh_terms=index.mesh_in_text(trial))
    mapped = map_trial(trial)
    own: list[TextTriple] = list(dict.fromkeys(mapped.own))
    checked = own + [t for triples in mapped.shared.values() for t in triples]
    shared = []
    for node, triples in mapped.shared.items():
        # A trial with a record of its own is described by that record, not by references to it.
        if (sent_shared is not None and node in sent_shared) or _is_recorded_trial(node, index):
            continue
        if sent_shared is not None:
            sent_shared.add(node)
        unique: list[TextTriple] = list(dict.fromkeys(triples))
        shared.append((node, serialize(unique, settings.rdf_format), len(unique)))
    return BuiltTrial(
        nct_id=trial.nct_id or "",
        body=serialize(own, settings.rdf_format),
        triples=len(own),
        shared=shared,
        results=validate_text(checked, settings.shacl_engine),
        mesh_terms_without_id={
            m.term
            for m in (*trial.mesh_terms, *trial.mesh_ancestors, *trial.intervention_mesh_terms)
            if m.mesh_id is None
        },
        features=_features(trial, mapped.trial, checked) if settings.read_features else None,
        mesh_evidence=(trial.mesh_terms, trial.mesh_ancestors) if trial.mesh_terms and trial.mesh_ancestors else None,
    )


def _features(trial: TrialRecord, node: str, triples: list[TextTriple]) -> TrialFeatures | None:
    """The trial's recommendation features, read from what was just mapped, as a store walk reads them."""
    if not trial.nct_id or trial.nct_id.startswith(iris.UNRESOLVED_PREFIX):
        return None  # only trials with an NCT id are indexed
    return features_of([(trial.nct_id, TextWalk(triples, node))])


def serialize(triples: list[TextTriple], rdf_format: str) -> str | list[Triple]:
    """A trial's piece of the output, written by the worker for a streamed format; rdflib triples for
    a format written whole at the end."""
    block = formats.named(rdf_format).text_block
    return block(triples) if block is not None else rdflib_triples(triples)


def _is_recorded_trial(node: str, index: TrialIndex) -> bool:
    nct_id = iris.nct_id_of(iri_of_text(node))
    return nct_id is not None and nct_id in index


def _submit(pool: ProcessPoolExecutor, work: Callable[[Unit], T], item: Unit) -> Future[T]:
    """A pool's first submit starts its manager thread; a stop arriving in between would leave a
    thread that the pool's shutdown can neither join nor skip, so it waits for the end of the step."""
    with outputs.signals_deferred():
        return pool.submit(work, item)


def run_in_order(
    work: Callable[[Unit], T], items: Iterable[Unit], jobs: int, crashed: Callable[[Document | Reject], T]
) -> Iterator[T]:
    """`work` over each unit, results in input order, always in forked worker processes (a worker
    that dies must not take the build with it), at most a few units ahead of the consumer (memory
    stays bounded however large the input). When a worker dies, every unit in flight is run again
    one document at a time, each alone in a fresh process; a document that kills that process too
    gives `crashed(document)`."""
    context = multiprocessing.get_context("fork")
    jobs = max(1, jobs)
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context)
    in_flight: deque[tuple[Unit, Future[T]]] = deque()
    try:
        for item in items:
            in_flight.append((item, _submit(pool, work, item)))
            while len(in_flight) >= jobs * 3:
                result, pool = _next_result(work, in_flight, pool, jobs, crashed)
                yield from result
        while in_flight:
            result, pool = _next_result(work, in_flight, pool, jobs, crashed)
            yield from result
    finally:
        for _, future in in_flight:
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)


def _next_result(
    work: Callable[[Unit], T],
    in_flight: deque[tuple[Unit, Future[T]]],
    pool: ProcessPoolExecutor,
    jobs: int,
    crashed: Callable[[Document | Reject], T],
) -> tuple[list[T], ProcessPoolExecutor]:
    unit, future = in_flight[0]
    try:
        result = future.result()
    except BrokenProcessPool:
        # Which unit killed the worker is unknown: every unit in flight is a suspect.
        suspects = [u for u, _ in in_flight]
        in_flight.clear()
        pool.shutdown(wait=True, cancel_futures=True)
        results = [r for suspect in suspects for r in _one_document_at_a_time(work, suspect, crashed)]
        return results, ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork"))
    in_flight.popleft()
    return [result], pool


def _one_document_at_a_time(
    work: Callable[[Unit], T], unit: Unit, crashed: Callable[[Document | Reject], T]
) -> Iterator[T]:
    context = multiprocessing.get_context("fork")
    for document in unit:
        with ProcessPoolExecutor(max_workers=1, mp_context=context) as alone:
            try:
                yield _submit(alone, work, [document]).result()
            except BrokenProcessPool:
                yield crashed(document)


def default_jobs() -> int:
    return max(1, min(len(os.sched_getaffinity(0)), 8))


__all__ = [
    "BuildSettings",
    "RecordKeys",
    "TrialResult",
    "BuiltTrial",
    "UnitOutcome",
    "build_trial",
    "build_unit",
    "configure",
    "default_jobs",
    "guarded_build",
    "is_unchanged",
    "keys_of_unit",
    "run_in_order",
    "units",
]
