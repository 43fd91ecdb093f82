"""`kg table`: one row per trial with a record, ready for pandas and Excel.

Lists are joined with `; `; doses are given per unit as `lowest–highest` over the trial's arms; the
eligibility thresholds as their compact labels (`total_bilirubin >= 12 mg/dL (inclusion)`). CSV and TSV
are written as text (UTF-8, a header row), Parquet with pyarrow (every column a string, `enrollment` an
integer), XLSX with openpyxl (a header row, frozen, filtered).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyoxigraph

from kg.errors import InputError
from kg.rdf import iris
from kg.rdf.sinks import atomic_path, write_atomically
from kg.report.selection import Selection
from kg.similarity.walk import Walk

COLUMNS = (
    "nct_id", "title", "official_title", "status", "phases", "study_type", "start_date", "completion_date",
    "enrollment", "sponsor", "sponsor_class", "countries", "conditions", "mesh_terms", "interventions",
    "cell_product", "doses", "schedule", "thresholds", "related_trials", "data_as_of",
)  # fmt: skip
FORMATS = ("csv", "tsv", "parquet", "xlsx")
SEPARATOR = "; "

K, S, RDFS = iris.KG, iris.SCHEMA, iris.RDFS
_ONE = {
    "title": (str(S.name),),
    "official_title": (str(K.officialTitle),),
    "status": (str(K.overallStatus),),
    "study_type": (str(K.studyType),),
    "start_date": (str(K.startDate),),
    "completion_date": (str(K.completionDate),),
    "enrollment": (str(K.enrollment),),
    "sponsor": (str(K.leadSponsor), str(RDFS.label)),
    "sponsor_class": (str(K.leadSponsor), str(K.organizationClass)),
    "data_as_of": (str(K.dataAsOf),),
}
_LISTS = {
    "phases": (str(K.phase),),
    "countries": (str(K.hasLocation), str(S.addressCountry)),
    "conditions": (str(K.condition), str(RDFS.label)),
    "mesh_terms": (str(K.conditionMesh), str(RDFS.label)),
    "interventions": (str(K.hasIntervention), str(RDFS.label)),
    "schedule": (str(K.hasArm), str(K.scheduleText)),
    "thresholds": (str(K.hasEligibility), str(K.hasThreshold), str(RDFS.label)),
}
_SORTED = ("countries",)  # lists with no order of their own
_CELL_FIELDS = (str(K.cellType), str(K.tissueSource), str(K.cellDonor), str(K.deliveryRoute))
_DOSES = (str(K.hasArm), str(K.hasDose))


def table_rows(store: pyoxigraph.Store, selection: Selection | None = None) -> Iterator[dict[str, str]]:
    """One row per trial with a record, in NCT id order, for the trials the selection admits."""
    for nct, walk in (selection or Selection()).trials(store):
        yield row_of(nct, walk)


def row_of(nct: str, walk: Walk) -> dict[str, str]:
    row = {"nct_id": nct}
    for column, path in _ONE.items():
        values = walk.values(*path)
        row[column] = values[0] if values else ""
    for column, path in _LISTS.items():
        values = walk.values(*path)
        row[column] = SEPARATOR.join(sorted(values) if column in _SORTED else values)
    row["cell_product"] = SEPARATOR.join(
        ", ".join(v for field in _CELL_FIELDS for v in walk.values(field, start=product))
        for product in walk.nodes(str(K.hasIntervention))
        if walk.values(str(K.cellType), start=product)
    )
    row["doses"] = dose_ranges(walk)
    related = (iris.nct_id_of(node) for node in walk.values(str(K.relatedTrial)))
    row["related_trials"] = SEPARATOR.join(sorted(n for n in related if n))
    return {column: row.get(column, "") for column in COLUMNS}


def dose_ranges(walk: Walk) -> str:
    """`1e+06–2e+06 cells/kg; 50–100 mg`: per unit, the lowest and highest amount over the trial's arms."""
    ranges: dict[str, tuple[float, float]] = {}
    for dose in walk.nodes(*_DOSES):
        units = walk.values(str(S.unitText), start=dose)
        amounts = [float(v) for key in (S.minValue, S.maxValue) for v in walk.values(str(key), start=dose)]
        if not units or not amounts:
            continue
        low, high = ranges.get(units[0], (min(amounts), max(amounts)))
        ranges[units[0]] = (min(low, *amounts), max(high, *amounts))
    return SEPARATOR.join(
        f"{_number(low)} {unit}" if low == high else f"{_number(low)}–{_number(high)} {unit}"
        for unit, (low, high) in sorted(ranges.items())
    )


def _number(value: float) -> str:
    return f"{value:.4g}"


def format_of(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise InputError(
            f"{path}: write the table as .csv, .tsv, .parquet or .xlsx (not {path.suffix or 'no extension'})"
        )
    return suffix


def write_table(rows: Iterable[dict[str, str]], path: Path) -> int:
    """Write the rows in the format the extension names, atomically; returns how many rows."""
    table_format = format_of(path)
    if table_format in ("csv", "tsv"):
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, COLUMNS, delimiter="," if table_format == "csv" else "\t", lineterminator="\n")
        writer.writeheader()
        count = 0
        for row in rows:
            writer.writerow(row)
            count += 1
        write_atomically(path, buffer.getvalue())
        return count
    kept = list(rows)
    with atomic_path(path) as temporary:
        if table_format == "parquet":
            _write_parquet(kept, temporary)
        else:
            _write_xlsx(kept, temporary)
    return len(kept)


def _write_parquet(rows: list[dict[str, str]], path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = {c: [r[c] for r in rows] for c in COLUMNS}
    arrays = {c: pa.array(v, pa.string()) for c, v in columns.items()}
    arrays["enrollment"] = pa.array([int(v) if v else None for v in columns["enrollment"]], pa.int64())
    pq.write_table(pa.table(arrays), str(path))


def _write_xlsx(rows: list[dict[str, str]], path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=False)
    sheet = book.active
    assert sheet is not None
    sheet.title = "trials"
    sheet.append(list(COLUMNS))
    for row in rows:
        sheet.append([int(row[c]) if c == "enrollment" and row[c] else row[c] for c in COLUMNS])
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # a registrant's text, never a formula Excel would run
    sheet.freeze_panes = "B2"
    sheet.auto_filter.ref = sheet.dimensions
    book.save(str(path))


def make_table(store_dir: Path | None, graph_file: Path | None, selection: Selection, output: Path) -> int:
    """`kg table`: the selected trials of a store or graph file written to `output`; returns the row count."""
    from kg.query.engines import oxigraph_source

    format_of(output)  # refused before the graph is read
    return write_table(table_rows(oxigraph_source(store_dir, graph_file), selection), output)
