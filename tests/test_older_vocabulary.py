"""The registry's older vocabulary (legacy XML from before 2017, and the same wording wherever it appears) is read
as API v2 codes, keeping who is masked and whether a study is a patient registry, on real records."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from pathlib import Path

import pytest
from rdflib import Literal
from rdflib.namespace import XSD

from kg.build.merge import merge_records
from kg.errors import ParseError
from kg.model.records import Provenance, TrialRecord, record_to_dict
from kg.rdf.iris import KG
from kg.rdf.mapping import map_trial
from kg.sources import Reject, ctgov_v2, iter_records
from kg.sources.display import masking_of, study_type_of
from tests.conftest import EXAMPLES, FIXTURES, SHARED, load_json, needs_shared

OLDER = FIXTURES / "legacy-xml-older"
ALL_FOUR = ("PARTICIPANT", "CARE_PROVIDER", "INVESTIGATOR", "OUTCOMES_ASSESSOR")


def parsed(nct_id: str) -> TrialRecord:
    (record,) = iter_records([str(OLDER / f"{nct_id}.xml")])
    assert isinstance(record, TrialRecord), record
    return record


def test_every_copied_older_record_parses() -> None:
    items = list(iter_records([str(OLDER)]))
    assert len(items) == 7 and all(isinstance(i, TrialRecord) for i in items), [
        i for i in items if isinstance(i, Reject)
    ]


def test_open_label_is_masking_none_with_no_one_masked() -> None:
    record = parsed("NCT00500409")  # <masking>Open Label</masking>
    assert (record.masking, record.who_masked) == ("NONE", ())


def test_double_blind_is_double_and_keeps_the_parties_it_names() -> None:
    record = parsed("NCT00501384")  # Double Blind (Participant, Investigator)
    assert (record.masking, record.who_masked) == ("DOUBLE", ("PARTICIPANT", "INVESTIGATOR"))


def test_double_blind_naming_four_parties_stays_double_as_stated_and_keeps_all_four() -> None:
    record = parsed("NCT00501046")  # Double Blind (Participant, Care Provider, Investigator, Outcomes Assessor)
    assert (record.masking, record.who_masked) == ("DOUBLE", ALL_FOUR)


def test_single_blind_is_single_and_keeps_the_outcomes_assessor() -> None:
    record = parsed("NCT00500695")  # Single Blind (Outcomes Assessor)
    assert (record.masking, record.who_masked) == ("SINGLE", ("OUTCOMES_ASSESSOR",))


def test_a_bare_list_of_masked_parties_is_counted_as_the_registry_counts_them() -> None:
    record = parsed("NCT00500331")  # <masking>Participant, Investigator</masking>
    assert (record.masking, record.who_masked) == ("DOUBLE", ("PARTICIPANT", "INVESTIGATOR"))


@pytest.mark.parametrize(
    ("wording", "expected"),
    [
        ("Outcomes Assessor", ("SINGLE", ("OUTCOMES_ASSESSOR",))),
        ("Participant, Investigator", ("DOUBLE", ("PARTICIPANT", "INVESTIGATOR"))),
        ("Participant, Care Provider, Investigator", ("TRIPLE", ("PARTICIPANT", "CARE_PROVIDER", "INVESTIGATOR"))),
        ("Participant, Care Provider, Investigator, Outcomes Assessor", ("QUADRUPLE", ALL_FOUR)),
        ("None (Open Label)", ("NONE", ())),
        ("Open Label", ("NONE", ())),
        ("Double", ("DOUBLE", ())),
        ("Quadruple (Participant, Care Provider, Investigator, Outcomes Assessor)", ("QUADRUPLE", ALL_FOUR)),
        ("Single Blind (Outcomes Assessor)", ("SINGLE", ("OUTCOMES_ASSESSOR",))),
        ("Double Blind (Subject, Caregiver)", ("DOUBLE", ("PARTICIPANT", "CARE_PROVIDER"))),
        ("QUADRUPLE", ("QUADRUPLE", ())),
        ("", (None, ())),
    ],
)
def test_every_masking_wording_reads_as_a_code_and_who_is_masked(wording: str, expected: tuple) -> None:
    assert masking_of(wording, "masking", None) == expected


@pytest.mark.parametrize("wording", ["Blindfolded", "Double (Participant, Statistician)", "Participant, Nobody"])
def test_a_masking_the_registry_never_wrote_is_still_an_unknown_code(wording: str) -> None:
    with pytest.raises(ParseError) as raised:
        masking_of(wording, "masking", "NCT00000001")
    assert raised.value.reason == "unknown-code" and raised.value.nct_id == "NCT00000001"


@pytest.mark.parametrize("nct_id", ["NCT00499941", "NCT00500123"])  # downloaded in 2023 and in 2017
def test_observational_patient_registry_is_observational_and_a_patient_registry(nct_id: str) -> None:
    record = parsed(nct_id)
    assert (record.study_type, record.patient_registry) == ("OBSERVATIONAL", True)


def test_a_study_type_without_the_bracket_does_not_say_whether_it_is_a_registry() -> None:
    assert study_type_of("Observational", "study type", None) == ("OBSERVATIONAL", None)
    assert study_type_of("Interventional (Clinical Trial)", "Study Type", None) == ("INTERVENTIONAL", None)
    with pytest.raises(ParseError, match="not a known registry value"):
        study_type_of("Observational [Cohort]", "study type", None)


def test_the_detail_is_in_the_json_view_and_in_the_graph() -> None:
    masked, registry = parsed("NCT00501384"), parsed("NCT00499941")
    assert record_to_dict(masked)["who_masked"] == ["PARTICIPANT", "INVESTIGATOR"]
    assert record_to_dict(masked)["patient_registry"] is None
    assert record_to_dict(registry)["patient_registry"] is True
    masked_triples = set(map_trial(masked).rdflib())
    assert {o for _s, p, o in masked_triples if p == KG.whoMasked} == {Literal("PARTICIPANT"), Literal("INVESTIGATOR")}
    assert not any(p == KG.patientRegistry for _s, p, _o in masked_triples)
    registry_values = [o for _s, p, o in map_trial(registry).rdflib() if p == KG.patientRegistry]
    assert registry_values == [Literal(True, datatype=XSD.boolean)]


def test_api_v2_who_masked_and_patient_registry_are_read_as_given() -> None:
    (masked,) = iter_records([str(EXAMPLES / "NCT01499641.json")])
    assert isinstance(masked, TrialRecord)
    assert (masked.masking, masked.who_masked) == ("DOUBLE", ("PARTICIPANT", "OUTCOMES_ASSESSOR"))
    (observational,) = iter_records([str(EXAMPLES / "NCT00934284.json")])
    assert isinstance(observational, TrialRecord) and observational.patient_registry is False
    study = copy.deepcopy(load_json(EXAMPLES / "NCT00934284.json"))
    study["protocolSection"]["designModule"]["patientRegistry"] = True
    assert ctgov_v2.parse(study, Provenance("x", "x.json", 0)).patient_registry is True


def test_an_api_v2_party_outside_the_code_list_is_an_unknown_code() -> None:
    study = copy.deepcopy(load_json(EXAMPLES / "NCT01499641.json"))
    study["protocolSection"]["designModule"]["designInfo"]["maskingInfo"]["whoMasked"] = ["Participant"]
    with pytest.raises(ParseError) as raised:
        ctgov_v2.parse(study, Provenance("x", "x.json", 0))
    assert raised.value.reason == "unknown-code" and "whoMasked" in raised.value.message


def test_api_v1_design_who_masked_is_read_as_codes() -> None:
    (record,) = iter_records([str(FIXTURES / "v1" / "NCT03668171.json")])
    assert isinstance(record, TrialRecord)
    assert (record.masking, record.who_masked, record.patient_registry) == ("QUADRUPLE", ALL_FOUR, None)


def test_a_classic_page_keeps_who_is_masked() -> None:
    (record,) = iter_records([str(FIXTURES / "seeds" / "002_339b4b2897f858f7.txt")])
    assert isinstance(record, TrialRecord)
    assert (record.masking, record.who_masked) == ("QUADRUPLE", ALL_FOUR)


def test_merging_carries_who_is_masked_and_patient_registry_like_other_fields() -> None:
    xml = parsed("NCT00501384")
    newer = replace(xml, provenance=Provenance("ctgov-v2-json", "v2.json", 0), who_masked=(), patient_registry=False)
    merged = merge_records([xml, newer])
    assert merged.who_masked == ("PARTICIPANT", "INVESTIGATOR")  # the only record that says
    assert merged.patient_registry is False  # `false` is a value, not a gap


@needs_shared
def test_no_shared_legacy_xml_record_is_rejected_for_an_unknown_code() -> None:
    folders = [SHARED / "legacy-xml", SHARED / "relatedness" / "records" / "legacy-xml"]
    items = list(iter_records([str(f) for f in folders]))
    rejects = [i for i in items if isinstance(i, Reject)]
    assert [(r.path, r.message) for r in rejects if r.reason == "unknown-code"] == []
    assert len(items) == sum(len(list(f.glob("*.xml"))) for f in folders)


@needs_shared
def test_shared_api_v2_and_v1_records_give_who_masked_and_patient_registry_as_their_json_says() -> None:
    for path in sorted((SHARED / "v2-json").glob("*.json")):
        (record,) = iter_records([str(path)])
        assert isinstance(record, TrialRecord)
        design = load_json(path)["protocolSection"].get("designModule", {})
        assert list(record.who_masked) == design.get("designInfo", {}).get("maskingInfo", {}).get("whoMasked", [])
        assert record.patient_registry == design.get("patientRegistry")
    for path in sorted((SHARED / "v1-studyfields-json").glob("*.json")):
        (record,) = iter_records([str(path)])
        assert isinstance(record, TrialRecord)
        fields = json.loads(Path(path).read_text())
        names = [n.upper().replace(" ", "_") for n in fields.get("DesignWhoMasked", [])]
        assert list(record.who_masked) == names
        assert record.patient_registry == {"Yes": True, "No": False}.get(
            next(iter(fields.get("PatientRegistry", [])), "")
        )
