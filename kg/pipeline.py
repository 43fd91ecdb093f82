"""The build's per-document work, run in worker processes so both cores parse, map and validate.

Work goes out in units (a few dozen input documents) and comes back in order, so a build with four
workers writes the same file as a build with none. Pass one sends back only each record's small keys
(`RecordKeys`); pass two sends back each trial ready to write: its RDF text, the text of each shared
node (MeSH term, sponsor, referenced trial) the worker has not sent before, and its SHACL results.
A trial with several records goes back as records, to be merged by the parent once all have arrived.

Workers are forked after pass one, so they inherit the trial index without pickling it.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from typing import TypeVar

from rdflib import URIRef

from kg import iris
from kg.mapping import map_trial
from kg.merge import RecordKeys, TrialIndex
from kg.records import TrialRecord
from kg.sources import Document, Reject, iter_documents, records_in_document
from kg.terms import Triple, ntriples, turtle_block
from kg.validation import ValidationResult, validate_triples

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


@dataclass
class BuiltTrial:
    """One trial, mapped, validated and serialized."""

    nct_id: str
    body: str | list[Triple]  # RDF text, or triples for sinks that hold a whole graph (JSON-LD)
    triples: int
    shared: list[tuple[str, str | list[Triple], int]]  # (node IRI, body, triples) not sent before
    results: list[ValidationResult]
    mesh_terms_without_id: set[str] = field(default_factory=set)


@dataclass
class UnitOutcome:
    """What one unit gave in pass two, in input order."""

    trials: list[BuiltTrial | TrialRecord | str] = field(default_factory=list)  # str: NCT id unchanged
    unsplit_runs: set[str] = field(default_factory=set)


# Set in the parent before workers fork (and used as is when the build runs in one process).
_index: TrialIndex | None = None
_settings = BuildSettings()
_sent_shared: set[str] = set()


def configure(settings: BuildSettings, index: TrialIndex | None = None) -> None:
    global _index, _settings, _sent_shared
    _index, _settings, _sent_shared = index, settings, set()


def units(inputs: list[str], size: int) -> Iterator[Unit]:
    documents = iter_documents(inputs)
    while chunk := list(islice(documents, size)):
        yield chunk


def keys_of_unit(unit: Unit) -> list[RecordKeys | Reject]:
    """Pass one: each record's keys (doses are not read: keys do not need them)."""
    out: list[RecordKeys | Reject] = []
    for document in unit:
        if isinstance(document, Reject):
            out.append(document)
            continue
        for item in records_in_document(document, _settings.input_format, _settings.include_contacts, doses=False):
            out.append(item if isinstance(item, Reject) else RecordKeys.of(item))
    return out


def build_unit(unit: Unit) -> UnitOutcome:
    """Pass two: every single-record trial built; records of multi-record trials handed back."""
    index = _index
    assert index is not None, "configure() the pipeline with the trial index first"
    outcome = UnitOutcome()
    for document in unit:
        if isinstance(document, Reject):
            continue  # counted in pass one
        for record in records_in_document(document, _settings.input_format, _settings.include_contacts):
            if isinstance(record, Reject):
                continue
            linked, expected = index.link(record)
            if expected > 1:
                outcome.trials.append(linked)
            elif is_unchanged(linked.nct_id or "", index):
                outcome.trials.append(linked.nct_id or "")
            else:
                outcome.trials.append(build_trial(linked, index, _sent_shared))
    outcome.unsplit_runs = set(index.unsplit_runs)
    index.unsplit_runs.clear()
    return outcome


def is_unchanged(nct_id: str, index: TrialIndex) -> bool:
    stored = (_settings.stored_updates or {}).get(nct_id)
    return stored is not None and index.latest_update.get(nct_id, "") <= stored


def build_trial(trial: TrialRecord, index: TrialIndex, sent_shared: set[str] | None = None) -> BuiltTrial:
    """Map, validate with every node the trial references, serialize; shared nodes already in
    `sent_shared` (a worker's record of what it sent) are left out, the receiver has them."""
    mapped = map_trial(trial)
    own: list[Triple] = list(dict.fromkeys(mapped.own))
    checked = own + [t for triples in mapped.shared.values() for t in triples]
    shared = []
    for node, triples in mapped.shared.items():
        key = str(node)
        # A trial with a record of its own is described by that record, not by references to it.
        if (sent_shared is not None and key in sent_shared) or _is_recorded_trial(node, index):
            continue
        if sent_shared is not None:
            sent_shared.add(key)
        unique: list[Triple] = list(dict.fromkeys(triples))
        shared.append((key, serialize(unique), len(unique)))
    return BuiltTrial(
        nct_id=trial.nct_id or "",
        body=serialize(own),
        triples=len(own),
        shared=shared,
        results=validate_triples(checked, _settings.shacl_engine),
        mesh_terms_without_id={
            m.term
            for m in (*trial.mesh_terms, *trial.mesh_ancestors, *trial.intervention_mesh_terms)
            if m.mesh_id is None
        },
    )


def serialize(triples: list[Triple]) -> str | list[Triple]:
    if _settings.rdf_format == "turtle":
        return turtle_block(triples) + "\n" if triples else ""
    if _settings.rdf_format == "nt":
        return ntriples(triples)
    return triples


def _is_recorded_trial(node: URIRef, index: TrialIndex) -> bool:
    text = str(node)
    return text.startswith(str(iris.CTGOV)) and text[len(str(iris.CTGOV)) :] in index


def run_in_order(work: Callable[[Unit], T], items: Iterable[Unit], jobs: int) -> Iterator[T]:
    """`work` over each unit, results in input order; with jobs > 1 in forked worker processes, at
    most a few units ahead of the consumer (memory stays bounded however large the input)."""
    if jobs <= 1:
        for item in items:
            yield work(item)
        return
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        in_flight: deque[Future[T]] = deque()
        try:
            for item in items:
                in_flight.append(pool.submit(work, item))
                if len(in_flight) >= jobs * 3:
                    yield in_flight.popleft().result()
            while in_flight:
                yield in_flight.popleft().result()
        finally:
            for future in in_flight:
                future.cancel()


def default_jobs() -> int:
    return max(1, min(len(os.sched_getaffinity(0)), 8))


__all__ = [
    "BuildSettings",
    "BuiltTrial",
    "UnitOutcome",
    "build_trial",
    "build_unit",
    "configure",
    "default_jobs",
    "is_unchanged",
    "keys_of_unit",
    "run_in_order",
    "units",
]
