"""Today's registry page (`NCT ID:`, `Basic Information`, `Study Groups`, ...), copied as text.

Each section is a heading, one line of boilerplate that explains it, then its values, one per line.
Basic Information lists status, phases, enrollment, study type, then two unlabelled dates: the start
and the completion (as the registry's records for the same trials show).
"""

from __future__ import annotations

from typing import Any

from kg import textpatterns
from kg.model import codes
from kg.model.records import (
    Arm,
    Contact,
    Eligibility,
    Intervention,
    Location,
    Organization,
    Provenance,
    RegistryDate,
    RelatedTrial,
    ResponsibleParty,
    TrialRecord,
)  # fmt: skip
from kg.sources import display
from kg.sources.criteria import split_criteria
from kg.sources.page_layouts.common import AGE, NCT, ArmDraft, clean, finish_arms, lines_of, sex_of
from kg.sources.values import count_of

HEADINGS = (
    "Study Results", "Basic Information", "Brief Summary", "Related Clinical Trials", "Detailed Description",
    "Conditions", "Keywords", "Study Design", "Study Groups", "Interventions", "Eligibility Criteria", "Sponsors",
    "Collaborators", "Responsible Party", "Principal Investigators", "Locations", "Countries", "Central Contacts",
    "Facility Contacts", "Other Identifiers", "More Related Trials", "Outcome Measures", "Primary Outcomes",
    "Secondary Outcomes", "MeSH Terms",
)  # fmt: skip
BOILERPLATE = textpatterns.BOILERPLATE


def sections(text: str) -> tuple[list[str], dict[str, list[str]]]:
    """(lines before the first heading, heading -> its value lines without the boilerplate line)."""
    found: dict[str, list[str]] = {}
    head: list[str] = []
    current: list[str] = head
    for raw in lines_of(text):
        line = raw.strip()
        if line in HEADINGS:
            current = found.setdefault(line, [])
            continue
        if line and not BOILERPLATE.match(line):
            current.append(line)
    return head, found


def parse(text: str, source: Provenance, tabular: bool = False) -> TrialRecord:
    head, found = sections(text)
    nct_id = next((m.group(0) for line in head for m in [textpatterns.NCT_ID_LINE.match(line)] if m), None)
    nct_id = nct_id.split()[-1] if nct_id else None
    last_updated = next((line.split(":", 1)[1].strip() for line in head if line.startswith("Last Updated:")), None)
    basic = _basic(found.get("Basic Information", []))
    design = _design(found.get("Study Design", []))
    interventions = _interventions(found.get("Interventions", []))
    eligibility = _eligibility(found.get("Eligibility Criteria", []))
    sponsor_lines = found.get("Sponsors", [])
    party = found.get("Responsible Party", [])
    identifiers = found.get("Other Identifiers", [])
    return TrialRecord(
        nct_id=nct_id or "",
        provenance=source,
        title=clean(head[0]) if head else None,
        org_study_id=_org_study_id(identifiers),
        brief_summary=_paragraph(found.get("Brief Summary")),
        detailed_description=_paragraph(found.get("Detailed Description")),
        status=basic.get("status"),
        phases=basic.get("phases", ()),
        study_type=basic.get("study_type"),
        enrollment=basic.get("enrollment"),
        start_date=basic.get("start"),
        completion_date=basic.get("completion"),
        last_updated=RegistryDate(last_updated) if last_updated and display.iso_date(last_updated) else None,
        allocation=design.get("allocation"),
        intervention_model=design.get("intervention_model"),
        masking=design.get("masking"),
        primary_purpose=design.get("primary_purpose"),
        sponsor=Organization(clean(sponsor_lines[0]), _org_class(sponsor_lines[1:2])) if sponsor_lines else None,
        collaborators=tuple(Organization(clean(name)) for name in found.get("Collaborators", [])),
        responsible_party=ResponsibleParty(None, clean(party[0]), clean(party[1]) if len(party) > 1 else None)
        if party
        else None,
        conditions=tuple(clean(c) for c in found.get("Conditions", [])),
        keywords=tuple(clean(k) for k in found.get("Keywords", [])),
        interventions=interventions,
        arms=_arms(found.get("Study Groups", []), {i.name for i in interventions}),
        eligibility=eligibility,
        locations=_locations(found.get("Locations", [])),
        related_trials=_related(found.get("Related Clinical Trials", []) + found.get("More Related Trials", [])),
        contacts=_contacts(found.get("Central Contacts", []) + found.get("Facility Contacts", [])),
    )


def _paragraph(lines: list[str] | None) -> str | None:
    return "\n".join(clean(line) for line in lines) if lines else None


