"""Extraction quality measured on hand-labelled gold: what `kg parse` reads from free text.

Both gold files (doses, cell products) list entries that each name a real record by a path starting at the
folder that holds `shared/`; `gold_entries` reads one, keeps the entries of one half and parses each record.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kg.errors import InputError
from kg.model.records import TrialRecord, record_to_dict
from kg.sources import iter_records

HALVES = ("tune", "held-out", "all")


def half_of(key: str) -> str:
    """`tune` or `held-out`, fixed by the record's NCT id (or path): the same for every run."""
    return "tune" if hashlib.sha1(key.encode("utf-8")).digest()[0] % 2 == 0 else "held-out"


def records_root(gold_file: Path) -> Path:
    """The folder a gold file's record paths start from: the nearest one above it that holds `shared/`."""
    for folder in gold_file.resolve().parents:
        if (folder / "shared").is_dir():
            return folder
    return gold_file.resolve().parent


def gold_entries(
    gold_file: Path, key: str, kind: str, half: str = "all", base: Path | None = None
) -> Iterator[tuple[dict[str, Any], dict[str, Any] | None]]:
    """(gold entry, kg's parse of its record as `kg parse` prints it) for each entry under `key` in `half`."""
    try:
        entries = json.loads(gold_file.read_text(encoding="utf-8"))[key]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise InputError(f"{gold_file}: not a {kind} gold file ({error})") from error
    root = base if base is not None else records_root(gold_file)
    for entry in entries:
        if half != "all" and half_of(entry.get("nct_id") or entry["record"]) != half:
            continue
        path = root / entry["record"]
        if not path.exists():
            raise InputError(f"{gold_file}: record {entry['record']} not found under {root}")
        yield entry, _record_of(path, entry.get("nct_id"))


def _record_of(path: Path, nct_id: str | None) -> dict[str, Any] | None:
    """kg's parse of the gold's trial in `path`: the record with its NCT id (a bundle holds many), else the first."""
    first: TrialRecord | None = None
    for record in iter_records([str(path)]):
        if not isinstance(record, TrialRecord):
            continue
        if nct_id is None or record.nct_id == nct_id:
            return record_to_dict(record)
        first = first or record
    return record_to_dict(first) if first is not None else None
