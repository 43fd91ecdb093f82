"""Registry display strings ("Unknown status", "Phase 2/Phase 3", "December 10, 2017") turned into
API v2 codes and ISO dates: the legacy XML, API v1 JSON and registry pages all write them."""

from __future__ import annotations

import re
from datetime import datetime

from kg import codes
from kg.errors import ParseError

_ALIASES = {
    "UNKNOWN_STATUS": "UNKNOWN",
    "N_A": "NA",
    "NOT_APPLICABLE": "NA",
    "SINGLE_GROUP_ASSIGNMENT": "SINGLE_GROUP",
    "PARALLEL_ASSIGNMENT": "PARALLEL",
    "CROSSOVER_ASSIGNMENT": "CROSSOVER",
    "FACTORIAL_ASSIGNMENT": "FACTORIAL",
    "SEQUENTIAL_ASSIGNMENT": "SEQUENTIAL",
    "NONE_OPEN_LABEL": "NONE",
    "EDUCATIONAL_COUNSELING_TRAINING": "ECT",
    "U_S_FED": "FED",
    "OTHER_U_S_FEDERAL_AGENCY": "FED",
    "ANTICIPATED": "ESTIMATED",
    "ESTIMATE": "ESTIMATED",
    "ACCEPTS_HEALTHY_VOLUNTEERS": "YES",
    "BOTH": "ALL",
    "EXPANDED_ACCESS": "EXPANDED_ACCESS",
}

ORGANIZATION_CLASSES = frozenset(
    {"AMBIG", "FED", "INDIV", "INDUSTRY", "NETWORK", "NIH", "OTHER", "OTHER_GOV", "UNKNOWN"}
)
INTERVENTION_TYPES = frozenset(
    {
        "BEHAVIORAL", "BIOLOGICAL", "COMBINATION_PRODUCT", "DEVICE", "DIAGNOSTIC_TEST", "DIETARY_SUPPLEMENT",
        "DRUG", "GENETIC", "OTHER", "PROCEDURE", "RADIATION",
    }
)  # fmt: skip
ARM_TYPES = frozenset(
    {"ACTIVE_COMPARATOR", "EXPERIMENTAL", "NO_INTERVENTION", "OTHER", "PLACEBO_COMPARATOR", "SHAM_COMPARATOR"}
)
RESPONSIBLE_PARTY_TYPES = frozenset({"SPONSOR", "PRINCIPAL_INVESTIGATOR", "SPONSOR_INVESTIGATOR"})


def code_of(display: str | None) -> str | None:
    """`Not yet recruiting` -> NOT_YET_RECRUITING, `Double (Participant, Investigator)` -> DOUBLE."""
    if display is None or not display.strip():
        return None
    text = re.sub(r"\s*\(.*\)\s*$", "", display.strip())
    code = re.sub(r"[^A-Z0-9]+", "_", text.upper()).strip("_")
    return _ALIASES.get(code, code)


def checked_code(
    display: str | None, allowed: frozenset[str], field: str, nct_id: str | None, reason: str = "unknown-code"
) -> str | None:
    code = code_of(display)
    if code is None:
        return None
    if code not in allowed:
        raise ParseError(reason, f"{field} {display!r} is not a known registry value", nct_id)
    return code


def phases_of(display: str | None, nct_id: str | None) -> tuple[str, ...]:
    """`Phase 2/Phase 3` -> (PHASE2, PHASE3); `Phase 1|Phase 2` likewise; `N/A` -> (NA,)."""
    if display is None or not display.strip():
        return ()
    if code_of(display) == "NA":
        return ("NA",)
    phases = []
    for part in re.split(r"[/|,]", display):
        code = code_of(part)
        if code is None:
            continue
        code = code.replace("PHASE_", "PHASE").replace("EARLY_PHASE_1", "EARLY_PHASE1")
        if code not in codes.PHASES:
            raise ParseError("unknown-code", f"phase {display!r} is not a known registry value", nct_id)
        phases.append(code)
    return tuple(phases)


def status_of(display: str | None, nct_id: str | None) -> str | None:
    return checked_code(display, codes.OVERALL_STATUSES, "overall status", nct_id, "unknown-status")


_DATE_FORMATS = (("%B %d, %Y", "%Y-%m-%d"), ("%B %Y", "%Y-%m"), ("%b %d, %Y", "%Y-%m-%d"), ("%b %Y", "%Y-%m"))


def iso_date(display: str | None) -> str | None:
    """`December 10, 2017` -> 2017-12-10, `July 2002` -> 2002-07; ISO dates pass through; else None."""
    if display is None:
        return None
    text = " ".join(display.split())
    if re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", text):
        return text
    for parse_format, output_format in _DATE_FORMATS:
        try:
            return datetime.strptime(text, parse_format).strftime(output_format)
        except ValueError:
            continue
    return None


def boolean_of(display: str | None) -> bool | None:
    code = code_of(display)
    if code in ("YES", "TRUE"):
        return True
    if code in ("NO", "FALSE"):
        return False
    return None
