"""Numeric eligibility thresholds read from criteria text, and their scoring against hand-labelled gold.

The criterion strings are the hard cases listed in the gold's README (shared/data/ctgov/gold/README-eligibility.md).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from kg.evaluation.thresholds import _score_record, score_thresholds
from kg.model.records import Eligibility, Provenance, TrialRecord, record_to_dict
from kg.model.thresholds import Threshold, add_thresholds, patient_value, read_thresholds
from kg.sources.criteria import split_criteria

FIXTURES = Path(__file__).parent / "fixtures" / "thresholds"


def read(text: str, side: str = "inclusion") -> list[tuple[object, ...]]:
    """(variable, side, comparator, value or (low, high)) of every threshold one item gives."""
    items = {"inclusion": (text,), "exclusion": ()} if side == "inclusion" else {"inclusion": (), "exclusion": (text,)}
    eligibility = Eligibility(inclusion=items["inclusion"], exclusion=items["exclusion"])
    return [_short(t) for t in read_thresholds(eligibility)]


def _short(threshold: Threshold) -> tuple[object, ...]:
    amount = (threshold.low, threshold.high) if threshold.comparator == "between" else threshold.value
    return (threshold.variable, threshold.side, threshold.comparator, amount)


def only(text: str, side: str = "inclusion") -> Threshold:
    eligibility = Eligibility(inclusion=(text,)) if side == "inclusion" else Eligibility(exclusion=(text,))
    (threshold,) = read_thresholds(eligibility)
    return threshold


# --- sides and comparators ----------------------------------------------------------------------------


def test_an_exclusion_keeps_its_side_and_comparator() -> None:
    assert read("INR \\> 2.5", "exclusion") == [("inr", "exclusion", ">", 2.5)]


def test_a_must_not_have_sentence_is_an_exclusion_even_in_the_inclusion_list() -> None:
    text = "Patients must not have a history of congestive heart failure with an LVEF less than 40%."
    assert read(text) == [("lvef", "exclusion", "<", 40.0)]


def test_an_are_excluded_aside_excludes_only_what_it_holds() -> None:
    text = (
        "Child-Pugh class A with a WHO/ECOG PS of 2 at enrolment, without main trunk portal vein thrombosis "
        "(ie, ECOG PS 2 participants with main portal vein tumour thrombosis are excluded from this study)."
    )
    assert read(text) == [
        ("child_pugh_class", "inclusion", "=", "A"),
        ("ecog", "inclusion", "=", 2.0),
        ("ecog", "exclusion", "=", 2.0),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("LVEF﹤50%", ("lvef", "inclusion", "<", 50.0)),
        ("Total bilirubin >/=3 mg/dL", ("total_bilirubin", "inclusion", ">=", 3.0)),
        ("Hemoglobin \\<= 9 g/dL", ("hemoglobin", "inclusion", "<=", 9.0)),
        ("Bilirubin no greater than 1.5 mg/dL", ("total_bilirubin", "inclusion", "<=", 1.5)),
        ("total bilirubin levels of 5 mg/dl or more", ("total_bilirubin", "inclusion", ">=", 5.0)),
        ("Platelet count smaller than 50,000/mm3", ("platelets", "inclusion", "<", 50000.0)),
        ("Serum creatinine exceeds 2.0 mg/dL", ("creatinine", "inclusion", ">", 2.0)),
        ("arterial systolic blood pressure equal to or below 70 mmHg", ("systolic_bp", "inclusion", "<=", 70.0)),
        ("Creatinine clearance greater than or equal to 60 mL/min", ("creatinine_clearance", "inclusion", ">=", 60.0)),
        ("Child-Pugh score of 7 or more", ("child_pugh_score", "inclusion", ">=", 7.0)),
        ("Age: 18 and over", ("age", "inclusion", ">=", 18.0)),
        ("Patients must be 18 years of age or older.", ("age", "inclusion", ">=", 18.0)),
    ],
)
def test_comparator_glyphs_and_words_are_read(text: str, expected: tuple[object, ...]) -> None:
    assert read(text) == [expected]


def test_two_clauses_of_a_restated_range_stay_two_entries() -> None:
    assert read("Patients less than age 18 or over 70 years of age.", "exclusion") == [
        ("age", "exclusion", "<", 18.0),
        ("age", "exclusion", ">", 70.0),
    ]
    assert read("Be less than 20 years old or more than 60 years old", "exclusion") == [
        ("age", "exclusion", "<", 20.0),
        ("age", "exclusion", ">", 60.0),
    ]


# --- numbers and units --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["ANC≥1.5×109/L", "Neutrophil count ≥ 1.5x 109 /L", "ANC ≥ 1.5 × 10E9/L", "ANC ≥ 1.5 × 10\\^9/L"]
)
def test_lost_superscript_109_per_litre_is_ten_to_the_ninth(text: str) -> None:
    threshold = only(text)
    assert (threshold.variable, threshold.value, threshold.unit_normalized) == ("anc", 1.5, "10*9/L")
    assert threshold.value_normalized == 1.5


def test_thousands_separators_are_read_and_counts_per_mm3_become_ten_to_the_ninth_per_litre() -> None:
    dotted = only("Platelet count more than 30.000 mm3")
    assert (dotted.value, dotted.value_normalized, dotted.unit_normalized) == (30000.0, 30.0, "10*9/L")
    comma = only("Absolute neutrophil count at least 1,500/mm3")
    assert (comma.comparator, comma.value, comma.value_normalized) == (">=", 1500.0, 1.5)
    assert only("a white blood count greater than 3000/micro liters").value_normalized == 3.0


def test_bilirubin_in_micromol_per_litre_is_normalized_to_mg_per_dl() -> None:
    threshold = only("TB≥171 μmol/L")
    assert (threshold.variable, threshold.unit, threshold.unit_normalized) == ("total_bilirubin", "μmol/L", "mg/dL")
    assert threshold.value_normalized == pytest.approx(10.0)
    misspelt = only("total bilirubin (TBIL) ≥170 µmo1/L")
    assert misspelt.value_normalized == pytest.approx(170 / 17.1, rel=1e-4)


def test_creatinine_in_micromolar_and_albumin_in_grams_per_litre_are_normalized() -> None:
    creatinine = only("S-creatinine >130μM", "exclusion")
    assert (creatinine.unit_normalized, creatinine.value_normalized) == ("mg/dL", pytest.approx(130 / 88.4, rel=1e-4))
    albumin = only("albumin ≥ 35 g/litre")
    assert (albumin.unit, albumin.unit_normalized, albumin.value_normalized) == ("g/litre", "g/dL", 3.5)


def test_a_value_with_no_unit_is_kept_as_written() -> None:
    threshold = only("Platelet count of > 80,000")
    assert (threshold.value, threshold.unit, threshold.value_normalized) == (80000.0, "", 80.0)
    assert only("bilirubin less than 2.0").unit == ""


def test_a_list_number_glued_to_a_range_is_not_part_of_it() -> None:
    assert read("4.18-65 years of age") == [("age", "inclusion", "between", (18.0, 65.0))]


# --- ULN multiples ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "variable", "value"),
    [
        ("serum total bilirubin [TBil] ≥10 X the upper limit of normal", "total_bilirubin", 10.0),
        ("total bilirubin ≥ 10×ULN umol/L", "total_bilirubin", 10.0),
        ("TBIL≤1.5ULN;", "total_bilirubin", 1.5),
        ("ALT > 3 times normal", "alt", 3.0),
        ("Hepatic disease, ALAT > 2 x normal.", "alt", 2.0),
        ("ALT greater than three times the ULN", "alt", 3.0),
        ("serum creatinine ≥ 1.2 times upper normal limit", "creatinine", 1.2),
        ("total bilirubin smaller than 10 times of the upper limit of normal value", "total_bilirubin", 10.0),
        ("INR \\> 1.5 ULN", "inr", 1.5),
    ],
)
def test_every_multiple_of_the_upper_limit_of_normal_is_x_uln(text: str, variable: str, value: float) -> None:
    threshold = only(text)
    assert (threshold.variable, threshold.value, threshold.unit, threshold.unit_normalized) == (
        variable,
        value,
        "x ULN",
        "x ULN",
    )


# --- one clause, several variables ---------------------------------------------------------------------


def test_one_bound_named_for_two_variables_gives_each_its_own() -> None:
    assert read("ALT and AST≤2.5ULN") == [("alt", "inclusion", "<=", 2.5), ("ast", "inclusion", "<=", 2.5)]
    assert read("SGOT or SGPT > 2.5 x ULN", "exclusion") == [
        ("ast", "exclusion", ">", 2.5),
        ("alt", "exclusion", ">", 2.5),
    ]
    assert read("transaminases > 3 times", "exclusion") == [
        ("alt", "exclusion", ">", 3.0),
        ("ast", "exclusion", ">", 3.0),
    ]


def test_a_second_bound_after_a_clause_break_keeps_the_names_of_the_first() -> None:
    assert read("AST and ALT ≤ 2.5 × ULN; ≤ 5 × ULN in the presence of liver metastases") == [
        ("ast", "inclusion", "<=", 2.5),
        ("alt", "inclusion", "<=", 2.5),
        ("ast", "inclusion", "<=", 5.0),
        ("alt", "inclusion", "<=", 5.0),
    ]


def test_blood_pressure_pairs_and_named_pressures_are_systolic_and_diastolic() -> None:
    expected = [("systolic_bp", "exclusion", ">", 160.0), ("diastolic_bp", "exclusion", ">", 100.0)]
    assert read("blood pressure >160/100 mm Hg", "exclusion") == expected
    assert read("blood pressure greater than 160 mmHg systolic or 100 mmHg diastolic", "exclusion") == expected


def test_each_variable_of_a_clause_takes_its_own_value() -> None:
    assert read("Body weight >150 kg or BMI>50", "exclusion") == [
        ("weight", "exclusion", ">", 150.0),
        ("bmi", "exclusion", ">", 50.0),
    ]
    assert read("platelet≤50,000/mm3 and INR≥1.5") == [
        ("platelets", "inclusion", "<=", 50000.0),
        ("inr", "inclusion", ">=", 1.5),
    ]


# --- ranges -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Age 18~65 years old", ("age", (18.0, 65.0))),
        ("Aged 18 to 75 years (including 18 and 75 years)", ("age", (18.0, 75.0))),
        ("Age ≥ 18 , ≤70", ("age", (18.0, 70.0))),
        ("17≤MELD score≤30", ("meld", (17.0, 30.0))),
        ("Child-Pugh scores of ≥7 and <14", ("child_pugh_score", (7.0, 14.0))),
        ("MELD >10 but below 20", ("meld", (10.0, 20.0))),
        ("ECOG performance standard of 0, 1 or 2", ("ecog", (0.0, 2.0))),
        ("18 years old ≤ age ≤ 70 years old", ("age", (18.0, 70.0))),
        ("White blood cell counts: between 4,500 to 11,000 per microliter", ("wbc", (4500.0, 11000.0))),
        ("End-stage liver disease scores ranging from 17-30", ("meld", (17.0, 30.0))),
        ("All subjects will be between 18 and 70 years.", ("age", (18.0, 70.0))),
    ],
)
def test_two_sided_ranges_written_in_one_clause_are_between(text: str, expected: tuple[object, ...]) -> None:
    variable, (low, high) = expected  # type: ignore[misc]
    assert read(text) == [(variable, "inclusion", "between", (low, high))]


def test_written_bound_operators_of_a_range_are_kept() -> None:
    threshold = only("20%<PTA≤40%")
    assert (threshold.variable, threshold.low_op, threshold.high_op) == ("prothrombin_activity", ">", "<=")
    assert only("Aged 18 to 75 years (including 18 and 75 years)").low_op == ">="


def test_a_lower_and_an_upper_bound_joined_by_or_stay_two_entries() -> None:
    assert read("Body Mass Index < 14 or >35", "exclusion") == [
        ("bmi", "exclusion", "<", 14.0),
        ("bmi", "exclusion", ">", 35.0),
    ]


# --- Child-Pugh class and score -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "letters"),
    [
        ("a Child Pugh score of B", ["B"]),
        ("child Pugh grade A", ["A"]),
        ("Child class B or C", ["B", "C"]),
        ("Decompensated liver disease (Child classification B or C)", ["B", "C"]),
        ("the liver function grade was child-pugh B or child-pugh C", ["B", "C"]),
    ],
)
def test_a_child_pugh_letter_is_a_class(text: str, letters: list[str]) -> None:
    assert read(text) == [("child_pugh_class", "inclusion", "=", letter) for letter in letters]


def test_b7_or_b8_is_class_b_and_a_score_range() -> None:
    assert read("Child-Pugh score B7 or B8") == [
        ("child_pugh_class", "inclusion", "=", "B"),
        ("child_pugh_score", "inclusion", "between", (7.0, 8.0)),
    ]


def test_a_child_pugh_number_is_a_score() -> None:
    assert read("Child-Turcotte-Pugh (CTP) score 7 to 12 points.") == [
        ("child_pugh_score", "inclusion", "between", (7.0, 12.0))
    ]
    assert read("Child-Pugh score ≥7 (Child-Pugh B)") == [
        ("child_pugh_score", "inclusion", ">=", 7.0),
        ("child_pugh_class", "inclusion", "=", "B"),
    ]


def test_a_class_compared_with_no_letter_of_its_own_gives_nothing() -> None:
    assert read("the liver function remained below Child-pugh A grade") == []


# --- what is not a threshold ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "(MELD(i) = 0.957 × ln(Cr) + 0.378 × ln(bilirubin) + 1.120 × ln(INR) + 0.643)",
        "Detectable serum quantitative HCV-RNA (Cobas Taqman HCV Monitor v2.0) with dynamic range 25- 391000000 IU/ml",
        "Possession of a smartphone (iPhone6s or newer with iOS version 15.6 or above; Android version 6 or above)",
        "Patients with hepatic malignancy experiencing ALF have 100% mortality.",
        "This is a phase III blinded study, which will involve approximately 200 patients.",
        "Use of human serum albumin within 3 weeks prior to clinical registration",
        "Spot urine albumin:creatinine ≥30 mg/g unless on RAAS inhibition",
        "4 Participated in any other drug clinical study before the first dose;",
        "Drug abuse in the past 5 years",
        "History of hepatic encephalopathy within the last 3 months",
        "Alcohol abuse within 6 months before screening",
        "Insulin > 50 units/day",
        "agree to use contraception or abstinence for 3 months after the last dose",
    ],
)
def test_numbers_that_are_not_thresholds_give_none(text: str) -> None:
    assert read(text) == []


def test_a_meld_formula_gives_no_threshold_but_the_range_before_it_does() -> None:
    text = "MELD score between 17-30. (MELD(i) = 0.957 × ln(Cr) + 0.378 × ln(bilirubin) + 1.120 × ln(INR) + 0.643)"
    assert read(text) == [("meld", "inclusion", "between", (17.0, 30.0))]


def test_hba1c_is_not_hemoglobin() -> None:
    for text in ("Hemoglobin A1c≥11%", "HgbA1c >12%", "A1c \\>9.5%"):
        assert [t[0] for t in read(text, "exclusion")] == ["hba1c"]


def test_a_daily_rise_is_a_rate_not_a_level() -> None:
    assert read("total bilirubin (TBIL) ≥170 µmo1/L or daily increase of TBIL ≥17.1 µmo1/L") == [
        ("total_bilirubin", "inclusion", ">=", 170.0)
    ]
    assert read("TB≥171 μmol/L or ascend ≥17.1 μmol/L/per day,") == [("total_bilirubin", "inclusion", ">=", 171.0)]
    assert read("eGFR decline of 5 ml/min over 18 months or 10 ml/min over 3 years") == []


def test_a_prothrombin_time_in_percent_is_an_activity() -> None:
    assert read("prothrombin time <40%", "exclusion") == [("prothrombin_activity", "exclusion", "<", 40.0)]


def test_a_bound_restated_in_a_second_unit_is_one_threshold() -> None:
    text = "HBV-DNA \\> 1000 IU/mL or \\> 2500 copies/mL"
    assert read(text, "exclusion") == [("hbv_dna", "exclusion", ">", 1000.0)]


# --- records ------------------------------------------------------------------------------------------


# --- general rules developed on kg's own gold (gold/eligibility-extra.json) ----------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Child under the age of 16 years at recruitment", ("age", "inclusion", "<", 16.0)),
        ("Patients over the age of 18 years", ("age", "inclusion", ">", 18.0)),
        ("Baseline creatinine greater or equal to 1.0 mg/dl", ("creatinine", "inclusion", ">=", 1.0)),
        ("Known cardiac ejection fraction of > or = 45%", ("lvef", "inclusion", ">=", 45.0)),
        ("Patients with minimal weight of 50 KG", ("weight", "inclusion", ">=", 50.0)),
        ("ALT at least twice normal", ("alt", "inclusion", ">=", 2.0)),
    ],
)
def test_more_comparator_words_are_read(text: str, expected: tuple[object, ...]) -> None:
    assert read(text) == [expected]


def test_a_lower_and_an_upper_age_bound_joined_by_and_are_one_range() -> None:
    assert read("Age greater than or equal to 6 and less than 13 years.") == [
        ("age", "inclusion", "between", (6.0, 13.0))
    ]
    assert read("Age 18 years or older and less than 65 years") == [("age", "inclusion", "between", (18.0, 65.0))]
    # a later number of years is not a second bound of the age
    assert read("Age ≥18 years and 2 years since diagnosis") == [("age", "inclusion", ">=", 18.0)]
    assert read("Age ≥ 18 years, and diagnosed with diabetes for ≥ 5 years") == [("age", "inclusion", ">=", 18.0)]


def test_names_listed_with_an_ideographic_comma_share_the_value() -> None:
    assert read("Aspartate aminotransferase(AST)、alanine aminotransferase(ALT) ≤ 2.5×ULN") == [
        ("ast", "inclusion", "<=", 2.5),
        ("alt", "inclusion", "<=", 2.5),
    ]


def test_a_bound_after_a_dash_and_or_keeps_the_names_of_the_first() -> None:
    text = "AST and/or ALT =\\< 3 x upper limit of normal (ULN) - or =\\< 5 x ULN if related to leukemic involvement"
    assert read(text) == [
        ("ast", "inclusion", "<=", 3.0),
        ("alt", "inclusion", "<=", 3.0),
        ("ast", "inclusion", "<=", 5.0),
        ("alt", "inclusion", "<=", 5.0),
    ]


def test_pt_inr_and_activated_partial_prothrombin_time_are_not_a_prothrombin_time() -> None:
    text = "Prothrombin time (PT)-international normalized ratio (INR) < 2,3"
    assert read(text) == [("inr", "inclusion", "<", 2.3)]
    text = "International standardized ratio (INR) < 1.5, and activated partial prothrombin time (APTT) < 1.5×ULN"
    assert read(text) == [("inr", "inclusion", "<", 1.5), ("aptt", "inclusion", "<", 1.5)]


def test_a_urine_protein_to_creatinine_ratio_is_not_creatinine() -> None:
    text = "Nephrotic syndrome defined as a ratio of urinary total protein to urinary creatinine of > 6.0"
    assert read(text, "exclusion") == []


def test_structured_ages_are_inclusion_bounds_as_written() -> None:
    found = read_thresholds(Eligibility(min_age="18 Years", max_age="6 Months"))
    assert [(t.comparator, t.value, t.unit, t.value_normalized, t.source) for t in found] == [
        (">=", 18.0, "Years", 18.0, "structured"),
        ("<=", 6.0, "Months", 0.5, "structured"),
    ]
    assert read_thresholds(Eligibility(min_age="N/A")) == ()


def test_lines_of_a_wrapped_paragraph_are_read_as_one() -> None:
    eligibility = Eligibility(inclusion=("Platelet count at least 100,000/mm3 WBC at", "least 3,000/mm3"))
    assert [_short(t) for t in read_thresholds(eligibility)] == [
        ("platelets", "inclusion", ">=", 100000.0),
        ("wbc", "inclusion", ">=", 3000.0),
    ]


def test_parse_prints_the_thresholds_of_the_eligibility() -> None:
    record = TrialRecord(
        nct_id="NCT00000001",
        provenance=Provenance("ctgov-v2-json", "x.json", 0),
        eligibility=Eligibility(min_age="18 Years", exclusion=("INR > 2.5",)),
    )
    assert add_thresholds(TrialRecord("NCT00000002", Provenance("ctgov-v2-json", "x.json", 1))).eligibility is None
    printed = record_to_dict(add_thresholds(record))["eligibility"]["thresholds"]
    assert [(t["variable"], t["side"], t["comparator"], t["value"], t["source"]) for t in printed] == [
        ("age", "inclusion", ">=", 18.0, "structured"),
        ("inr", "exclusion", ">", 2.5, "criteria"),
    ]
    assert set(printed[1]) >= {"low", "high", "unit", "value_normalized", "unit_normalized", "text"}


def test_the_reader_takes_about_ten_times_as_long_on_ten_times_the_text() -> None:
    line = "Platelets ≥ 100 × 10^9/L, ALT and AST ≤ 2.5 × ULN (≤ 5 × ULN with liver metastases); age 18-75 years; "
    small, large = line * 50, line * 500

    def timed(text: str) -> float:
        start = time.perf_counter()
        read_thresholds(Eligibility(inclusion=(text,)))
        return time.perf_counter() - start

    timed(small)
    assert timed(large) < 30 * max(timed(small), 1e-3)


# --- scoring ------------------------------------------------------------------------------------------


def test_thresholds_match_one_to_one_within_one_percent_and_uncertain_gold_is_left_out() -> None:
    gold = {
        "nct_id": "NCT00000001",
        "thresholds": [
            {"variable": "inr", "side": "exclusion", "comparator": ">", "value": 2.5, "source": "criteria"},
            {"variable": "inr", "side": "exclusion", "comparator": ">", "value": 2.5, "source": "criteria"},
            {"variable": "age", "side": "inclusion", "comparator": "between", "low": 18, "high": 70},
            {"variable": "egfr", "side": "inclusion", "comparator": ">=", "value": 5, "uncertain": True},
        ],
    }
    found = [
        {"variable": "inr", "side": "exclusion", "comparator": ">", "value": 2.51, "value_normalized": 2.51},
        {"variable": "age", "side": "inclusion", "comparator": "between", "low": 18.0, "high": 70.0},
        {"variable": "egfr", "side": "inclusion", "comparator": ">=", "value": 5.0, "value_normalized": 5.0},
        {"variable": "inr", "side": "inclusion", "comparator": ">", "value": 2.5, "value_normalized": 2.5},
    ]
    from kg.evaluation.thresholds import ThresholdScores

    scores = ThresholdScores()
    _score_record(gold, found, scores)
    assert (scores.counts["all:gold"], scores.counts["all:kg"], scores.counts["all:matched"]) == (3, 3, 2)
    assert scores.matched_uncertain == 1
    assert scores.by_variable["inr:gold"] == 2 and scores.by_variable["inr:matched"] == 1
    assert any("missed: inr exclusion" in m for m in scores.misses)
    assert any("wrong: inr inclusion" in m for m in scores.misses)


def test_score_thresholds_reads_the_records_the_gold_names_and_prints_a_table() -> None:
    gold = FIXTURES / "eligibility-sample.json"
    scores = score_thresholds(gold, "all", FIXTURES)
    assert scores.records == 3
    assert scores.uncertain_left_out == 2
    assert scores.counts["criteria:gold"] == 29
    assert scores.precision("criteria") >= 0.95 and scores.recall("criteria") >= 0.9
    printed = json.loads(json.dumps(scores.to_json()))
    assert set(printed) >= {"all", "criteria", "by_variable", "records"}
    assert any(line.startswith("| criteria text alone |") for line in scores.lines())


def test_an_item_naming_no_listed_variable_gives_nothing_but_a_bare_age_still_counts() -> None:
    """Items that name only other things ("FEV1", "pack-years") are skipped before their numbers are
    read; an age needs no name before it, in years or as "and older/younger"."""
    other = Eligibility(exclusion=("FEV1 less than 60% of predicted", "Smoking more than 20 pack-years"))
    assert read_thresholds(other) == ()
    ages = Eligibility(inclusion=("Adult patients (18 and older) able to give consent",))
    assert [(t.variable, t.comparator, t.value) for t in read_thresholds(ages)] == [("age", ">=", 18.0)]


# --- the variables beyond the shared gold's list ----------------------------------------------------------


def shown(text: str, side: str = "inclusion") -> list[tuple[object, ...]]:
    """(variable, side, comparator, value or (low, high), normalized unit) of each threshold read."""
    return [
        (t.variable, t.side, t.comparator, (t.low, t.high) if t.comparator == "between" else t.value, t.unit_normalized)
        for t in read_thresholds(
            Eligibility(
                inclusion=(text,) if side == "inclusion" else (), exclusion=(text,) if side == "exclusion" else ()
            )
        )
    ]


@pytest.mark.parametrize(
    ("text", "side", "expected"),
    [
        ("Life expectancy: At least 12 weeks", "inclusion", [("life_expectancy", "inclusion", ">=", 12.0, "mo")]),
        ("Minimum life expectancy of 12 weeks", "inclusion", [("life_expectancy", "inclusion", ">=", 12.0, "mo")]),
        (
            "Patient survival expected to be no less than one year",
            "inclusion",
            [("life_expectancy", "inclusion", ">=", 1.0, "mo")],
        ),
        ("Life expectancy longer than 12 months.", "inclusion", [("life_expectancy", "inclusion", ">", 12.0, "mo")]),
        (
            "Have a non-pulmonary condition that limits lifespan to ≤1 year.",
            "exclusion",
            [("life_expectancy", "exclusion", "<=", 1.0, "mo")],
        ),
        (
            "Abstinence from alcohol for at least 6 months",
            "inclusion",
            [("alcohol_abstinence", "inclusion", ">=", 6.0, "mo")],
        ),
    ],
)
def test_durations_are_read_in_any_unit_of_time_and_normalized_to_months(text: str, side: str, expected: list) -> None:
    assert shown(text, side) == expected


def test_twelve_weeks_of_life_expectancy_are_about_two_and_three_quarter_months() -> None:
    (threshold,) = read_thresholds(Eligibility(inclusion=("Life expectancy > 12 weeks",)))
    assert (threshold.value, threshold.unit, threshold.value_normalized) == (12.0, "weeks", 2.75981)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Chronic alcohol abuse (daily consumption > 20 g/day)", [("alcohol_intake", "exclusion", ">", 20.0, "g/d")]),
        (
            "Alcohol users (more than 2 drinks of alcohol per day).",
            [("alcohol_intake", "exclusion", ">", 2.0, "{drink}/d")],
        ),
        (
            "Alcohol intake: women \\>20g/d, men \\>30g/d",
            [("alcohol_intake", "exclusion", ">", 20.0, "g/d"), ("alcohol_intake", "exclusion", ">", 30.0, "g/d")],
        ),
        (
            "Has an average weekly intake of greater than 21 units or an average daily intake of greater than 3 units. "
            "One unit is equivalent to a half-pint of beer or 1 measure of spirits or 1 glass of wine",
            [("alcohol_intake", "exclusion", ">", 21.0, "{unit}"), ("alcohol_intake", "exclusion", ">", 3.0, "{unit}")],
        ),
        (  # one bound said twice ("i.e."), read once
            "Alcohol abuse is defined as daily consumption of >3 alcoholic beverages (i.e. > 21 alcoholic beverages per week)",
            [("alcohol_intake", "exclusion", ">", 3.0, "{drink}")],
        ),
    ],
)
def test_alcohol_intake_is_read_in_grams_drinks_or_units_per_day_or_week(text: str, expected: list) -> None:
    assert shown(text, "exclusion") == expected


@pytest.mark.parametrize(
    ("text", "side", "expected"),
    [
        (
            "New York Heart Association (NYHA) Class III or IV, cardiac disease",
            "exclusion",
            [("nyha_class", "exclusion", "between", (3.0, 4.0), "")],
        ),
        (
            "Class III or IV heart failure as defined by the New York Heart Association (NYHA)",
            "exclusion",
            [("nyha_class", "exclusion", "between", (3.0, 4.0), "")],
        ),
        ("congestive heart-failure NYHA class ≥ II", "exclusion", [("nyha_class", "exclusion", ">=", 2.0, "")]),
        ("those meeting NYHA Class II or higher criteria", "exclusion", [("nyha_class", "exclusion", ">=", 2.0, "")]),
        (
            "heart failure higher than New York Heart Association (NYHA) class II",
            "exclusion",
            [("nyha_class", "exclusion", ">", 2.0, "")],
        ),
        (
            "Patients are diagnosed with heart failure degree IV according to NYHA",
            "exclusion",
            [("nyha_class", "exclusion", "=", 4.0, "")],
        ),
        ("NYHA I-II functional status", "inclusion", [("nyha_class", "inclusion", "between", (1.0, 2.0), "")]),
        (
            "hepatic encephalopathy (grade II or lower)",
            "inclusion",
            [("hepatic_encephalopathy_grade", "inclusion", "<=", 2.0, "")],
        ),
        (
            "hepatic encephalopathy above grade II (inclusive)",
            "exclusion",
            [("hepatic_encephalopathy_grade", "exclusion", ">=", 2.0, "")],
        ),
        (
            "advanced hepatic encephalopathy Grades 3 & 4 (West Haven criteria)",
            "exclusion",
            [("hepatic_encephalopathy_grade", "exclusion", "between", (3.0, 4.0), "")],
        ),
    ],
)
def test_nyha_classes_and_encephalopathy_grades_are_read_as_numbers_before_or_after_their_name(
    text: str, side: str, expected: list
) -> None:
    assert shown(text, side) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "QT interval male ≥ 450 ms, female ≥ 470 ms",
            [("qtc", "exclusion", ">=", 450.0, "ms"), ("qtc", "exclusion", ">=", 470.0, "ms")],
        ),
        (
            "QTc interval prolongation (male \\> 450 ms; female \\> 470 ms)",
            [("qtc", "exclusion", ">", 450.0, "ms"), ("qtc", "exclusion", ">", 470.0, "ms")],
        ),
        (
            "an abnormal QTc interval value in the ECG test, defined as >450 msec",
            [("qtc", "exclusion", ">", 450.0, "ms")],
        ),
        ("LDL greater than 190mg/dl", [("ldl_cholesterol", "exclusion", ">", 190.0, "mg/dL")]),
        (
            "Fasting triglycerides ≥400mg/dL (4.56mmol/L) at Screening",
            [("triglycerides", "exclusion", ">=", 400.0, "mg/dL")],
        ),
        (
            "AST, ALT and Alkaline phosphatase ≤ 2.5 ⋅ ULN",
            [
                ("ast", "exclusion", "<=", 2.5, "x ULN"),
                ("alt", "exclusion", "<=", 2.5, "x ULN"),
                ("alp", "exclusion", "<=", 2.5, "x ULN"),
            ],
        ),
        (
            "aspartate transaminase or alkaline phosphatase ˃ 2 times upper limit of normal",
            [("ast", "exclusion", ">", 2.0, "x ULN"), ("alp", "exclusion", ">", 2.0, "x ULN")],
        ),
        ("Alkaline phosphatase < 5 x UNL", [("alp", "exclusion", "<", 5.0, "x ULN")]),
        ("a partial thromboplastin time (PTT) of 18-28 seconds", [("aptt", "exclusion", "between", (18.0, 28.0), "s")]),
    ],
)
def test_qtc_lipids_alkaline_phosphatase_and_aptt_are_read_like_the_laboratory_values(
    text: str, expected: list
) -> None:
    assert shown(text, "exclusion") == expected


def test_triglycerides_in_mmol_per_litre_are_normalized_to_mg_per_dl_and_haemoglobin_still_to_g_per_dl() -> None:
    (tg,) = read_thresholds(Eligibility(exclusion=("Triglycerides > 5.6 mmol/L",)))
    assert (tg.value, tg.value_normalized, tg.unit_normalized) == (5.6, 495.992, "mg/dL")
    (hb,) = read_thresholds(Eligibility(inclusion=("Hemoglobin ≥ 6.2 mmol/L",)))
    assert (hb.value_normalized, hb.unit_normalized) == (9.9882, "g/dL")


def test_a_pdq_label_line_and_its_value_on_the_next_line_are_read_together() -> None:
    pdq = Eligibility(inclusion=("Life expectancy:", "At least 12 weeks", "Age:", "18 and over", "Hematopoietic:"))
    found = [(t.variable, t.comparator, t.value, t.text) for t in read_thresholds(pdq)]
    assert ("life_expectancy", ">=", 12.0, "Life expectancy: At least 12 weeks") in found


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [("nyha_class", "III", "3"), ("nyha_class", "2", "2"), ("hepatic_encephalopathy_grade", "grade 2", "2"),
     ("qtc", "480ms", "480 ms"), ("life_expectancy", "12 weeks", "2.75981 mo"), ("triglycerides", "2.3 mmol/L", "203.711 mg/dL")],
)  # fmt: skip
def test_a_patients_class_grade_or_duration_is_read_as_the_thresholds_are(
    variable: str, value: str, expected: str
) -> None:
    assert patient_value(variable, value) == expected


def test_a_class_that_is_no_nyha_class_is_refused() -> None:
    with pytest.raises(ValueError, match="class I-IV"):
        patient_value("nyha_class", "V")


def test_a_gold_file_scores_only_the_variables_it_was_labelled_for() -> None:
    """The shared gold lists 29 variables: kg's QTc or NYHA readings of its records are not counted
    against it; kg's own gold for the ten more variables scores exactly those."""
    shared = score_thresholds(FIXTURES / "eligibility-sample.json", "all", FIXTURES)
    assert not {"qtc", "nyha_class", "aptt", "life_expectancy"} & set(shared.variables())
    more = score_thresholds(FIXTURES / "eligibility-more-sample.json", "all", FIXTURES)
    assert set(more.variables()) == {"life_expectancy", "qtc", "nyha_class", "aptt"}
    assert (more.counts["criteria:gold"], more.counts["criteria:matched"], more.counts["criteria:kg"]) == (5, 5, 5)


