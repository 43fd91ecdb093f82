"""The classic registry page (`ClinicalTrials.gov Identifier:`, `Layout table for ...`), copied as
text, either plain (`Key : Value`) or with its tables' cells separated by `|` (the tabular copy)."""

from __future__ import annotations

from kg import textpatterns
from kg.model import codes
from kg.model.records import (
    Arm,
    Contact,
    Eligibility,
    Intervention,
    Location,
    MeshTerm,
    Organization,
    Outcome,
    Provenance,
    RegistryDate,
    ResponsibleParty,
    TrialRecord,
)  # fmt: skip
from kg.sources import display, values
from kg.sources.criteria import split_criteria
from kg.sources.page_layouts.common import (
    ARM_PREFIX,
    INTERVENTION_PREFIX,
    ArmDraft,
    ages,
    clean,
    date_of,
    finish_arms,
    sex_of,
)  # fmt: skip

_PHASE_TAIL = textpatterns.PHASE_TAIL


def _cells(line: str) -> list[str]:
    return [clean(cell) for cell in line.split("|")]


def _rows(text: str) -> list[str]:
    """Lines with the table pipes folded away: `Key : | Value |` -> `Key : Value`."""
    rows = []
    for raw in text.split("\n"):
        cells = [c for c in _cells(raw) if c]
        rows.append(" ".join(cells) if cells else "")
    return rows


def _value(rows: list[str], *labels: str) -> str | None:
    """The value after `Label :` or `Label:` on its line; tries each label in turn."""
    for label in labels:
        for index, row in enumerate(rows):
            after = row[len(label) :].lstrip() if row.startswith(label) else ""
            if after.startswith(":"):
                value = after[1:].strip()
                if not value and index + 1 < len(rows):
                    value = rows[index + 1].strip()
                return value or None
    return None


def _dated(rows: list[str], name: str) -> RegistryDate | None:
    for prefix, kind in (("Actual ", "ACTUAL"), ("Estimated ", "ESTIMATED"), ("", None)):
        value = _value(rows, prefix + name)
        if value:
            return date_of(value, kind)
    return None


def parse(text: str, source: Provenance, tabular: bool = False) -> TrialRecord:
    rows = _rows(text)
    identifier = _value(rows, "ClinicalTrials.gov Identifier")
    nct_id = identifier.split()[0] if identifier else ""
    status_text = _value(rows, "Recruitment Status")
    was = _value(rows, "Recruitment status was")
    enrollment_label = next((r for r in rows if textpatterns.ENROLLMENT_LABEL.match(r)), None)
    enrollment = textpatterns.ENROLLMENT.search(enrollment_label or "")
    study_type, patient_registry = display.study_type_of(_value(rows, "Study Type"), "Study Type", nct_id)
    masking, who_masked = display.masking_of(_value(rows, "Masking"), "Masking", nct_id)
    conditions, interventions, phases = _condition_table(rows, tabular)
    ages_text = _value(rows, "Ages Eligible for Study") or ""
    min_age, max_age = ages(ages_text)
    criteria = _criteria(rows)
    inclusion, exclusion = split_criteria(criteria)
    party = _value(rows, "Responsible Party")
    sponsor = _sponsor(rows)
    return TrialRecord(
        nct_id=nct_id,
        provenance=source,
        title=_title(rows),
        official_title=_value(rows, "Official Title"),
        org_study_id=_value(rows, "Other Study ID Numbers"),
        brief_summary=_value(rows, "Brief Summary"),
        status=display.status_of(status_text, nct_id),
        last_known_status=display.status_of(was, nct_id) if was else None,
        phases=phases,
        study_type=study_type,
        enrollment=values.count_of(enrollment.group(1), "enrollment") if enrollment else None,
        enrollment_type="ACTUAL"
        if (enrollment_label or "").startswith("Actual")
        else "ESTIMATED"
        if enrollment_label
        else None,
        start_date=_dated(rows, "Study Start Date"),
        primary_completion_date=_dated(rows, "Primary Completion Date"),
        completion_date=_dated(rows, "Study Completion Date"),
        first_posted=date_of(_value(rows, "First Posted")),
        last_updated=date_of(_value(rows, "Last Update Posted")),
        status_verified=date_of(_value(rows, "Last Verified") or _verified(rows)),
        allocation=display.checked_code(_value(rows, "Allocation"), codes.ALLOCATIONS, "Allocation", nct_id),
        intervention_model=display.checked_code(
            _value(rows, "Intervention Model"), codes.INTERVENTION_MODELS, "Intervention Model", nct_id
        ),
        masking=masking,
        primary_purpose=display.checked_code(
            _value(rows, "Primary Purpose"), codes.PRIMARY_PURPOSES, "Primary Purpose", nct_id
        ),
        sponsor=Organization(sponsor) if sponsor else None,
        responsible_party=_responsible_party(party),
        conditions=conditions,
        keywords=_keywords(rows, tabular),
        mesh_terms=_mesh_terms(rows, tabular),
        mesh_term_runs=_mesh_runs(rows, tabular)[:1],
        mesh_ancestor_runs=_mesh_runs(rows, tabular)[1:],
        interventions=interventions,
        arms=_arms(rows),
        eligibility=Eligibility(
            min_age=min_age,
            max_age=max_age,
            sex=sex_of(_value(rows, "Sexes Eligible for Study")),
            healthy_volunteers=display.boolean_of(_value(rows, "Accepts Healthy Volunteers")),
            inclusion=inclusion,
            exclusion=exclusion,
            criteria_text=criteria,
        ),
        locations=_locations(rows),
        outcomes=_outcomes(rows),
        contacts=tuple(_contact(row.split(":", 1)[1]) for row in rows if row.startswith("Contact:")),
        who_masked=who_masked,
        patient_registry=patient_registry,
    )


