"""`kg report`: one self-contained HTML page of a trial landscape, to open anywhere and send to anyone.

Charts are Vega-Lite specifications rendered to static SVG by `vl-convert` (the Vega project's own
renderer, bundled in one wheel, no browser or network needed): a declarative grammar made for
statistical graphics (log axes, facets, layered marks and labels) whose output is plain SVG, so the page
draws with no script and fetches nothing. A Content-Security-Policy in the page forbids every request
anyway. Beside each chart are its numbers (a table, and a CSV download embedded as a data: link). The
trial table is sortable and paged by a few lines of inline script; past `MAX_TABLE_ROWS` trials the page
holds the first ones and links the full table, written beside it as CSV.
"""

from __future__ import annotations

import base64
import csv
import html
import io
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from kg import __version__
from kg.rdf import iris
from kg.report.landscape import (
    ENROLLMENT_BINS,
    MAX_POINTS,
    THRESHOLD_VARIABLES,
    Landscape,
    capped,
    landscape,
    network_nodes,
    top,
)
from kg.report.selection import Selection
from kg.report.table import COLUMNS

MAX_TABLE_ROWS = 2000
_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"  # a name in the spec, never fetched
_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'"
)


def render_page(found: Landscape, full_table: str | None = None) -> str:
    """The whole page; `full_table` names the CSV written beside it when the page holds only part."""
    sections = [
        _chart_section(
            "phase-status",
            "Trials by phase and status",
            _phase_status(found),
            ["phase", "status", "trials"],
            [[p, s, n] for (p, s), n in sorted(found.phase_status.items())],
        ),
        _chart_section(
            "start-years",
            "Start years",
            _bars(found.start_years, "year", sort_by_name=True),
            ["start year", "trials"],
            sorted([y, n] for y, n in found.start_years.items()),
        ),
        _chart_section(
            "enrollment",
            "Enrollment",
            _bars(found.enrollment, "participants", order=_bin_order()),
            ["participants", "trials"],
            [[b, found.enrollment[b]] for b in _bin_order() if b in found.enrollment],
        ),
        _chart_section(
            "sponsors",
            "Lead sponsors",
            _sponsors(found),
            ["sponsor", "class", "trials"],
            [[s, c, n] for (s, c), n in top(found.sponsors)],
        ),
        _chart_section(
            "countries",
            "Countries with sites",
            _bars(found.countries, "country", horizontal=True),
            ["country", "trials"],
            [[c, n] for c, n in top(found.countries)],
        ),
        *_dose_sections(found),
        *_threshold_sections(found),
        _network_section(found),
        _table_section(found, full_table),
    ]
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    newest = max((r["data_as_of"] for r in found.rows if r["data_as_of"]), default="")
    return _PAGE.format(
        csp=_CSP,
        title=html.escape(f"Trial landscape: {found.selection}"),
        trials=found.trials,
        summary=html.escape(
            f"{found.trials} trials ({found.selection}); registry data as of {newest or 'unknown'}; "
            f"made by kg {__version__} on {generated}"
        ),
        sections="\n".join(s for s in sections if s),
        script=_SCRIPT,
    )


def _svg(spec: dict[str, Any]) -> str:
    import vl_convert

    spec = {"$schema": _SCHEMA, "config": {"font": "sans-serif", "view": {"stroke": None}}, **spec}
    svg: str = vl_convert.vegalite_to_svg(spec)
    return svg


def _chart_section(
    key: str, title: str, spec: dict[str, Any] | None, header: Sequence[str], rows: Sequence[Sequence[object]]
) -> str:
    if spec is None or not rows:
        return f'<section id="{key}" data-chart="{key}"><h2>{html.escape(title)}</h2><p class="none">Nothing to show.</p></section>'
    return (
        f'<section id="{key}" data-chart="{key}"><h2>{html.escape(title)}</h2>'
        f'<div class="chart">{_svg(spec)}</div>{_numbers(key, header, rows)}</section>'
    )