@pytest.mark.parametrize(
    "text",
    [
        "Grade 3 neuropathy or hepatic encephalopathy",
        "Active hepatic encephalopathy, ascites grade 2 or more",
        "Wernicke encephalopathy grade 2",
        "Hepatic encephalopathy or WHO class 2 obesity",
        "HE IS 3 MONTHS POST TRANSPLANT",
        "HE 2 weeks ago",
        "NYHA class 0",
        "daily consumption of more than 30 g/day of fat",
        "lifespan of the device at least 5 years",
    ],
)
def test_a_class_grade_or_amount_of_something_else_is_not_taken(text: str) -> None:
    assert shown(text, "exclusion") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Heart failure NYHA class III or IV, hepatic encephalopathy grade 2 or higher",
            [
                ("nyha_class", "exclusion", "between", (3.0, 4.0), ""),
                ("hepatic_encephalopathy_grade", "exclusion", ">=", 2.0, ""),
            ],
        ),
        ("NYHA class II heart failure or stage 4 chronic kidney disease", [("nyha_class", "exclusion", "=", 2.0, "")]),
        ("NYHA class II, III or IV", [("nyha_class", "exclusion", "between", (2.0, 4.0), "")]),
        ("HE grade II or higher", [("hepatic_encephalopathy_grade", "exclusion", ">=", 2.0, "")]),
    ],
)
def test_each_scale_keeps_its_own_class_next_to_it(text: str, expected: list) -> None:
    assert shown(text, "exclusion") == expected


