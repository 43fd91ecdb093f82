"""Retired ClinicalTrials.gov API v1 "study fields" records: a flat object of field name -> list of
display strings. Lists of one repeated thing (locations, outcomes, ...) are paired by position only
when their lengths agree; otherwise only what can be attributed is kept."""

from __future__ import annotations

from typing import Any

from kg.errors import ParseError
from kg.model import codes
from kg.model.records import (
    Arm,
    Eligibility,
    Intervention,
    Location,
    MeshTerm,
    Organization,
    Outcome,
    Provenance,
    Reference,
    RegistryDate,
    ResponsibleParty,
    SecondaryId,
    TrialRecord,
)  # fmt: skip
from kg.sources import display, values
from kg.sources.criteria import split_criteria

FORMAT = "ctgov-v1-json"

Fields = dict[str, Any]


def recognizes(item: object) -> bool:
    return isinstance(item, dict) and "NCTId" in item and isinstance(item.get("NCTId"), list)


def _all(fields: Fields, key: str) -> list[str]:
    value = fields.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ParseError("bad-value", f"field {key} is not a list of strings")
    return [v.strip() for v in value]


def _one(fields: Fields, key: str) -> str | None:
    values = [v for v in _all(fields, key) if v]
    return values[0] if values else None


def _paired(fields: Fields, *keys: str) -> list[tuple[str | None, ...]]:
    """Zip parallel lists; a list of another length cannot be attributed and is left out (None)."""
    lists = [_all(fields, key) for key in keys]
    length = len(lists[0])
    return [tuple(lst[i] if len(lst) == length else None for lst in lists) for i in range(length)]


def _date(fields: Fields, key: str) -> RegistryDate | None:
    iso = display.iso_date(_one(fields, key))
    return RegistryDate(iso, display.code_of(_one(fields, key + "Type"))) if iso else None


def parse(fields: Fields, provenance: Provenance) -> TrialRecord:
    if not recognizes(fields):
        raise ParseError("not-a-study", "not an API v1 study-fields record (no NCTId list)")
    nct_id = (_one(fields, "NCTId") or "").upper()
    if not codes.NCT_ID_PATTERN.match(nct_id):
        raise ParseError("invalid-nct-id", f"invalid NCT id {nct_id or None!r} (expected NCT and 8 digits)")
    try:
        return _record(fields, nct_id, provenance)
    except ParseError as error:
        raise ParseError(error.reason, error.message, nct_id) from error