def _numbers(key: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """The chart's numbers: a table, and the same as a CSV download (a data: link, nothing fetched)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    link = "data:text/csv;base64," + base64.b64encode(buffer.getvalue().encode("utf-8")).decode("ascii")
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_cell(c))}</td>" for c in row) + "</tr>" for row in rows)
    return (
        f'<details><summary>Numbers ({len(rows)} rows) · <a download="{key}.csv" href="{link}">CSV</a></summary>'
        f'<table class="numbers" data-numbers="{key}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></details>'
    )


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value)


def _phase_status(found: Landscape) -> dict[str, Any]:
    values = [{"phase": p, "status": s, "trials": n} for (p, s), n in found.phase_status.items()]
    return {
        "data": {"values": values},
        "layer": [
            {
                "mark": "rect",
                "encoding": {"color": {"field": "trials", "type": "quantitative", "scale": {"scheme": "blues"}}},
            },
            {"mark": {"type": "text"}, "encoding": {"text": {"field": "trials", "type": "quantitative"}}},
        ],
        "encoding": {
            "x": {"field": "status", "type": "nominal", "title": "overall status", "axis": {"labelAngle": -40}},
            "y": {"field": "phase", "type": "nominal", "title": "phase"},
        },
    }


def _bars(
    counts: Any, name: str, horizontal: bool = False, sort_by_name: bool = False, order: list[str] | None = None
) -> dict[str, Any] | None:
    pairs: list[tuple[Any, int]] = sorted(counts.items()) if sort_by_name else top(counts)
    if order is not None:
        pairs = [(b, counts[b]) for b in order if b in counts]
    if not pairs:
        return None
    values = [{name: str(k), "trials": n} for k, n in pairs]
    category = {"field": name, "type": "nominal", "sort": [str(k) for k, _ in pairs], "title": name}
    amount = {"field": "trials", "type": "quantitative", "title": "trials"}
    encoding = {"y": category, "x": amount} if horizontal else {"x": category, "y": amount}
    return {"data": {"values": values}, "mark": {"type": "bar", "tooltip": True}, "encoding": encoding, "width": 520}


def _bin_order() -> list[str]:
    bins = [f"{low}–{high - 1}" for low, high in zip(ENROLLMENT_BINS, ENROLLMENT_BINS[1:], strict=False)]
    return [*bins, f"{ENROLLMENT_BINS[-1]}+", "(not given)"]


def _sponsors(found: Landscape) -> dict[str, Any] | None:
    pairs = top(found.sponsors)
    if not pairs:
        return None
    values = [{"sponsor": s[:60], "class": c, "trials": n} for (s, c), n in pairs]
    return {
        "data": {"values": values},
        "mark": "bar",
        "width": 420,
        "encoding": {
            "y": {"field": "sponsor", "type": "nominal", "sort": "-x", "title": None},
            "x": {"field": "trials", "type": "quantitative"},
            "color": {"field": "class", "type": "nominal", "title": "sponsor class"},
        },
    }


def _dose_sections(found: Landscape) -> list[str]:
    """Doses per cell product (or condition), one chart per unit on a log axis, per-kg and absolute apart."""
    by_unit: dict[str, list[dict[str, object]]] = {}
    for dose in found.doses:
        by_unit.setdefault(str(dose["unit"]), []).append(dose)
    sections = []
    units = sorted(by_unit, key=lambda u: (not u.endswith("/kg"), -len(by_unit[u]), u))[:6]
    for unit in units:
        doses = capped(sorted(by_unit[unit], key=lambda d: (str(d["group"]), float(d["high"]))))  # type: ignore[arg-type]
        kind = "per kg of body weight" if unit.endswith("/kg") else "absolute amount"
        spec = {
            "data": {"values": doses},
            "width": 560,
            "encoding": {"y": {"field": "group", "type": "nominal", "title": "cell product or condition"}},
            "layer": [
                {"mark": {"type": "rule", "strokeWidth": 2},
                 "encoding": {"x": {"field": "low", "type": "quantitative", "scale": {"type": "log"}, "title": f"dose ({unit}, log scale)"},
                              "x2": {"field": "high"}}},
                {"mark": {"type": "point", "filled": True},
                 "encoding": {"x": {"field": "high", "type": "quantitative", "scale": {"type": "log"}}}},
                {"mark": {"type": "text", "align": "left", "dx": 5, "dy": -6, "fontSize": 8},
                 "encoding": {"x": {"field": "high", "type": "quantitative", "scale": {"type": "log"}}, "text": {"field": "nct"}}},
            ],
        }  # fmt: skip
        rows = [[d["nct"], d["group"], d["low"], d["high"], unit] for d in doses]
        title = f"Doses in {unit} ({kind})" + (f", first {MAX_POINTS}" if len(by_unit[unit]) > MAX_POINTS else "")
        sections.append(
            _chart_section(f"doses-{_slug(unit)}", title, spec, ["nct", "group", "low", "high", "unit"], rows)
        )
    return sections


def _threshold_sections(found: Landscape) -> list[str]:
    """Each common eligibility variable's thresholds as intervals, one line per trial (open ends drawn to the
    edge of what the trials state)."""
    sections = []
    for variable in THRESHOLD_VARIABLES:
        stated = [t for t in found.thresholds if t["variable"] == variable]
        if not stated:
            continue
        for unit in sorted({str(t["unit"]) for t in stated}):
            chosen = capped(t for t in stated if t["unit"] == unit)
            numbers = [float(v) for t in chosen for v in (t["low"], t["high"]) if v is not None]  # type: ignore[arg-type]
            if not numbers:
                continue
            floor, ceiling = min(numbers), max(numbers)
            pad = (ceiling - floor) * 0.1 or max(abs(ceiling) * 0.1, 1.0)
            drawn = [
                {
                    **t,
                    "from": floor - pad if t["low"] is None else t["low"],
                    "to": ceiling + pad if t["high"] is None else t["high"],
                }
                for t in chosen
            ]
            spec = {
                "data": {"values": drawn},
                "width": 520,
                "encoding": {"y": {"field": "nct", "type": "nominal", "title": None}},
                "layer": [
                    {"mark": {"type": "rule", "strokeWidth": 3},
                     "encoding": {"x": {"field": "from", "type": "quantitative", "title": f"{variable} ({unit or 'score'})"},
                                  "x2": {"field": "to"},
                                  "color": {"field": "side", "type": "nominal", "scale": {"domain": ["inclusion", "exclusion"], "range": ["#2b8a3e", "#c92a2a"]}}}},
                ],
            }  # fmt: skip
            rows = [[t["nct"], t["side"], t["low"], t["high"], unit, t["text"]] for t in chosen]
            sections.append(
                _chart_section(
                    f"thresholds-{variable}-{_slug(unit)}",
                    f"Eligibility: {variable.replace('_', ' ')} ({unit or 'score'}) — what each trial admits or excludes",
                    spec,
                    ["nct", "side", "from", "to", "unit", "text"],
                    rows,
                )
            )
    return sections


def _network_section(found: Landscape) -> str:
    """Related trials as a picture: registry-listed edges solid, computed ones dashed (spring layout, seeded)."""
    import networkx as nx

    shown = set(network_nodes(found))
    edges = [(a, b, kind) for a, b, kind in found.edges if a in shown and b in shown]
    if not edges:
        return _chart_section("network", "Related trials", None, [], [])
    graph = nx.Graph()
    graph.add_nodes_from(sorted(shown))
    graph.add_edges_from((a, b) for a, b, _ in edges)
    place = nx.spring_layout(graph, seed=7)
    lines = [
        {
            "x": float(place[a][0]),
            "y": float(place[a][1]),
            "x2": float(place[b][0]),
            "y2": float(place[b][1]),
            "kind": kind,
        }
        for a, b, kind in edges
    ]
    points = [{"nct": n, "x": float(p[0]), "y": float(p[1])} for n, p in sorted(place.items())]
    plain = {"axis": None}
    spec = {
        "width": 560,
        "height": 420,
        "layer": [
            {"data": {"values": lines}, "mark": {"type": "rule", "opacity": 0.6},
             "encoding": {"x": {"field": "x", "type": "quantitative", **plain}, "y": {"field": "y", "type": "quantitative", **plain},
                          "x2": {"field": "x2"}, "y2": {"field": "y2"},
                          "strokeDash": {"field": "kind", "type": "nominal", "title": "edge",
                                         "scale": {"domain": ["registry", "computed"], "range": [[1, 0], [4, 3]]}},
                          "color": {"field": "kind", "type": "nominal", "scale": {"domain": ["registry", "computed"], "range": ["#1c7ed6", "#868e96"]}}}},
            {"data": {"values": points}, "mark": {"type": "circle", "size": 40, "color": "#343a40"},
             "encoding": {"x": {"field": "x", "type": "quantitative"}, "y": {"field": "y", "type": "quantitative"}}},
            {"data": {"values": points}, "mark": {"type": "text", "dy": -8, "fontSize": 8},
             "encoding": {"x": {"field": "x", "type": "quantitative"}, "y": {"field": "y", "type": "quantitative"}, "text": {"field": "nct"}}},
        ],
    }  # fmt: skip
    rows = [[a, b, kind] for a, b, kind in edges]
    return _chart_section(
        "network", f"Related trials ({len(shown)} trials with an edge)", spec, ["trial", "related", "edge"], rows
    )


def _table_section(found: Landscape, full_table: str | None) -> str:
    shown = found.rows[:MAX_TABLE_ROWS]
    head = "".join(f'<th data-column="{i}">{html.escape(c)}</th>' for i, c in enumerate(COLUMNS))
    body = []
    for row in shown:
        cells = []
        for column in COLUMNS:
            value = html.escape(row[column])
            if column == "nct_id":
                page = html.escape(str(iris.trial_iri(row[column])))  # a trial's IRI is its registry page
                value = f'<a href="{page}" rel="noopener noreferrer">{value}</a>'
            cells.append(f"<td>{value}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    note = ""
    if full_table is not None:
        note = (
            f"<p>The page holds the first {len(shown)} of {found.trials} trials; the full table is "
            f'<a href="{html.escape(full_table)}">{html.escape(full_table)}</a>.</p>'
        )
    return (
        f'<section id="trials" data-chart="trials"><h2>Trials ({found.trials})</h2>{note}'
        '<p class="hint">Click a column heading to sort; 50 trials a page.</p>'
        f'<div class="pager"></div><div class="scroll"><table id="trial-table" data-rows="{len(shown)}">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div></section>"
    )


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-") or "none"


_SCRIPT = """
(function () {
  var table = document.getElementById('trial-table');
  if (!table) return;
  var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows), page = 0, size = 50;
  var pager = document.querySelector('#trials .pager');
  function show() {
    var pages = Math.max(1, Math.ceil(rows.length / size));
    page = Math.min(page, pages - 1);
    rows.forEach(function (row, i) { row.style.display = (i >= page * size && i < (page + 1) * size) ? '' : 'none'; });
    pager.textContent = '';
    for (var p = 0; p < pages; p++) {
      var button = document.createElement('button');
      button.textContent = String(p + 1);
      button.disabled = p === page;
      button.onclick = (function (n) { return function () { page = n; show(); }; })(p);
      pager.appendChild(button);
    }
  }
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (cell, column) {
    var ascending = true;
    cell.onclick = function () {
      rows.sort(function (a, b) {
        var x = a.cells[column].textContent, y = b.cells[column].textContent;
        var nx = parseFloat(x), ny = parseFloat(y);
        var order = (!isNaN(nx) && !isNaN(ny) && String(nx) === x && String(ny) === y) ? nx - ny : x.localeCompare(y);
        return ascending ? order : -order;
      });
      ascending = !ascending;
      rows.forEach(function (row) { body.appendChild(row); });
      show();
    };
  });
  show();
})();
"""

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1.5rem auto; max-width: 1100px; color: #212529; padding: 0 1rem; }}
h1 {{ font-size: 1.5rem; }} h2 {{ font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #dee2e6; }}
.chart svg {{ max-width: 100%; height: auto; }}
table {{ border-collapse: collapse; font-size: 0.8rem; }} td, th {{ border: 1px solid #dee2e6; padding: 2px 6px; vertical-align: top; }}
th {{ background: #f1f3f5; cursor: pointer; position: sticky; top: 0; }}
.scroll {{ overflow: auto; max-height: 70vh; }} .pager button {{ margin: 2px; }} .none, .hint {{ color: #868e96; }}
details {{ margin: 0.5rem 0; }}
</style></head>
<body data-trials="{trials}">
<h1>{title}</h1>
<p>{summary}</p>
{sections}
<script>{script}</script>
</body></html>
"""


def write_report(found: Landscape, output: Path) -> Path | None:
    """The page, written atomically; past `MAX_TABLE_ROWS` trials the full table goes beside it as CSV
    (returned)."""
    from kg.rdf.sinks import write_atomically
    from kg.report.table import write_table

    full = None
    if found.trials > MAX_TABLE_ROWS:
        full = output.with_suffix(".csv")
        write_table(found.rows, full)
    write_atomically(output, render_page(found, full.name if full else None))
    return full


def make_report(
    store_dir: Path | None, graph_file: Path | None, selection: Selection, output: Path
) -> tuple[int, Path | None]:
    """`kg report`: the selected trials' landscape written to `output`; (trials, full table path or None)."""
    from kg.query.engines import oxigraph_source

    found = landscape(oxigraph_source(store_dir, graph_file), selection)
    return found.trials, write_report(found, output)


__all__ = ["MAX_TABLE_ROWS", "make_report", "render_page", "write_report"]