def test_a_patients_alcohol_intake_keeps_its_per_day_or_week() -> None:
    assert [patient_value("alcohol_intake", v) for v in ("40g/day", "3 drinks/day", "21 units a week")] == [
        "40 g/d",
        "3 {drink}/d",
        "21 {unit}/wk",
    ]


# --- found on kg's fresh gold (gold/eligibility-fresh.json) ---------------------------------------------


def test_ages_that_define_menopause_are_not_limits_but_an_aged_range_is() -> None:
    assert read("Women ≥50 years of age would be considered post-menopausal if they have been amenorrheic") == []
    assert read("The post-menopausal period defined as age ≥50 years and amenorrheic for at least 12 months") == []
    assert read("Postmenopausal women aged 45-75 years (amenorrhea for 12 months)") == [
        ("age", "inclusion", "between", (45.0, 75.0))
    ]


def test_ages_that_say_which_performance_scale_applies_are_not_limits_and_lansky_is_not_karnofsky() -> None:
    text = "ECOG performance status of 0 or 1(age ≥ 16 years) or Lansky (age < 16 years) performance status ≥ 50;"
    assert read(text) == [("ecog", "inclusion", "between", (0.0, 1.0))]
    assert read("Age ≥ 18 years (adults) and ECOG 0-1") == [
        ("age", "inclusion", ">=", 18.0),
        ("ecog", "inclusion", "between", (0.0, 1.0)),
    ]


