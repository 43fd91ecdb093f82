"""Doses and schedules as clinicians write them in real records, and how kg's reading is scored on gold."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kg.evaluation.doses import DoseScores, _score_record, half_of, score_doses
from kg.model.doses import find_doses, find_schedule
from tests.conftest import FIXTURES, run_kg


def doses(text: str) -> list[tuple[float, float, str, str | None]]:
    return [(d.low, d.high, d.unit, d.per) for d in find_doses(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # NCT01429038: a decimal comma and a multiplier after a space, or glued to it
        ("infused with 1,5-3,0 10E6 MSC/kg", [(1.5e6, 3e6, "cells/kg", None)]),
        ("infusion of 1,5-3,010E6/kg", [(1.5e6, 3e6, "cells/kg", None)]),
        # a cell count's volume is the same administration, not a second dose
        ("0.5 to 1 x 10^6/kg autologous BM MSCs (Total volume: 30 - 50 ml)", [(5e5, 1e6, "cells/kg", None)]),
        # NCT03860155: per kg even with words between the count and `cells`
        ("2 x 10e6 umbilical cord mesenchymal stem cells/kg bodyweight", [(2e6, 2e6, "cells/kg", None)]),
        # superscripts lost in copying, read as powers of ten where the text is about cells
        ("4 doses of 2 x 106/kg administered", [(2e6, 2e6, "cells/kg", None)]),
        (
            "UC-MSC 2×105/Kg, 1×106/Kg, 5×106/Kg",
            [(2e5, 2e5, "cells/kg", None), (1e6, 1e6, "cells/kg", None), (5e6, 5e6, "cells/kg", None)],
        ),
        (
            "MSCs (1×10e5/Kg,1×10e6/Kg,or 1×10e7/Kg)",
            [(1e5, 1e5, "cells/kg", None), (1e6, 1e6, "cells/kg", None), (1e7, 1e7, "cells/kg", None)],
        ),
        ("300 million cells will be infused", [(3e8, 3e8, "cells", None)]),
        ("2 million cells per Kg", [(2e6, 2e6, "cells/kg", None)]),
        ("every time 6*10^7 (30ml)", [(6e7, 6e7, "cells", "dose")]),
        # the same amount of two drugs is two doses; a restatement in parentheses is not
        ("etoposide 120 mg/m^2 and methotrexate 120 mg/m^2", [(120, 120, "mg/m2", None), (120, 120, "mg/m2", None)]),
        ("1000 mcg (1 mg)", [(1000, 1000, "ug", None)]),
        ("13-Cis Retinoic Acid (50 mg/day) Tocopherol (800 mg/day)", [(50, 50, "mg", "day"), (800, 800, "mg", "day")]),
        # units of chemotherapy and contrast agents
        ("Azacytidine 10mg/(m2.d)", [(10, 10, "mg/m2", "day")]),
        ("interferon 3.0 x 10^6 IU/m^2", [(3e6, 3e6, "IU/m2", None)]),
        ("carboplatin AUC=5 and ifosfamide 5 g/m2", [(5, 5, "g/m2", None), (5, 5, "AUC", None)]),
        ("gadobutrol 0.1 mmol/kg", [(0.1, 0.1, "mmol/kg", None)]),
        ("peginterferon 135 ug/week", [(135, 135, "ug", "week")]),
        # a product's volume is its dose; the saline it is made up with is not
        ("10ml ExoFlo + 90ml normal saline", [(10, 10, "mL", None)]),
        # frequency words are the schedule's: they set no `per`
        ("Tamoxifen 20 mg daily oral administration", [(20, 20, "mg", None)]),
    ],
)
def test_doses_are_read_as_the_record_states_them(text: str, expected: list) -> None:
    assert sorted(doses(text)) == sorted(expected)


@pytest.mark.parametrize(
    "text",
    [
        "taken i.v., once per 4 week, at 50 ml saline for 12 weeks.",  # NCT01218464's control arm: a vehicle
        "130 mg/m2 oxaliplatin diluted in 250 to 500 mL Dextrose 5% in Water",  # the diluent
        "Placebo: equivalent volume of solvent calculated at 2.0×10^6/kg",
        "Astronauts at 1G",  # gravity, not grams
        "serum albumin <30 g/L and 28 g/ml ozone",  # a lab threshold and a concentration
    ],
)
def test_what_is_not_a_dose_never_becomes_one(text: str) -> None:
    assert [d for d in doses(text) if d[2] != "mg/m2"] == []


@pytest.mark.parametrize(
    ("text", "times", "days", "weeks", "interval"),
    [
        ("on the 1, 4, 7 and 10 days after patients recruitment", 4, (1, 4, 7, 10), (), None),  # NCT04822922
        ("each at Day 0, Day 5 (±1) and Day 13 (±1)", 3, (0, 5, 13), (), None),  # NCT03860155
        ("three times at 3-week intervals", 3, (), (), 3),  # NCT03945487's page
        ("once a week, 4 times", 4, (), (), 1),
        ("once a week for 4 weeks", 4, (), (), 1),
        ("twice per week, at a dose of 1*10E6 MSC/kg body for 2 weeks", 4, (), (), 0.5),
        ("once per 4 week, at a dose of 0.5*10E6 MSC/kg body for 12 weeks", None, (), (), 4),
        ("3 doses of UC-MSCs intravenously at week 0, week 4, week 8", 3, (), (0, 4, 8), None),
        ("Two doses", 2, (), (), None),
        ("A single dose", 1, (), (), None),
        ("infused one time", 1, (), (), None),
        ("once every 7 days", None, (), (), 1),
        ("Q 21 days x 3 cycles", None, (), (), 3),
        ("d 1 + d 8 Pemetrexed 500 mg/m2 d 1 q d 21", None, (1, 8), (), 3),
        ("On Day 1 of each 21-day treatment cycle", None, (1,), (), 3),
        ("2 doses (apart from 24weeks)", 2, (), (), 24),
        # NCT05507762, stated only in the intervention text: `per trial group` is no frequency
        ("Duration: 5 injections per trial group for the entire duration of the course", 5, (), (), None),
    ],
)
def test_schedules_are_read_as_the_record_states_them(text, times, days, weeks, interval) -> None:
    schedule = find_schedule(text)
    assert schedule is not None
    assert (schedule.times, schedule.days, schedule.weeks, schedule.interval_weeks) == (times, days, weeks, interval)


@pytest.mark.parametrize(
    "text", ["50 mg twice daily for 3 months", "once every 4 days", "Aquatic exercise sessions, once a week"]
)
def test_continuous_dosing_and_exercise_are_no_schedule(text: str) -> None:
    assert find_schedule(text) is None


def test_an_arm_without_a_schedule_takes_the_one_its_intervention_states(tmp_path: Path) -> None:
    """NCT04822922: the arms give doses only; the one intervention text gives days 1, 4, 7 and 10."""
    result = run_kg("parse", str(FIXTURES / "v1" / "NCT04822922.json"))
    import json

    arms = json.loads(result.stdout)["arms"]
    assert [a["schedule"]["days"] for a in arms] == [[1.0, 4.0, 7.0, 10.0]] * 3


def _arm(label: str, doses: list[dict], schedule: dict | None = None, **extra) -> dict:
    return {"label": label, "doses": doses, "schedule": schedule, **extra}


def _dose(low: float, high: float, unit: str, per: str | None = None) -> dict:
    return {"low": low, "high": high, "unit": unit, "per": per, "text": f"{low} {unit}"}


def test_doses_match_one_to_one_within_one_percent_with_per_dose_as_no_rate() -> None:
    gold = {"nct_id": "NCT1", "arms": [_arm("Arm A", [_dose(1e6, 1e6, "cells/kg"), _dose(2e6, 2e6, "cells/kg")])]}
    kg = [_arm("arm  a", [_dose(1.005e6, 1.005e6, "cells/kg", "dose"), _dose(1e6, 1e6, "cells/kg"),
                          _dose(2e6, 2e6, "cells")])]  # fmt: skip
    scores = DoseScores()
    _score_record(gold, kg, scores)
    assert (scores.gold_doses, scores.kg_doses, scores.matched_doses) == (2, 3, 1)


def test_uncertain_arms_are_left_out_and_schedules_compare_what_the_gold_gives() -> None:
    gold = {
        "nct_id": "NCT1",
        "arms": [
            _arm("A", [], {"administrations": 3, "days": None, "weeks": [0, 4, 8], "interval_weeks": None}),
            _arm("B", [_dose(5, 5, "mg")], None, uncertain=True),
            _arm("C", [], None),
        ],
    }
    kg = [
        _arm("A", [], {"times": 3, "days": [], "weeks": [0.0, 4.0, 8.0], "interval_weeks": None}),
        _arm("B", [_dose(7, 7, "mg")]),
        _arm("C", [], {"times": 1, "days": [], "weeks": [], "interval_weeks": None}),
    ]
    scores = DoseScores()
    _score_record(gold, kg, scores)
    assert (scores.arms, scores.kg_doses, scores.right_schedules, scores.extra_schedules) == (2, 0, 1, 1)


def test_halves_are_fixed_by_the_nct_id() -> None:
    assert {half_of(f"NCT{n:08d}") for n in range(20)} == {"tune", "held-out"}
    assert half_of("NCT03945487") == half_of("NCT03945487")


def test_score_doses_reads_the_records_the_gold_names_and_prints_a_table() -> None:
    gold = FIXTURES / "gold" / "doses-sample.json"
    scores = score_doses(gold, "all", FIXTURES)
    assert scores.records == 6 and scores.gold_doses > 0
    assert scores.precision >= 0.9 and scores.recall >= 0.9 and scores.schedule_accuracy >= 0.9
    result = run_kg("score-doses", "--gold", str(gold), "--records-under", str(FIXTURES))
    assert result.exit_code == 0 and "| dose precision |" in result.stdout


def test_doses_become_comparable_as_course_totals_and_absolute_amounts_at_an_assumed_70_kg() -> None:
    from kg.model.records import Amount, Dose, Schedule, comparable_amounts

    per_kg_three_times = comparable_amounts(Dose(1e6, 2e6, "cells/kg"), Schedule(times=3))
    assert per_kg_three_times == (Amount(3e6, 6e6, "cells/kg"), Amount(7e7, 1.4e8, "cells"))
    per_day_for_listed_days = comparable_amounts(Dose(50, 50, "mg", per="day"), Schedule(days=(1, 2, 3, 4, 5)))
    assert per_day_for_listed_days == (Amount(250, 250, "mg"), None)
    # a per-day dose with only a count of administrations, and any dose without a schedule: no course total
    assert comparable_amounts(Dose(50, 50, "mg", per="day"), Schedule(times=4)) == (None, None)
    assert comparable_amounts(Dose(75, 75, "mg/m2"), None) == (None, None)


def test_parse_and_the_graph_give_the_course_total_and_the_70_kg_amount_labelled_as_an_assumption(tmp_path) -> None:
    """NCT03945487: 1.0*10E6 UC-MSC/kg, three times at 3-week intervals."""
    import json

    import pyoxigraph

    (arm, *_) = json.loads(run_kg("parse", str(FIXTURES / "v1" / "NCT03945487.json")).stdout)["arms"]
    assert arm["doses"][0]["course_total"] == {"low": 3e6, "high": 3e6, "unit": "cells/kg"}
    assert arm["doses"][0]["at_70kg"] == {"low": 7e7, "high": 7e7, "unit": "cells"}
    graph = tmp_path / "g.nt"
    assert run_kg("build", str(FIXTURES / "v1" / "NCT03945487.json"), "-o", str(graph)).exit_code == 0
    store = pyoxigraph.Store()
    store.load(path=str(graph), format=pyoxigraph.RdfFormat.N_TRIPLES)
    query = (
        "PREFIX kg: <https://w3id.org/kg-trials/ontology#> SELECT ?total ?absolute ?unit ?weight WHERE { "
        "?dose kg:courseTotalMin ?total ; kg:at70kgMin ?absolute ; kg:at70kgUnit ?unit ; kg:assumedBodyWeightKg ?weight }"
    )
    ((total, absolute, unit, weight),) = [tuple(row) for row in store.query(query)]  # type: ignore[union-attr]
    assert (float(total.value), float(absolute.value), unit.value, float(weight.value)) == (3e6, 7e7, "cells", 70.0)


def test_dose_ranges_name_the_trial_behind_each_end(real_build) -> None:
    from rdflib import Graph

    graph_file, store = real_build
    result = run_kg("query", "--store", str(store), "--name", "dose-ranges", "--format", "json")
    rows = [{k: v["value"] for k, v in b.items()} for b in json.loads(result.stdout)["results"]["bindings"]]
    liver = [r for r in rows if "Liver Failure" in r["condition"] and r["unit"] == "cells/kg"]
    assert len(liver) >= 3
    graph = Graph().parse(graph_file)
    gives = """PREFIX kg: <https://w3id.org/kg-trials/ontology#> PREFIX schema: <https://schema.org/>
        ASK {{ ?t kg:nctId "{nct}" ; kg:hasArm/kg:hasDose ?d . ?d schema:{end} ?v ; schema:unitText "{unit}" .
               FILTER(?v = {value}) }}"""
    for row in liver:  # the trial named at each end gives exactly that amount
        for end, value, nct in (
            ("minValue", row["lowest"], row["lowestIn"]),
            ("maxValue", row["highest"], row["highestIn"]),
        ):
            assert graph.query(gives.format(nct=nct, end=end, unit=row["unit"], value=value)).askAnswer, (row, end)


def test_an_arm_keeps_its_own_dose_and_lists_the_one_its_intervention_states_instead() -> None:
    """NCT05286255-like: the arm says 1.25-1.5 x 10^6 cells/kg, its intervention 1.2-1.5 x 10^6 cells/kg."""
    from kg.model.doses import add_doses
    from kg.model.records import Arm, Intervention, Provenance, TrialRecord

    record = TrialRecord(
        "NCT00000002",
        Provenance("ctgov-v2-json", "x.json", 0),
        interventions=(Intervention("BIOLOGICAL", "MSC", "MSC 1.2-1.5 x 10^6 cells/kg intravenously"),),
        arms=(
            Arm("A", "EXPERIMENTAL", "MSC at 1.25-1.5 x 10^6 cells/kg", ("Biological: MSC",)),
            Arm("B", "EXPERIMENTAL", "MSC at 1.2-1.5 x 10^6 cells/kg", ("Biological: MSC",)),
        ),
    )
    a, b = add_doses(record).arms
    assert [(d.low, d.high) for d in a.doses] == [(1.25e6, 1.5e6)]
    assert [(d.low, d.high, d.text) for d in a.dose_conflict] == [(1.2e6, 1.5e6, "1.2-1.5 x 10^6 cells/kg")]
    assert b.dose_conflict == ()  # the same dose: no conflict


def test_the_conflicting_dose_is_in_the_graph_beside_the_arms_own() -> None:
    from rdflib import URIRef

    from kg.model.doses import add_doses
    from kg.model.records import Arm, Intervention, Provenance, TrialRecord
    from kg.rdf.iris import KG, SCHEMA
    from kg.rdf.mapping import map_trial

    record = TrialRecord(
        "NCT00000002",
        Provenance("ctgov-v2-json", "x.json", 0),
        interventions=(Intervention("DRUG", "AK104", "AK104 10mg/kg IV Q3W"),),
        arms=(Arm("AK104 15mg/kg", "EXPERIMENTAL", "AK104 15mg/kg Q3W", ("Drug: AK104",)),),
    )
    triples = set(map_trial(add_doses(record)).rdflib())
    arm = URIRef("https://w3id.org/kg-trials/resource/trial/NCT00000002/arm/1")
    (other,) = [o for s, p, o in triples if (s, p) == (arm, KG.doseConflict)]
    assert {(p, str(o)) for s, p, o in triples if s == other} >= {(SCHEMA.maxValue, "10.0"), (SCHEMA.unitText, "mg/kg")}
    assert [o for s, p, o in triples if (s, p) == (arm, KG.hasDose)] != [other]
