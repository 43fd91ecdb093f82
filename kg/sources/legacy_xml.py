"""Legacy ClinicalStudy XML (`<clinical_study>`, the retired AllPublicXML dump).

Parsed with defusedxml: no DTD entity is expanded and nothing external is ever fetched, so an
external-entity or billion-laughs file is a reject, not a leak or a hang.
"""

from __future__ import annotations

import textwrap
from xml.etree.ElementTree import Element
from xml.etree.ElementTree import ParseError as XmlSyntaxError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from kg import textpatterns
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

FORMAT = "ctgov-legacy-xml"


def looks_like(head: bytes) -> bool:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with its byte-order mark
        head = head.decode("utf-16", errors="ignore").encode("utf-8")
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    return text.startswith(b"<") and (b"<clinical_study" in head or text.startswith(b"<?xml"))


def parse_bytes(data: bytes, provenance: Provenance) -> TrialRecord:
    try:
        root = SafeET.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as error:
        raise ParseError("unsafe-xml", f"refused: the XML declares entities ({type(error).__name__})") from error
    except (XmlSyntaxError, LookupError, ValueError) as error:  # LookupError: an encoding Python lacks
        raise ParseError("malformed-xml", f"malformed XML: {error}") from error
    if root.tag != "clinical_study":
        raise ParseError("not-a-study", f"not a ClinicalStudy record (root element <{root.tag}>)")
    return parse_study(root, provenance)


def _text(element: Element | None, path: str | None = None) -> str | None:
    node = element.find(path) if (element is not None and path) else element
    if node is None:
        return None
    block = node.find("textblock")
    raw = "".join((block if block is not None else node).itertext())
    cleaned = textwrap.dedent(raw.replace("\r", "")).strip()
    if " \n" in cleaned or "\t\n" in cleaned:
        cleaned = textpatterns.BLANKS_BEFORE_NEWLINE.sub("\n", cleaned)
    return cleaned or None


def _texts(element: Element, path: str) -> tuple[str, ...]:
    return tuple(t for t in (_text(node) for node in element.findall(path)) if t)


def _date(root: Element, path: str) -> RegistryDate | None:
    node = root.find(path)
    iso = display.iso_date(_text(node))
    if node is None or iso is None:
        return None
    return RegistryDate(iso, display.code_of(node.get("type")) if node.get("type") else None)


def _age(text: str | None) -> str | None:
    return None if text is None or display.code_of(text) == "NA" else text


def parse_study(root: Element, provenance: Provenance) -> TrialRecord:
    nct_id = (_text(root, "id_info/nct_id") or "").upper()
    if not codes.NCT_ID_PATTERN.match(nct_id):
        raise ParseError("invalid-nct-id", f"invalid NCT id {nct_id or None!r} (expected NCT and 8 digits)")
    version = display.iso_date(
        textpatterns.DOWNLOAD_DATE_PREFIX.sub("", _text(root, "required_header/download_date") or "")
    )
    design = root.find("study_design_info")
    enrollment = root.find("enrollment")
    eligibility = root.find("eligibility")
    study_type, patient_registry = display.study_type_of(_text(root, "study_type"), "study type", nct_id)
    masking, who_masked = display.masking_of(_text(design, "masking"), "masking", nct_id)
    return TrialRecord(
        nct_id=nct_id,
        provenance=Provenance(FORMAT, provenance.path, provenance.position, provenance.member, version),
        title=_text(root, "brief_title"),
        official_title=_text(root, "official_title"),
        acronym=_text(root, "acronym"),
        org_study_id=_text(root, "id_info/org_study_id"),
        secondary_ids=tuple(SecondaryId(i) for i in _texts(root, "id_info/secondary_id")),
        brief_summary=_text(root, "brief_summary"),
        detailed_description=_text(root, "detailed_description"),
        status=display.status_of(_text(root, "overall_status"), nct_id),
        last_known_status=display.status_of(_text(root, "last_known_status"), nct_id),
        why_stopped=_text(root, "why_stopped"),
        phases=display.phases_of(_text(root, "phase"), nct_id),
        study_type=study_type,
        enrollment=_enrollment(enrollment, nct_id),
        enrollment_type=display.code_of(enrollment.get("type"))
        if enrollment is not None and enrollment.get("type")
        else None,
        start_date=_date(root, "start_date"),
        primary_completion_date=_date(root, "primary_completion_date"),
        completion_date=_date(root, "completion_date"),
        first_posted=_date(root, "study_first_posted"),
        last_updated=_date(root, "last_update_posted"),
        status_verified=_date(root, "verification_date"),
        allocation=display.checked_code(_text(design, "allocation"), codes.ALLOCATIONS, "allocation", nct_id),
        intervention_model=display.checked_code(
            _text(design, "intervention_model"), codes.INTERVENTION_MODELS, "intervention model", nct_id
        ),
        observational_model=display.code_of(_text(design, "observational_model")),
        masking=masking,
        primary_purpose=display.checked_code(
            _text(design, "primary_purpose"), codes.PRIMARY_PURPOSES, "primary purpose", nct_id
        ),
        sponsor=_organization(root.find("sponsors/lead_sponsor"), nct_id),
        collaborators=tuple(o for o in (_organization(c, nct_id) for c in root.findall("sponsors/collaborator")) if o),
        responsible_party=_responsible_party(root.find("responsible_party"), nct_id),
        conditions=_texts(root, "condition"),
        keywords=_texts(root, "keyword"),
        mesh_terms=tuple(MeshTerm(None, t) for t in _texts(root, "condition_browse/mesh_term")),
        intervention_mesh_terms=tuple(MeshTerm(None, t) for t in _texts(root, "intervention_browse/mesh_term")),
        interventions=tuple(
            _intervention(i, nct_id) for i in root.findall("intervention") if _text(i, "intervention_name")
        ),
        arms=_arms(root, nct_id),
        eligibility=_eligibility(eligibility, nct_id) if eligibility is not None else None,
        locations=tuple(_location(loc) for loc in root.findall("location")),
        outcomes=_outcomes(root),
        references=tuple(
            Reference(
                _text(r, "citation"), _text(r, "PMID"), "RESULT" if r.tag == "results_reference" else "BACKGROUND"
            )
            for r in root.findall("reference") + root.findall("results_reference")
        ),
        who_masked=who_masked,
        patient_registry=patient_registry,
    )