def test_a_who_performance_status_after_its_label_is_ecog() -> None:
    assert read("Performance status: WHO 0-2") == [("ecog", "inclusion", "between", (0.0, 2.0))]


def test_pro_time_plural_ejection_fractions_and_a_comma_in_per_173_m2_are_read() -> None:
    assert read("pro time greater than 14.7 sec", "exclusion") == [("prothrombin_time", "exclusion", ">", 14.7)]
    lv = "Diminished LV systolic function (LV ejection fractions estimated by radionuclide angiography less than 50%)."
    assert read(lv, "exclusion") == [("lvef", "exclusion", "<", 50.0)]
    assert read("Cockcroft-Gault creatinine clearance >60 ml/min/1,73.") == [
        ("creatinine_clearance", "inclusion", ">", 60.0)
    ]


def test_a_bracketed_restatement_in_another_unit_is_one_bound_however_strict() -> None:
    assert read("Platelet count ≥ 100 x 109/L (>100,000 per mm3)") == [("platelets", "inclusion", ">=", 100.0)]
    # not in brackets: a second bound of its own (an ejection fraction has no ULN, so only it is read)
    assert read("Left ventricular ejection fraction ≤1 × ULN,or﹤50%.", "exclusion") == [
        ("lvef", "exclusion", "<", 50.0)
    ]


def test_a_citation_between_a_scale_and_its_value_is_passed_over() -> None:
    assert read("ECOG performance status (Oken et al.,1982) score 0 to 2") == [
        ("ecog", "inclusion", "between", (0.0, 2.0))
    ]


def test_a_comparator_at_the_end_of_a_wrapped_line_reaches_the_number_on_the_next() -> None:
    text = (
        "Hematopoietic: WBC at least 3000/mm3 Platelet count at least\n100,000/mm3 Hepatic: Bilirubin less than 2 mg/dL"
    )
    assert read(text) == [
        ("wbc", "inclusion", ">=", 3000.0),
        ("platelets", "inclusion", ">=", 100000.0),
        ("total_bilirubin", "inclusion", "<", 2.0),
    ]


def test_what_a_must_not_have_sentence_explains_in_brackets_is_an_exclusion() -> None:
    text = "Patients must not have renal disease (serum creatinine greater than 2 times the upper limit of normal."
    assert read(text) == [("creatinine", "exclusion", ">", 2.0)]


def test_values_given_respectively_go_to_their_names_in_order() -> None:
    text = "basal systolic and diastolic pressures of greater than 160 mm Hg or greater than 95 mm Hg, respectively"
    assert read(text, "exclusion") == [
        ("systolic_bp", "exclusion", ">", 160.0),
        ("diastolic_bp", "exclusion", ">", 95.0),
    ]
    assert read("ALT and AST > 3 x ULN", "exclusion") == [
        ("alt", "exclusion", ">", 3.0),
        ("ast", "exclusion", ">", 3.0),
    ]


def test_an_age_that_says_who_consents_is_not_a_limit() -> None:
    assert read("Patients < 18 years of age may participate with the consent of parent, guardian") == []
    assert read("Age ≥ 18 years, able to give informed consent") == [("age", "inclusion", ">=", 18.0)]


def test_a_that_is_restatement_is_one_bound_and_another_scales_ef_is_not_an_ejection_fraction() -> None:
    assert read("ECOG performance status < 2 i.e. 0 or 1") == [("ecog", "inclusion", "<", 2.0)]
    assert read("baseline IIEF-EF score ≥ 21") == []
    assert read("LV-EF ≥ 50%") == [("lvef", "inclusion", ">=", 50.0)]
    assert read("Childs-Pugh Score > 12", "exclusion") == [("child_pugh_score", "exclusion", ">", 12.0)]


def test_a_name_and_its_value_may_be_parted_by_nested_brackets() -> None:
    text = (
        "cardiac ejection fraction (as measured by either MUGA (Multi Gated Acquisition) or echocardiogram (EKG)) <40%"
    )
    assert read(text, "exclusion") == [("lvef", "exclusion", "<", 40.0)]


