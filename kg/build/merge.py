"""One node per trial: group the records of each trial, resolve records that carry no NCT id, merge.

Pass one sees every record and keeps only small keys: per NCT id the records that describe it, the
normalized titles known from records and related-trial lists (to resolve a record with no NCT id),
and MeSH term -> id pairs (to link MeSH terms that a source names without their id). Pass two hands
each record over; a trial with several records is merged once its last record has arrived.

Where records disagree, the most recently updated wins; ties go to a status of UNKNOWN (set by the
registry later, without a new update date), then to the later registry version date, then to the
richer structured source (API v2, API v1, XML, page). Arms are matched by normalized label and merged
field by field, so a schedule or dose only one source states survives. Provenance keeps every source.
"""

from __future__ import annotations

import hashlib
import sys
import unicodedata
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields, replace

import numpy as np

from kg import textpatterns
from kg.model.mesh import MeshNames, MeshVocabulary
from kg.model.records import Arm, MeshTerm, TrialRecord
from kg.rdf import iris
from kg.sources.values import is_nct_id

RecordKey = tuple[str, str | None, int]  # (file path, zip member, position)
FORMAT_RANK = {"ctgov-v2-json": 4, "ctgov-v1-json": 3, "ctgov-legacy-xml": 2}  # pages rank 1
_NOT_MERGED = {"nct_id", "provenance", "merged_from"}


def normalize_title(title: str | None) -> str:
    if not title:
        return ""
    folded = unicodedata.normalize("NFKC", title).casefold()
    return " ".join(textpatterns.word_runs(folded))


def record_key(record: TrialRecord) -> RecordKey:
    source = record.provenance
    return (source.path, source.member, source.position)


def precedence(record: TrialRecord) -> tuple[str, bool, str, int]:
    """Higher sorts first: later last update; then a status of UNKNOWN (the registry sets it later, when
    a trial's verification lapses, without a new update date); later version date; richer format."""
    return (
        record.last_updated.value if record.last_updated else "",
        record.status == "UNKNOWN",
        record.provenance.version_date or "",
        FORMAT_RANK.get(record.provenance.source_format, 1),
    )


def unresolved_id(record: TrialRecord) -> str:
    """A stable stand-in id for a record no NCT id could be found for, derived from its content."""
    content = "|".join([normalize_title(record.title), *sorted(c.casefold() for c in record.conditions)])
    return iris.unresolved_id(hashlib.sha1(content.encode("utf-8")).hexdigest()[:12])


def merge_records(records: list[TrialRecord]) -> TrialRecord:
    """Fields from the record with the highest precedence that has them; provenance from all."""
    ordered = sorted(records, key=precedence, reverse=True)
    best = ordered[0]
    values = {}
    for spec in fields(TrialRecord):
        if spec.name in _NOT_MERGED:
            continue
        values[spec.name] = next(
            (getattr(r, spec.name) for r in ordered if getattr(r, spec.name) not in (None, (), "")),
            getattr(best, spec.name),
        )
    values["arms"] = _merged_arms(ordered)
    others = tuple(r.provenance for r in ordered[1:])
    return replace(best, merged_from=others, **values)


def _merged_arms(ordered: list[TrialRecord]) -> tuple[Arm, ...]:
    """The arms of the first record that has any, each field filled from the same arm (by normalized
    label) in the records that follow, where it is empty."""
    arms = next((r.arms for r in ordered if r.arms), ())
    merged = []
    for arm in arms:
        label = normalize_title(arm.label)
        same = [a for r in ordered for a in r.arms if a is not arm and normalize_title(a.label) == label]
        filled = {
            spec.name: next((getattr(a, spec.name) for a in same if getattr(a, spec.name) not in (None, (), "")), None)
            for spec in fields(Arm)
            if getattr(arm, spec.name) in (None, (), "")
        }
        merged.append(replace(arm, **{k: v for k, v in filled.items() if v is not None}))
    return tuple(merged)


