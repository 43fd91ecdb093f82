"""One trial per NCT id: which of several records of the same trial wins.

The record with the later last-update date wins, then the later registry version date; a full tie
keeps the first record read, so the choice is stable.
"""

from __future__ import annotations

from dataclasses import dataclass

from kg.records import TrialRecord

RecordKey = tuple[str, str | None, int]  # (file path, zip member, position)


@dataclass(frozen=True)
class Candidate:
    key: RecordKey
    last_updated: str
    version_date: str

    def beats(self, other: Candidate) -> bool:
        return (self.last_updated, self.version_date) > (other.last_updated, other.version_date)


def candidate_of(record: TrialRecord) -> Candidate:
    source = record.provenance
    return Candidate(
        key=(source.path, source.member, source.position),
        last_updated=record.last_updated.value if record.last_updated else "",
        version_date=source.version_date or "",
    )


class WinnerIndex:
    """Keeps, per NCT id, only the winning record's key: memory grows with trials, not with records' size."""

    def __init__(self) -> None:
        self._best: dict[str, Candidate] = {}
        self.duplicates = 0

    def offer(self, record: TrialRecord) -> None:
        candidate = candidate_of(record)
        current = self._best.get(record.nct_id)
        if current is None:
            self._best[record.nct_id] = candidate
            return
        self.duplicates += 1
        if candidate.beats(current):
            self._best[record.nct_id] = candidate

    def is_winner(self, record: TrialRecord) -> bool:
        best = self._best.get(record.nct_id)
        return best is not None and best.key == candidate_of(record).key

    def __contains__(self, nct_id: object) -> bool:
        return nct_id in self._best

    def __len__(self) -> int:
        return len(self._best)
