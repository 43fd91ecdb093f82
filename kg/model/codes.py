"""The registry's API v2 code lists: what a record may say, checked by parsers and shapes alike."""

from __future__ import annotations

from kg import textpatterns

NCT_ID_PATTERN = textpatterns.NCT_ID  # NCT and 8 ASCII digits, nothing else
DATE_PATTERN = textpatterns.ISO_DATE

OVERALL_STATUSES = frozenset(
    {
        "ACTIVE_NOT_RECRUITING",
        "COMPLETED",
        "ENROLLING_BY_INVITATION",
        "NOT_YET_RECRUITING",
        "RECRUITING",
        "SUSPENDED",
        "TERMINATED",
        "WITHDRAWN",
        "AVAILABLE",
        "NO_LONGER_AVAILABLE",
        "TEMPORARILY_NOT_AVAILABLE",
        "APPROVED_FOR_MARKETING",
        "WITHHELD",
        "UNKNOWN",
    }
)
PHASES = frozenset({"NA", "EARLY_PHASE1", "PHASE1", "PHASE2", "PHASE3", "PHASE4"})
STUDY_TYPES = frozenset({"INTERVENTIONAL", "OBSERVATIONAL", "EXPANDED_ACCESS"})
ALLOCATIONS = frozenset({"RANDOMIZED", "NON_RANDOMIZED", "NA"})
INTERVENTION_MODELS = frozenset({"SINGLE_GROUP", "PARALLEL", "CROSSOVER", "FACTORIAL", "SEQUENTIAL"})
MASKINGS = frozenset({"NONE", "SINGLE", "DOUBLE", "TRIPLE", "QUADRUPLE"})
WHO_MASKED = frozenset({"PARTICIPANT", "CARE_PROVIDER", "INVESTIGATOR", "OUTCOMES_ASSESSOR"})
PRIMARY_PURPOSES = frozenset(
    {
        "TREATMENT",
        "PREVENTION",
        "DIAGNOSTIC",
        "ECT",
        "SUPPORTIVE_CARE",
        "SCREENING",
        "HEALTH_SERVICES_RESEARCH",
        "BASIC_SCIENCE",
        "DEVICE_FEASIBILITY",
        "OTHER",
    }
)
SEXES = frozenset({"ALL", "FEMALE", "MALE"})
DATE_TYPES = frozenset({"ACTUAL", "ESTIMATED"})

# Descriptor UIs grew from 7 to 10 characters in 2014 without renumbering: the registry now pads old
# UIs (D000017093 for D017093). UIs numbered below the first 10-character one keep their 7-character form,
# which is the one id.nlm.nih.gov serves.
_FIRST_LONG_UI = {"D": 66_900, "C": 588_000}


def normalize_mesh_id(raw: str) -> str | None:
    """`D000017093` -> `D017093`; `D000068196` stays; anything not a MeSH D/C UI -> None."""
    text = raw.strip().upper()  # read by hand: it runs for every MeSH term of every record
    letter, digits = text[:1], text[1:]
    if letter not in ("D", "C") or len(digits) not in (6, 9) or not (digits.isascii() and digits.isdigit()):
        return None
    number = int(digits)
    if len(digits) == 9 and number < _FIRST_LONG_UI[letter]:
        return f"{letter}{number:06d}"
    return f"{letter}{digits}"


_AGE = textpatterns.AGE
_UNIT_IN_YEARS = {
    "year": 1.0,
    "month": 1 / 12,
    "week": 7 / 365.25,
    "day": 1 / 365.25,
    "hour": 1 / 8766,
    "minute": 1 / 525960,
}


def age_in_years(text: str | None) -> float | None:
    """`18 Years` -> 18.0, `6 Months` -> 0.5: lets shapes and queries compare ages."""
    if not text:
        return None
    match = _AGE.match(text)
    if not match:
        return None
    value, unit = match.groups()
    per_year = _UNIT_IN_YEARS.get(unit.lower())  # a case fold that lower() does not undo: no age, no KeyError
    return round(float(value) * per_year, 4) if per_year is not None else None
