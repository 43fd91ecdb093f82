"""What a build did: counts, rejects, field warnings, validation results, and the lines kg prints."""

from __future__ import annotations

import json
from array import array
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kg.build.pipeline import ReportedWarning
from kg.rdf.sinks import AtomicFile
from kg.sources import Reject
from kg.validation.results import ValidationOutcome
from kg.validation.shacl import digest


@dataclass
class BuildSummary:
    records_read: int = 0
    trials: int = 0
    triples: int = 0
    duplicates: int = 0
    unchanged: int = 0
    rebuilt: set[str] | None = None  # the trials built, kept by an update (its store drops their old statements)
    resolved_by_title: int = 0
    unresolved: int = 0
    mesh_terms_without_id: set[str] = field(default_factory=set)
    mesh_runs_unsplit: set[str] = field(default_factory=set)
    rejects: list[Reject] = field(default_factory=list)
    field_warnings: list[ReportedWarning] = field(default_factory=list)
    # pass one: the NCT ids read from each file, as numbers (-1: none), 8 bytes a record (merge.nct_number)
    ids_by_file: dict[str, array[int]] = field(default_factory=dict)
    on_reject: Callable[[Reject], None] | None = None
    files: dict[str, int] = field(default_factory=dict)  # input file -> records read from it
    outcome: ValidationOutcome = field(default_factory=ValidationOutcome)
    output: Path | None = None
    store_triples: int | None = None  # what the store holds after the build (with BuildConfig.store_dir)
    report_path: Path | None = None
    rejects_path: Path | None = None
    strict: bool = False
    notes: list[str] = field(default_factory=list)  # what was done besides the graph: related edges, the store

    @property
    def rejects_by_reason(self) -> Counter[str]:
        return Counter(reject.reason for reject in self.rejects)

    @property
    def warnings_by_reason(self) -> Counter[str]:
        return Counter(f"{w.warning.reason} ({w.warning.field})" for w in self.field_warnings)

    @property
    def exit_code(self) -> int:
        """0 built and conforms; 1 SHACL violations, or (strict) a record rejected; 2 nothing could be built."""
        if self.trials == 0 and self.unchanged == 0:
            return 2
        return 0 if self.outcome.conforms and not (self.strict and self.rejects) else 1

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
            f"field warnings (value left out or replaced, trial kept): {len(self.field_warnings)}"
            + "".join(f"\n  {count:>6} x {reason}" for reason, count in sorted(self.warnings_by_reason.items())),
        ]
        lines.extend(self.notes)
        lines.extend(digest(self.outcome))
        for label, path in (("graph", self.output), ("report", self.report_path), ("rejects", self.rejects_path)):
            if path is not None:
                lines.append(f"{label}: {path}")
        return lines


def write_rejects(path: Path, summary: BuildSummary) -> None:
    """One JSON line per reject (`kind: reject`) and per field warning (`kind: field-warning`)."""
    output = AtomicFile(path)
    try:
        lines: list[Reject | ReportedWarning] = [*summary.rejects, *summary.field_warnings]
        for line in lines:
            output.write(json.dumps(line.as_dict(), ensure_ascii=False) + "\n")
    except BaseException:
        output.abort()
        raise
    output.commit()
