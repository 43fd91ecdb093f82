"""The typed record model: the only thing that crosses from parsing to mapping.

Every source format is turned into a `TrialRecord`; the mapping, `kg parse` and the
dedup logic read nothing else, so a new input format only has to fill these fields.
Missing values are `None` or empty tuples, never invented.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kg.model.thresholds import Threshold  # it reads an Eligibility: imported only for its type


@dataclass(frozen=True)
class RegistryDate:
    """A registry date as given (`2021-07` stays a year-month) and whether it is actual or estimated."""

    value: str
    kind: str | None = None  # "ACTUAL" | "ESTIMATED" | None


@dataclass(frozen=True)
class Organization:
    name: str
    org_class: str | None = None  # INDUSTRY, NIH, OTHER, ...


@dataclass(frozen=True)
class ResponsibleParty:
    party_type: str | None = None  # SPONSOR, PRINCIPAL_INVESTIGATOR, ...
    investigator_name: str | None = None
    investigator_title: str | None = None
    investigator_affiliation: str | None = None


@dataclass(frozen=True)
class MeshTerm:
    """A MeSH descriptor or supplementary concept; `mesh_id` is None when a source gives only the term."""

    mesh_id: str | None
    term: str


@dataclass(frozen=True)
class Intervention:
    intervention_type: str | None  # DRUG, BIOLOGICAL, PROCEDURE, ...
    name: str
    description: str | None = None
    other_names: tuple[str, ...] = ()
    cell_product: CellProduct | None = None  # for a cell therapy: what the text says of the cells


@dataclass(frozen=True)
class CellProduct:
    """A cell therapy as its record describes it; each field from a small vocabulary, None where unstated."""

    cell_type: str | None = None  # MSC, HSC, BM-MNC, hepatocytes, NK cells, T cells, dendritic cells, ...
    tissue_source: str | None = None  # umbilical cord, bone marrow, adipose, placenta, menstrual blood, ...
    donor: str | None = None  # autologous, allogeneic
    route: str | None = None  # peripheral vein, hepatic artery, portal vein, intrasplenic, ...


@dataclass(frozen=True)
class Dose:
    """A structured dose read from arm or intervention text; `unit` from a small documented vocabulary."""

    low: float
    high: float
    unit: str
    text: str | None = None
    per: str | None = None  # "dose" | "day" when the text says so


@dataclass(frozen=True)
class Amount:
    """A range of an amount in one unit, as `comparable_amounts` derives it from a dose."""

    low: float
    high: float
    unit: str

    def as_dict(self) -> dict[str, Any]:
        return {"low": self.low, "high": self.high, "unit": self.unit}


REFERENCE_WEIGHT_KG = 70.0  # an assumption, said wherever a per-kg dose is made absolute


def comparable_amounts(dose: Dose, schedule: Schedule | None) -> tuple[Amount | None, Amount | None]:
    """(course total, absolute amount at a 70 kg reference weight) of a dose, where they follow from what
    the record states: a per-dose amount times a stated number of administrations; a per-day amount
    times the number of days listed; a per-kg amount times 70 kg (the absolute amount of one dose)."""
    course = None
    if schedule is not None:
        if dose.per in (None, "dose") and schedule.times:
            course = Amount(_rounded(dose.low * schedule.times), _rounded(dose.high * schedule.times), dose.unit)
        elif dose.per == "day" and schedule.days:
            days = len(schedule.days)
            course = Amount(_rounded(dose.low * days), _rounded(dose.high * days), dose.unit)
    at_70kg = None
    if dose.unit.endswith("/kg"):
        base = dose.unit[: -len("/kg")]
        at_70kg = Amount(_rounded(dose.low * REFERENCE_WEIGHT_KG), _rounded(dose.high * REFERENCE_WEIGHT_KG), base)
    return course, at_70kg


def _rounded(value: float) -> float:
    return float(f"{value:.6g}")


@dataclass(frozen=True)
class Schedule:
    """When an arm's doses are given: days or weeks listed, how many times, at what interval (weeks)."""

    days: tuple[float, ...] = ()
    weeks: tuple[float, ...] = ()
    times: int | None = None
    interval_weeks: float | None = None
    text: str | None = None