def test_a_no_item_rules_out_the_limit_that_defines_what_it_names() -> None:
    text = "No significant hypertension (systolic blood pressure greater than 170 mm Hg) or hypotension (systolic less than 100 mm Hg)."
    assert read(text) == [("systolic_bp", "exclusion", ">", 170.0), ("systolic_bp", "exclusion", "<", 100.0)]
    assert read("No hypotension: basal sitting systolic arterial pressure less than 100 mm Hg") == [
        ("systolic_bp", "exclusion", "<", 100.0)
    ]
    # a PDQ heading's run-together items: the "No" item ends where the next begins
    assert read("Hematopoietic: No bleeding disorder Platelet count at least 100,000/mm3") == [
        ("platelets", "inclusion", ">=", 100000.0)
    ]


def test_other_cooperative_groups_performance_scales_are_ecog() -> None:
    for scale in ("GOG", "SWOG", "CTC"):
        assert read(f"Performance status: {scale} 0-2") == [("ecog", "inclusion", "between", (0.0, 2.0))]


def test_an_item_that_ends_in_at_least_goes_on_in_the_next() -> None:
    eligibility = Eligibility(
        inclusion=("Platelet count at least", "100,000/mm3 Hepatic: Bilirubin no greater than 1.5 mg/dL")
    )
    assert [_short(t) for t in read_thresholds(eligibility)] == [
        ("platelets", "inclusion", ">=", 100000.0),
        ("total_bilirubin", "inclusion", "<=", 1.5),
    ]


def test_ages_that_say_who_signs_what_the_law_says_or_when_a_disease_began_are_not_limits() -> None:
    assert read("Signed informed consent from parent or legal guardian for patients less than 18 years of age.") == []
    text = "Adult ≥18 years of age (or country's legal age of adulthood if the legal age is >18 years)"
    assert read(text) == [("age", "inclusion", ">=", 18.0)]
    assert read("history of atrophic gastritis (onset age less than 60 years)", "exclusion") == []
    assert read("Postmenopausal women aged 50 to 75 years") == [("age", "inclusion", "between", (50.0, 75.0))]


def test_an_age_read_by_its_unit_takes_a_second_bound_of_its_own_but_not_a_bare_number() -> None:
    assert read("Male or females at least 18 years of age, but not older than 70.") == [
        ("age", "inclusion", "between", (18.0, 70.0))
    ]
    assert read("Patients 18 years of age or older, 2 prior therapies allowed") == [("age", "inclusion", ">=", 18.0)]
    assert read("AGCs >= 1500/mm^3") == [("anc", "inclusion", ">=", 1500.0)]


def test_inline_list_numbers_plus_years_and_a_measured_gfr_beside_a_clearance() -> None:
    text = "2- CDAI>220 3- Age 18 to 60 years 4- GFR>30, Cr<2 5- The presence of perianal fistula."
    assert read(text) == [
        ("age", "inclusion", "between", (18.0, 60.0)),
        ("egfr", "inclusion", ">", 30.0),
        ("creatinine", "inclusion", "<", 2.0),
    ]
    assert read("18+ years of age") == [("age", "inclusion", ">=", 18.0)]
    assert read("Creatinine clearance or radioisotope glomerular filtration rate at least 70 mL/min") == [
        ("creatinine_clearance", "inclusion", ">=", 70.0),
        ("egfr", "inclusion", ">=", 70.0),
    ]


def test_a_pdq_heading_without_a_colon_names_the_value_on_the_next_line() -> None:
    items = (
        "PATIENT CHARACTERISTICS:",  # joined to the heading after it: "PATIENT CHARACTERISTICS: Age"
        "Age",
        "18 and over",
        "Performance status",
        "WHO 0-2 (may be assessed under steroid therapy)",
        "Life expectancy",
    )
    assert [_short(t) for t in read_thresholds(Eligibility(inclusion=items))] == [
        ("age", "inclusion", ">=", 18.0),
        ("ecog", "inclusion", "between", (0.0, 2.0)),
    ]


# --- a hostile review of the rules above: real limits they must not drop or flip -------------------------


def test_a_no_item_flips_only_a_bound_on_the_abnormal_side() -> None:
    assert read("No renal impairment (creatinine clearance ≥ 60 mL/min)") == [
        ("creatinine_clearance", "inclusion", ">=", 60.0)
    ]
    assert read("No anemia (hemoglobin ≥ 10 g/dL)") == [("hemoglobin", "inclusion", ">=", 10.0)]
    assert read("No brain metastases and age ≥ 18 years") == [("age", "inclusion", ">=", 18.0)]
    assert read("No prior systemic therapy and ECOG performance status 0-1") == [
        ("ecog", "inclusion", "between", (0.0, 1.0))
    ]
    text = "Patients must not have uncontrolled hypertension (blood pressure must be < 150/100 mmHg on medication)"
    assert read(text) == [("systolic_bp", "inclusion", "<", 150.0), ("diastolic_bp", "inclusion", "<", 100.0)]
    items = ("No angina", "LVEF ≥ 45% by MUGA")  # a "No" item is no heading to join
    assert [_short(t) for t in read_thresholds(Eligibility(inclusion=items))] == [("lvef", "inclusion", ">=", 45.0)]


def test_real_age_limits_near_menopause_consent_legal_age_and_scales_are_kept() -> None:
    assert read("Female patients ≥ 18 years, post-menopausal or using adequate contraception") == [
        ("age", "inclusion", ">=", 18.0)
    ]
    assert read("Patients of legal age (≥ 18 years)") == [("age", "inclusion", ">=", 18.0)]
    assert read("Informed consent signed by patient or legal guardian, aged 18-80 years") == [
        ("age", "inclusion", "between", (18.0, 80.0))
    ]
    assert read("Written informed consent of a parent or guardian if under 18 years of age.") == []
    assert read("ECOG performance status ≤ 2 and adult patients (age ≥ 18 years)") == [
        ("ecog", "inclusion", "<=", 2.0),
        ("age", "inclusion", ">=", 18.0),
    ]
    assert read("At least 18 years of age and < 3 prior lines of therapy") == [("age", "inclusion", ">=", 18.0)]


def test_karnofsky_beside_lansky_citations_and_ef_prefixes_are_still_read() -> None:
    assert read("Karnofsky or Lansky performance status ≥ 50") == [("karnofsky", "inclusion", ">=", 50.0)]
    assert read("Lansky play scale ≥ 60 in children, performance status ≥ 60 in adults") == [
        ("karnofsky", "inclusion", ">=", 60.0)
    ]
    text = "Adequate organ function (must meet all of the following: ANC ≥ 1.5 × 10^9/L, platelets ≥ 100 × 10^9/L)"
    assert read(text) == [("anc", "inclusion", ">=", 1.5), ("platelets", "inclusion", ">=", 100.0)]
    assert read("MUGA-EF ≥ 50%") == [("lvef", "inclusion", ">=", 50.0)]
    assert read("1- Age 18 to 65- Signed consent") == [("age", "inclusion", "between", (18.0, 65.0))]


def test_respectively_after_conditions_is_no_pairing_and_many_values_stay_fast() -> None:
    text = "ALT and AST ≤ 2.5 × ULN or ≤ 5 × ULN without and with liver metastases, respectively"
    assert sorted(read(text)) == sorted(
        [
            ("alt", "inclusion", "<=", 2.5),
            ("ast", "inclusion", "<=", 2.5),
            ("alt", "inclusion", "<=", 5.0),
            ("ast", "inclusion", "<=", 5.0),
        ]
    )
    started = time.perf_counter()
    read("AST and ALT ≤ 2 and 3 ULN respectively; " * 2500)
    items = tuple("<" for _ in range(20000))
    read_thresholds(Eligibility(inclusion=items))
    assert time.perf_counter() - started < 20  # a guard against quadratic joins (about 1 s here), not a figure


def test_an_age_in_a_childbearing_potential_definition_is_not_a_limit() -> None:
    text = "A female subject is considered of childbearing potential unless she is age ≥ 50 years and naturally amenorrhoeic"
    assert read(text) == []


def test_a_heading_followed_by_a_sentence_or_qualified_by_a_word_starts_its_section() -> None:
    text = (
        "Inclusion Criteria: The person who meet all the following criteria\n1. Age 18 years or older\n"
        "Exclusion Criteria: The person who meet any of the following criteria will be excluded from the study.\n"
        "1. SBP >= 160 mmHg\n"
        "Generic exclusion criteria that apply to both patients with PSC and AIH\nCreatinine >133 μmol/L\n"
    )
    inclusion, exclusion = split_criteria(text)
    assert inclusion == ("The person who meet all the following criteria", "Age 18 years or older")
    assert exclusion[1:] == ("SBP >= 160 mmHg", "Creatinine >133 μmol/L")
    # a sentence that only mentions the criteria starts nothing
    inclusion, exclusion = split_criteria("At visit 2, a patient does not meet any of the exclusion criteria\n")
    assert exclusion == ()


def test_list_numbers_in_angle_brackets_or_after_a_semicolon_are_not_values() -> None:
    text = "Presence of any of the following complications: <1> Active bleeding. <5> Serum creatinine ≥2 mg/dL."
    assert read(text, "exclusion") == [("creatinine", "exclusion", ">=", 2.0)]
    assert read(r"Septic shock (\<1\>lactate \>2 mmol/L). \<2\> Uncontrolled") == []
    assert read("End-stage liver disease scores ranging from 17-30,; 4.18-65 years of age.") == [
        ("meld", "inclusion", "between", (17.0, 30.0)),
        ("age", "inclusion", "between", (18.0, 65.0)),
    ]
    assert read("INR <2>") == [("inr", "inclusion", "<", 2.0)]  # a closing bracket alone makes no list number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Age ≥ 4 years to < 12 years (11 years, 364 days) at the time of consent", ("age", "between", (4.0, 12.0))),
        ("Bilirubin ≥ 1.5 to ≤ 3 mg/dL", ("total_bilirubin", "between", (1.5, 3.0))),
        ("Ages eligible for study: 18 years and above", ("age", ">=", 18.0)),
        ("The activity of prothrombin was more than 60%", ("prothrombin_activity", ">", 60.0)),
        ("The child Pugh score was Grade A", ("child_pugh_class", "=", "A")),
        ("Pre-existing cirrhosis with basal Child and Pugh of C", ("child_pugh_class", "=", "C")),
        ("absolute neutrophil count (polys plus bands) = or < 500 cells/mm3", ("anc", "<=", 500.0)),
        ("SGOT = or > 300 U/L if baseline is abnormal", ("ast", ">=", 300.0)),
        ("ECOG PS score 0-1 points;", ("ecog", "between", (0.0, 1.0))),
        ("Platelets (PLT) < 50 G /L", ("platelets", "<", 50.0)),
        (
            "Known chronic kidney failure (clearance of creatinin < 90 ml/min/1,73m2)",
            ("creatinine_clearance", "<", 90.0),
        ),
    ],
)
def test_more_ways_of_writing_a_bound_are_read(text: str, expected: tuple[object, ...]) -> None:
    variable, comparator, value = expected
    assert read(text) == [(variable, "inclusion", comparator, value)]


