"""The pure mapping `TrialRecord -> triples`, one record at a time, written as N-Triples text.

Why text: a build maps ~250 triples a trial, and making, hashing and formatting rdflib terms was most
of its cost. Each term is written once as its N-Triples text (`kg.rdf.terms`); the SHACL core engine
and the writers read that text, and `kg.rdf.terms.rdflib_triples` makes rdflib terms for callers who
want them.

Triples about the trial and the nodes it alone owns (arms, outcomes, ...) are `own`; triples about
nodes many trials share (sponsors, conditions, MeSH concepts) are `shared`, keyed by node, so a
streaming writer can emit each shared node once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from rdflib import BNode, Literal, URIRef

from kg import textpatterns
from kg.model.codes import age_in_years
from kg.model.records import (
    REFERENCE_WEIGHT_KG,
    Arm,
    Dose,
    MeshTerm,
    Organization,
    Provenance,
    RegistryDate,
    Schedule,
    TrialRecord,
    comparable_amounts,
    data_as_of,
)
from kg.rdf import iris
from kg.rdf.terms import (
    TextTriple,
    TextVocabulary,
    iri_text,
    literal_text,
    rdflib_triples,
    string_text,
    typed_text,
)

if TYPE_CHECKING:
    from kg.model.thresholds import Threshold  # only its type: the reader's patterns are not needed here

Triple = TextTriple
KG = TextVocabulary(iris.KG)
MESHV = TextVocabulary(iris.MESHV)
PROV = TextVocabulary(iris.PROV)
RDF = TextVocabulary(iris.RDF)
RDFS = TextVocabulary(iris.RDFS)
SCHEMA = TextVocabulary(iris.SCHEMA)

# The small unit vocabulary of doses, with UCUM codes where UCUM has one.
UCUM_CODES: dict[str, str | None] = {
    "cells": "{cells}",
    "cells/kg": "{cells}/kg",
    "mg": "mg",
    "mg/kg": "mg/kg",
    "mg/m2": "mg/m2",
    "g": "g",
    "ug": "ug",
    "ug/kg": "ug/kg",
    "IU": "[iU]",
    "IU/kg": "[iU]/kg",
    "mL": "mL",
    "g/kg": "g/kg",
    "g/m2": "g/m2",
    "ug/m2": "ug/m2",
    "IU/m2": "[iU]/m2",
    "mmol/kg": "mmol/kg",
    "AUC": None,  # carboplatin's target area under the curve (mg/mL x min): no UCUM unit of its own
}

_STUDY_TYPE_CLASSES = {
    "INTERVENTIONAL": SCHEMA.MedicalTrial,
    "OBSERVATIONAL": SCHEMA.MedicalObservationalStudy,
}

_FULL_DATE = textpatterns.ISO_DATE
_YEAR_MONTH = textpatterns.ISO_YEAR_MONTH


@dataclass
class TrialTriples:
    """A trial's triples as N-Triples text: its own, and those of each shared node by the node's text."""

    trial: str
    own: list[Triple] = field(default_factory=list)
    shared: dict[str, list[Triple]] = field(default_factory=dict)

    def add(self, subject: str, predicate: str, obj: str | None) -> None:
        if obj is not None:
            self.own.append((subject, predicate, obj))

    def share(self, node: str, triples: Iterable[Triple]) -> None:
        if node not in self.shared:
            self.shared[node] = list(triples)

    def all(self) -> Iterable[Triple]:
        yield from self.own
        for triples in self.shared.values():
            yield from triples

    def rdflib(self) -> list[tuple[URIRef, URIRef, URIRef | BNode | Literal]]:
        """Every triple as rdflib terms, for callers that want an rdflib graph."""
        return rdflib_triples(self.all())  # type: ignore[return-value]


def text(value: str | None) -> str | None:
    return None if value is None else string_text(value)


def date_literal(date: RegistryDate | None) -> str | None:
    """`2021-07-15` -> xsd:date, `2021-07` -> xsd:gYearMonth, anything else kept as a plain string."""
    if date is None:
        return None
    if _FULL_DATE.match(date.value):
        return typed_text(date.value, "date")
    if _YEAR_MONTH.match(date.value):
        return typed_text(date.value, "gYearMonth")
    return string_text(date.value)


def _short_hash(source: Provenance) -> str:
    """Two records of one trial in one format and version (two copies) still get two nodes."""
    return hashlib.sha1(f"{source.path}|{source.member}|{source.position}".encode()).hexdigest()[:8]


def decimal_lexical(value: float) -> str:
    """xsd:decimal's canonical, exponent-free form (`2e6` -> `2000000.0`)."""
    return format(Decimal(repr(float(value))), "f")