def _record(fields: Fields, nct_id: str, provenance: Provenance) -> TrialRecord:
    criteria = _one(fields, "EligibilityCriteria")
    inclusion, exclusion = split_criteria(criteria)
    enrollment = _one(fields, "EnrollmentCount")
    if enrollment is not None and not enrollment.isdigit():
        raise ParseError("bad-value", f"EnrollmentCount {enrollment!r} is not a whole number", nct_id)
    sponsor = _one(fields, "LeadSponsorName")
    arm_rows = _paired(fields, "ArmGroupLabel", "ArmGroupType", "ArmGroupDescription", "ArmGroupInterventionName")
    party_type = _one(fields, "ResponsiblePartyType")
    study_type, registry_by_type = display.study_type_of(_one(fields, "StudyType"), "StudyType", nct_id)
    registry = display.boolean_of(_one(fields, "PatientRegistry"))
    masking, masked_by_wording = display.masking_of(_one(fields, "DesignMasking"), "DesignMasking", nct_id)
    who_masked = display.parties_of(_all(fields, "DesignWhoMasked"), "DesignWhoMasked", nct_id) or masked_by_wording
    return TrialRecord(
        nct_id=nct_id,
        provenance=Provenance(
            FORMAT,
            provenance.path,
            provenance.position,
            provenance.member,
            display.iso_date(_one(fields, "VersionHolder")),
        ),
        title=_one(fields, "BriefTitle"),
        official_title=_one(fields, "OfficialTitle"),
        acronym=_one(fields, "Acronym"),
        org_study_id=_one(fields, "OrgStudyId"),
        secondary_ids=tuple(
            SecondaryId(i or "", t or None, d or None)
            for i, t, d in _paired(fields, "SecondaryId", "SecondaryIdType", "SecondaryIdDomain")
            if i
        ),
        brief_summary=_one(fields, "BriefSummary"),
        detailed_description=_one(fields, "DetailedDescription"),
        status=display.status_of(_one(fields, "OverallStatus"), nct_id),
        last_known_status=display.status_of(_one(fields, "LastKnownStatus"), nct_id),
        why_stopped=_one(fields, "WhyStopped"),
        phases=tuple(p for phase in _all(fields, "Phase") for p in display.phases_of(phase, nct_id)),
        study_type=study_type,
        enrollment=values.count_of(enrollment, "enrollment"),
        enrollment_type=display.code_of(_one(fields, "EnrollmentType")),
        start_date=_date(fields, "StartDate"),
        primary_completion_date=_date(fields, "PrimaryCompletionDate"),
        completion_date=_date(fields, "CompletionDate"),
        first_posted=_date(fields, "StudyFirstPostDate"),
        last_updated=_date(fields, "LastUpdatePostDate"),
        status_verified=_date(fields, "StatusVerifiedDate"),
        allocation=display.checked_code(
            _one(fields, "DesignAllocation"), codes.ALLOCATIONS, "DesignAllocation", nct_id
        ),
        intervention_model=display.checked_code(
            _one(fields, "DesignInterventionModel"), codes.INTERVENTION_MODELS, "DesignInterventionModel", nct_id
        ),
        observational_model=display.code_of(_one(fields, "DesignObservationalModel")),
        masking=masking,
        primary_purpose=display.checked_code(
            _one(fields, "DesignPrimaryPurpose"), codes.PRIMARY_PURPOSES, "DesignPrimaryPurpose", nct_id
        ),
        sponsor=Organization(
            sponsor,
            display.checked_code(
                _one(fields, "LeadSponsorClass"), display.ORGANIZATION_CLASSES, "LeadSponsorClass", nct_id
            ),
        )
        if sponsor
        else None,
        collaborators=tuple(
            Organization(name, display.code_of(kind) if kind else None)
            for name, kind in _paired(fields, "CollaboratorName", "CollaboratorClass")
            if name
        ),
        responsible_party=ResponsibleParty(
            display.checked_code(party_type, display.RESPONSIBLE_PARTY_TYPES, "ResponsiblePartyType", nct_id),
            _one(fields, "ResponsiblePartyInvestigatorFullName"),
            _one(fields, "ResponsiblePartyInvestigatorTitle"),
            _one(fields, "ResponsiblePartyInvestigatorAffiliation"),
        )
        if party_type
        else None,
        conditions=tuple(c for c in _all(fields, "Condition") if c),
        keywords=tuple(k for k in _all(fields, "Keyword") if k),
        mesh_terms=_mesh_terms(fields, "ConditionMeshId", "ConditionMeshTerm"),
        mesh_ancestors=_mesh_terms(fields, "ConditionAncestorId", "ConditionAncestorTerm"),
        intervention_mesh_terms=_mesh_terms(fields, "InterventionMeshId", "InterventionMeshTerm"),
        interventions=tuple(
            Intervention(
                display.checked_code(kind, display.INTERVENTION_TYPES, "InterventionType", nct_id),
                name,
                description or None,
            )
            for name, kind, description in _paired(
                fields, "InterventionName", "InterventionType", "InterventionDescription"
            )
            if name
        ),
        arms=tuple(
            Arm(
                label,
                display.checked_code(kind, display.ARM_TYPES, "ArmGroupType", nct_id),
                description or None,
                (given,) if given else (),
            )
            for label, kind, description, given in arm_rows
            if label
        ),
        eligibility=Eligibility(
            min_age=_one(fields, "MinimumAge"),
            max_age=_one(fields, "MaximumAge"),
            sex=display.checked_code(_one(fields, "Gender"), codes.SEXES, "Gender", nct_id),
            healthy_volunteers=display.boolean_of(_one(fields, "HealthyVolunteers")),
            inclusion=inclusion,
            exclusion=exclusion,
            criteria_text=criteria,
        ),
        locations=tuple(
            Location(
                facility or None,
                city or None,
                state or None,
                country or None,
                zip_code or None,
                display.code_of(status) if status else None,
            )
            for facility, city, state, country, zip_code, status in _paired(
                fields,
                "LocationFacility",
                "LocationCity",
                "LocationState",
                "LocationCountry",
                "LocationZip",
                "LocationStatus",
            )
        ),
        outcomes=tuple(
            Outcome(kind, measure, time_frame or None, description or None)
            for kind, key in (("primary", "Primary"), ("secondary", "Secondary"), ("other", "Other"))
            for measure, time_frame, description in _paired(
                fields, f"{key}OutcomeMeasure", f"{key}OutcomeTimeFrame", f"{key}OutcomeDescription"
            )
            if measure
        ),
        references=tuple(
            Reference(citation or None, pmid or None, display.code_of(kind) if kind else None)
            for citation, pmid, kind in _paired(fields, "ReferenceCitation", "ReferencePMID", "ReferenceType")
        ),
        who_masked=who_masked,
        patient_registry=registry if registry is not None else registry_by_type,
    )


def _mesh_terms(fields: Fields, id_key: str, term_key: str) -> tuple[MeshTerm, ...]:
    return tuple(
        MeshTerm(codes.normalize_mesh_id(mesh_id) if mesh_id else None, term)
        for term, mesh_id in _paired(fields, term_key, id_key)
        if term
    )