def _basic(lines: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    dates = []
    for line in lines:
        code = display.code_of(line)
        if line in codes.OVERALL_STATUSES:
            values["status"] = line
        elif textpatterns.PHASE_CODES.fullmatch(line):
            values["phases"] = tuple(line.split("/"))
        elif match := textpatterns.PARTICIPANTS.fullmatch(line):
            values["enrollment"] = count_of(match.group(1), "enrollment")
        elif code in codes.STUDY_TYPES:
            values["study_type"] = code
        elif display.iso_date(line):
            dates.append(RegistryDate(display.iso_date(line) or line))
    if dates:
        values["start"] = dates[0]
    if len(dates) > 1:
        values["completion"] = dates[1]
    return values


def _design(lines: list[str]) -> dict[str, str]:
    """Design values are codes without labels; each code list tells which field a value is."""
    fields = (
        ("allocation", codes.ALLOCATIONS),
        ("intervention_model", codes.INTERVENTION_MODELS),
        ("primary_purpose", codes.PRIMARY_PURPOSES),
        ("masking", codes.MASKINGS),
    )
    values: dict[str, str] = {}
    for line in lines:
        for name, allowed in fields:
            if line in allowed and name not in values:
                values[name] = line
                break
    return values


def _looks_like_description(line: str) -> bool:
    text = clean(line)
    return (
        bool(textpatterns.NUMBERED.match(text))
        or text.endswith(".")
        or len(text) > 80
        or bool(textpatterns.POWER_OF_TEN.search(text))
    )


def _interventions(lines: list[str]) -> tuple[Intervention, ...]:
    found: list[Intervention] = []
    for line in lines:
        if not _looks_like_description(line) or not found:
            found.append(Intervention(None, clean(line)))
        else:
            last = found[-1]
            text = f"{last.description}\n{clean(line)}" if last.description else clean(line)
            found[-1] = Intervention(None, last.name, text)
    return tuple(found)


def _arms(lines: list[str], intervention_names: set[str]) -> tuple[Arm, ...]:
    drafts: list[ArmDraft] = []
    after_description = True
    for line in lines:
        text = clean(line)
        if _looks_like_description(line):
            if drafts:
                drafts[-1].add_description(text)
            after_description = True
        elif after_description or not drafts:
            drafts.append(ArmDraft(text))
            after_description = False
        elif text in intervention_names:
            drafts[-1].add_intervention(text)
        else:
            drafts[-1].add_description(text)
    return finish_arms(drafts)


def _eligibility(lines: list[str]) -> Eligibility | None:
    if not lines:
        return None
    criteria: list[str] = []
    ages: list[str] = []
    sex = healthy = None
    for line in lines:
        if AGE.match(line):
            ages.append(line)
        elif sex_of(line) and line.isupper():
            sex = sex_of(line)
        elif line in ("Yes", "No"):
            healthy = line == "Yes"
        else:
            criteria.append(line)
    text = "\n".join(criteria)
    inclusion, exclusion = split_criteria(text)
    return Eligibility(
        min_age=ages[0] if ages else None,
        max_age=ages[1] if len(ages) > 1 else None,
        sex=sex,
        healthy_volunteers=healthy,
        inclusion=inclusion,
        exclusion=exclusion,
        criteria_text=text or None,
    )


def _org_class(lines: list[str]) -> str | None:
    return lines[0] if lines and lines[0] in display.ORGANIZATION_CLASSES else None


def _org_study_id(lines: list[str]) -> str | None:
    for index, line in enumerate(lines):
        if line == "Identifier Source: org_study_id" and index >= 2:
            return clean(lines[index - 2])
    return None


def _locations(lines: list[str]) -> tuple[Location, ...]:
    """Facility line, then `City, State, Country` (empty parts kept empty)."""
    found = []
    for index in range(len(lines) - 1):
        parts = [p.strip() for p in lines[index + 1].split(",")]
        if len(parts) == 3 and parts[2] and not lines[index].count(",") == 2:
            found.append(Location(clean(lines[index]), parts[0] or None, parts[1] or None, parts[2] or None))
    return tuple(found)


def _related(lines: list[str]) -> tuple[RelatedTrial, ...]:
    """Title line, then its NCT id line."""
    found = []
    for index, line in enumerate(lines):
        if NCT.fullmatch(line):
            title = clean(lines[index - 1]) if index > 0 and not NCT.fullmatch(lines[index - 1]) else None
            found.append(RelatedTrial(line, title))
    return tuple(found)


def _contacts(lines: list[str]) -> tuple[Contact, ...]:
    """Name lines, each optionally followed by `Role: ...`."""
    found: list[Contact] = []
    for line in lines:
        if line.startswith("Role:") and found:
            found[-1] = Contact(found[-1].name, line.split(":", 1)[1].strip())
        else:
            found.append(Contact(clean(line)))
    return tuple(found)