@dataclass(frozen=True)
class Arm:
    label: str
    arm_type: str | None = None  # EXPERIMENTAL, PLACEBO_COMPARATOR, ...
    description: str | None = None
    interventions: tuple[str, ...] = ()  # "Drug: Aspirin" as the registry writes them
    doses: tuple[Dose, ...] = ()
    schedule: Schedule | None = None
    dose_conflict: tuple[Dose, ...] = ()  # what its intervention's text states instead of the arm's own dose


@dataclass(frozen=True)
class Eligibility:
    min_age: str | None = None  # "18 Years" as given
    max_age: str | None = None
    sex: str | None = None  # ALL, FEMALE, MALE
    healthy_volunteers: bool | None = None
    inclusion: tuple[str, ...] = ()
    exclusion: tuple[str, ...] = ()
    criteria_text: str | None = None
    thresholds: tuple[Threshold, ...] = ()  # numeric bounds read from the criteria (kg.model.thresholds)


@dataclass(frozen=True)
class Location:
    facility: str | None = None
    city: str | None = None
    state: str | None = None
    country: str | None = None
    zip_code: str | None = None
    status: str | None = None


@dataclass(frozen=True)
class Contact:
    """A contact person; kept only when the user asks for contacts (`--include-contacts`)."""

    name: str
    role: str | None = None
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class Outcome:
    kind: str  # primary | secondary | other
    measure: str
    time_frame: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class Reference:
    citation: str | None = None
    pmid: str | None = None
    reference_type: str | None = None


@dataclass(frozen=True)
class SecondaryId:
    identifier: str
    id_type: str | None = None
    domain: str | None = None


@dataclass(frozen=True)
class RelatedTrial:
    """A trial the registry lists as related; known by reference only unless it has a record of its own."""

    nct_id: str
    title: str | None = None


@dataclass(frozen=True)
class FieldWarning:
    """A source value kg could not use (an impossible date, a negative count): the field is left out of
    the graph, the trial is kept, and the build reports the value and why."""

    field: str
    value: str
    reason: str  # invalid-date, invalid-number, invalid-age, invalid-text, invalid-nct-id, unknown-code
    message: str


@dataclass(frozen=True)
class Provenance:
    source_format: str  # ctgov-v2-json, ...
    path: str
    position: int  # record index within the file or zip member (0-based)
    member: str | None = None  # zip member name, when read from a zip
    version_date: str | None = None  # the registry's versionHolder / download date


