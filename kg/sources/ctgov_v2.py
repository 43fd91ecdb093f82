"""ClinicalTrials.gov API v2 study objects (the API, the website download, the bulk zip)."""

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
)
from kg.sources import values
from kg.sources.criteria import split_criteria

FORMAT = "ctgov-v2-json"

Json = dict[str, Any]


def recognizes(item: object) -> bool:
    return isinstance(item, dict) and isinstance(item.get("protocolSection"), dict)


def parse(study: Json, provenance: Provenance) -> TrialRecord:
    """One API v2 study object -> TrialRecord; raises ParseError for records kg must not build."""
    if not recognizes(study):
        raise ParseError("not-a-study", "not an API v2 study object (no protocolSection)")
    protocol: Json = study["protocolSection"]
    derived: Json = _obj(study.get("derivedSection"))
    ident = _obj(protocol.get("identificationModule"))
    nct_id = _nct_id(ident.get("nctId"))
    status = _obj(protocol.get("statusModule"))
    design = _obj(protocol.get("designModule"))
    design_info = _obj(design.get("designInfo"))
    enrollment = _obj(design.get("enrollmentInfo"))
    sponsors = _obj(protocol.get("sponsorCollaboratorsModule"))
    conditions = _obj(protocol.get("conditionsModule"))
    condition_browse = _obj(derived.get("conditionBrowseModule"))
    intervention_browse = _obj(derived.get("interventionBrowseModule"))
    version = _str(_obj(derived.get("miscInfoModule")).get("versionHolder"))
    arms_module = _obj(protocol.get("armsInterventionsModule"))
    description = _obj(protocol.get("descriptionModule"))
    return TrialRecord(
        nct_id=nct_id,
        provenance=Provenance(FORMAT, provenance.path, provenance.position, provenance.member, version),
        title=_str(ident.get("briefTitle")),
        official_title=_str(ident.get("officialTitle")),
        acronym=_str(ident.get("acronym")),
        org_study_id=_str(_obj(ident.get("orgStudyIdInfo")).get("id")),
        secondary_ids=tuple(
            SecondaryId(_str(s.get("id")) or "", _str(s.get("type")), _str(s.get("domain")))
            for s in _objs(ident.get("secondaryIdInfos"))
            if _str(s.get("id"))
        ),
        brief_summary=_str(description.get("briefSummary")),
        detailed_description=_str(description.get("detailedDescription")),
        status=_code(status.get("overallStatus"), codes.OVERALL_STATUSES, "overallStatus", nct_id, "unknown-status"),
        last_known_status=_code(status.get("lastKnownStatus"), codes.OVERALL_STATUSES, "lastKnownStatus", nct_id),
        why_stopped=_str(status.get("whyStopped")),
        phases=tuple(_code(p, codes.PHASES, "phases", nct_id) or "" for p in _list(design.get("phases"))),
        study_type=_code(design.get("studyType"), codes.STUDY_TYPES, "studyType", nct_id),
        enrollment=_int(enrollment.get("count"), nct_id),
        enrollment_type=_code(enrollment.get("type"), codes.DATE_TYPES, "enrollmentInfo.type", nct_id),
        start_date=_date(status.get("startDateStruct")),
        primary_completion_date=_date(status.get("primaryCompletionDateStruct")),
        completion_date=_date(status.get("completionDateStruct")),
        first_posted=_date(status.get("studyFirstPostDateStruct")),
        last_updated=_date(status.get("lastUpdatePostDateStruct")),
        status_verified=_date({"date": status.get("statusVerifiedDate")}),
        allocation=_code(design_info.get("allocation"), codes.ALLOCATIONS, "allocation", nct_id),
        intervention_model=_code(
            design_info.get("interventionModel"), codes.INTERVENTION_MODELS, "interventionModel", nct_id
        ),
        observational_model=_str(design_info.get("observationalModel")),
        masking=_code(_obj(design_info.get("maskingInfo")).get("masking"), codes.MASKINGS, "masking", nct_id),
        primary_purpose=_code(design_info.get("primaryPurpose"), codes.PRIMARY_PURPOSES, "primaryPurpose", nct_id),
        sponsor=_organization(sponsors.get("leadSponsor")),
        collaborators=tuple(org for org in map(_organization, _objs(sponsors.get("collaborators"))) if org),
        responsible_party=_responsible_party(sponsors.get("responsibleParty")),
        conditions=_strs(conditions.get("conditions")),
        keywords=_strs(conditions.get("keywords")),
        mesh_terms=_mesh_terms(condition_browse.get("meshes")),
        mesh_ancestors=_mesh_terms(condition_browse.get("ancestors")),
        intervention_mesh_terms=_mesh_terms(intervention_browse.get("meshes")),
        interventions=tuple(_intervention(i) for i in _objs(arms_module.get("interventions")) if _str(i.get("name"))),
        arms=tuple(_arm(a) for a in _objs(arms_module.get("armGroups")) if _str(a.get("label"))),
        eligibility=_eligibility(_obj(protocol.get("eligibilityModule")), nct_id),
        locations=tuple(
            _location(loc) for loc in _objs(_obj(protocol.get("contactsLocationsModule")).get("locations"))
        ),
        outcomes=_outcomes(_obj(protocol.get("outcomesModule"))),
        references=tuple(
            Reference(_str(r.get("citation")), _str(r.get("pmid")), _str(r.get("type")))
            for r in _objs(_obj(protocol.get("referencesModule")).get("references"))
        ),
        who_masked=_who_masked(_obj(design_info.get("maskingInfo")).get("whoMasked"), nct_id),
        patient_registry=design["patientRegistry"] if isinstance(design.get("patientRegistry"), bool) else None,
    )