def test_evident_slips_are_read_as_meant() -> None:
    assert read("ALT or AST > 5N", "exclusion") == [("alt", "exclusion", ">", 5.0), ("ast", "exclusion", ">", 5.0)]
    assert only("ALT > 5N").unit_normalized == "x ULN"
    hemoglobin = only("Hemoglobin < 10 mg/dl", "exclusion")  # no hemoglobin is 10 mg/dL: grams were meant
    assert (hemoglobin.value_normalized, hemoglobin.unit_normalized, hemoglobin.unit) == (10.0, "g/dL", "mg/dl")
    assert read("Hemoglobin < 100 mg/dl") == []
    assert read("Women under 50 years old would be consider postmenopausal if amenorrheic for 12 months") == []


def test_an_unlisted_test_between_listed_names_keeps_the_names_together() -> None:
    text = "Hepatic impairment, defined as any of ALT, AST, LDH or bilirubin > 2 x the upper limit of normal (ULN)"
    assert [t[0] for t in read(text, "exclusion")] == ["alt", "ast", "total_bilirubin"]
    assert read("Non-age adjusted International Prognostic Index 2-4") == []
    items = ("Normal ECG OR Ejection fraction (ECHO,", "MUGA, or ventriculography) at least 45%")
    assert [_short(t) for t in read_thresholds(Eligibility(inclusion=items))] == [("lvef", "inclusion", ">=", 45.0)]


def test_unnamed_age_bounds_and_eligible_for_a_treatment() -> None:
    assert read("Patients < 18 and > 68 years", "exclusion") == [
        ("age", "exclusion", "<", 18.0),
        ("age", "exclusion", ">", 68.0),
    ]
    assert read("Patients < 18 years and > 3 prior lines", "exclusion") == [("age", "exclusion", "<", 18.0)]
    text = "Patients aged > 49 years and < 75 years with lymphoma who are not eligible for a curative treatment"
    assert read(text) == [("age", "inclusion", "between", (49.0, 75.0))]
    assert read("Patients with bilirubin > 3 mg/dL are not eligible to participate") == [
        ("total_bilirubin", "exclusion", ">", 3.0)
    ]
    assert read("Patients with bilirubin > 3 mg/dL are ineligible for the study") == [
        ("total_bilirubin", "exclusion", ">", 3.0)
    ]


def test_qualified_headings_start_sections_and_sentences_about_criteria_do_not() -> None:
    text = (
        "Subject Inclusion Criteria:\nAged 18 to 60 years\nSubject Exclusion Criteria:\nPlatelet count < 100,000\n"
        "Cohort B inclusion criteria:\nAge 18\nMeets all inclusion criteria\n"
    )
    inclusion, exclusion = split_criteria(text)
    assert exclusion == ("Platelet count < 100,000",)
    assert inclusion[-1] == "Meets all inclusion criteria"


def test_an_age_is_not_coordinated_with_the_next_name_nor_a_dipstick_grade_a_bound() -> None:
    text = "PATIENT CHARACTERISTICS: Age: Any age Performance status: GOG 0-2 Hematopoietic: WBC at least 3,000/mm3"
    assert read(text) == [("ecog", "inclusion", "between", (0.0, 2.0)), ("wbc", "inclusion", ">=", 3000.0)]
    text = "Preserved renal function (creatinine less than or equal to 2.5 mg/dL; less than or equal to 3+ proteinuria)"
    assert read(text) == [("creatinine", "inclusion", "<=", 2.5)]


def test_a_prothrombin_time_inr_is_the_inr_and_platelets_misspelt_are_platelets() -> None:
    assert read("Appropriate function of blood clot: PT(INR) < 1.5×ULN") == [("inr", "inclusion", "<", 1.5)]
    assert read("Prothrombin time (INR) > 15 seconds") == [("prothrombin_time", "inclusion", ">", 15.0)]
    assert read("PT < 1.5 x ULN") == [("prothrombin_time", "inclusion", "<", 1.5)]
    assert read("platlet counts <50*10E9/L", "exclusion") == [("platelets", "exclusion", "<", 50.0)]


def test_a_gold_trial_in_a_bundle_is_scored_against_its_own_record_not_the_first(tmp_path: Path) -> None:
    bundle = tmp_path / "shared" / "bundle.json"
    bundle.parent.mkdir()
    bundle.write_bytes((FIXTURES.parent / "v2-bundle" / "dgg32_ctg-studies.json").read_bytes())
    gold = {  # NCT05913700 is the bundle's eighth study: "Aged 50 years or older"
        "variables": ["age"],
        "trials": [
            {"nct_id": "NCT05913700", "record": "shared/bundle.json", "thresholds": [
                {"variable": "age", "side": "inclusion", "comparator": ">=", "value": 50, "unit": "years",
                 "text": "Aged 50 years or older", "source": "criteria"}]}
        ],
    }  # fmt: skip
    (tmp_path / "gold.json").write_text(json.dumps(gold), encoding="utf-8")
    scores = score_thresholds(tmp_path / "gold.json", "all", tmp_path)
    assert scores.counts["criteria:matched"] == 1 and scores.precision("criteria") == 1.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Measured or calculated clearance >= 60 ml/min", ("creatinine_clearance", ">=", 60.0)),
        ("Plts >= 100,000/mm^3", ("platelets", ">=", 100000.0)),
        ("Crcl ≥ 50ml/min", ("creatinine_clearance", ">=", 50.0)),
        ("A male or female, ≥50 YoA at the time of signing the ICF", ("age", ">=", 50.0)),
        ("serum creatinine clearance according to Cockcroft-Gault formula(below) ≥50 mL/min",
         ("creatinine_clearance", ">=", 50.0)),
    ],
)  # fmt: skip
def test_batch_ten_and_eleven_wordings_are_read(text: str, expected: tuple[object, ...]) -> None:
    variable, comparator, value = expected
    assert read(text) == [(variable, "inclusion", comparator, value)]


def test_donor_and_assent_ages_hla_and_lansky_after_the_name_give_no_patient_limit() -> None:
    assert read("Absence of a suitable first-degree related donor aged between 18 and 50") == []
    assert read("Eligible minors greater than or equal to 10 years old must give assent to participate") == []
    assert read("Patients ≥ 18 years with a matched donor") == [("age", "inclusion", ">=", 18.0)]
    assert read("A 9-10/10 human leukocyte antigen (HLA) matched donor or 5-8/8 matched cord blood unit") == []
    text = "Performance status: Lansky ≥ 50 for patients ≤ 16 years old and Karnofsky ≥ 50% for patients > 16 years old"
    assert read(text) == [("karnofsky", "inclusion", ">=", 50.0)]
    assert read("Performance status: Karnofsky or Lansky ≥ 60") == [("karnofsky", "inclusion", ">=", 60.0)]


def test_a_hostile_review_of_those_rules_found_these_readings_and_they_hold() -> None:
    """Realistic sentences a review wrote against the rules above: each once went wrong."""
    assert read("Age 12 to < 18 years") == [("age", "inclusion", "between", (12.0, 18.0))]
    assert read("LVEF 40% to < 50%") == [("lvef", "inclusion", "between", (40.0, 50.0))]
    assert read("HbA1c ≥8% or HbA1c 7% to <8% with associated diabetes symptoms", "exclusion") == [
        ("hba1c", "exclusion", ">=", 8.0),
        ("hba1c", "exclusion", "between", (7.0, 8.0)),
    ]
    assert read("Bilirubin WNL, ALT ≤ 3 x ULN") == [("alt", "inclusion", "<=", 3.0)]
    assert read("PT and PTT WNL, INR ≤ 1.5") == [("inr", "inclusion", "<=", 1.5)]
    assert read("Serum ALT and HBV-DNA ≥ 2000 IU") == []
    assert read("Type 1 diabetes for at least 5 years age 18-40 years") == [
        ("age", "inclusion", "between", (18.0, 40.0))
    ]
    assert read("Child's Apgar score ≥ 7 at 5 minutes") == []
    assert read("Plasma free hemoglobin > 10 mg/dL", "exclusion") == []
    assert read("Karnofsky 70+") == [("karnofsky", "inclusion", "=", 70.0)]
    assert read("Life expectancy 3+ months") == [("life_expectancy", "inclusion", ">=", 3.0)]
    assert read("Women aged 45 to 60 years who consider menopause hormone therapy") == [
        ("age", "inclusion", "between", (45.0, 60.0))
    ]
    assert read("Hemoglobin <10> g/dL") == [("hemoglobin", "inclusion", "<", 10.0)]
    for must_not in ("are not eligible to take part in the study", "are not eligible for this clinical trial"):
        assert read(f"Patients with eGFR < 30 mL/min {must_not}") == [("egfr", "exclusion", "<", 30.0)]
    text = "Patients who are not eligible for surgery and who have bilirubin > 3 mg/dL are excluded"
    assert read(text) == [("total_bilirubin", "exclusion", ">", 3.0)]
    items = ("Negative HIV test (patients with HIV are excluded", "Age 18-65 years")  # no bracket closes: two items
    assert [_short(t) for t in read_thresholds(Eligibility(inclusion=items))] == [
        ("age", "inclusion", "between", (18.0, 65.0))
    ]


def test_sentences_that_only_name_the_criteria_start_no_section() -> None:
    text = (
        "Inclusion Criteria:\n- Patients who did not meet any of the\n"
        "exclusion criteria of that study at the time of entry into the extension phase\n"
        "- Serum creatinine < 2.0 mg/dL\n"
        "* Patient exclusion criteria from the parent protocol do not apply to this extension study\n"
        "- Study exclusion criteria will be checked again before randomization by the investigator\n"
        "- Absence of exclusion criteria: yes\nInclusion and Exclusion Criteria:\n- Hb >= 9 g/dL\n"
    )
    inclusion, exclusion = split_criteria(text)
    assert exclusion == () and "Hb >= 9 g/dL" in inclusion and "Serum creatinine < 2.0 mg/dL" in inclusion