@dataclass(frozen=True)
class TrialRecord:
    nct_id: str
    provenance: Provenance
    title: str | None = None
    official_title: str | None = None
    acronym: str | None = None
    org_study_id: str | None = None
    secondary_ids: tuple[SecondaryId, ...] = ()
    brief_summary: str | None = None
    detailed_description: str | None = None
    status: str | None = None
    last_known_status: str | None = None
    why_stopped: str | None = None
    phases: tuple[str, ...] = ()
    study_type: str | None = None
    enrollment: int | None = None
    enrollment_type: str | None = None
    start_date: RegistryDate | None = None
    primary_completion_date: RegistryDate | None = None
    completion_date: RegistryDate | None = None
    first_posted: RegistryDate | None = None
    last_updated: RegistryDate | None = None
    status_verified: RegistryDate | None = None  # when the sponsor last verified the record ("2021-07")
    allocation: str | None = None
    intervention_model: str | None = None
    observational_model: str | None = None
    masking: str | None = None
    primary_purpose: str | None = None
    sponsor: Organization | None = None
    collaborators: tuple[Organization, ...] = ()
    responsible_party: ResponsibleParty | None = None
    conditions: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    mesh_terms: tuple[MeshTerm, ...] = ()
    mesh_ancestors: tuple[MeshTerm, ...] = ()
    # MeSH terms a source runs together with nothing to split them by ("Liver Failure Hepatic Insufficiency"):
    # kept as text until the build splits them with the terms it knows.
    mesh_term_runs: tuple[str, ...] = ()
    mesh_ancestor_runs: tuple[str, ...] = ()
    intervention_mesh_terms: tuple[MeshTerm, ...] = ()
    # MeSH terms the build found in the conditions, keywords or title of a trial the registry mapped to none.
    text_mesh_terms: tuple[MeshTerm, ...] = ()
    interventions: tuple[Intervention, ...] = ()
    arms: tuple[Arm, ...] = ()
    eligibility: Eligibility | None = None
    locations: tuple[Location, ...] = ()
    outcomes: tuple[Outcome, ...] = ()
    references: tuple[Reference, ...] = ()
    related_trials: tuple[RelatedTrial, ...] = field(default=())
    contacts: tuple[Contact, ...] = ()
    merged_from: tuple[Provenance, ...] = ()  # the other records this trial's fields were merged from
    who_masked: tuple[str, ...] = ()  # PARTICIPANT, CARE_PROVIDER, INVESTIGATOR, OUTCOMES_ASSESSOR
    patient_registry: bool | None = None  # an observational study that is a patient registry (when stated)
    field_warnings: tuple[FieldWarning, ...] = ()  # source values left out, and why (see kg.sources.values)


def _dose_dict(dose: Dose, schedule: Schedule | None) -> dict[str, Any]:
    course, at_70kg = comparable_amounts(dose, schedule)
    return {
        "low": dose.low,
        "high": dose.high,
        "unit": dose.unit,
        "per": dose.per,
        "text": dose.text,
        "course_total": course.as_dict() if course else None,
        "at_70kg": at_70kg.as_dict() if at_70kg else None,
    }


VERSION_DATE_BASIS = "registry version date"
SHOWN_DATE_BASIS = "newest date the record shows"


def data_as_of(record: TrialRecord) -> tuple[str, str] | None:
    """(date, basis): the newest registry version date of the trial's sources; where none gives one (a
    copied page), the newest date the record shows (last update or status verified), marked as such."""
    versions = [s.version_date for s in (record.provenance, *record.merged_from) if s.version_date]
    if versions:
        return max(versions), VERSION_DATE_BASIS
    shown = [d.value for d in (record.last_updated, record.status_verified) if d is not None]
    return (max(shown), SHOWN_DATE_BASIS) if shown else None


