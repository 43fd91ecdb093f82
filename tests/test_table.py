"""`kg table`: one row per trial with a record, in CSV, TSV, Parquet or XLSX, its numbers those of SPARQL."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from tests.conftest import run_kg as run

MSC = [str(FIXTURES / "seeds"), str(FIXTURES / "v1"), str(FIXTURES / "mesh" / "records")]


@pytest.fixture(scope="module")
def msc_store(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("table")
    result = run("build", *MSC, "-o", str(folder / "msc.nt"), "--store", str(folder / "store"))
    assert result.exit_code == 0, result.stderr
    return folder / "store"


def read_csv(path: Path, delimiter: str = ",") -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream, delimiter=delimiter))


def sparql_ncts(store: Path, query: str) -> set[str]:
    result = run("query", "--store", str(store), query, "--format", "json")
    return {b["nct"]["value"] for b in json.loads(result.stdout)["results"]["bindings"]}


def test_one_row_per_trial_with_a_record_in_nct_order(msc_store: Path, tmp_path: Path) -> None:
    result = run("table", "--store", str(msc_store), "-o", str(tmp_path / "trials.csv"))
    assert result.exit_code == 0 and "trials (every trial) written to" in result.stderr
    rows = read_csv(tmp_path / "trials.csv")
    with_records = sparql_ncts(
        msc_store,
        "SELECT ?nct WHERE { ?t <http://www.w3.org/ns/prov#wasDerivedFrom> ?r ; "
        "<https://w3id.org/kg-trials/ontology#nctId> ?nct }",
    )
    assert [r["nct_id"] for r in rows] == sorted(with_records)
    assert list(rows[0]) == [
        "nct_id", "title", "official_title", "status", "phases", "study_type", "start_date", "completion_date",
        "enrollment", "sponsor", "sponsor_class", "countries", "conditions", "mesh_terms", "interventions",
        "cell_product", "doses", "schedule", "thresholds", "related_trials", "data_as_of",
    ]  # fmt: skip


def test_a_row_holds_what_the_graph_says_of_the_trial(msc_store: Path, tmp_path: Path) -> None:
    run("table", "--store", str(msc_store), "-o", str(tmp_path / "trials.tsv"))
    row = {r["nct_id"]: r for r in read_csv(tmp_path / "trials.tsv", "\t")}["NCT06884904"]
    assert row["status"] == "NOT_YET_RECRUITING" and row["phases"] == "PHASE2; PHASE3"
    assert row["sponsor"] == "National Engineering Center of Cell Products" and row["enrollment"] == "96"
    assert row["doses"].endswith("cells/kg") and row["doses"].startswith("2e+06")  # low dose 2.0×10^6/kg
    assert "NCT05985863" in row["related_trials"].split("; ")
    assert row["data_as_of"] == "2025-03-19"


def test_the_condition_filter_is_the_condition_query(msc_store: Path, tmp_path: Path) -> None:
    run("table", "--store", str(msc_store), "--condition", "LIVER DISEASES", "-o", str(tmp_path / "liver.csv"))
    rows = read_csv(tmp_path / "liver.csv")
    query = run("query", "--store", str(msc_store), "--name", "trials-by-condition", "--param", "term=liver diseases",
                "--format", "json")  # fmt: skip
    found = {b["nct"]["value"] for b in json.loads(query.stdout)["results"]["bindings"]}
    assert {r["nct_id"] for r in rows} == found and "NCT00004467" in found  # an XML trial, via the hierarchy


def test_filters_combine_with_and(msc_store: Path, tmp_path: Path) -> None:
    run("table", "--store", str(msc_store), "--intervention", "mesenchymal", "-o", str(tmp_path / "msc.csv"))
    run("table", "--store", str(msc_store), "--intervention", "mesenchymal", "--term", "cirrhosis",
        "-o", str(tmp_path / "both.csv"))  # fmt: skip
    msc, both = read_csv(tmp_path / "msc.csv"), read_csv(tmp_path / "both.csv")
    assert msc and both and {r["nct_id"] for r in both} < {r["nct_id"] for r in msc}
    assert "NCT03945487" in {r["nct_id"] for r in both}  # MSCs for decompensated cirrhosis


def test_parquet_and_xlsx_hold_the_same_rows_as_csv(msc_store: Path, tmp_path: Path) -> None:
    import pyarrow.parquet as pq
    from openpyxl import load_workbook

    for name in ("t.csv", "t.parquet", "t.xlsx"):
        assert run("table", "--store", str(msc_store), "-o", str(tmp_path / name)).exit_code == 0
    rows = read_csv(tmp_path / "t.csv")
    parquet = pq.read_table(tmp_path / "t.parquet").to_pylist()
    assert [r["nct_id"] for r in parquet] == [r["nct_id"] for r in rows]
    assert [str(r["enrollment"] or "") for r in parquet] == [r["enrollment"] for r in rows]  # an integer column
    sheet = load_workbook(tmp_path / "t.xlsx").active
    values = list(sheet.values)
    assert list(values[0]) == list(rows[0]) and len(values) == len(rows) + 1


def test_an_unknown_extension_is_refused_before_anything_is_read(tmp_path: Path) -> None:
    result = run("table", "--store", str(tmp_path / "nowhere"), "-o", str(tmp_path / "t.json"))
    assert result.exit_code == 2 and "write the table as .csv, .tsv, .parquet or .xlsx" in result.stderr


def test_text_that_looks_like_a_formula_stays_text_in_xlsx(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from kg.report.table import COLUMNS, write_table

    row = dict.fromkeys(COLUMNS, "")
    row |= {"nct_id": "NCT00000001", "title": '=HYPERLINK("http://example.invalid","x")', "enrollment": "12"}
    write_table([row], tmp_path / "t.xlsx")
    cell = load_workbook(tmp_path / "t.xlsx").active["B2"]
    assert cell.value == row["title"] and cell.data_type == "s"