def _nct_id(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ParseError("invalid-nct-id", "no NCT id (identificationModule.nctId is missing)")
    nct_id = value.strip().upper()
    if not codes.NCT_ID_PATTERN.match(nct_id):
        raise ParseError("invalid-nct-id", f"invalid NCT id {value!r} (expected NCT and 8 digits)")
    return nct_id


def _code(value: object, allowed: frozenset[str], field: str, nct_id: str, reason: str = "unknown-code") -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or value not in allowed:
        raise ParseError(
            reason,
            f"{field} {value!r} is not an API v2 code (expected one of {', '.join(sorted(allowed))})",
            nct_id,
        )
    return value


def _who_masked(value: object, nct_id: str) -> tuple[str, ...]:
    """`maskingInfo.whoMasked`: API v2 party codes, each once, in the record's order."""
    found: list[str] = []
    for party in _list(value):
        code = _code(party, codes.WHO_MASKED, "whoMasked", nct_id)
        if code and code not in found:
            found.append(code)
    return tuple(found)


def _obj(value: object) -> Json:
    return value if isinstance(value, dict) else {}


def _objs(value: object) -> list[Json]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


MAX_FIELD_CHARS = 1_000_000  # the longest real field is a few tens of thousands of characters


def _str(value: object) -> str | None:
    if isinstance(value, str):
        if len(value) > MAX_FIELD_CHARS:
            raise ParseError(
                "bad-value", f"a text field of {len(value):,} characters (the limit is {MAX_FIELD_CHARS:,})"
            )
        stripped = value.strip()
        return stripped or None
    return None


def _strs(value: object) -> tuple[str, ...]:
    return tuple(s for s in (_str(v) for v in _list(value)) if s)


def _int(value: object, nct_id: str) -> int | None:
    return values.count_of(value, "enrollment")


def _date(value: object) -> RegistryDate | None:
    struct = _obj(value)
    date = _str(struct.get("date"))
    if not date:
        return None
    kind = _str(struct.get("type"))
    return RegistryDate(date, kind if kind in codes.DATE_TYPES else None)


def _organization(value: object) -> Organization | None:
    org = _obj(value)
    name = _str(org.get("name"))
    return Organization(name, _str(org.get("class"))) if name else None


def _responsible_party(value: object) -> ResponsibleParty | None:
    party = _obj(value)
    if not party:
        return None
    return ResponsibleParty(
        _str(party.get("type")),
        _str(party.get("investigatorFullName")),
        _str(party.get("investigatorTitle")),
        _str(party.get("investigatorAffiliation")),
    )


def _mesh_terms(value: object) -> tuple[MeshTerm, ...]:
    terms = []
    for mesh in _objs(value):
        term = _str(mesh.get("term"))
        if term:
            raw_id = _str(mesh.get("id"))
            terms.append(MeshTerm(codes.normalize_mesh_id(raw_id) if raw_id else None, term))
    return tuple(terms)


def _intervention(value: Json) -> Intervention:
    return Intervention(
        _str(value.get("type")),
        _str(value.get("name")) or "",
        _str(value.get("description")),
        _strs(value.get("otherNames")),
    )


def _arm(value: Json) -> Arm:
    return Arm(
        _str(value.get("label")) or "",
        _str(value.get("type")),
        _str(value.get("description")),
        _strs(value.get("interventionNames")),
    )


def _eligibility(module: Json, nct_id: str) -> Eligibility | None:
    if not module:
        return None
    criteria = _str(module.get("eligibilityCriteria"))
    inclusion, exclusion = split_criteria(criteria)
    healthy = module.get("healthyVolunteers")
    return Eligibility(
        min_age=_str(module.get("minimumAge")),
        max_age=_str(module.get("maximumAge")),
        sex=_code(module.get("sex"), codes.SEXES, "sex", nct_id),
        healthy_volunteers=healthy if isinstance(healthy, bool) else None,
        inclusion=inclusion,
        exclusion=exclusion,
        criteria_text=criteria,
    )


def _location(value: Json) -> Location:
    return Location(
        _str(value.get("facility")),
        _str(value.get("city")),
        _str(value.get("state")),
        _str(value.get("country")),
        _str(value.get("zip")),
        _str(value.get("status")),
    )


def _outcomes(module: Json) -> tuple[Outcome, ...]:
    outcomes = []
    for kind, key in (("primary", "primaryOutcomes"), ("secondary", "secondaryOutcomes"), ("other", "otherOutcomes")):
        for outcome in _objs(module.get(key)):
            measure = _str(outcome.get("measure"))
            if measure:
                outcomes.append(
                    Outcome(kind, measure, _str(outcome.get("timeFrame")), _str(outcome.get("description")))
                )
    return tuple(outcomes)