def decimal_literal(value: float) -> str:
    return typed_text(decimal_lexical(value), "decimal")


def integer_literal(value: int) -> str:
    return typed_text(str(value), "integer")


def map_trial(record: TrialRecord) -> TrialTriples:
    out = TrialTriples(iri_text(iris.trial_iri(record.nct_id)))
    _map_identity(record, out)
    _map_status_and_design(record, out)
    _map_sponsors(record, out)
    _map_conditions(record, out)
    _map_interventions_and_arms(record, out)
    _map_eligibility(record, out)
    _map_locations_outcomes_references(record, out)
    _map_related(record, out)
    _map_provenance(record, out)
    return out


def _map_identity(record: TrialRecord, out: TrialTriples) -> None:
    trial = out.trial
    out.add(trial, RDF.type, KG.Trial)
    out.add(trial, RDF.type, SCHEMA.MedicalStudy)
    out.add(trial, RDF.type, _STUDY_TYPE_CLASSES.get(record.study_type or ""))
    if not record.nct_id.startswith(iris.UNRESOLVED_PREFIX):
        out.add(trial, KG.nctId, literal_text(record.nct_id))
    out.add(trial, RDFS.label, literal_text(record.title or record.official_title or record.nct_id))
    out.add(trial, SCHEMA.name, text(record.title))
    out.add(trial, KG.officialTitle, text(record.official_title))
    out.add(trial, KG.acronym, text(record.acronym))
    out.add(trial, KG.orgStudyId, text(record.org_study_id))
    out.add(trial, KG.briefSummary, text(record.brief_summary))
    out.add(trial, KG.detailedDescription, text(record.detailed_description))
    out.add(trial, SCHEMA.url, trial)
    for index, secondary in enumerate(record.secondary_ids):
        node = iri_text(iris.secondary_id_iri(record.nct_id, index))
        out.add(trial, KG.secondaryId, node)
        out.add(node, RDF.type, KG.SecondaryIdentifier)
        out.add(node, RDFS.label, literal_text(secondary.identifier))
        out.add(node, SCHEMA.value, literal_text(secondary.identifier))
        out.add(node, KG.idType, text(secondary.id_type))
        out.add(node, KG.idDomain, text(secondary.domain))


def _map_status_and_design(record: TrialRecord, out: TrialTriples) -> None:
    trial = out.trial
    out.add(trial, KG.overallStatus, text(record.status))
    out.add(trial, KG.lastKnownStatus, text(record.last_known_status))
    out.add(trial, KG.whyStopped, text(record.why_stopped))
    for phase in record.phases:
        out.add(trial, KG.phase, literal_text(phase))
    out.add(trial, KG.studyType, text(record.study_type))
    if record.enrollment is not None:
        out.add(trial, KG.enrollment, integer_literal(record.enrollment))
    out.add(trial, KG.enrollmentType, text(record.enrollment_type))
    for predicate, type_predicate, date in (
        (KG.startDate, KG.startDateType, record.start_date),
        (KG.primaryCompletionDate, KG.primaryCompletionDateType, record.primary_completion_date),
        (KG.completionDate, KG.completionDateType, record.completion_date),
        (KG.firstPosted, None, record.first_posted),
        (KG.lastUpdated, None, record.last_updated),
        (KG.statusVerifiedDate, None, record.status_verified),
    ):
        out.add(trial, predicate, date_literal(date))
        if type_predicate is not None and date is not None:
            out.add(trial, type_predicate, text(date.kind))
    out.add(trial, KG.allocation, text(record.allocation))
    out.add(trial, KG.interventionModel, text(record.intervention_model))
    out.add(trial, KG.observationalModel, text(record.observational_model))
    out.add(trial, KG.masking, text(record.masking))
    for party in record.who_masked:
        out.add(trial, KG.whoMasked, literal_text(party))
    out.add(trial, KG.primaryPurpose, text(record.primary_purpose))
    if record.patient_registry is not None:
        out.add(trial, KG.patientRegistry, literal_text(record.patient_registry))  # xsd:boolean