class RecordCounts:
    """How many records each trial has (NCT id or stand-in -> count), compact at registry scale: pass
    one appends each NCT id as its number (8 bytes a record); `freeze` sorts them into the numbers of
    the trials with one record (8 bytes a trial, an array forked workers share, never written again),
    and only trials with more records, stand-in ids and later changes are kept in a dict."""

    def __init__(self) -> None:
        self._appended = array("q")  # pass one, until `freeze`
        self._frozen = False
        self._single = np.zeros(0, dtype=np.int64)  # sorted: the trials with one record, by number
        self._gone: set[int] = set()  # of `_single`, those whose count changed since (see `_counts`)
        self._counts: dict[str, int] = {}

    def add(self, nct_id: str) -> None:
        number = nct_number(nct_id)
        if number is not None and not self._frozen:
            self._appended.append(number)
        elif number is not None and self._is_single(number):
            self._gone.add(number)
            self._counts[nct_id] = 2
        else:
            self._counts[nct_id] = self._counts.get(nct_id, 0) + 1

    def remove_one(self, nct_id: str) -> None:
        """One record of the trial lost (rejected in pass two): the trial has one fewer."""
        self.freeze()
        number = nct_number(nct_id)
        if number is not None and self._is_single(number):
            self._gone.add(number)
        elif nct_id in self._counts:
            self._counts[nct_id] -= 1
            if self._counts[nct_id] == 0:
                del self._counts[nct_id]

    def freeze(self) -> None:
        """Pass one is over: the appended numbers sorted into counts (again: nothing to do)."""
        if self._frozen:
            return
        numbers, counts = np.unique(np.frombuffer(self._appended, dtype=np.int64), return_counts=True)
        self._single = numbers[counts == 1].copy()
        for number, count in zip(numbers[counts > 1].tolist(), counts[counts > 1].tolist(), strict=True):
            self._counts[nct_text(number)] = count
        self._appended, self._frozen = array("q"), True

    def _is_single(self, number: int) -> bool:
        at = int(np.searchsorted(self._single, number))
        return at < len(self._single) and int(self._single[at]) == number and number not in self._gone

    def get(self, nct_id: str, default: int = 0) -> int:
        self.freeze()
        number = nct_number(nct_id)
        if number is not None and self._is_single(number):
            return 1
        return self._counts.get(nct_id, default)

    def __contains__(self, nct_id: object) -> bool:
        return isinstance(nct_id, str) and self.get(nct_id) > 0

    def __len__(self) -> int:
        self.freeze()
        return len(self._single) - len(self._gone) + len(self._counts)

    def __iter__(self) -> Iterator[str]:
        self.freeze()
        yield from (nct_text(n) for n in self._single.tolist() if n not in self._gone)
        yield from list(self._counts)

    @property
    def duplicates(self) -> int:
        """Records beyond the first of each trial."""
        self.freeze()
        return sum(count - 1 for count in self._counts.values())


def nct_number(nct_id: str) -> int | None:
    """NCT01234567 -> 1234567; None for anything else (a stand-in id)."""
    return int(nct_id[3:]) if is_nct_id(nct_id) else None


def nct_text(number: int) -> str:
    return f"NCT{number:08d}"