def record_to_dict(record: TrialRecord) -> dict[str, Any]:
    """The `kg parse` JSON shape: documented keys, `null`/`[]` for missing values."""
    raw = asdict(record)
    sponsor = record.sponsor
    eligibility = record.eligibility or Eligibility()
    return {
        "nct_id": record.nct_id,
        "title": record.title,
        "official_title": record.official_title,
        "acronym": record.acronym,
        "status": record.status,
        "last_known_status": record.last_known_status,
        "why_stopped": record.why_stopped,
        "phases": list(record.phases),
        "study_type": record.study_type,
        "enrollment": record.enrollment,
        "enrollment_type": record.enrollment_type,
        "start_date": _date_value(record.start_date),
        "start_date_type": _date_kind(record.start_date),
        "primary_completion_date": _date_value(record.primary_completion_date),
        "primary_completion_date_type": _date_kind(record.primary_completion_date),
        "completion_date": _date_value(record.completion_date),
        "completion_date_type": _date_kind(record.completion_date),
        "first_posted": _date_value(record.first_posted),
        "last_updated": _date_value(record.last_updated),
        "status_verified": _date_value(record.status_verified),
        "allocation": record.allocation,
        "intervention_model": record.intervention_model,
        "observational_model": record.observational_model,
        "masking": record.masking,
        "who_masked": list(record.who_masked),
        "patient_registry": record.patient_registry,
        "primary_purpose": record.primary_purpose,
        "sponsor": {"name": sponsor.name, "class": sponsor.org_class} if sponsor else None,
        "collaborators": [{"name": c.name, "class": c.org_class} for c in record.collaborators],
        "responsible_party": raw["responsible_party"],
        "conditions": list(record.conditions),
        "keywords": list(record.keywords),
        "mesh_terms": [{"id": m.mesh_id, "term": m.term} for m in record.mesh_terms],
        "mesh_ancestors": [{"id": m.mesh_id, "term": m.term} for m in record.mesh_ancestors],
        "mesh_term_runs": list(record.mesh_term_runs),
        "mesh_ancestor_runs": list(record.mesh_ancestor_runs),
        "intervention_mesh_terms": [{"id": m.mesh_id, "term": m.term} for m in record.intervention_mesh_terms],
        "text_mesh_terms": [{"id": m.mesh_id, "term": m.term} for m in record.text_mesh_terms],
        "interventions": [
            {
                "type": i.intervention_type,
                "name": i.name,
                "description": i.description,
                "other_names": list(i.other_names),
                "cell_product": asdict(i.cell_product) if i.cell_product else None,
            }
            for i in record.interventions
        ],
        "arms": [
            {
                "label": a.label,
                "type": a.arm_type,
                "description": a.description,
                "interventions": list(a.interventions),
                "doses": [_dose_dict(d, a.schedule) for d in a.doses],
                "dose_conflict": [
                    {"low": d.low, "high": d.high, "unit": d.unit, "per": d.per, "text": d.text}
                    for d in a.dose_conflict
                ],
                "schedule": asdict(a.schedule) if a.schedule else None,
            }
            for a in record.arms
        ],
        "eligibility": {
            "min_age": eligibility.min_age,
            "max_age": eligibility.max_age,
            "sex": eligibility.sex,
            "healthy_volunteers": eligibility.healthy_volunteers,
            "inclusion": list(eligibility.inclusion),
            "exclusion": list(eligibility.exclusion),
            "criteria_text": eligibility.criteria_text,
            "thresholds": [asdict(t) for t in eligibility.thresholds],
        },
        "locations": [
            {
                "facility": loc.facility,
                "city": loc.city,
                "state": loc.state,
                "country": loc.country,
                "zip_code": loc.zip_code,
                "status": loc.status,
            }
            for loc in record.locations
        ],
        "outcomes": [
            {"kind": o.kind, "measure": o.measure, "time_frame": o.time_frame, "description": o.description}
            for o in record.outcomes
        ],
        "references": [{"pmid": r.pmid, "type": r.reference_type, "citation": r.citation} for r in record.references],
        "secondary_ids": [{"id": s.identifier, "type": s.id_type, "domain": s.domain} for s in record.secondary_ids],
        "org_study_id": record.org_study_id,
        "related_trials": [{"nct_id": r.nct_id, "title": r.title} for r in record.related_trials],
        "contacts": [asdict(c) for c in record.contacts],
        "brief_summary": record.brief_summary,
        "detailed_description": record.detailed_description,
        "merged_from": [asdict(source) for source in record.merged_from],
        "data_as_of": dict(zip(("date", "basis"), as_of, strict=True)) if (as_of := data_as_of(record)) else None,
        "field_warnings": [asdict(w) for w in record.field_warnings],
        "source": {
            "format": record.provenance.source_format,
            "path": record.provenance.path,
            "member": record.provenance.member,
            "position": record.provenance.position,
            "version_date": record.provenance.version_date,
        },
    }


def _date_value(date: RegistryDate | None) -> str | None:
    return date.value if date else None


def _date_kind(date: RegistryDate | None) -> str | None:
    return date.kind if date else None