def _organization(out: TrialTriples, org: Organization) -> str:
    node = iri_text(iris.organization_iri(org.name))
    triples: list[Triple] = [
        (node, RDF.type, KG.Organization),
        (node, RDFS.label, literal_text(org.name)),
        (node, SCHEMA.name, literal_text(org.name)),
    ]
    if org.org_class:
        triples.append((node, KG.organizationClass, literal_text(org.org_class)))
    out.share(node, triples)
    return node


def _map_sponsors(record: TrialRecord, out: TrialTriples) -> None:
    trial = out.trial
    if record.sponsor:
        out.add(trial, KG.leadSponsor, _organization(out, record.sponsor))
    for collaborator in record.collaborators:
        out.add(trial, KG.collaborator, _organization(out, collaborator))
    party = record.responsible_party
    if party:
        out.add(trial, KG.responsiblePartyType, text(party.party_type))
        if party.investigator_affiliation:
            affiliation = _organization(out, Organization(party.investigator_affiliation))
            out.add(trial, KG.responsiblePartyAffiliation, affiliation)


def _mesh(out: TrialTriples, mesh: MeshTerm) -> str:
    node, triples = mesh_concept(mesh)
    out.share(node, triples)
    return node


def mesh_concept(mesh: MeshTerm) -> tuple[str, list[Triple]]:
    """A MeSH concept's node and what is said of it: a descriptor (or supplementary concept) by its id,
    or a labelled node of kg's own for a term named without one."""
    if mesh.mesh_id is None:
        node = iri_text(iris.mesh_term_iri(mesh.term))
        return node, [(node, RDF.type, KG.MeshConcept), (node, RDFS.label, literal_text(mesh.term))]
    node = iri_text(iris.mesh_iri(mesh.mesh_id))
    mesh_class = MESHV.Descriptor if mesh.mesh_id.startswith("D") else MESHV.SupplementaryConceptRecord
    return node, [
        (node, RDF.type, KG.MeshConcept),
        (node, RDF.type, mesh_class),
        (node, RDFS.label, literal_text(mesh.term)),
        (node, KG.meshId, literal_text(mesh.mesh_id)),
    ]


def _map_conditions(record: TrialRecord, out: TrialTriples) -> None:
    trial = out.trial
    for condition in record.conditions:
        node = iri_text(iris.condition_iri(condition))
        out.share(node, [(node, RDF.type, KG.Condition), (node, RDFS.label, literal_text(condition))])
        out.add(trial, KG.condition, node)
    for keyword in record.keywords:
        out.add(trial, KG.keyword, literal_text(keyword))
    for mesh in record.mesh_terms:
        out.add(trial, KG.conditionMesh, _mesh(out, mesh))
    for mesh in record.mesh_ancestors:
        out.add(trial, KG.conditionMeshAncestor, _mesh(out, mesh))
    for mesh in record.intervention_mesh_terms:
        out.add(trial, KG.interventionMesh, _mesh(out, mesh))
    for mesh in record.text_mesh_terms:
        out.add(trial, KG.conditionMeshFromText, _mesh(out, mesh))


def _map_interventions_and_arms(record: TrialRecord, out: TrialTriples) -> None:
    trial = out.trial
    by_name: dict[str, str] = {}
    for index, intervention in enumerate(record.interventions):
        node = iri_text(iris.intervention_iri(record.nct_id, index))
        out.add(trial, KG.hasIntervention, node)
        out.add(node, RDF.type, KG.Intervention)
        out.add(node, RDFS.label, literal_text(intervention.name))
        out.add(node, KG.interventionType, text(intervention.intervention_type))
        out.add(node, SCHEMA.description, text(intervention.description))
        for other in intervention.other_names:
            out.add(node, KG.otherName, literal_text(other))
        product = intervention.cell_product
        if product is not None:
            out.add(node, RDF.type, KG.CellProduct)
            out.add(node, KG.cellType, text(product.cell_type))
            out.add(node, KG.tissueSource, text(product.tissue_source))
            out.add(node, KG.cellDonor, text(product.donor))
            out.add(node, KG.deliveryRoute, text(product.route))
        by_name[_arm_intervention_key(intervention.intervention_type, intervention.name)] = node
        by_name.setdefault(intervention.name.casefold(), node)
    for index, arm in enumerate(record.arms):
        _map_arm(record.nct_id, index, arm, by_name, out)


