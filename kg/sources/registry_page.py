"""Registry pages copied as text from ClinicalTrials.gov and its mirrors, in four layouts:

- `current`: today's site (`NCT ID:`, `Basic Information`, `Study Groups`);
- `classic`: the classic site (`ClinicalTrials.gov Identifier:`, `Layout table for ...`);
- `classic-tabular`: the classic site's tables copied with `|` separators;
- `mirror`: a mirror's condensed page (`About this trial`, `Arms of the Study`).

The layout is detected from content; a page in no known layout is rejected as such, and so is text that
only mentions a layout's marker (a README, a letter): a page must also have the layout's structure, the
line naming the trial and several of its field labels (`structure_problem`). Only what the
page says is read; contact persons' names, e-mail addresses and phone numbers are skipped unless asked for.
"""

from __future__ import annotations

from dataclasses import replace

from kg import textpatterns
from kg.errors import ParseError
from kg.model import codes
from kg.model.records import Provenance, TrialRecord
from kg.sources.page_layouts import classic, current, mirror

FORMAT = "ctgov-page"

LAYOUTS = {
    "mirror": mirror,
    "current": current,
    "classic-tabular": classic,
    "classic": classic,
}


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252/Latin-1."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def detect_layout(text: str) -> str | None:
    if "About this trial" in text and "Arms of the Study" in text:
        return "mirror"
    if textpatterns.CURRENT_LAYOUT.search(text) and "Basic Information" in text:
        return "current"
    if "ClinicalTrials.gov Identifier:" in text:
        return "classic-tabular" if textpatterns.CLASSIC_TABULAR_LAYOUT.search(text) else "classic"
    return None


# What a real page of each layout has besides its marker: the line that names the trial (mirrors name none)
# and several of the layout's own field labels or section headings, each at the start of a line of its own.
# Prose that merely mentions a marker or an NCT id (a README, a letter, notes) has none of this structure.
MIN_LABELS = 3
ID_LINES = {"current": "NCT ID:", "classic": "ClinicalTrials.gov Identifier:", "mirror": None}
LABELS = {
    "current": (
        "Basic Information", "Brief Summary", "Conditions", "Study Design", "Study Groups", "Interventions",
        "Eligibility Criteria", "Sponsors", "Responsible Party", "Locations", "Keywords", "Collaborators",
    ),
    "classic": (
        "Recruitment Status", "First Posted", "Last Update Posted", "Sponsor", "Information provided by",
        "Brief Summary", "Condition or disease", "Layout table for", "Study Type", "Allocation", "Masking",
        "Primary Purpose", "Official Title", "Estimated Enrollment", "Actual Enrollment",
    ),
    "mirror": ("About this trial", "Arms of the Study", "Eligibility Criteria", "Sites / Locations"),
}  # fmt: skip
WHOLE_LINE_LABELS = {"current", "mirror"}  # section headings stand alone on their line; classic labels lead a row


def _structure_lines(text: str) -> list[str]:
    """Lines with table pipes folded away (`Key : | Value |` -> `Key : Value`), white space folded."""
    return [" ".join(" ".join(cell.split()) for cell in line.split("|") if cell.strip()) for line in text.split("\n")]


def _names_a_trial(line: str, label: str) -> bool:
    """`NCT ID: NCT06884904` for the label `NCT ID:`: the label, then an NCT id as the next word."""
    words = line[len(label) :].split() if line.startswith(label) else []
    digits = words[0][3:] if words and words[0].startswith("NCT") else ""
    return len(digits) == 8 and digits.isascii() and digits.isdigit()


def structure_problem(text: str, layout: str) -> str | None:
    """None when the text has its layout's structure, else what it lacks."""
    lines = _structure_lines(text)
    id_label = ID_LINES[layout.removesuffix("-tabular")]
    if id_label is not None and not any(_names_a_trial(line, id_label) for line in lines):
        return f"no line '{id_label} NCT…' (NCT and 8 digits)"
    labels = LABELS[layout.removesuffix("-tabular")]
    whole = layout in WHOLE_LINE_LABELS
    found = [label for label in labels if any((line == label) if whole else line.startswith(label) for line in lines)]
    if len(found) < MIN_LABELS:
        return f"only {len(found)} of its field labels on lines of their own (at least {MIN_LABELS} needed)"
    return None


def parse_bytes(data: bytes, provenance: Provenance, include_contacts: bool = False) -> TrialRecord:
    text = decode(data).replace("\r\n", "\n").replace("\r", "\n")
    layout = detect_layout(text)
    problem = structure_problem(text, layout) if layout is not None else None
    if layout is None or problem is not None:
        raise ParseError(
            "unknown-format",
            "not a registry page in any known layout: expected the current site's 'NCT ID: NCT…' line and its "
            "section headings (Basic Information, Study Design, …), the classic site's 'ClinicalTrials.gov "
            "Identifier: NCT…' line and its field labels (Recruitment Status, Study Type, …), or a mirror's "
            "'About this trial' and 'Arms of the Study' sections"
            + (f"; this text has the {layout} layout's marker but {problem}" if problem else ""),
        )
    source = Provenance(f"{FORMAT}-{layout}", provenance.path, provenance.position, provenance.member)
    record: TrialRecord = LAYOUTS[layout].parse(text, source, tabular=layout == "classic-tabular")
    if record.nct_id and not codes.NCT_ID_PATTERN.match(record.nct_id):
        raise ParseError("invalid-nct-id", f"invalid NCT id {record.nct_id!r} (expected NCT and 8 digits)")
    # A page with no NCT id (mirrors drop it) is kept: the build resolves it by title.
    return record if include_contacts else replace(record, contacts=())
