"""Registry display strings ("Unknown status", "Phase 2/Phase 3", "December 10, 2017") turned into
API v2 codes and ISO dates: the legacy XML, API v1 JSON and registry pages all write them."""

from __future__ import annotations

from datetime import datetime

from kg import textpatterns
from kg.errors import ParseError
from kg.model import codes

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
    "OPEN_LABEL": "NONE",  # the registry's older masking wording (before 2017)
    "SINGLE_BLIND": "SINGLE",
    "DOUBLE_BLIND": "DOUBLE",
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
    text = display.strip()
    text = textpatterns.DISPLAY_NOTE.sub("", text) if "(" in text else text
    code = "_".join(textpatterns.upper_alnum_runs(text.upper()))
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


# Who is masked, as API v2 codes; `Subject` and `Caregiver` are the registry's wording before 2017.
MASKED_PARTIES = {
    "PARTICIPANT": "PARTICIPANT",
    "SUBJECT": "PARTICIPANT",
    "CARE_PROVIDER": "CARE_PROVIDER",
    "CAREGIVER": "CARE_PROVIDER",
    "INVESTIGATOR": "INVESTIGATOR",
    "OUTCOMES_ASSESSOR": "OUTCOMES_ASSESSOR",
}
_MASKING_BY_COUNT = ("NONE", "SINGLE", "DOUBLE", "TRIPLE", "QUADRUPLE")  # the registry counts the masked parties


def parties_of(names: list[str] | tuple[str, ...], field: str, nct_id: str | None) -> tuple[str, ...]:
    """`["Participant", "Care Provider"]` (or the codes) -> (PARTICIPANT, CARE_PROVIDER), each once, in order."""
    found: list[str] = []
    for name in names:
        code = code_of(name)
        if code is None:
            continue
        party = MASKED_PARTIES.get(code)
        if party is None:
            raise ParseError("unknown-code", f"{field} names {name.strip()!r}, not a party the registry masks", nct_id)
        if party not in found:
            found.append(party)
    return tuple(found)


def masking_of(display: str | None, field: str, nct_id: str | None) -> tuple[str | None, tuple[str, ...]]:
    """The masking code and who is masked, from any wording the registry has used:

    `Double (Participant, Investigator)` -> (DOUBLE, (PARTICIPANT, INVESTIGATOR)); `None (Open Label)` and the
    older `Open Label` -> (NONE, ()); the older `Single Blind (Outcomes Assessor)` -> (SINGLE, (OUTCOMES_ASSESSOR,));
    a bare list `Participant, Investigator` -> (DOUBLE, ...): as many parties, as the registry counts them.
    """
    if display is None or not display.strip():
        return None, ()
    text = " ".join(display.split())
    head, detail = text, ""
    if text.endswith(")") and "(" in text:
        head, detail = text[: text.index("(")], text[text.index("(") + 1 : -1]
    level = code_of(head)
    if level == "NONE":
        return "NONE", ()
    if level in codes.MASKINGS:
        return level, parties_of(detail.split(","), field, nct_id)
    names = text.split(",")
    if not detail and all(MASKED_PARTIES.get(code_of(name) or "") for name in names):
        parties = parties_of(names, field, nct_id)
        return _MASKING_BY_COUNT[min(len(parties), len(_MASKING_BY_COUNT) - 1)], parties
    raise ParseError("unknown-code", f"{field} {display!r} is not a known registry value", nct_id)


def study_type_of(display: str | None, field: str, nct_id: str | None) -> tuple[str | None, bool | None]:
    """The study type code and whether the study is a patient registry, when the wording says so:
    `Observational [Patient Registry]` -> (OBSERVATIONAL, True); `Interventional` -> (INTERVENTIONAL, None)."""
    if display is None or not display.strip():
        return None, None
    text = " ".join(display.split())
    if text.endswith(")") and "(" in text:  # `Interventional (Clinical Trial)` on pages
        text = text[: text.rindex("(")].strip()
    registry = None
    if text.endswith("]") and "[" in text:
        text, bracket = text[: text.rindex("[")], text[text.rindex("[") + 1 : -1]
        if code_of(bracket) != "PATIENT_REGISTRY":
            raise ParseError("unknown-code", f"{field} {display!r} is not a known registry value", nct_id)
        registry = True
    return checked_code(text, codes.STUDY_TYPES, field, nct_id) if text.strip() else None, registry


def phases_of(display: str | None, nct_id: str | None) -> tuple[str, ...]:
    """`Phase 2/Phase 3` -> (PHASE2, PHASE3); `Phase 1|Phase 2` likewise; `N/A` -> (NA,)."""
    if display is None or not display.strip():
        return ()
    if code_of(display) == "NA":
        return ("NA",)
    phases = []
    for part in textpatterns.PHASE_SEPARATOR.split(display):
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
    if len(text) in (7, 10) and textpatterns.DISPLAY_ISO_DATE.fullmatch(text):
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
