"""Source values checked before they reach the graph.

A record's identity must be sound or the record is rejected. Any other value kg cannot use (an
impossible date, a negative or overflowing count, an age no one can read, text that is not Unicode)
is left out of the record, the trial is kept, and a `FieldWarning` says which value and why: SHACL
violations are then kg's own bugs, never a source's. All text is NFC-normalized here, so a name
written in NFC and in NFD is one sponsor, one key, one IRI.

Parsers report a bad value with `warn()` while a `collecting()` block is open (one per record).
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields, is_dataclass, replace
from datetime import date
from typing import Any, TypeVar

from kg.errors import ParseError
from kg.model import codes
from kg.model.codes import age_in_years
from kg.model.records import Eligibility, FieldWarning, Reference, RegistryDate, RelatedTrial, TrialRecord
from kg.sources import display

MAX_COUNT = 100_000_000  # no trial enrols more; a larger count is a typing error or an attack
MAX_AGE_YEARS = 150
EARLIEST_YEAR, LATEST_YEAR = 1900, 2200
MAX_NUMBER_DIGITS = 18
MAX_ITEMS = 20_000  # of any list in one record; the largest real trials list a few thousand sites
DATE_FIELDS = (
    "start_date",
    "primary_completion_date",
    "completion_date",
    "first_posted",
    "last_updated",
    "status_verified",
)

_RECORD_CODES = {
    "status": codes.OVERALL_STATUSES,
    "last_known_status": codes.OVERALL_STATUSES,
    "study_type": codes.STUDY_TYPES,
    "enrollment_type": codes.DATE_TYPES,
    "allocation": codes.ALLOCATIONS,
    "intervention_model": codes.INTERVENTION_MODELS,
    "masking": codes.MASKINGS,
    "primary_purpose": codes.PRIMARY_PURPOSES,
}

_collected: list[FieldWarning] | None = None
T = TypeVar("T")


@contextmanager
def collecting() -> Iterator[list[FieldWarning]]:
    """Gather the warnings `warn()` gives while one record is parsed."""
    global _collected
    outer, _collected = _collected, []
    try:
        yield _collected
    finally:
        _collected = outer


def warn(field: str, value: object, reason: str, message: str) -> None:
    shown = value if isinstance(value, str) else repr(value)
    if len(shown) > 200:
        shown = shown[:200] + f"… ({len(shown):,} characters)"
    if _collected is not None:
        _collected.append(FieldWarning(field, _printable(shown), reason, message))


def _printable(text: str) -> str:
    return text.encode("utf-8", "replace").decode("utf-8") if not text.isascii() else text


def is_nct_id(text: object) -> bool:
    """`NCT` and eight ASCII digits, nothing else (no Arabic-Indic digits, no trailing newline)."""
    return isinstance(text, str) and len(text) == 11 and text.startswith("NCT") and _ascii_digits(text[3:])


def _ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def count_of(value: object, field: str) -> int | None:
    """A whole count (enrollment) from JSON or text; anything else is a field warning and None.
    Digits are bounded before conversion (Python refuses ints over 4,300 digits; `²` is a digit to
    `str.isdigit` but not to `int`)."""
    if value is None or value == "":
        return None
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and math.isfinite(value) and value.is_integer():
        number = int(value)
    elif isinstance(value, str):
        text = value.strip().replace(",", "")
        if _ascii_digits(text) and len(text) <= MAX_NUMBER_DIGITS:
            number = int(text)
    if number is None:
        warn(field, value, "invalid-number", f"{field} is not a whole number; left out")
        return None
    if number < 0 or number > MAX_COUNT:
        warn(field, value, "invalid-number", f"{field} is outside 0..{MAX_COUNT:,}; left out")
        return None
    return number


def is_calendar_date(text: str) -> bool:
    """`2021-02-28` or `2021-07`, on the calendar, in a plausible year."""
    parts = text.split("-")
    if len(parts) not in (2, 3) or not all(_ascii_digits(p) for p in parts):
        return False
    if len(parts[0]) != 4 or any(len(p) != 2 for p in parts[1:]):
        return False
    year, month = int(parts[0]), int(parts[1])
    if not (EARLIEST_YEAR <= year <= LATEST_YEAR and 1 <= month <= 12):
        return False
    if len(parts) == 3:
        try:
            date(year, month, int(parts[2]))
        except ValueError:
            return False
    return True


def is_clean_text(data: bytes | str) -> bool:
    """True when no string read from `data` can need NFC or hold a lone surrogate: no JSON escape or
    XML character reference, and ASCII, or NFC UTF-8. Most registry records are; their strings need
    no walk (a C-speed test of the source instead of a Python one of every field)."""
    if isinstance(data, bytes):
        if b"\\u" in data or b"&#" in data:
            return False
        if data.isascii():
            return True
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return False
    else:
        if "\\u" in data or "&#" in data:
            return False
        if data.isascii():
            return True
        try:
            data.encode("utf-8")
        except UnicodeEncodeError:
            return False
        text = data
    return unicodedata.is_normalized("NFC", text)


def checked_record(record: TrialRecord, clean_text: bool = False) -> TrialRecord:
    """The record with its text NFC-normalized and unusable values left out (each with a warning);
    raises ParseError when its identity (the NCT id) is not sound. `clean_text`: its source passed
    `is_clean_text`, so its strings are left as they are."""
    if record.nct_id and not is_nct_id(record.nct_id):
        raise ParseError("invalid-nct-id", f"invalid NCT id {record.nct_id!r} (expected NCT and 8 ASCII digits)")
    for spec in fields(record):
        items = getattr(record, spec.name)
        if isinstance(items, tuple) and len(items) > MAX_ITEMS:
            raise ParseError(
                "too-large", f"{len(items):,} {spec.name} in one record (the limit is {MAX_ITEMS:,})", record.nct_id
            )
    if not clean_text:
        record = _normalized(record, "record")
    changes: dict[str, Any] = {}
    for name in DATE_FIELDS:
        value: RegistryDate | None = getattr(record, name)
        if value is not None and not is_calendar_date(value.value):
            warn(name, value.value, "invalid-date", f"{name} is not a date on the calendar; left out")
            changes[name] = None
    if record.eligibility is not None:
        eligibility = _checked_ages(record.eligibility)
        if eligibility is not record.eligibility:
            changes["eligibility"] = eligibility
    related = tuple(r for r in record.related_trials if _related_id_ok(r))
    if len(related) != len(record.related_trials):
        changes["related_trials"] = related
    record = replace(record, **changes) if changes else record
    return _checked_codes(record)


def _checked_codes(record: TrialRecord) -> TrialRecord:
    """Every coded value is one of the registry's codes, whatever a reader let through: an unknown
    one is left out with a warning (the shapes hold the graph to the same lists)."""
    changes: dict[str, Any] = {}
    for name, allowed in _RECORD_CODES.items():
        value = getattr(record, name)
        if value is not None and value not in allowed:
            _unknown_code(name, value)
            changes[name] = None
    for name, allowed in (("phases", codes.PHASES), ("who_masked", codes.WHO_MASKED)):
        kept = tuple(v for v in getattr(record, name) if v in allowed or _unknown_code(name, v))
        if len(kept) != len(getattr(record, name)):
            changes[name] = kept
    for name in DATE_FIELDS:
        date_value: RegistryDate | None = changes.get(name, getattr(record, name))
        if date_value is not None and date_value.kind is not None and date_value.kind not in codes.DATE_TYPES:
            _unknown_code(f"{name}.type", date_value.kind)
            changes[name] = replace(date_value, kind=None)
    changes.update(_checked_parts(record))
    return replace(record, **changes) if changes else record


def _checked_parts(record: TrialRecord) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    organizations = (("sponsor", record.sponsor),) + tuple(("collaborators", c) for c in record.collaborators)
    if any(o is not None and o.org_class not in (None, *display.ORGANIZATION_CLASSES) for _, o in organizations):
        if record.sponsor is not None:
            changes["sponsor"] = _with_known(record.sponsor, "org_class", display.ORGANIZATION_CLASSES, "sponsor")
        changes["collaborators"] = tuple(
            _with_known(c, "org_class", display.ORGANIZATION_CLASSES, "collaborators") for c in record.collaborators
        )
    if any(i.intervention_type not in (None, *display.INTERVENTION_TYPES) for i in record.interventions):
        changes["interventions"] = tuple(
            _with_known(i, "intervention_type", display.INTERVENTION_TYPES, "interventions")
            for i in record.interventions
        )
    if any(a.arm_type not in (None, *display.ARM_TYPES) for a in record.arms):
        changes["arms"] = tuple(_with_known(a, "arm_type", display.ARM_TYPES, "arms") for a in record.arms)
    if any(r.pmid is not None and not _ascii_digits(r.pmid) for r in record.references):
        changes["references"] = tuple(_with_pmid(r) for r in record.references)
    eligibility = record.eligibility
    if eligibility is not None and eligibility.sex not in (None, *codes.SEXES):
        changes["eligibility"] = _with_known(eligibility, "sex", codes.SEXES, "sex")
    return changes


def _unknown_code(field: str, value: object) -> bool:
    warn(field, value, "unknown-code", f"{field} {value!r} is not a registry code; left out")
    return False


def _with_known(part: T, name: str, allowed: frozenset[str], field: str) -> T:
    value = getattr(part, name)
    if value is None or value in allowed:
        return part
    _unknown_code(field, value)
    return replace(part, **{name: None})  # type: ignore[type-var]


def _with_pmid(reference: Reference) -> Reference:
    if reference.pmid is None or _ascii_digits(reference.pmid):
        return reference
    warn("references.pmid", reference.pmid, "invalid-number", "a PubMed id is ASCII digits; left out")
    return replace(reference, pmid=None)


def _checked_ages(eligibility: Eligibility) -> Eligibility:
    changes: dict[str, Any] = {}
    years: dict[str, float] = {}
    for name in ("min_age", "max_age"):
        text = getattr(eligibility, name)
        if text is None:
            continue
        value = age_in_years(text)
        if value is None or not math.isfinite(value) or value < 0 or value > MAX_AGE_YEARS:
            warn(name, text, "invalid-age", f"{name} is not an age kg can read (0-{MAX_AGE_YEARS} years); left out")
            changes[name] = None
        else:
            years[name] = value
    if len(years) == 2 and years["min_age"] > years["max_age"]:
        shown = f"{eligibility.min_age} to {eligibility.max_age}"
        warn("min_age", shown, "invalid-age", "the minimum age is above the maximum age; both left out")
        changes["min_age"] = changes["max_age"] = None
    return replace(eligibility, **changes) if changes else eligibility


def _related_id_ok(related: RelatedTrial) -> bool:
    if is_nct_id(related.nct_id):
        return True
    warn("related_trials", related.nct_id, "invalid-nct-id", "a related trial's NCT id is not NCT + 8 digits; left out")
    return False


def _normalized(value: T, path: str) -> T:
    """Every string NFC; lone surrogates (not Unicode, cannot be written) replaced, with a warning."""
    if isinstance(value, str):
        return _text(value, path)  # type: ignore[return-value]
    if isinstance(value, tuple):
        items = tuple(_normalized(item, path) for item in value)
        return items if any(a is not b for a, b in zip(items, value, strict=True)) else value  # type: ignore[return-value]
    if is_dataclass(value) and not isinstance(value, type):
        changes: dict[str, Any] = {}
        for spec in fields(value):
            if spec.name in ("provenance", "merged_from", "field_warnings"):
                continue
            old = getattr(value, spec.name)
            new = _normalized(old, spec.name)
            if new is not old:
                changes[spec.name] = new
        return replace(value, **changes) if changes else value
    return value


def _text(text: str, field: str) -> str:
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
        warn(field, text, "invalid-text", f"{field} holds code points that are not Unicode text; replaced by '?'")
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)