def _arm_intervention_key(intervention_type: str | None, name: str) -> str:
    kind = (intervention_type or "").replace("_", " ").casefold()
    return f"{kind}: {name.casefold()}"


def _map_arm(nct_id: str, index: int, arm: Arm, by_name: dict[str, str], out: TrialTriples) -> None:
    node = iri_text(iris.arm_iri(nct_id, index))
    out.add(out.trial, KG.hasArm, node)
    out.add(node, RDF.type, KG.Arm)
    out.add(node, RDFS.label, literal_text(arm.label))
    out.add(node, KG.armType, text(arm.arm_type))
    out.add(node, SCHEMA.description, text(arm.description))
    for name in arm.interventions:
        key = name.casefold()
        target = by_name.get(key) or by_name.get(key.split(": ", 1)[-1])
        if target is not None:
            out.add(node, KG.armIntervention, target)
        else:
            out.add(node, KG.armInterventionName, literal_text(name))
    for dose_index, dose in enumerate(arm.doses):
        _map_dose(iri_text(iris.dose_iri(nct_id, index, dose_index)), node, dose, arm.schedule, out)
    for dose_index, dose in enumerate(arm.dose_conflict):
        other = iri_text(iris.conflicting_dose_iri(nct_id, index, dose_index))
        out.add(node, KG.doseConflict, other)
        _map_dose(other, None, dose, None, out)
    schedule = arm.schedule
    if schedule is not None:
        out.add(node, KG.scheduleText, text(schedule.text))
        for day in schedule.days:
            out.add(node, KG.scheduleDay, decimal_literal(day))
        for week in schedule.weeks:
            out.add(node, KG.scheduleWeek, decimal_literal(week))
        if schedule.times is not None:
            out.add(node, KG.administrations, integer_literal(schedule.times))
        if schedule.interval_weeks is not None:
            out.add(node, KG.intervalWeeks, decimal_literal(schedule.interval_weeks))


def _map_dose(node: str, arm: str | None, dose: Dose, schedule: Schedule | None, out: TrialTriples) -> None:
    if arm is not None:
        out.add(arm, KG.hasDose, node)
    out.add(node, RDF.type, KG.Dose)
    label = f"{dose.low:g}" if dose.low == dose.high else f"{dose.low:g}-{dose.high:g}"
    out.add(node, RDFS.label, literal_text(f"{label} {dose.unit}"))
    out.add(node, SCHEMA.minValue, decimal_literal(dose.low))
    out.add(node, SCHEMA.maxValue, decimal_literal(dose.high))
    out.add(node, SCHEMA.unitText, literal_text(dose.unit))
    out.add(node, SCHEMA.unitCode, text(UCUM_CODES.get(dose.unit)))
    out.add(node, KG.doseText, text(dose.text))
    out.add(node, KG.dosePer, text(dose.per))
    course, at_70kg = comparable_amounts(dose, schedule)
    if course is not None:
        out.add(node, KG.courseTotalMin, decimal_literal(course.low))
        out.add(node, KG.courseTotalMax, decimal_literal(course.high))
        out.add(node, KG.courseTotalUnit, literal_text(course.unit))
    if at_70kg is not None:
        out.add(node, KG.at70kgMin, decimal_literal(at_70kg.low))
        out.add(node, KG.at70kgMax, decimal_literal(at_70kg.high))
        out.add(node, KG.at70kgUnit, literal_text(at_70kg.unit))
        out.add(node, KG.assumedBodyWeightKg, decimal_literal(REFERENCE_WEIGHT_KG))


