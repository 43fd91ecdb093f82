"""`kg parse` on real API v2 records gives back exactly what the source JSON says, field by field."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from kg.cli import main
from kg.model.codes import normalize_mesh_id
from kg.model.records import record_to_dict
from kg.sources import iter_records
from tests.conftest import EXAMPLES, example_paths, load_json

REQUIRED_KEYS = {
    "nct_id", "title", "official_title", "status", "phases", "study_type", "enrollment", "start_date",
    "primary_completion_date", "completion_date", "first_posted", "last_updated", "allocation",
    "intervention_model", "masking", "primary_purpose", "sponsor", "collaborators", "conditions", "keywords",
    "mesh_terms", "interventions", "arms", "eligibility", "locations", "secondary_ids", "related_trials",
    "brief_summary", "last_known_status", "enrollment_type", "responsible_party", "outcomes", "source",
}  # fmt: skip


def parsed_examples() -> dict[str, dict]:
    result = CliRunner().invoke(main, ["parse", str(EXAMPLES)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    return {record["nct_id"]: record for record in lines}


@pytest.fixture(scope="module")
def parsed() -> dict[str, dict]:
    return parsed_examples()


def test_parse_prints_one_record_per_example_with_every_documented_key(parsed: dict[str, dict]) -> None:
    assert len(parsed) == len(example_paths())
    for record in parsed.values():
        assert REQUIRED_KEYS <= set(record)
        assert set(record["eligibility"]) >= {
            "min_age",
            "max_age",
            "sex",
            "healthy_volunteers",
            "inclusion",
            "exclusion",
        }


@pytest.mark.parametrize("path", example_paths(), ids=lambda p: p.stem)
def test_parsed_fields_equal_the_source_json(path, parsed: dict[str, dict]) -> None:
    source = load_json(path)
    protocol = source["protocolSection"]
    record = parsed[path.stem]
    ident, status, design = protocol["identificationModule"], protocol["statusModule"], protocol["designModule"]
    info = design.get("designInfo", {})
    assert record["nct_id"] == ident["nctId"]
    assert record["title"] == ident["briefTitle"]
    assert record["official_title"] == ident.get("officialTitle")
    assert record["status"] == status["overallStatus"]
    assert record["last_known_status"] == status.get("lastKnownStatus")
    assert record["phases"] == design.get("phases", [])
    assert record["study_type"] == design["studyType"]
    assert record["enrollment"] == design.get("enrollmentInfo", {}).get("count")
    assert record["enrollment_type"] == design.get("enrollmentInfo", {}).get("type")
    assert record["start_date"] == status.get("startDateStruct", {}).get("date")
    assert record["primary_completion_date"] == status.get("primaryCompletionDateStruct", {}).get("date")
    assert record["completion_date"] == status.get("completionDateStruct", {}).get("date")
    assert record["first_posted"] == status["studyFirstPostDateStruct"]["date"]
    assert record["last_updated"] == status["lastUpdatePostDateStruct"]["date"]
    assert record["status_verified"] == status.get("statusVerifiedDate")
    assert record["allocation"] == info.get("allocation")
    assert record["intervention_model"] == info.get("interventionModel")
    assert record["masking"] == info.get("maskingInfo", {}).get("masking")
    assert record["primary_purpose"] == info.get("primaryPurpose")
    sponsors = protocol["sponsorCollaboratorsModule"]
    assert record["sponsor"] == {"name": sponsors["leadSponsor"]["name"], "class": sponsors["leadSponsor"].get("class")}
    assert [c["name"] for c in record["collaborators"]] == [c["name"] for c in sponsors.get("collaborators", [])]
    assert record["conditions"] == protocol["conditionsModule"]["conditions"]
    assert record["keywords"] == protocol["conditionsModule"].get("keywords", [])
    browse = source.get("derivedSection", {}).get("conditionBrowseModule", {})
    assert record["mesh_terms"] == [
        {"id": normalize_mesh_id(m["id"]), "term": m["term"]} for m in browse.get("meshes", [])
    ]
    assert [m["term"] for m in record["mesh_ancestors"]] == [m["term"] for m in browse.get("ancestors", [])]
    arms_module = protocol.get("armsInterventionsModule", {})
    assert [(i["type"], i["name"]) for i in record["interventions"]] == [
        (i["type"], i["name"]) for i in arms_module.get("interventions", [])
    ]
    assert [(a["label"], a["type"], a["interventions"]) for a in record["arms"]] == [
        (a["label"], a.get("type"), a.get("interventionNames", [])) for a in arms_module.get("armGroups", [])
    ]
    eligibility = protocol["eligibilityModule"]
    assert record["eligibility"]["min_age"] == eligibility.get("minimumAge")
    assert record["eligibility"]["max_age"] == eligibility.get("maximumAge")
    assert record["eligibility"]["sex"] == eligibility.get("sex")
    assert record["eligibility"]["healthy_volunteers"] == eligibility.get("healthyVolunteers")
    locations = protocol.get("contactsLocationsModule", {}).get("locations", [])
    assert [(loc["facility"], loc["city"], loc["country"]) for loc in record["locations"]] == [
        (loc.get("facility"), loc.get("city"), loc.get("country")) for loc in locations
    ]
    outcomes = protocol.get("outcomesModule", {})
    assert [o["measure"] for o in record["outcomes"] if o["kind"] == "primary"] == [
        o["measure"] for o in outcomes.get("primaryOutcomes", [])
    ]
    assert [s["id"] for s in record["secondary_ids"]] == [s["id"] for s in ident.get("secondaryIdInfos", [])]
    assert record["related_trials"] == []
    assert record["source"]["format"] == "ctgov-v2-json"
    assert record["source"]["version_date"] == source["derivedSection"]["miscInfoModule"]["versionHolder"]


def test_eligibility_items_of_a_real_record_are_split_into_inclusion_and_exclusion(parsed: dict[str, dict]) -> None:
    alchemist = parsed["NCT04267848"]["eligibility"]
    source = load_json(EXAMPLES / "NCT04267848.json")["protocolSection"]["eligibilityModule"]["eligibilityCriteria"]
    assert alchemist["inclusion"] and alchemist["exclusion"] == []  # this record lists only inclusion criteria
    assert alchemist["inclusion"][0] in source.replace("\\", "")
    observational = parsed["NCT02663973"]["eligibility"]
    assert observational["inclusion"][0] == "Woman ≥ 18 years old"
    assert observational["sex"] == "FEMALE" and observational["max_age"] is None


def test_partial_dates_are_kept_as_the_registry_gives_them(parsed: dict[str, dict]) -> None:
    month_only = [r for r in parsed.values() if r["start_date"] and len(r["start_date"]) == 7]
    assert month_only, "the examples include a start date given as a year and month"


def test_missing_values_are_null_or_empty_never_invented() -> None:
    record = next(iter_records([str(EXAMPLES / "NCT02663973.json")]))
    data = record_to_dict(record)
    assert data["arms"] == [] and data["interventions"] == []
    assert data["allocation"] is None and data["phases"] == []