def _enrollment(node: Element | None, nct_id: str) -> int | None:
    return values.count_of(_text(node), "enrollment")


def _organization(node: Element | None, nct_id: str) -> Organization | None:
    name = _text(node, "agency")
    if node is None or not name:
        return None
    return Organization(
        name, display.checked_code(_text(node, "agency_class"), display.ORGANIZATION_CLASSES, "agency class", nct_id)
    )


def _responsible_party(node: Element | None, nct_id: str) -> ResponsibleParty | None:
    if node is None:
        return None
    return ResponsibleParty(
        display.checked_code(
            _text(node, "responsible_party_type"), display.RESPONSIBLE_PARTY_TYPES, "responsible party type", nct_id
        ),
        _text(node, "investigator_full_name"),
        _text(node, "investigator_title"),
        _text(node, "investigator_affiliation"),
    )


def _intervention(node: Element, nct_id: str) -> Intervention:
    return Intervention(
        display.checked_code(_text(node, "intervention_type"), display.INTERVENTION_TYPES, "intervention type", nct_id),
        _text(node, "intervention_name") or "",
        _text(node, "description"),
        _texts(node, "other_name"),
    )


def _arms(root: Element, nct_id: str) -> tuple[Arm, ...]:
    given_by_label: dict[str, list[str]] = {}
    for node in root.findall("intervention"):
        kind, name = _text(node, "intervention_type") or "Other", _text(node, "intervention_name")
        for given_to in _texts(node, "arm_group_label"):
            given_by_label.setdefault(given_to, []).append(f"{kind}: {name}")
    arms = []
    for node in root.findall("arm_group"):
        label = _text(node, "arm_group_label")
        if label:
            arm_type = display.checked_code(_text(node, "arm_group_type"), display.ARM_TYPES, "arm type", nct_id)
            arms.append(Arm(label, arm_type, _text(node, "description"), tuple(given_by_label.get(label, ()))))
    return tuple(arms)


def _eligibility(node: Element, nct_id: str) -> Eligibility:
    criteria = _text(node, "criteria")
    inclusion, exclusion = split_criteria(criteria)
    return Eligibility(
        min_age=_age(_text(node, "minimum_age")),
        max_age=_age(_text(node, "maximum_age")),
        sex=display.checked_code(_text(node, "gender"), codes.SEXES, "gender", nct_id),
        healthy_volunteers=display.boolean_of(_text(node, "healthy_volunteers")),
        inclusion=inclusion,
        exclusion=exclusion,
        criteria_text=criteria,
    )


def _location(node: Element) -> Location:
    return Location(
        _text(node, "facility/name"),
        _text(node, "facility/address/city"),
        _text(node, "facility/address/state"),
        _text(node, "facility/address/country"),
        _text(node, "facility/address/zip"),
        display.code_of(_text(node, "status")),
    )


def _outcomes(root: Element) -> tuple[Outcome, ...]:
    outcomes = []
    for kind in ("primary", "secondary", "other"):
        for node in root.findall(f"{kind}_outcome"):
            measure = _text(node, "measure")
            if measure:
                outcomes.append(Outcome(kind, measure, _text(node, "time_frame"), _text(node, "description")))
    return tuple(outcomes)