def _map_eligibility(record: TrialRecord, out: TrialTriples) -> None:
    eligibility = record.eligibility
    if eligibility is None:
        return
    node = iri_text(iris.eligibility_iri(record.nct_id))
    out.add(out.trial, KG.hasEligibility, node)
    out.add(node, RDF.type, KG.Eligibility)
    out.add(node, RDFS.label, literal_text(f"Eligibility of {record.nct_id}"))
    for text_predicate, years_predicate, age in (
        (KG.minimumAge, KG.minimumAgeYears, eligibility.min_age),
        (KG.maximumAge, KG.maximumAgeYears, eligibility.max_age),
    ):
        out.add(node, text_predicate, text(age))
        years = age_in_years(age)
        if years is not None:
            out.add(node, years_predicate, decimal_literal(years))
    out.add(node, KG.sex, text(eligibility.sex))
    if eligibility.healthy_volunteers is not None:
        out.add(node, KG.healthyVolunteers, literal_text(eligibility.healthy_volunteers))
    for item in eligibility.inclusion:
        out.add(node, KG.inclusionCriterion, literal_text(item))
    for item in eligibility.exclusion:
        out.add(node, KG.exclusionCriterion, literal_text(item))
    for index, threshold in enumerate(eligibility.thresholds):
        _map_threshold(iri_text(iris.threshold_iri(record.nct_id, index)), node, threshold, out)


def _map_threshold(node: str, eligibility: str, threshold: Threshold, out: TrialTriples) -> None:
    """A numeric bound as written and normalized, so a query can compare a patient's value with it."""
    out.add(eligibility, KG.hasThreshold, node)
    out.add(node, RDF.type, KG.Threshold)
    out.add(node, RDFS.label, literal_text(threshold_label(threshold)))
    out.add(node, KG.thresholdVariable, literal_text(threshold.variable))
    out.add(node, KG.criterionSide, literal_text(threshold.side))
    out.add(node, KG.comparator, literal_text(threshold.comparator))
    if isinstance(threshold.value, str):  # a Child-Pugh class letter
        out.add(node, KG.thresholdClass, literal_text(threshold.value))
    elif threshold.value is not None:
        out.add(node, KG.thresholdValue, decimal_literal(threshold.value))
    for predicate, number in (
        (KG.thresholdLow, threshold.low),
        (KG.thresholdHigh, threshold.high),
        (KG.normalizedLow, threshold.low_normalized),
        (KG.normalizedHigh, threshold.high_normalized),
    ):
        if number is not None:
            out.add(node, predicate, decimal_literal(number))
    if isinstance(threshold.value_normalized, float):
        out.add(node, KG.normalizedValue, decimal_literal(threshold.value_normalized))
    out.add(node, KG.lowOperator, text(threshold.low_op))
    out.add(node, KG.highOperator, text(threshold.high_op))
    out.add(node, SCHEMA.unitText, text(threshold.unit or None))
    out.add(node, KG.normalizedUnit, text(threshold.unit_normalized or None))
    out.add(node, KG.criterionText, text(threshold.text or None))
    out.add(node, KG.thresholdSource, literal_text(threshold.source))


def threshold_label(threshold: Threshold) -> str:
    """`total_bilirubin >= 12 mg/dL (inclusion)`, `meld 17 to 30 (inclusion)`: the bound as written."""
    unit = f" {threshold.unit}" if threshold.unit else ""
    if threshold.comparator == "between":
        low, high = _number_text(threshold.low), _number_text(threshold.high)
        if threshold.low_op or threshold.high_op:
            bound = f"{threshold.low_op or '>='} {low} and {threshold.high_op or '<='} {high}"
        else:
            bound = f"{low} to {high}"
    else:
        value = threshold.value
        bound = f"{threshold.comparator} {value if isinstance(value, str) else _number_text(value)}"
    return f"{threshold.variable} {bound}{unit} ({threshold.side})"


def _number_text(value: float | None) -> str:
    """A number as a person writes it: `12`, `1.5`, `100000` (no exponent, no trailing zero)."""
    if value is None:
        return "?"
    return format(Decimal(repr(float(value))).normalize(), "f")


