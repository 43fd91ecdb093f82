"""Every form a trial record comes in: registry pages in four layouts, legacy XML, API v1 JSON;
doses; one node per trial across formats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import PROV, RDF

from kg.rdf.iris import KG, SCHEMA
from kg.sources import Reject, iter_records
from tests.conftest import FIXTURES, SHARED, needs_shared
from tests.conftest import run_kg as run

SEEDS = FIXTURES / "seeds"


@pytest.fixture(scope="module")
def seeds() -> dict[str, dict]:
    result = run("parse", *sorted(str(p) for p in SEEDS.glob("*.txt")), "--format", "json")
    assert result.exit_code == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 5
    return {Path(r["source"]["path"]).name[:3]: r for r in records}


def test_each_page_layout_is_detected(seeds) -> None:
    layouts = {key: r["source"]["format"] for key, r in seeds.items()}
    assert layouts == {
        "000": "ctgov-page-current", "001": "ctgov-page-classic", "002": "ctgov-page-classic-tabular",
        "003": "ctgov-page-mirror", "004": "ctgov-page-current",
    }  # fmt: skip


def test_current_layout_page_000(seeds) -> None:
    r = seeds["000"]
    assert r["nct_id"] == "NCT06884904"
    assert r["title"] == "Umbilical Cord-derived Mesenchymal Stem Cell Infusion for Treating ACLF"
    assert (r["status"], r["phases"], r["enrollment"], r["study_type"]) == (
        "NOT_YET_RECRUITING",
        ["PHASE2", "PHASE3"],
        96,
        "INTERVENTIONAL",
    )
    assert (r["start_date"], r["completion_date"], r["last_updated"]) == ("2025-04-15", "2028-04-14", "2025-03-19")
    assert (r["allocation"], r["intervention_model"], r["primary_purpose"], r["masking"]) == (
        "RANDOMIZED",
        "PARALLEL",
        "TREATMENT",
        "QUADRUPLE",
    )
    assert r["sponsor"] == {"name": "National Engineering Center of Cell Products", "class": "OTHER"}
    assert r["org_study_id"] == "MSCTACLF-02"
    assert [a["label"] for a in r["arms"]] == [
        "Low-dose experimental group",
        "High-dose experimental group",
        "Low-dose placebo control group",
        "High-dose placebo control group",
    ]  # fmt: skip  (each arm block appears twice on the page: one arm each)
    assert [a["doses"] for a in r["arms"]][:2] == [
        [{"low": 2.0e6, "high": 2.0e6, "unit": "cells/kg", "per": None, "text": "2.0×10^6/kg", "course_total": None,
          "at_70kg": {"low": 1.4e8, "high": 1.4e8, "unit": "cells"}}],
        [{"low": 4.0e6, "high": 4.0e6, "unit": "cells/kg", "per": None, "text": "4.0×10^6/kg", "course_total": None,
          "at_70kg": {"low": 2.8e8, "high": 2.8e8, "unit": "cells"}}],
    ]  # fmt: skip
    assert r["arms"][2]["doses"] == [] and r["arms"][3]["doses"] == []  # "equivalent volume ... calculated at"
    eligibility = r["eligibility"]
    assert (eligibility["min_age"], eligibility["max_age"], eligibility["sex"], eligibility["healthy_volunteers"]) == (
        "18 Years",
        "70 Years",
        "ALL",
        False,
    )
    assert len(eligibility["inclusion"]) == 3 and len(eligibility["exclusion"]) == 11  # numbered from 2 on the page
    assert eligibility["exclusion"][1].startswith("Presence of any of the following complications: <1> Active")
    assert [t["nct_id"] for t in r["related_trials"]] == [
        "NCT05985863",
        "NCT02812121",
        "NCT03668171",
        "NCT06242405",
        "NCT01220492",
    ]
    assert r["related_trials"][1]["title"] == "UC-MSC Infusion for HBV-Related Acute-on-Chronic Liver Failure"
    assert r["conditions"] == [] and r["brief_summary"] is None  # empty sections on the page


def test_classic_layout_page_001(seeds) -> None:
    r = seeds["001"]
    assert (r["nct_id"], r["status"], r["phases"], r["study_type"]) == (
        "NCT04822922",
        "NOT_YET_RECRUITING",
        ["PHASE2"],
        "INTERVENTIONAL",
    )
    assert (r["first_posted"], r["last_updated"], r["status_verified"]) == ("2021-03-30", "2021-07-21", "2021-07")
    assert (r["start_date"], r["start_date_type"], r["completion_date"]) == ("2021-09-30", "ESTIMATED", "2024-07-21")
    assert (r["enrollment"], r["enrollment_type"], r["allocation"], r["masking"]) == (
        16,
        "ESTIMATED",
        "NON_RANDOMIZED",
        "NONE",
    )
    assert r["conditions"] == ["Acute-On-Chronic Liver Failure"]
    assert r["interventions"][0]["type"] == "GENETIC"
    assert [(a["label"], a["type"]) for a in r["arms"]] == [
        ("low dose", "EXPERIMENTAL"),
        ("middle dose", "EXPERIMENTAL"),
        ("high dose", "EXPERIMENTAL"),
    ]
    assert [(a["doses"][0]["low"], a["doses"][0]["unit"], a["doses"][0]["per"]) for a in r["arms"]] == [
        (4e5, "cells/kg", "dose"), (8e5, "cells/kg", "dose"), (1.2e6, "cells/kg", "dose"),
    ]  # fmt: skip
    assert r["keywords"] == ["ACLF", "mesenchymal stem cell", "safety"]
    assert [m["term"] for m in r["mesh_terms"]][:2] == ["Liver Failure", "Hepatic Insufficiency"]
    assert r["locations"] == [
        {
            "facility": "Ren Ji Hospital, School of Medicine, Shanghai Jiao TongUniversity",
            "city": "Shanghai",
            "state": "Shanghai",
            "country": "China",
            "zip_code": None,
            "status": None,
        }
    ]
    assert [(o["kind"], o["measure"], o["time_frame"]) for o in r["outcomes"]] == [
        ("primary", "Safety of treatment", "1 month since intervention start"), ("secondary", "Short-time efficacy of treatment", "90 days"),
    ]  # fmt: skip
    assert r["eligibility"]["inclusion"][0] == "Age 18-70 years old;" and len(r["eligibility"]["exclusion"]) == 8
    assert r["org_study_id"] == "MSC-ACLF-1"


def test_contacts_stay_out_unless_asked_for(seeds) -> None:
    assert all(r["contacts"] == [] for r in seeds.values())
    result = run("parse", str(SEEDS / "001_d4c7e1b11f621d26.txt"), "--include-contacts")
    contacts = json.loads(result.stdout)["contacts"]
    assert contacts[0]["name"] == "Hai Li" and contacts[0]["email"] == "haili_17@126.cpm"


def test_classic_tabular_layout_page_002_with_unknown_status(seeds) -> None:
    r = seeds["002"]
    assert (r["nct_id"], r["status"], r["last_known_status"], r["phases"]) == (
        "NCT03668171",
        "UNKNOWN",
        "RECRUITING",
        ["NA"],
    )
    assert (r["start_date"], r["start_date_type"], r["masking"]) == ("2017-12-10", "ACTUAL", "QUADRUPLE")
    assert r["status_verified"] == "2018-09"  # "Verified September 2018 by ..."
    msc, control = r["arms"]
    assert (msc["label"], msc["type"], control["type"]) == ("MSC group", "EXPERIMENTAL", "PLACEBO_COMPARATOR")
    assert msc["doses"] == [
        {"low": 1e5, "high": 1e6, "unit": "cells/kg", "per": None, "text": "0.1-1x10E6 MSCs/kg",
         "course_total": {"low": 3e5, "high": 3e6, "unit": "cells/kg"},  # given at week 0, 1 and 2
         "at_70kg": {"low": 7e6, "high": 7e7, "unit": "cells"}}
    ]  # fmt: skip
    assert msc["schedule"]["weeks"] == [0.0, 1.0, 2.0] and control["doses"] == []
    assert [o["kind"] for o in r["outcomes"]] == [
        "unspecified",
        "unspecified",
    ]  # the page does not say which is primary
    assert r["locations"][0]["city"] == "Xi'an" and r["keywords"] == [
        "Acute-On-Chronic Liver Failure",
        "mesenchymal stem cell",
    ]
    assert len(r["eligibility"]["exclusion"]) == 11


def test_mirror_layout_page_003_has_no_nct_id_and_an_absolute_cell_dose(seeds) -> None:
    r = seeds["003"]
    assert r["nct_id"] == "" and r["status"] is None
    assert r["title"].startswith("Human Umbilical Cord Mesenchymal Stem Cell Transplantation")
    assert (r["study_type"], r["primary_purpose"], r["conditions"]) == (
        "INTERVENTIONAL",
        "TREATMENT",
        ["Acute-On-Chronic Liver Failure"],
    )
    assert [(a["label"], a["type"]) for a in r["arms"]] == [
        ("Group Control", "PLACEBO_COMPARATOR"),
        ("Group MSC-1", "EXPERIMENTAL"),
        ("Group MSC-2", "EXPERIMENTAL"),
    ]
    assert r["arms"][1]["doses"][0]["low"] == 1.5e8 and r["arms"][1]["doses"][0]["unit"] == "cells"
    assert r["arms"][2]["schedule"]["weeks"] == [4.0, 5.0]
    assert (r["eligibility"]["min_age"], r["eligibility"]["max_age"]) == ("18 Years", "70 Years")
    assert r["locations"][0]["facility"] == "the Fifth Medical Center, Chinese PLA General Hospital"


def test_current_layout_page_004_schedule_and_responsible_party(seeds) -> None:
    r = seeds["004"]
    assert (r["nct_id"], r["status"], r["last_updated"]) == ("NCT03945487", "UNKNOWN", "2019-05-10")
    arm = r["arms"][0]
    assert arm["interventions"] == ["umbilical cord-derived mesenchymal stem cell"]
    assert arm["doses"][0]["low"] == 1e6 and arm["schedule"]["times"] == 3 and arm["schedule"]["interval_weeks"] == 3.0
    assert r["responsible_party"]["investigator_name"] == "Fu-Sheng Wang"
    assert r["locations"] == [
        {
            "facility": "Beijing 302 Hospital",
            "city": "Beijing",
            "state": None,
            "country": "China",
            "zip_code": None,
            "status": None,
        }
    ]
    assert len(r["related_trials"]) == 5


def test_legacy_xml_fields_equal_the_source() -> None:
    (record,) = list(iter_records([str(FIXTURES / "legacy-xml" / "NCT00000105.xml")]))
    assert (record.nct_id, record.status, record.study_type, record.enrollment) == (
        "NCT00000105",
        "TERMINATED",
        "OBSERVATIONAL",
        112,
    )
    assert (record.start_date.value, record.completion_date.value, record.completion_date.kind) == (
        "2002-07",
        "2012-03",
        "ACTUAL",
    )
    assert (
        record.sponsor.name == "Masonic Cancer Center, University of Minnesota" and record.sponsor.org_class == "OTHER"
    )
    assert [a.label for a in record.arms] == [
        "Arm A: Intracel KLH",
        "Arm B: Biosyn KLH",
        "Arm C: Biosyn KLH with Montanide ISA51",
    ]
    assert record.arms[0].interventions == ("Biological: Intracel KLH Vaccine", "Biological: Tetanus toxoid")
    assert record.eligibility.min_age == "18 Years" and record.eligibility.max_age is None
    assert record.eligibility.healthy_volunteers is True and len(record.eligibility.exclusion) == 7
    assert record.provenance.version_date == "2023-02-03"
    assert [m.term for m in record.mesh_terms] == ["Tetanus"] and record.mesh_terms[0].mesh_id is None


def test_api_v1_display_strings_become_codes_and_iso_dates() -> None:
    (record,) = list(iter_records([str(FIXTURES / "v1" / "NCT03945487.json")]))
    assert (record.status, record.phases, record.masking, record.intervention_model) == (
        "RECRUITING",
        ("PHASE2",),
        "NONE",
        "PARALLEL",
    )
    assert (record.start_date.value, record.start_date.kind, record.last_updated.value) == (
        "2019-05-20",
        "ESTIMATED",
        "2019-05-10",
    )
    assert [(m.mesh_id, m.term) for m in record.mesh_terms] == [("D008103", "Liver Cirrhosis"), ("D005355", "Fibrosis")]
    assert record.arms[0].doses[0].low == 1e6  # from the intervention text "1.0*10E6 UC-MSC/kg"
    assert record.provenance.version_date == "2022-10-10"


def test_bad_input_of_each_kind_is_named_with_its_reason() -> None:
    rejects = {Path(r.path).name: r for r in iter_records([str(FIXTURES / "bad")]) if isinstance(r, Reject)}
    assert rejects["truncated.xml"].reason == "malformed-xml"
    assert rejects["external-entity.xml"].reason == "unsafe-xml"
    assert rejects["billion-laughs.xml"].reason == "unsafe-xml"
    assert rejects["page-of-another-site.html"].reason == "unknown-format"
    assert (
        "no known layout" in rejects["page-of-another-site.html"].message
        or "any known layout" in rejects["page-of-another-site.html"].message
    )
    assert rejects["v1-missing-keys-unknown-status.json"].reason == "unknown-status"
    assert rejects["v1-missing-keys-unknown-status.json"].nct_id == "NCT99999902"


def test_building_the_seeds_gives_one_node_per_trial_and_attaches_the_mirror_page(tmp_path: Path) -> None:
    output = tmp_path / "seeds.ttl"
    result = run("build", str(SEEDS), "-o", str(output))
    assert result.exit_code == 0, result.stderr
    assert "1 matched to a trial by title, 0 unresolved" in result.stderr
    graph = Graph().parse(output)
    studies = set(graph.subjects(PROV.wasDerivedFrom, None))  # trials with a record of their own
    assert {str(s).rsplit("/", 1)[-1] for s in studies} == {
        "NCT06884904",
        "NCT04822922",
        "NCT03668171",
        "NCT05985863",
        "NCT03945487",
    }
    mirror_trial = URIRef("https://clinicaltrials.gov/study/NCT05985863")
    assert graph.value(mirror_trial, KG.nctId) == Literal("NCT05985863")
    related = set(graph.objects(URIRef("https://clinicaltrials.gov/study/NCT06884904"), KG.relatedTrial))
    assert len(related) == 5 and mirror_trial in related
    reference_only = URIRef("https://clinicaltrials.gov/study/NCT06242405")  # typed as every trial, no record
    assert (reference_only, RDF.type, KG.Trial) in graph and (reference_only, RDF.type, SCHEMA.MedicalStudy) in graph
    assert (reference_only, PROV.wasDerivedFrom, None) not in graph
    doses = {float(v) for v in graph.objects(None, SCHEMA.minValue)}
    assert {2e6, 4e6, 4e5, 8e5, 1.2e6, 1e5, 1.5e8, 1e6} <= doses


def test_a_seed_page_and_its_v1_record_merge_into_one_trial(tmp_path: Path) -> None:
    output = tmp_path / "merged.ttl"
    result = run("build", str(SEEDS), str(FIXTURES / "v1"), "-o", str(output))
    assert result.exit_code == 0 and "SHACL: conforms (0 violations" in result.stderr
    graph = Graph().parse(output)
    trial = URIRef("https://clinicaltrials.gov/study/NCT03945487")
    formats = {
        str(graph.value(s, KG.sourceFormat))
        for s in graph.objects(trial, URIRef("http://www.w3.org/ns/prov#wasDerivedFrom"))
    }
    assert formats == {"ctgov-page-current", "ctgov-v1-json"}
    assert len(list(graph.objects(trial, KG.overallStatus))) == 1
    # both say last updated 2019-05-10; UNKNOWN, which the registry sets later, wins the tie over RECRUITING
    assert graph.value(trial, KG.overallStatus) == Literal("UNKNOWN")
    assert (trial, KG.conditionMesh, URIRef("http://id.nlm.nih.gov/mesh/D008103")) in graph
    assert len(set(graph.subjects(PROV.wasDerivedFrom, None))) == 5 + 8 - 3  # three seeds have v1 records


@needs_shared
def test_all_852_xml_and_462_v1_records_parse_with_nothing_skipped() -> None:
    items = list(iter_records([str(SHARED / "legacy-xml"), str(SHARED / "v1-studyfields-json")]))
    assert len(items) == 852 + 462
    assert [i for i in items if isinstance(i, Reject)] == []


@needs_shared
def test_the_seeds_and_the_whole_v1_set_build_with_no_violation(tmp_path: Path) -> None:
    result = run(
        "build", str(SHARED.parent.parent / "seeds"), str(SHARED / "v1-studyfields-json"), "-o", str(tmp_path / "g.ttl")
    )
    assert result.exit_code == 0 and "SHACL: conforms (0 violations" in result.stderr


def test_the_tabular_page_keeps_its_run_together_mesh_rows_as_text(seeds) -> None:
    r = seeds["002"]
    assert r["mesh_term_runs"] == [
        "Liver Failure Hepatic Insufficiency End Stage Liver Disease Acute-On-Chronic Liver Failure"
    ]
    assert r["mesh_ancestor_runs"] == ["Liver Diseases Digestive System Diseases Liver Failure, Acute"]
    assert r["mesh_terms"] == []


def test_run_together_mesh_rows_split_only_into_terms_the_build_knows() -> None:
    from kg.build.merge import split_into_known_terms
    from kg.model.records import MeshTerm

    known = {t.term.casefold(): t for t in (MeshTerm("D008107", "Liver Diseases"), MeshTerm("D004066", "Digestive System Diseases"),
                                             MeshTerm("D017114", "Liver Failure, Acute"), MeshTerm("D017093", "Liver Failure"))}  # fmt: skip
    split = split_into_known_terms("Liver Diseases Digestive System Diseases Liver Failure, Acute", known)
    assert [t.mesh_id for t in split] == ["D008107", "D004066", "D017114"]
    assert split_into_known_terms("Liver Diseases Something Unknown", known) is None


def test_a_tabular_page_gets_mesh_ids_from_another_trials_record_in_the_build(tmp_path: Path) -> None:
    output = tmp_path / "g.ttl"
    page = SEEDS / "002_339b4b2897f858f7.txt"
    result = run("build", str(page), str(FIXTURES / "v1" / "NCT04822922.json"), "-o", str(output))
    assert "that no known terms split, left out: 0" in result.stderr
    graph = Graph().parse(output)
    trial = URIRef("https://clinicaltrials.gov/study/NCT03668171")
    mesh = {
        str(graph.value(m, URIRef("http://www.w3.org/2000/01/rdf-schema#label")))
        for m in graph.objects(trial, KG.conditionMesh)
    }
    assert mesh == {
        "Liver Failure",
        "Hepatic Insufficiency",
        "End Stage Liver Disease",
        "Acute-On-Chronic Liver Failure",
    }
    ancestors = set(graph.objects(trial, KG.conditionMeshAncestor))
    assert URIRef("http://id.nlm.nih.gov/mesh/D008107") in ancestors and len(ancestors) == 3
    alone = run("build", str(page), "--mesh", "none", "-o", str(tmp_path / "alone.ttl"))
    assert "that no known terms split, left out: 2" in alone.stderr
    named_by_mesh = run("build", str(page), "-o", str(tmp_path / "bundled.ttl"))  # MeSH's own names split them
    assert "that no known terms split, left out: 0" in named_by_mesh.stderr