@dataclass
class TrialIndex:
    """Held for the whole build (and by each worker): per record a few bytes, per distinct MeSH term and
    (with `tracks_updates`) per trial a few small entries."""

    groups: RecordCounts = field(default_factory=RecordCounts)  # NCT id (or stand-in) -> records of that trial
    tracks_updates: bool = False  # keep `latest_update` (only an update build compares dates)
    titles: dict[str, str] = field(default_factory=dict)
    mesh_ids: dict[str, str] = field(default_factory=dict)
    mesh_terms: dict[str, MeshTerm] = field(default_factory=dict)  # casefolded term -> the term with its id
    condition_mesh: dict[str, MeshTerm] = field(default_factory=dict)  # … of condition terms and ancestors
    mesh_names: MeshNames | None = None  # what pass two finds in the text of trials mapped to no term
    unsplit_runs: set[str] = field(default_factory=set)
    latest_update: dict[str, str] = field(default_factory=dict)  # NCT id -> the latest last-update date seen
    without_id: dict[RecordKey, tuple[str, str]] = field(default_factory=dict)  # key -> (title, stand-in id)
    assigned: dict[RecordKey, str] = field(default_factory=dict)  # key -> the NCT id (or stand-in) resolved
    resolved: int = 0
    unresolved: int = 0

    def offer(self, record: TrialRecord | RecordKeys) -> None:
        keys = record if isinstance(record, RecordKeys) else RecordKeys.of(record)
        for mesh in keys.mesh:
            self.mesh_ids.setdefault(mesh.term.casefold(), mesh.mesh_id)  # type: ignore[arg-type]
            self.mesh_terms.setdefault(mesh.term.casefold(), mesh)
        for mesh in keys.mesh[: keys.condition_mesh]:
            self.condition_mesh.setdefault(mesh.term.casefold(), mesh)
        for title, nct_id in keys.related_titles:
            self.titles.setdefault(title, nct_id)
        if not keys.nct_id:
            self.without_id[keys.key] = (keys.title, keys.stand_in)
            return
        self.titles[keys.title] = keys.nct_id
        self.groups.add(keys.nct_id)
        if self.tracks_updates and keys.last_updated > self.latest_update.get(keys.nct_id, ""):
            self.latest_update[keys.nct_id] = sys.intern(keys.last_updated)  # dates repeat: one copy each

    def resolve(self) -> None:
        """After pass one: give each record without an NCT id the trial its title names, if any."""
        self.groups.freeze()
        for key, (title, stand_in) in self.without_id.items():
            nct_id = self.titles.get(title) if title else None
            if nct_id:
                self.resolved += 1
            else:
                nct_id = stand_in
                self.unresolved += 1
            self.assigned[key] = nct_id
            self.groups.add(nct_id)
        self.titles, self.without_id = {}, {}  # only resolution needed them; pass two does not

    def name_mesh_terms(self, vocabulary: MeshVocabulary | None = None) -> None:
        """After pass one: the MeSH names pass two looks for in condition text, those of the build's own
        condition terms and, given NLM's vocabulary, every descriptor's name and entry terms (whose names
        also give their ids to terms the records name without one)."""
        names = MeshNames((term.term, term) for term in self.condition_mesh.values())
        if vocabulary is not None:
            for name, mesh_id in vocabulary.names():
                names.add(name, MeshTerm(mesh_id, vocabulary.labels[mesh_id]))
            for mesh_id, name in vocabulary.labels.items():  # terms sources name without an id get NLM's
                self.mesh_ids.setdefault(name.casefold(), mesh_id)
                self.mesh_terms.setdefault(name.casefold(), MeshTerm(mesh_id, name))
        self.mesh_names = names
        self.condition_mesh = {}

    def mesh_in_text(self, trial: TrialRecord) -> tuple[MeshTerm, ...]:
        """The MeSH terms a trial's conditions and keywords name; when it lists neither (some registry
        pages), its titles and first inclusion criterion, which says whom the trial is for."""
        if self.mesh_names is None:
            return ()
        texts = trial.conditions + trial.keywords
        if not texts:
            first_criterion = trial.eligibility.inclusion[:1] if trial.eligibility else ()
            texts = tuple(t for t in (trial.title, trial.official_title, *first_criterion) if t)
        return self.mesh_names.found_in(texts)

    @property
    def duplicates(self) -> int:
        return self.groups.duplicates

    def __len__(self) -> int:
        return len(self.groups)

    def __contains__(self, nct_id: object) -> bool:
        return nct_id in self.groups

    def link_mesh(self, terms: tuple[MeshTerm, ...]) -> tuple[MeshTerm, ...]:
        return tuple(MeshTerm(self.mesh_ids.get(m.term.casefold()), m.term) if m.mesh_id is None else m for m in terms)

    def split_runs(self, runs: tuple[str, ...]) -> tuple[MeshTerm, ...]:
        """Split run-together MeSH text into terms the build knows with ids; a run that does not split
        wholly into known terms is left out and counted (`unsplit_runs`), never guessed at."""
        found: list[MeshTerm] = []
        for run in runs:
            terms = split_into_known_terms(run, self.mesh_terms)
            if terms is None:
                self.unsplit_runs.add(run)
            else:
                found.extend(t for t in terms if t not in found)
        return tuple(found)

    def link(self, record: TrialRecord) -> tuple[TrialRecord, int]:
        """Pass two, one record: its resolved NCT id and MeSH ids filled in, and how many records its
        trial has (1 for most: such a record is the trial and can be built on its own)."""
        key = record_key(record)
        nct_id = record.nct_id or self.assigned.get(key, "")
        linked = replace(
            record,
            nct_id=nct_id,
            mesh_terms=self.link_mesh(record.mesh_terms + self.split_runs(record.mesh_term_runs)),
            mesh_ancestors=self.link_mesh(record.mesh_ancestors + self.split_runs(record.mesh_ancestor_runs)),
            intervention_mesh_terms=self.link_mesh(record.intervention_mesh_terms),
        )
        return linked, self.groups.get(nct_id, 1)

    def trials(self, records: Iterable[TrialRecord]) -> Iterator[TrialRecord]:
        """Pass two: one merged record per trial, as soon as all of its records have been seen."""
        waiting = PendingMerges()
        for record in records:
            linked, expected = self.link(record)
            trial = linked if expected == 1 else waiting.add(linked, expected)
            if trial is not None:
                yield trial