def _map_locations_outcomes_references(record: TrialRecord, out: TrialTriples) -> None:
    trial = out.trial
    for index, location in enumerate(record.locations):
        node = iri_text(iris.location_iri(record.nct_id, index))
        out.add(trial, KG.hasLocation, node)
        out.add(node, RDF.type, KG.Location)
        parts = [p for p in (location.facility, location.city, location.country) if p]
        out.add(node, RDFS.label, literal_text(", ".join(parts) or f"Site {index + 1} of {record.nct_id}"))
        out.add(node, KG.facility, text(location.facility))
        out.add(node, SCHEMA.addressLocality, text(location.city))
        out.add(node, SCHEMA.addressRegion, text(location.state))
        out.add(node, SCHEMA.addressCountry, text(location.country))
        out.add(node, SCHEMA.postalCode, text(location.zip_code))
        out.add(node, KG.recruitmentStatus, text(location.status))
    for index, outcome in enumerate(record.outcomes):
        node = iri_text(iris.outcome_iri(record.nct_id, index))
        out.add(trial, KG.hasOutcome, node)
        out.add(node, RDF.type, KG.Outcome)
        out.add(node, RDFS.label, literal_text(outcome.measure))
        out.add(node, KG.outcomeKind, literal_text(outcome.kind))
        out.add(node, KG.timeFrame, text(outcome.time_frame))
        out.add(node, SCHEMA.description, text(outcome.description))
    for index, reference in enumerate(record.references):
        node = iri_text(iris.reference_iri(record.nct_id, index))
        out.add(trial, KG.hasReference, node)
        out.add(node, RDF.type, KG.Reference)
        label = reference.citation or (f"PMID {reference.pmid}" if reference.pmid else f"Reference {index + 1}")
        out.add(node, RDFS.label, literal_text(label))
        out.add(node, SCHEMA.citation, text(reference.citation))
        out.add(node, KG.pmid, text(reference.pmid))
        out.add(node, KG.referenceType, text(reference.reference_type))


def _map_related(record: TrialRecord, out: TrialTriples) -> None:
    for related in record.related_trials:
        node = iri_text(iris.trial_iri(related.nct_id))
        out.add(out.trial, KG.relatedTrial, node)
        label = related.title or related.nct_id
        out.share(
            node,
            [
                (node, RDF.type, KG.Trial),
                (node, RDF.type, SCHEMA.MedicalStudy),  # typed as every trial, for consumers without a reasoner
                (node, KG.nctId, literal_text(related.nct_id)),
                (node, RDFS.label, literal_text(label)),
            ],
        )


def _map_provenance(record: TrialRecord, out: TrialTriples) -> None:
    as_of = data_as_of(record)
    if as_of is not None:
        out.add(out.trial, KG.dataAsOf, date_literal(RegistryDate(as_of[0])))
        out.add(out.trial, KG.dataAsOfBasis, literal_text(as_of[1]))
    _map_source(record, record.provenance, out)
    for source in record.merged_from:
        _map_source(record, source, out)
    for index, contact in enumerate(record.contacts):
        node = iri_text(iris.contact_iri(record.nct_id, index))
        out.add(out.trial, KG.contact, node)
        out.add(node, RDF.type, KG.Contact)
        out.add(node, RDFS.label, literal_text(contact.name))
        out.add(node, KG.contactRole, text(contact.role))
        out.add(node, SCHEMA.telephone, text(contact.phone))
        out.add(node, SCHEMA.email, text(contact.email))


def source_record_iri(record: TrialRecord, source: Provenance) -> URIRef:
    """`.../record/<format>/<version>-<hash of file and position>`: stable for the same inputs."""
    return iris.record_iri(record.nct_id, source.source_format, f"{_version_of(record, source)}-{_short_hash(source)}")


def _version_of(record: TrialRecord, source: Provenance) -> str:
    return source.version_date or (record.last_updated.value if record.last_updated else "undated")


def _map_source(record: TrialRecord, source: Provenance, out: TrialTriples) -> None:
    version = _version_of(record, source)
    node = iri_text(source_record_iri(record, source))
    out.add(out.trial, PROV.wasDerivedFrom, node)
    out.add(node, RDF.type, KG.SourceRecord)
    out.add(node, RDFS.label, literal_text(f"{record.nct_id} as read from {source.source_format} ({version})"))
    out.add(node, KG.sourceFormat, literal_text(source.source_format))
    out.add(node, KG.sourcePath, literal_text(f"{source.path}:{source.member}" if source.member else source.path))
    out.add(node, KG.recordPosition, integer_literal(source.position))
    if source.version_date:
        out.add(node, KG.versionDate, date_literal(RegistryDate(source.version_date)))
