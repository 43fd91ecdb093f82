"""Eligibility thresholds in the graph, and the canned query that compares a patient's values with them.

The MSC and liver records (v1, the seed pages, the thresholds records) state bilirubin, INR and MELD bounds
in mg/dL, µmol/L and multiples of the upper limit of normal; the verdicts asserted here were checked by
reading their criteria.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from rdflib import Graph

from tests.conftest import FIXTURES, run_kg

INPUTS = [str(FIXTURES / "v1"), str(FIXTURES / "seeds"), str(FIXTURES / "thresholds" / "records")]
QUESTION = ["total_bilirubin=12mg/dL", "inr=1.8", "meld=24"]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    """The MSC/liver records built once into a graph file and a store; tests only read them."""
    folder = tmp_path_factory.mktemp("thresholds-build")
    graph, store = folder / "graph.nt", folder / "store"
    result = run_kg("build", *INPUTS, "-o", str(graph), "--store", str(store))
    assert result.exit_code == 0, result.stderr
    return graph, store


def _answer(built: tuple[Path, Path], *params: str, engine: str = "oxigraph") -> list[dict[str, str]]:
    graph, store = built
    source = ["--store", str(store)] if engine == "oxigraph" else ["--engine", "rdflib", "--graph", str(graph)]
    args = ["query", *source, "--name", "trials-by-threshold", "--format", "csv"]
    for param in params:
        args += ["--param", param]
    result = run_kg(*args)
    assert result.exit_code == 0, result.stderr
    return list(csv.DictReader(io.StringIO(result.stdout)))


def _verdicts(rows: list[dict[str, str]]) -> dict[tuple[str, str], tuple[str, str]]:
    """(trial, variable) -> (verdict, deciding threshold); each pair must come once."""
    found = {(r["nct"], r["variable"]): (r["verdict"], r["threshold"]) for r in rows}
    assert len(found) == len(rows), "one row per trial and variable"
    return found


def test_each_trial_has_the_threshold_nodes_kg_parse_reads_from_its_record(built) -> None:
    parsed = run_kg("parse", *INPUTS)
    assert parsed.exit_code == 0, parsed.stderr
    read: dict[str, set[tuple[tuple[str, str, str], ...]]] = defaultdict(set)
    for line in parsed.stdout.splitlines():
        record = json.loads(line)
        if record["nct_id"]:  # a page without an NCT id gets one from the build (by title): not comparable here
            thresholds = (record.get("eligibility") or {}).get("thresholds", [])
            read[record["nct_id"]].add(tuple(sorted((t["variable"], t["side"], t["comparator"]) for t in thresholds)))
    graph = Graph().parse(built[0], format="nt")
    rows = graph.query(
        """PREFIX kg: <https://w3id.org/kg-trials/ontology#>
        SELECT ?nct ?variable ?side ?comparator WHERE {
          ?trial kg:nctId ?nct ; kg:hasEligibility/kg:hasThreshold ?t .
          ?t a kg:Threshold ; kg:thresholdVariable ?variable ; kg:criterionSide ?side ; kg:comparator ?comparator .
        }"""
    )
    in_graph: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for nct, variable, side, comparator in rows:
        in_graph[str(nct)].append((str(variable), str(side), str(comparator)))
    assert sum(len(v) for v in in_graph.values()) > 50
    for nct, readings in read.items():  # a trial two records give is merged: one record's criteria are kept
        assert tuple(sorted(in_graph.get(nct, []))) in readings, nct


def test_a_patients_bilirubin_inr_and_meld_are_judged_against_each_trials_thresholds(built) -> None:
    verdicts = _verdicts(_answer(built, *QUESTION))
    # "Total bilirubin (TBil) ≥12 mg/dL ...; INR ≥1.5": 12 mg/dL and 1.8 meet both; no MELD bound.
    assert verdicts["NCT06884904", "total_bilirubin"] == ("admits", "total_bilirubin >= 12 mg/dL (inclusion)")
    assert verdicts["NCT06884904", "inr"] == ("admits", "inr >= 1.5 (inclusion)")
    assert verdicts["NCT06884904", "meld"] == ("not constrained", "")
    # "total bilirubin <170 umol/L" (9.94 mg/dL) is an inclusion bound 12 mg/dL fails; "MELD > 10" admits 24.
    assert verdicts["NCT03529136", "total_bilirubin"] == ("excludes", "total_bilirubin < 170 umol/L (inclusion)")
    assert verdicts["NCT03529136", "meld"] == ("admits", "meld > 10 (inclusion)")
    # An exclusion "serum total bilirubin level ≥ 170μmol/L" that 12 mg/dL meets.
    assert verdicts["NCT05121870", "total_bilirubin"] == ("excludes", "total_bilirubin >= 170 μmol/L (exclusion)")
    # "MELD score between 17-30" admits 24; "TBil ≥ 10×ULN" cannot be compared with mg/dL.
    assert verdicts["NCT03668171", "meld"] == ("admits", "meld 17 to 30 (inclusion)")
    assert verdicts["NCT02812121", "total_bilirubin"] == ("not comparable", "total_bilirubin >= 10 x ULN (inclusion)")
    # "bilirubin less than 2.0" (an oncology trial).
    assert verdicts["NCT00001576", "total_bilirubin"] == ("excludes", "total_bilirubin < 2 (inclusion)")
    # A trial that bounds none of these values says nothing about this patient: it is not listed.
    assert not any(nct == "NCT03945487" for nct, _ in verdicts)
    trials = {nct for nct, _ in verdicts}
    assert set(verdicts) == {(nct, v) for nct in trials for v in ("total_bilirubin", "inr", "meld")}


def test_the_criterion_that_excludes_is_named(built) -> None:
    rows = _answer(built, *QUESTION)
    excluding = next(r for r in rows if r["nct"] == "NCT05121870" and r["variable"] == "total_bilirubin")
    assert "Severe jaundice (serum total bilirubin level ≥ 170μmol/L)" in excluding["criterion"]
    assert excluding["value"] == "12 mg/dL" and excluding["total_bilirubin"] == "12 mg/dL"


def test_micromoles_per_litre_give_the_verdicts_of_the_same_amount_in_mg_per_dl(built) -> None:
    def judged(value: str) -> set[tuple[str, str, str]]:
        return {(r["nct"], r["verdict"], r["threshold"]) for r in _answer(built, f"total_bilirubin={value}")}

    assert judged("205.2 µmol/L") == judged("12mg/dL")
    at_the_bound = judged("170umol/L")  # exactly the bound several trials write
    assert at_the_bound == judged("9.94152 mg/dL")
    assert ("NCT03668171", "admits", "total_bilirubin >= 170 μmo1/L (inclusion)") in at_the_bound
    assert ("NCT03529136", "excludes", "total_bilirubin < 170 umol/L (inclusion)") in at_the_bound
    assert ("NCT05121870", "excludes", "total_bilirubin >= 170 μmol/L (exclusion)") in at_the_bound


def test_a_multiple_of_the_upper_limit_of_normal_meets_only_thresholds_written_as_one(built) -> None:
    rows = _answer(built, "total_bilirubin=12xULN")
    verdicts = _verdicts(rows)
    assert verdicts["NCT02812121", "total_bilirubin"] == ("admits", "total_bilirubin >= 10 x ULN (inclusion)")
    assert verdicts["NCT03634059", "total_bilirubin"] == ("excludes", "total_bilirubin <= 1.5 x ULN (inclusion)")
    assert verdicts["NCT06884904", "total_bilirubin"] == ("not comparable", "total_bilirubin >= 12 mg/dL (inclusion)")
    judged = [r for r in rows if r["verdict"] in ("admits", "excludes")]
    assert judged and all("x ULN" in r["threshold"] for r in judged)
    assert Counter(r["value"] for r in rows) == Counter({"12 x ULN": len(rows)})


@pytest.mark.parametrize(
    ("param", "message"),
    [
        ("total_bilirubin=12 furlongs", "kg does not know the unit 'furlongs'"),
        ("total_bilirubin=twelve", "is not a number with an optional unit"),
        ("inr=<2", "is not a number with an optional unit"),
        ("albumin=2xULN", "is not a unit of albumin"),
        ("age=300", "is not a plausible value"),
    ],
)
def test_a_malformed_value_exits_2_with_a_message(built, param: str, message: str) -> None:
    result = run_kg("query", "--store", str(built[1]), "--name", "trials-by-threshold", "--param", param)
    assert result.exit_code == 2 and message in result.stderr


def test_rdflib_gives_the_answers_of_oxigraph(built) -> None:
    for params in (QUESTION, ["total_bilirubin=2xULN", "alt=3xULN", "platelets=80x10^9/L", "age=45"]):
        assert _answer(built, *params, engine="rdflib") == _answer(built, *params)
