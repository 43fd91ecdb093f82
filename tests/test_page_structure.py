"""Text with no registry structure is not a registry page: prose that merely mentions a layout's marker or an
NCT id (a README, a letter, notes, a Turtle file) is rejected as `unknown-format`, never read as a trial."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli import main
from kg.model.records import TrialRecord
from kg.sources import Reject, iter_records
from tests.conftest import FIXTURES

ROOT = Path(__file__).resolve().parent.parent

LETTER = """Dear Dr. Smith,

Thank you for your letter of 3 March about the stem cell trial. We have read the protocol and will
send our comments on the eligibility criteria and the study design next week.

Kind regards,
Jane Doe
"""

NOTES = """# Trials to follow up

- NCT03668171: mesenchymal stem cells for acute-on-chronic liver failure (see its ClinicalTrials.gov Identifier: NCT03668171).
- NCT ID: NCT04822922 is the other one; About this trial and Arms of the Study are on the mirror.

## Study Design

Randomized, double blind.
"""


def not_pages(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "letter.txt").write_text(LETTER, encoding="utf-8")
    (tmp_path / "notes.md").write_text(NOTES, encoding="utf-8")
    return {
        "README.md": ROOT / "README.md",
        "letter.txt": tmp_path / "letter.txt",
        "ontology.ttl": ROOT / "ontology" / "kg.ttl",
        "notes.md": tmp_path / "notes.md",
    }


@pytest.mark.parametrize("name", ["README.md", "letter.txt", "ontology.ttl", "notes.md"])
def test_text_with_no_registry_structure_is_rejected_as_unknown_format(tmp_path: Path, name: str) -> None:
    (item,) = iter_records([str(not_pages(tmp_path)[name])])
    assert isinstance(item, Reject) and item.reason == "unknown-format"
    assert "NCT ID:" in item.message and "ClinicalTrials.gov Identifier:" in item.message
    assert "About this trial" in item.message


def test_the_readme_names_the_marker_it_has_and_the_structure_it_lacks() -> None:
    (item,) = iter_records([str(ROOT / "README.md")])
    assert isinstance(item, Reject) and "marker but" in item.message


@pytest.mark.parametrize("name", ["README.md", "letter.txt", "ontology.ttl", "notes.md"])
def test_kg_parse_rejects_text_with_no_registry_structure(tmp_path: Path, name: str) -> None:
    path = not_pages(tmp_path)[name]
    result = CliRunner().invoke(main, ["parse", str(path)], catch_exceptions=False)
    assert result.exit_code == 2 and result.stdout == ""
    assert "unknown-format" in result.stderr and str(path) in result.stderr
    assert "0 record(s) parsed, 1 rejected" in result.stderr


def test_the_five_real_pages_in_four_layouts_are_still_pages() -> None:
    items = list(iter_records([str(FIXTURES / "seeds")]))
    assert all(isinstance(i, TrialRecord) for i in items) and len(items) == 5
    formats = sorted(i.provenance.source_format for i in items if isinstance(i, TrialRecord))
    assert formats == [
        "ctgov-page-classic",
        "ctgov-page-classic-tabular",
        "ctgov-page-current",
        "ctgov-page-current",
        "ctgov-page-mirror",
    ]


def test_a_real_page_cut_down_to_its_identifier_line_is_not_a_page(tmp_path: Path) -> None:
    page = (FIXTURES / "seeds" / "001_d4c7e1b11f621d26.txt").read_text(encoding="utf-8")
    identifier = next(line for line in page.splitlines() if line.startswith("ClinicalTrials.gov Identifier:"))
    path = tmp_path / "cut.txt"
    path.write_text(f"Some title\n{identifier}\nA paragraph of prose.\n", encoding="utf-8")
    (item,) = iter_records([str(path)])
    assert isinstance(item, Reject) and item.reason == "unknown-format" and "field labels" in item.message