def _contact(text: str) -> Contact:
    email = textpatterns.EMAIL.search(text)
    phone = textpatterns.PHONE.search(text)
    name = textpatterns.CONTACT_NAME_END.split(text)[0]
    return Contact(
        clean(name).strip(" ,"), None, phone.group(0).strip() if phone else None, email.group(0) if email else None
    )


def _verified(rows: list[str]) -> str | None:
    """`Verified September 2018 by Han Ying, ...` under an Unknown status."""
    for row in rows:
        match = textpatterns.VERIFIED.match(row)
        if match:
            return str(match.group(1))
    return None


def _title(rows: list[str]) -> str | None:
    for index, row in enumerate(rows):
        if row.startswith("The safety and scientific validity of this study"):
            for previous in reversed(rows[:index]):
                if previous and not previous.startswith("![]") and previous not in ("ClinicalTrials.gov Menu",):
                    return previous
    return next((r for r in rows if r), None)


def _condition_table(
    rows: list[str], tabular: bool
) -> tuple[tuple[str, ...], tuple[Intervention, ...], tuple[str, ...]]:
    """The `Condition or disease | Intervention/treatment | Phase` table."""
    try:
        start = next(i for i, r in enumerate(rows) if r.startswith("Condition or disease"))
    except StopIteration:
        return (), (), ()
    conditions: list[str] = []
    interventions: list[Intervention] = []
    phases: tuple[str, ...] = ()
    for row in rows[start + 1 :]:
        if not row or row.startswith("Show") or row.startswith("Study Type"):
            break
        if set(row) <= set("-| "):
            continue
        tail = _PHASE_TAIL.search(row)
        if tail:
            phases = display.phases_of(tail.group(1).replace("Phase", "/Phase").strip("/ "), None)
            row = row[: tail.start()]
        prefix = textpatterns.INTERVENTION_KIND.search(row)
        if prefix:
            condition = row[: prefix.start()].strip()
            if condition:
                conditions.append(condition)
            match = INTERVENTION_PREFIX.match(row[prefix.start() :].strip())
            if match:
                kind = display.code_of(match.group(1))
                interventions.append(Intervention(kind, match.group(2).strip()))
        elif row.strip():
            conditions.append(row.strip())
    return tuple(conditions), tuple(interventions), phases


def _arms(rows: list[str]) -> tuple[Arm, ...]:
    """`Arm | Intervention/treatment` blocks: `Type: label`, its description, then `Kind: name` lines."""
    try:
        start = next(
            i
            for i, r in enumerate(rows)
            if r.startswith("Arm Intervention/treatment") or r == "Arm Intervention/treatment"
        )
    except StopIteration:
        return ()
    drafts: list[ArmDraft] = []
    in_interventions = False
    for row in rows[start + 1 :]:
        if row.startswith(("Primary Outcome", "Outcome Measures", "- ", "Information from", "Choosing to participate")):
            break
        if not row or set(row) <= set("-| "):
            continue
        arm = ARM_PREFIX.match(row)
        if arm and (not drafts or in_interventions or not drafts[-1].descriptions):
            drafts.append(ArmDraft(arm.group(2).strip(), display.code_of(arm.group(1))))
            in_interventions = False
            continue
        intervention = INTERVENTION_PREFIX.match(row)
        if intervention and drafts:
            drafts[-1].add_intervention(f"{intervention.group(1)}: {intervention.group(2).strip()}")
            in_interventions = True
        elif drafts and not in_interventions:
            drafts[-1].add_description(row)
    return finish_arms(drafts)


