"""`kg report`: one self-contained HTML page whose numbers are the graph's, opened in a real browser."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.browser import chromium, visit
from tests.conftest import EXAMPLES, FIXTURES
from tests.conftest import run_kg as run

MSC = [str(FIXTURES / "seeds"), str(FIXTURES / "v1"), str(FIXTURES / "mesh" / "records"),
       str(FIXTURES / "thresholds" / "records")]  # fmt: skip
PHASE_STATUS = """
SELECT ?phase ?status (COUNT(DISTINCT ?t) AS ?trials) WHERE {
  ?t <http://www.w3.org/ns/prov#wasDerivedFrom> ?r .
  OPTIONAL { ?t <https://w3id.org/kg-trials/ontology#phase> ?p }
  OPTIONAL { ?t <https://w3id.org/kg-trials/ontology#overallStatus> ?s }
  BIND(COALESCE(?p, "(none)") AS ?phase) BIND(COALESCE(?s, "(none)") AS ?status)
} GROUP BY ?phase ?status"""


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("report")
    store = folder / "store"
    assert run("build", *MSC, "-o", str(folder / "msc.nt"), "--store", str(store)).exit_code == 0
    pages = {"all": folder / "all.html", "liver": folder / "liver.html"}
    assert run("report", "--store", str(store), "-o", str(pages["all"])).exit_code == 0
    result = run("report", "--store", str(store), "--condition", "liver diseases", "-o", str(pages["liver"]))
    assert result.exit_code == 0 and "written to" in result.stderr
    return {**pages, "store": store}


class _Numbers(HTMLParser):
    """Every `<table data-numbers=KEY>` as rows of cell texts, and the body's data-trials."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.trials = -1
        self._key: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "body":
            self.trials = int(found["data-trials"] or -1)
        if tag == "table" and found.get("data-numbers"):
            self._key = found["data-numbers"]
            self.tables[self._key] = []
        elif tag == "tr" and self._key:
            self.tables[self._key].append([])
        elif tag in ("td", "th") and self._key:
            self._cell = []

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._key and self._cell is not None:
            self.tables[self._key][-1].append("".join(self._cell))
            self._cell = None
        elif tag == "table":
            self._key = None


def numbers(page: Path) -> _Numbers:
    parser = _Numbers()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def sparql_rows(store: Path, query: str) -> list[dict[str, str]]:
    result = run("query", "--store", str(store), query, "--format", "json")
    return [{k: v["value"] for k, v in b.items()} for b in json.loads(result.stdout)["results"]["bindings"]]


def test_the_page_is_self_contained_and_forbids_every_request(reports) -> None:
    text = reports["all"].read_text(encoding="utf-8")
    assert "Content-Security-Policy" in text and "default-src 'none'" in text
    assert "<link" not in text and "@import" not in text and "<img" not in text and "<iframe" not in text
    addresses = re.findall(r'(?:src|href)="([^"]*)"|url\(([^)]*)\)', text)
    for address in (a or b for a, b in addresses):
        assert address.startswith(("#", "data:", "https://clinicaltrials.gov/study/NCT")), address
    assert text.count('<a href="https://clinicaltrials.gov/study/NCT') > 0  # links a person may follow


def test_the_counts_are_the_graphs_counts(reports) -> None:
    page = numbers(reports["all"])
    rows = sparql_rows(reports["store"], PHASE_STATUS)
    expected = sorted([r["phase"], r["status"], r["trials"]] for r in rows)
    assert sorted(page.tables["phase-status"][1:]) == expected
    trials = sparql_rows(
        reports["store"], "SELECT (COUNT(DISTINCT ?t) AS ?n) WHERE { ?t <http://www.w3.org/ns/prov#wasDerivedFrom> ?r }"
    )
    assert page.trials == int(trials[0]["n"])


def test_a_condition_report_holds_the_trials_the_condition_query_finds(reports) -> None:
    found = run("query", "--store", str(reports["store"]), "--name", "trials-by-condition", "--param",
                "term=liver diseases", "--format", "json")  # fmt: skip
    ncts = {b["nct"]["value"] for b in json.loads(found.stdout)["results"]["bindings"]}
    text = reports["liver"].read_text(encoding="utf-8")
    assert numbers(reports["liver"]).trials == len(ncts)
    assert all(f"study/{nct}" in text for nct in ncts)


def test_doses_eligibility_and_the_network_are_drawn_with_their_numbers(reports) -> None:
    page = numbers(reports["all"])
    assert any(key.startswith("doses-cells-kg") for key in page.tables)  # per kg of body weight, apart
    assert any(key.startswith("thresholds-total_bilirubin") for key in page.tables)
    edges = page.tables["network"][1:]
    assert ["NCT06884904", "NCT05985863", "registry"] in edges


@pytest.mark.skipif(
    chromium() is None,
    reason="Chromium is not installed (make install installs Debian's chromium where apt-get can run)",
)
def test_the_page_opens_in_chromium_draws_every_chart_and_fetches_nothing(reports) -> None:
    script = """JSON.stringify({
      sections: document.querySelectorAll('section[data-chart]').length,
      drawn: Array.from(document.querySelectorAll('.chart svg')).filter(s => s.getBoundingClientRect().width > 50 && s.querySelectorAll('path, rect, line, text').length > 5).length,
      charts: document.querySelectorAll('.chart').length,
      rows: document.querySelectorAll('#trial-table tbody tr').length,
      shown: Array.from(document.querySelectorAll('#trial-table tbody tr')).filter(r => r.style.display !== 'none').length,
      trials: Number(document.body.dataset.trials)
    })"""
    seen = visit(reports["all"], script)
    page_url = reports["all"].resolve().as_uri()
    assert [url for url in seen.requests if url != page_url] == []
    assert seen.errors == []
    assert seen.facts["charts"] >= 8 and seen.facts["drawn"] == seen.facts["charts"]
    assert seen.facts["rows"] == seen.facts["trials"] and seen.facts["shown"] == min(50, seen.facts["trials"])
    assert seen.screenshot.startswith(b"\x89PNG") and len(seen.screenshot) > 50_000  # a drawn page, not a blank one


def test_text_from_records_cannot_become_markup(tmp_path: Path) -> None:
    """A registrant's text is data: titles, sponsors and conditions that look like HTML are shown, never run."""
    record = json.loads((EXAMPLES / "NCT00710099.json").read_text(encoding="utf-8"))
    protocol = record["protocolSection"]
    protocol["identificationModule"]["briefTitle"] = "<script>alert(1)</script> trial"
    protocol["sponsorCollaboratorsModule"]["leadSponsor"]["name"] = '<img src=x onerror="alert(2)">'
    protocol["conditionsModule"]["conditions"] = ["</svg><script>alert(3)</script>"]
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "NCT00710099.json").write_text(json.dumps(record), encoding="utf-8")
    assert (
        run("build", str(tmp_path / "in"), "-o", str(tmp_path / "g.nt"), "--store", str(tmp_path / "s")).exit_code == 0
    )
    assert run("report", "--store", str(tmp_path / "s"), "-o", str(tmp_path / "r.html")).exit_code == 0
    text = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert text.count("<script") == 1 and "<img" not in text and "&lt;script&gt;alert(1)" in text