def test_long_lists_of_names_stay_linear() -> None:
    started = time.perf_counter()
    read("ALT, LDH, " * 5000 + "AST > 3 x ULN")
    read("Bilirubin WNL, " * 5000 + "AST > 3 x ULN")
    wrapped = tuple("platelets at" if i % 2 == 0 else "least 100" for i in range(20000))  # one long joined item
    assert len(read_thresholds(Eligibility(inclusion=wrapped))) == 10000
    assert time.perf_counter() - started < 20  # a guard against quadratic groups (about 1 s here), not a figure


def test_or_better_follows_the_scale_and_more_wordings_of_batches_twelve_and_thirteen() -> None:
    assert read("an ECOG performance status of 2 or better") == [("ecog", "inclusion", "<=", 2.0)]
    assert read("Karnofsky 70 or better") == [("karnofsky", "inclusion", ">=", 70.0)]
    assert read("Bilirubin 2 or better") == []  # no direction for a lab value
    assert read("Serum glutamate pyruvate transaminase (SGPT) =< to 2.0 x normal.") == [("alt", "inclusion", "<=", 2.0)]
    assert read("Male and female subjects aged between 18 and < 65") == [("age", "inclusion", "between", (18.0, 65.0))]
    text = "Uncontrolled hypertension: blood pressure ≥ 160 mmHg (systolic) or ≥ 100 mmHg (diastolic)"
    assert read(text, "exclusion") == [
        ("systolic_bp", "exclusion", ">=", 160.0),
        ("diastolic_bp", "exclusion", ">=", 100.0),
    ]
    text = "Aspartate aminotransferase (AST) (serum glutamic oxaloacetic transaminase [SGOT]) ≥ 2 x ULN"
    assert read(text, "exclusion") == [("ast", "exclusion", ">=", 2.0)]
    assert read("Prothrombin time (PT) (INR) > 15 seconds", "exclusion") == [
        ("prothrombin_time", "exclusion", ">", 15.0)
    ]


def test_a_third_review_of_or_better_brackets_and_ranges_found_these_and_they_hold() -> None:
    pressures = {  # a bracketed "(systolic …" or "(systolic/diastolic)" takes no bound from the value before it
        "Hypertension CTCAE grade ≥ 3 (systolic BP ≥ 160 mmHg or diastolic BP ≥ 100 mmHg)": [
            (">=", 160.0),
            (">=", 100.0),
        ],
        "Uncontrolled hypertension in the past 6 months (systolic > 160 mmHg)": [(">", 160.0)],
        "Blood pressure > 140/90 mmHg (systolic/diastolic)": [(">", 140.0), (">", 90.0)],
    }
    for text, bounds in pressures.items():
        assert [(t[2], t[3]) for t in read(text, "exclusion")] == bounds
    assert read("Decompensated cirrhosis with ascites, hypoalbuminemia and INR > 1.5", "exclusion") == [
        ("inr", "exclusion", ">", 1.5)
    ]
    assert read("NYHA class II or better") == [("nyha_class", "inclusion", "<=", 2.0)]
    assert read("ECOG 2 or better, or 3 if due to bone pain")[0] == ("ecog", "inclusion", "<=", 2.0)
    assert all(t[2] != "better" for t in read("LVEF 50% or better, or 45% if on trastuzumab"))
    assert read("Life expectancy of 12 weeks or better") == [("life_expectancy", "inclusion", ">=", 12.0)]
    assert read("Performance status (ECOG) 0, 1 or 2 or better") == [("ecog", "inclusion", "between", (0.0, 2.0))]
    assert read("Plasma hemoglobin > 10 mg/dL (hemolysis)", "exclusion") == []
    assert only("Age between 18 and < 65 years").high_op == "<"
    assert only("Age 12 to < 18 years").high_op == "<"
    assert read("Age ≥ 18 years, and < 3 prior chemotherapy regimens") == [("age", "inclusion", ">=", 18.0)]


def test_infant_ages_are_ages_in_hours_days_weeks_and_months() -> None:
    assert read("<12 hours of age") == [("age", "inclusion", "<", 12.0)]
    newborn = only("Less than 48 hours old")
    assert (newborn.unit_normalized, round(newborn.value_normalized or 0, 5)) == ("a", round(48 / 8766, 5))
    assert read("Are 1 to 3 days old.") == [("age", "inclusion", "between", (1.0, 3.0))]
    assert read("Criteria for children 3 months to less than 15 months of age:") == [
        ("age", "inclusion", "between", (3.0, 15.0))
    ]
    assert only("Infants < 6 months of age").value_normalized == 0.5
    # things can be days old too: a surgery, an infarction
    assert read("Surgery less than 30 days old", "exclusion") == []
    assert read("Myocardial infarction less than 3 month old.", "exclusion") == []
    assert read("Gestational age < 32 weeks") == []  # not the patient's age


def test_an_age_range_with_its_unit_on_both_bounds_is_read() -> None:
    assert read("18 years to 65 years of age") == [("age", "inclusion", "between", (18.0, 65.0))]
    text = "signed the informed consent; 2.18 Years to 65 Years old, Body Mass Index (BMI) between 18.5-35"
    assert read(text)[0] == ("age", "inclusion", "between", (18.0, 65.0))
    assert read("3 months to 5 years of age") == []  # two units: no single range


def test_ages_that_choose_a_scale_or_say_who_signs_are_not_limits() -> None:
    text = (
        "Performance status: Karnofsky performance status (for patients >12 years of age) or Lansky Play score "
        "(for patients ≤12 years of age) ≥ 50% (Appendix I)."
    )
    assert [t for t in read(text) if t[0] == "age"] == []
    text = (
        "For patients aged 12-17 years, the written informed consent of the parents or legal guardian must be obtained."
    )
    assert read(text) == []
    assert read("Patients aged 12-17 years, with parental consent") != []  # no "For": a limit


def test_no_x_items_of_run_on_records_and_semicolon_lists_are_exclusions() -> None:
    text = (
        "No vascular disease with documented cardiac function compromise No uncontrolled hypertension "
        "(diastolic greater than 100 mm Hg)."
    )
    assert read(text) == [("diastolic_bp", "exclusion", ">", 100.0)]
    text = (
        "No patients with renal insufficiency that would contraindicate treatment with initial randomized "
        "therapy (serum creatinine greater than 2.5 mg/dl)."
    )
    assert read(text) == [("creatinine", "exclusion", ">", 2.5)]
    text = (
        "No patients with the following abnormalities of liver function tests: AST, ALT greater than 5x ULN "
        "(upper limit normal); alkaline phosphatase, total bilirubin greater than 5x ULN."
    )
    assert [(t[0], t[1]) for t in read(text)] == [
        ("ast", "exclusion"),
        ("alt", "exclusion"),
        ("alp", "exclusion"),
        ("total_bilirubin", "exclusion"),
    ]
    # a capitalized word inside the "heading" is the next item run on: not a "No X:" heading
    text = (
        "No evidence for PNH Negative Ham's test Severe disease: Transfusion dependent or untransfused "
        "hemoglobin less than 8 g/dL"
    )
    assert read(text) == [("hemoglobin", "inclusion", "<", 8.0)]
    assert read("calculated creatine clearance less than 30ml/min", "exclusion") == [
        ("creatinine_clearance", "exclusion", "<", 30.0)
    ]


def test_batches_sixteen_and_seventeen_taught_these_wordings() -> None:
    assert read("ECOG performance status 0 to1.") == [("ecog", "inclusion", "between", (0.0, 1.0))]
    assert read("AST great than 240 units/L", "exclusion") == [("ast", "exclusion", ">", 240.0)]
    assert only("platelet count greater than 80,000 cells/microL").value_normalized == 80.0
    assert read("SGOT less than 4x top normal") == [("ast", "inclusion", "<", 4.0)]
    assert read("Creatine less than 2 mg/dL") == [("creatinine", "inclusion", "<", 2.0)]
    assert read("Creatine kinase > 3 x ULN", "exclusion") == []  # another test
    assert read("Men and women between 1 and 11 years post-CABG.") == []  # time since surgery
    weight = only("Body weight \\<2,500 g", "exclusion")
    assert (weight.value, weight.value_normalized, weight.unit_normalized) == (2500.0, 2.5, "kg")
    assert read("Hemoglobin > 9 g") == []
    between = only("Subjects of age between ≥ 40 through ≤ 75 years.")
    assert (between.low, between.high, between.low_op, between.high_op) == (40.0, 75.0, ">=", "<=")


def test_negations_and_people_who_may_not_enter_are_exclusions() -> None:
    text = "hypertension (or medical history of hypertension) that are not controlled below 140/90mmHg"
    assert read(text, "exclusion") == [
        ("systolic_bp", "exclusion", ">=", 140.0),
        ("diastolic_bp", "exclusion", ">=", 90.0),
    ]
    assert read("No one age less than 18 years.") == [("age", "exclusion", "<", 18.0)]
    assert read("No one with serum creatine greater than 2mg/dl.") == [("creatinine", "exclusion", ">", 2.0)]
    assert read("No patients with bilirubin > 2 mg/dL") == [("total_bilirubin", "exclusion", ">", 2.0)]


def test_a_value_written_before_the_names_it_is_for() -> None:
    text = ">2 × upper limit of normal (ULN) for alanine aminotransferase (ALT) or aspartate aminotransferase (AST); or"
    assert read(text, "exclusion") == [("alt", "exclusion", ">", 2.0), ("ast", "exclusion", ">", 2.0)]
    assert read(">2 × ULN for serum creatinine.", "exclusion") == [("creatinine", "exclusion", ">", 2.0)]
    assert read("≥ 3 months for prior chemotherapy, ALT < 3 x ULN") == [("alt", "inclusion", "<", 3.0)]


def test_age_bands_that_each_choose_another_limit_are_not_age_limits() -> None:
    text = (
        "1-11 months of age must have > 2000 cells/mm3 and >= 30 percent of the total lymphocytes; 12-23 months "
        "must have > 1000 cells/mm3; and 7 years and older must have > 500 cells/mm3."
    )
    assert [t for t in read(text) if t[0] == "age"] == []
    assert read("Patients 18-65 years of age must have ECOG 0-1") == [
        ("age", "inclusion", "between", (18.0, 65.0)),
        ("ecog", "inclusion", "between", (0.0, 1.0)),
    ]