def _criteria(rows: list[str]) -> str | None:
    try:
        start = next(i for i, r in enumerate(rows) if r.startswith("Inclusion Criteria"))
    except StopIteration:
        return None
    end = next(
        (
            i
            for i in range(start, len(rows))
            if rows[i].startswith(("Information from the National", "To learn more", "Contacts"))
        ),
        len(rows),
    )
    lines = [r for r in rows[start:end] if r and r not in ("-",)]
    return "\n".join("- " + line[2:].lstrip("-") if line.startswith("--") else line for line in lines) or None


def _sponsor(rows: list[str]) -> str | None:
    value = _value(rows, "Sponsor")
    if value and not value.startswith("Information provided by"):
        return value
    for index, row in enumerate(rows):
        if row == "Sponsors and Collaborators" and index + 1 < len(rows):
            return rows[index + 1] or None
    return None


def _responsible_party(value: str | None) -> ResponsibleParty | None:
    if not value:
        return None
    parts = [p.strip() for p in value.split(",")]
    return ResponsibleParty(None, parts[0], ", ".join(parts[1:-1]) or None, parts[-1] if len(parts) > 1 else None)


def _keywords(rows: list[str], tabular: bool) -> tuple[str, ...]:
    for index, row in enumerate(rows):
        if row.startswith("Keywords provided by"):
            found = []
            for line in rows[index + 1 :]:
                if not line or line.startswith(("Additional relevant MeSH", "Layout table")):
                    break
                found.append(line)
            return tuple(found)
    if tabular:
        for index, row in enumerate(rows):
            if row.startswith("Studies a U.S. FDA-regulated Device Product") and index + 1 < len(rows):
                return tuple(k.strip() for k in rows[index + 1].split(",") if k.strip())
    return ()


def _mesh_runs(rows: list[str], tabular: bool) -> tuple[str, ...]:
    """Tabular copies run each MeSH row together (`Liver Failure Hepatic Insufficiency ...`): the condition
    terms' row, then the ancestors' row, after the keywords row. Kept as text; the build splits them."""
    if not tabular:
        return ()
    for index, row in enumerate(rows):
        if row.startswith("Studies a U.S. FDA-regulated Device Product"):
            after_keywords = [r.strip().rstrip(",") for r in rows[index + 2 :] if r.strip()]
            return tuple(after_keywords[:2])
    return ()


def _mesh_terms(rows: list[str], tabular: bool) -> tuple[MeshTerm, ...]:
    """Plain copies list one MeSH term a line (condition terms and ancestors in one list)."""
    for index, row in enumerate(rows):
        if row.startswith("Additional relevant MeSH terms"):
            found = []
            for line in rows[index + 1 :]:
                if line.startswith("Layout table"):
                    continue
                if not line:
                    break
                found.append(MeshTerm(None, line))
            return tuple(found)
    return ()


def _locations(rows: list[str]) -> tuple[Location, ...]:
    """Region header `Country, State`, then facility (with an optional status), then `City, State, Country[, zip]`."""
    found = []
    for index in range(1, len(rows) - 1):
        address = [p.strip() for p in rows[index + 1].split(",")]
        header = [p.strip() for p in rows[index - 1].split(",")]
        if len(header) == 2 and len(address) >= 3 and address[2] == header[0] and not rows[index].startswith("Contact"):
            facility, status = rows[index].rstrip(","), None
            for state_word in ("Recruiting", "Not yet recruiting", "Completed", "Active, not recruiting"):
                if facility.endswith(" " + state_word):
                    facility, status = facility[: -len(state_word)].strip(), display.code_of(state_word)
            zip_code = address[3] if len(address) > 3 else None
            found.append(
                Location(facility.rstrip(", ") or None, address[0], address[1] or None, address[2], zip_code, status)
            )
    return tuple(found)


def _outcomes(rows: list[str]) -> tuple[Outcome, ...]:
    """`1. Measure [ Time Frame: ... ]` under `Primary/Secondary Outcome Measures`, or `- Measure [ Time Frame: ... ]`
    bullets with no heading (kind `unspecified`: the page does not say)."""
    found = []
    kind = "unspecified"
    for row in rows:
        if row.startswith("Primary Outcome Measures"):
            kind = "primary"
        elif row.startswith("Secondary Outcome Measures"):
            kind = "secondary"
        elif row.startswith("Other Outcome Measures"):
            kind = "other"
        match = textpatterns.OUTCOME.match(row)
        if match:
            found.append(Outcome(kind, match.group(1), match.group(2), match.group(3) or None))
    return tuple(found)
