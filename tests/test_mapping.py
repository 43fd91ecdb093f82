"""The mapping `TrialRecord -> triples`: stable IRIs, typed literals, MeSH links, one record at a time."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import PROV, RDF, RDFS, XSD

from kg.model.records import Eligibility, MeshTerm, Organization, Provenance, RegistryDate, TrialRecord
from kg.rdf import iris
from kg.rdf.formats import bind_prefixes
from kg.rdf.iris import KG, MESH, SCHEMA
from kg.rdf.mapping import map_trial, source_record_iri
from kg.sources import iter_records
from tests.conftest import EXAMPLES

SOURCE = Provenance("ctgov-v2-json", "in.json", 0, None, "2024-01-02")


def graph_of(record: TrialRecord) -> Graph:
    graph = Graph()
    for triple in map_trial(record).rdflib():
        graph.add(triple)
    return graph


def test_a_minimal_record_maps_to_exactly_the_expected_graph() -> None:
    record = TrialRecord(
        nct_id="NCT01234567",
        provenance=SOURCE,
        title="MSC for liver failure",
        status="RECRUITING",
        study_type="INTERVENTIONAL",
        start_date=RegistryDate("2021-07", "ACTUAL"),
        sponsor=Organization("Beijing 302 Hospital", "OTHER"),
        mesh_terms=(MeshTerm("D017093", "Liver Failure"),),
    )
    expected = Graph().parse(
        data="""
        @prefix kg: <https://w3id.org/kg-trials/ontology#> .
        @prefix schema: <https://schema.org/> .
        @prefix prov: <http://www.w3.org/ns/prov#> .
        @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        @prefix meshv: <http://id.nlm.nih.gov/mesh/vocab#> .
        @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
        <https://clinicaltrials.gov/study/NCT01234567> a kg:Trial, schema:MedicalStudy, schema:MedicalTrial ;
            kg:nctId "NCT01234567" ; rdfs:label "MSC for liver failure" ; schema:name "MSC for liver failure" ;
            schema:url <https://clinicaltrials.gov/study/NCT01234567> ;
            kg:overallStatus "RECRUITING" ; kg:studyType "INTERVENTIONAL" ;
            kg:startDate "2021-07"^^xsd:gYearMonth ; kg:startDateType "ACTUAL" ;
            kg:leadSponsor <{org}> ;
            kg:conditionMesh <http://id.nlm.nih.gov/mesh/D017093> ;
            kg:dataAsOf "2024-01-02"^^xsd:date ; kg:dataAsOfBasis "registry version date" ;
            prov:wasDerivedFrom <{rec}> .
        <{org}> a kg:Organization ; rdfs:label "Beijing 302 Hospital" ; schema:name "Beijing 302 Hospital" ;
            kg:organizationClass "OTHER" .
        <http://id.nlm.nih.gov/mesh/D017093> a kg:MeshConcept, meshv:Descriptor ; rdfs:label "Liver Failure" ;
            kg:meshId "D017093" .
        <{rec}> a kg:SourceRecord ; rdfs:label "NCT01234567 as read from ctgov-v2-json (2024-01-02)" ;
            kg:sourceFormat "ctgov-v2-json" ; kg:sourcePath "in.json" ; kg:recordPosition 0 ;
            kg:versionDate "2024-01-02"^^xsd:date .
        """.format(
            org=iris.organization_iri("Beijing 302 Hospital"),
            rec=source_record_iri(record, SOURCE),
        ),
        format="turtle",
    )
    assert isomorphic(graph_of(record), expected)


def test_the_same_sponsor_name_gets_the_same_iri_and_different_names_never_collide() -> None:
    assert iris.organization_iri("Pfizer") == iris.organization_iri("  pfizer ")
    assert iris.organization_iri("Pfizer, Inc.") != iris.organization_iri("Pfizer Inc")
    assert str(iris.organization_iri("Pfizer, Inc.")).startswith("https://w3id.org/kg-trials/resource/org/pfizer-inc-")


def test_ages_are_kept_as_text_and_as_decimal_years() -> None:
    record = TrialRecord("NCT01234567", SOURCE, eligibility=Eligibility(min_age="6 Months", max_age="65 Years"))
    graph = graph_of(record)
    node = iris.eligibility_iri("NCT01234567")
    assert (node, KG.minimumAge, Literal("6 Months")) in graph
    assert graph.value(node, KG.minimumAgeYears) == Literal(Decimal("0.5"), datatype=XSD.decimal)
    assert graph.value(node, KG.maximumAgeYears).toPython() == Decimal("65.0")


def test_mesh_ancestors_hang_off_the_trial_not_off_each_term() -> None:
    record = next(iter_records([str(EXAMPLES / "NCT04267848.json")]))
    graph = graph_of(record)
    trial = iris.trial_iri("NCT04267848")
    assert (trial, KG.conditionMeshAncestor, MESH.D009369) in graph  # Neoplasms
    assert (trial, KG.conditionMesh, MESH.D002289) in graph
    assert list(graph.subject_objects(URIRef("http://www.w3.org/2004/02/skos/core#broader"))) == []


def test_arms_link_to_the_interventions_they_name() -> None:
    record = next(iter_records([str(EXAMPLES / "NCT04267848.json")]))
    graph = graph_of(record)
    arm_a = iris.arm_iri("NCT04267848", 0)
    linked = {str(graph.value(i, RDFS.label)) for i in graph.objects(arm_a, KG.armIntervention)}
    assert {"Carboplatin", "Cisplatin", "Paclitaxel"} <= linked
    assert list(graph.objects(arm_a, KG.armInterventionName)) == []


def test_interventional_and_observational_types() -> None:
    observational = graph_of(TrialRecord("NCT01234567", SOURCE, study_type="OBSERVATIONAL"))
    assert (iris.trial_iri("NCT01234567"), RDF.type, SCHEMA.MedicalObservationalStudy) in observational
    assert (iris.trial_iri("NCT01234567"), RDF.type, SCHEMA.MedicalTrial) not in observational


def test_provenance_names_the_source_record() -> None:
    graph = graph_of(TrialRecord("NCT01234567", SOURCE))
    (record_node,) = graph.objects(iris.trial_iri("NCT01234567"), PROV.wasDerivedFrom)
    assert graph.value(record_node, KG.sourceFormat) == Literal("ctgov-v2-json")


texts = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40).filter(str.strip)


@settings(max_examples=60, deadline=None)
@given(
    nct=st.from_regex(r"NCT[0-9]{8}", fullmatch=True),
    title=texts,
    conditions=st.lists(texts, max_size=4, unique=True),
    sponsor=texts,
    enrollment=st.integers(min_value=0, max_value=10**7),
    start=st.dates().map(lambda d: d.isoformat()),
)
def test_a_random_record_survives_turtle_and_ntriples_round_trips(
    nct, title, conditions, sponsor, enrollment, start
) -> None:
    record = TrialRecord(
        nct,
        SOURCE,
        title=title,
        conditions=tuple(conditions),
        sponsor=Organization(sponsor),
        enrollment=enrollment,
        start_date=RegistryDate(start),
    )
    graph = bind_prefixes(graph_of(record))
    for rdf_format in ("turtle", "nt"):
        again = Graph().parse(data=graph.serialize(format=rdf_format), format=rdf_format)
        assert isomorphic(graph, again)
    assert graph.value(iris.trial_iri(nct), KG.enrollment).toPython() == enrollment