def test_a_fourth_review_of_the_new_rules_found_these_and_they_hold() -> None:
    things_days_old = [
        "Screening MRI must be no more than 28 days old at the time of registration",
        "Laboratory values that are less than 14 days old at registration",
        "Patients with a CT scan less than 4 weeks old",
        "Children with a fracture less than 7 days old",
        "Patients with a stroke or TIA less than 6 months old",
    ]
    for text in things_days_old:
        assert read(text) == [], text
    # a run-on "No X" item ends where the next item starts; a bracket after "controlled" is a limit to meet
    text = "Hepatic: Compensated liver disease No ascites No encephalopathy Elevated serum ALT (greater than 1.5 times ULN)"
    assert read(text) == [("alt", "inclusion", ">", 1.5)]
    text = "Cardiovascular: No symptomatic heart disease Blood pressure adequately controlled (less than 140/90 mm Hg)"
    assert {t[1] for t in read(text)} == {"inclusion"}
    # a "No X:" heading over an inclusion definition
    text = "No biochemical response to ursodeoxycholic acid after 12 months: ALP ≥ 1.67 x ULN or total bilirubin > ULN"
    assert read(text) == [("alp", "inclusion", ">=", 1.67)]
    # bounds in two units stay two bounds
    assert read("Children ≥ 6 months of age and < 18 years of age") == [
        ("age", "inclusion", ">=", 6.0),
        ("age", "inclusion", "<", 18.0),
    ]
    # a duration that "must have passed" is no age band
    text = "Subjects aged 18 to 55 years must be healthy; at least 3 months must have passed since last blood donation"
    assert read(text) == [("age", "inclusion", "between", (18.0, 55.0))]
    # "for ALT or AST" stops before a name with its own value; "2 times" without ULN is a count
    assert read("> 3 × ULN for ALT or AST and total bilirubin > 2 mg/dL", "exclusion") == [
        ("alt", "exclusion", ">", 3.0),
        ("ast", "exclusion", ">", 3.0),
        ("total_bilirubin", "exclusion", ">", 2.0),
    ]
    assert read("Previous treatment ≥ 2 times for ALT flares") == []
    # consent wording alone does not make an age a condition; an exception's bounds are inclusions
    assert read("For patients aged 18 to 65 years, who have given written informed consent") == [
        ("age", "inclusion", "between", (18.0, 65.0))
    ]
    assert read("No patients with liver disease unless total bilirubin ≤ 1.5 mg/dL") == [
        ("total_bilirubin", "inclusion", "<=", 1.5)
    ]
    assert read("No candidate for surgery, with Child-Pugh score ≤ 7") == [("child_pugh_score", "inclusion", "<=", 7.0)]
    for kinase in ("Creatine Phospho Kinase > 2.5 x ULN", "Creatine-kinase > 2.5 x ULN", "Creatine kinases > 5 x ULN"):
        assert read(kinase, "exclusion") == [], kinase
    assert only("Dysplastic (nonproliferative) CMML with WBC < 13.0/microL)").value_normalized == 13.0
    assert read("Adults between 18 and 75 years postmenopausal for ≥ 12 months") == [
        ("age", "inclusion", "between", (18.0, 75.0))
    ]
    assert read("40 mg to 60 months of age") == []
    assert read("ECOG performance status 0to2") == [("ecog", "inclusion", "between", (0.0, 2.0))]


def test_age_bands_are_counted_once_per_item() -> None:
    started = time.perf_counter()
    read("12 months of age must have " * 4000)  # was quadratic: every age counted the item's bands again
    read("1-11 months of age must have > 2000 cells/mm3; " * 2000)
    assert time.perf_counter() - started < 20  # a guard against quadratic counting (about 1 s here), not a figure


def test_the_ten_more_variables_in_the_wordings_fresh_records_and_the_held_out_half_taught() -> None:
    assert read("No New York Heart Association class III or IV heart disease") == [
        ("nyha_class", "exclusion", "between", (3.0, 4.0))
    ]
    text = "Cardiovascular: No cardiac arrhythmia No prior grade III or IV New York Heart Association cardiac problem"
    assert read(text) == [("nyha_class", "exclusion", "between", (3.0, 4.0))]
    text = "Patients with congestive cardiac failure (≥ Class III in NYHA cardiac function classification)"
    assert read(text, "exclusion") == [("nyha_class", "exclusion", ">=", 3.0)]
    text = "(1) cardiac function class III-IV according to NYHA cardiac function classification (2) unstable angina"
    assert read(text, "exclusion") == [("nyha_class", "exclusion", "between", (3.0, 4.0))]
    for text in (
        "according to NYHA standards, grade Ⅲ～Ⅳ Insufficiency",
        "According to NYHA standard, grade Ⅲ \\~ Ⅳ heart failure",
    ):
        assert read(text, "exclusion") == [("nyha_class", "exclusion", "between", (3.0, 4.0))], text
    assert read("NYHA, grade 3 neuropathy", "exclusion") == []
    assert read("resting state ECG QTc \\&gt; 450 ms", "exclusion") == [("qtc", "exclusion", ">", 450.0)]
    assert read("High risk for primary prevention: LDL-C\\>=120 mg/dL") == [
        ("ldl_cholesterol", "inclusion", ">=", 120.0)
    ]
    text = (
        "Average weekly alcohol consumption of standard drinks of at least 25 drinks for men and 20 drinks for women."
    )
    assert [t[3] for t in read(text)] == [25.0, 20.0]
    text = (
        "Liver function test abnormalities greater than three times upper limits of normal (either serum GOT, GPT, "
        "alkaline phosphatase, and/or bilirubin)."
    )
    assert {t[0] for t in read(text, "exclusion")} >= {"ast", "alt", "alp", "total_bilirubin"}
    # a "No" item does not run through a decimal into the next item of a run-on record
    assert read("No prior therapy for 4.5 years Bilirubin greater than 2.0 mg/dL") == [
        ("total_bilirubin", "inclusion", ">", 2.0)
    ]


def test_an_included_item_that_excludes_its_sub_items_and_a_sentence_that_excludes_its_bracket() -> None:
    text = (
        "Inclusion Criteria:\n\n  -  ECOG 0-2\n\n  -  Patients with any of the following conditions are excluded:\n\n"
        "       -  Class III or IV heart failure as defined by the NYHA functional\n          classification system\n\n"
        "  -  Women must agree to contraception\n"
    )
    inclusion, exclusion = split_criteria(text)
    assert "Women must agree to contraception" in inclusion
    assert exclusion == ("Class III or IV heart failure as defined by the NYHA functional classification system",)
    text = (
        "Patients with a history of QTc prolongation (defined as a QTc interval >= 500 msec), serious ventricular "
        "arrhythmia or other significant ECG abnormalities are excluded"
    )
    assert read(text) == [("qtc", "exclusion", ">=", 500.0)]
    assert read("Patients with renal function (creatinine clearance >= 60 ml/min) are not excluded") != []


def test_a_name_wrapped_across_two_lines_of_an_old_record_is_read_whole() -> None:
    items = (
        "Creatinine clearance greater than 60 mL/min Cardiovascular: No New York Heart",
        "Association class III or IV heart disease",
    )
    assert [
        (t.variable, t.side) for t in read_thresholds(Eligibility(inclusion=items)) if t.variable == "nyha_class"
    ] == [("nyha_class", "exclusion")]
    items = ("Hepatic: Bilirubin normal Alkaline", "Phosphatase less than 2 times ULN")
    assert [t.variable for t in read_thresholds(Eligibility(inclusion=items))] == ["alp"]


def test_a_fifth_review_of_the_ten_variable_rules_found_these_and_they_hold() -> None:
    # only "any of the following … are excluded:" makes sub-items exclusions
    for heading in (
        "The following laboratory values are required (patients outside these ranges are not eligible):",
        "Patients must be ineligible for intensive chemotherapy, defined as:",
        "Patients with HBV co-infection are excluded unless all of the following:",
    ):
        inclusion, exclusion = split_criteria(f"Inclusion Criteria:\n  -  {heading}\n       -  Age ≥ 75 years\n")
        assert exclusion == () and "Age ≥ 75 years" in inclusion, heading
    # a sentence excludes its bracket only when the patients are its subject and nobody else is named after it
    for text in (
        "Persistently elevated ALT (ALT > 1.5 × ULN) for at least 6 months, in whom other causes of liver disease "
        "were excluded",
        "Patients with hypertriglyceridemia (triglycerides ≥ 500 mg/dL), patients with type 1 diabetes are excluded",
    ):
        assert {t[1] for t in read(text)} == {"inclusion"}, text
    assert read("Disease-free survival period of more than 5 years") == []
    assert read("Increase ≥ 0.3 mg/dL (serum creatinine) within 48 hours") == []
    assert read("per NYHA criteria, grade 3 or 4 neutropenia", "exclusion") == []
    assert read("AST &amp; ALT &lt;= 2.5 x ULN", "exclusion") == [
        ("ast", "exclusion", "<=", 2.5),
        ("alt", "exclusion", "<=", 2.5),
    ]


def test_x5_and_x6_taught_these_ten_variable_wordings() -> None:
    assert read("No congestive heart failure (NYHA class 3/4 status)") == [
        ("nyha_class", "exclusion", "between", (3.0, 4.0))
    ]
    text = "heart failure with a New York Heart Association (NYHA) score of III or IV"
    assert read(text, "exclusion") == [("nyha_class", "exclusion", "between", (3.0, 4.0))]
    assert read("Hemorrhagic tendency (PT and aPTT> ULN x 1.5)", "exclusion") == [
        ("prothrombin_time", "exclusion", ">", 1.5),
        ("aptt", "exclusion", ">", 1.5),
    ]
    assert read("Alkalin phosphatases ≤ 5 x ULN") == [("alp", "inclusion", "<=", 5.0)]
    hours = only("Life expectancy > 48 hours.")
    assert (hours.value, hours.unit_normalized, round(hours.value_normalized or 0, 4)) == (
        48.0,
        "mo",
        round(48 * 12 / 8766, 4),
    )
    assert read("within 48 hours of randomization, bilirubin < 2 mg/dL") == [("total_bilirubin", "inclusion", "<", 2.0)]


def test_great_or_equal_to_is_a_lower_bound_typo() -> None:
    text = "Patients must have a Karnofsky performance status great or equal to 70%."
    assert read(text) == [("karnofsky", "inclusion", ">=", 70.0)]


def test_a_survival_not_expected_beyond_a_time_is_an_upper_bound() -> None:
    assert read("Moribund patient not expected to survive > 24hours", "exclusion") == [
        ("life_expectancy", "exclusion", "<=", 24.0)
    ]
    assert read("Patients expected to survive less than 24 hours", "exclusion") == [
        ("life_expectancy", "exclusion", "<", 24.0)
    ]