class PendingMerges:
    """Records of multi-record trials, held until the trial's last record arrives."""

    def __init__(self) -> None:
        self._pending: dict[str, list[TrialRecord]] = {}

    def add(self, record: TrialRecord, expected: int) -> TrialRecord | None:
        waiting = self._pending.setdefault(record.nct_id or "", [])
        waiting.append(record)
        if len(waiting) < expected:
            return None
        return merge_records(self._pending.pop(record.nct_id or ""))

    def remaining(self) -> Iterator[TrialRecord]:
        """Trials still waiting when their other records will not come (rejected in pass two)."""
        while self._pending:
            _, records = self._pending.popitem()
            yield merge_records(records)


@dataclass(frozen=True)
class RecordKeys:
    """What pass one keeps of a record (small: the record itself is read again in pass two)."""

    key: RecordKey
    nct_id: str | None
    title: str  # normalized
    stand_in: str  # the id used if no trial's title matches (records without an NCT id)
    last_updated: str
    related_titles: tuple[tuple[str, str], ...]  # (normalized title, NCT id) of listed related trials
    mesh: tuple[MeshTerm, ...]  # MeSH terms that carry their id
    condition_mesh: int = 0  # how many of them (the first) are condition terms or their ancestors

    @classmethod
    def of(cls, record: TrialRecord) -> RecordKeys:
        condition_side = tuple(m for m in (*record.mesh_terms, *record.mesh_ancestors) if m.mesh_id)
        return cls(
            key=record_key(record),
            nct_id=record.nct_id,
            title=normalize_title(record.title),
            stand_in="" if record.nct_id else unresolved_id(record),
            last_updated=record.last_updated.value if record.last_updated else "",
            related_titles=tuple((normalize_title(r.title), r.nct_id) for r in record.related_trials if r.title),
            mesh=(*condition_side, *(m for m in record.intervention_mesh_terms if m.mesh_id)),
            condition_mesh=len(condition_side),
        )


def split_into_known_terms(run: str, known: dict[str, MeshTerm]) -> list[MeshTerm] | None:
    """`Liver Diseases Digestive System Diseases` -> [Liver Diseases, Digestive System Diseases] when both
    are known; the split with the fewest terms wins; None when no split uses known terms only."""
    words = run.split()
    longest = max((len(term.split()) for term in known), default=0)
    best: list[list[MeshTerm] | None] = [None] * (len(words) + 1)
    best[0] = []
    for end in range(1, len(words) + 1):
        for start in range(max(0, end - longest), end):
            before = best[start]
            term = known.get(" ".join(words[start:end]).casefold())
            if before is not None and term is not None:
                candidate = [*before, term]
                current = best[end]
                if current is None or len(candidate) < len(current):
                    best[end] = candidate
    return best[len(words)] if words else None
