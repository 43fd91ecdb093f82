"""Registry pages copied as text from ClinicalTrials.gov and its mirrors, in four layouts:

- `current`: today's site (`NCT ID:`, `Basic Information`, `Study Groups`);
- `classic`: the classic site (`ClinicalTrials.gov Identifier:`, `Layout table for ...`);
- `classic-tabular`: the classic site's tables copied with `|` separators;
- `mirror`: a mirror's condensed page (`About this trial`, `Arms of the Study`).

The layout is detected from content; a page in no known layout is rejected as such. Only what the
page says is read; contact persons' names, e-mail addresses and phone numbers are skipped unless asked for.
"""

from __future__ import annotations

import re
from dataclasses import replace

from kg import codes
from kg.errors import ParseError
from kg.records import Provenance, TrialRecord
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
    if re.search(r"^NCT ID: NCT\d{8}", text, re.MULTILINE) and "Basic Information" in text:
        return "current"
    if "ClinicalTrials.gov Identifier:" in text:
        return (
            "classic-tabular" if re.search(r"^ClinicalTrials\.gov Identifier: NCT\d{8} \|", text, re.M) else "classic"
        )
    return None


def parse_bytes(data: bytes, provenance: Provenance, include_contacts: bool = False) -> TrialRecord:
    text = decode(data).replace("\r\n", "\n").replace("\r", "\n")
    layout = detect_layout(text)
    if layout is None:
        raise ParseError(
            "unknown-format",
            "not a registry page in any known layout (looked for the current site's 'NCT ID:', the classic "
            "site's 'ClinicalTrials.gov Identifier:', and a mirror's 'About this trial')",
        )
    source = Provenance(f"{FORMAT}-{layout}", provenance.path, provenance.position, provenance.member)
    record: TrialRecord = LAYOUTS[layout].parse(text, source, tabular=layout == "classic-tabular")
    if record.nct_id and not codes.NCT_ID_PATTERN.match(record.nct_id):
        raise ParseError("invalid-nct-id", f"invalid NCT id {record.nct_id!r} (expected NCT and 8 digits)")
    # A page with no NCT id (mirrors drop it) is kept: the build resolves it by title.
    return record if include_contacts else replace(record, contacts=())
