"""Writes tests/fixtures/hostile/: small hostile inputs, each a real record (examples/NCT00710099.json)
damaged one way. Run it again after changing a case; big cases are generated in the tests instead."""

from __future__ import annotations

import copy
import json
import unicodedata
from pathlib import Path

ROOT = Path(__file__).parent
BASE = json.loads((ROOT.parent / "examples" / "NCT00710099.json").read_text())
OUT = ROOT / "fixtures" / "hostile"


def study(nct: str, change) -> dict:
    record = copy.deepcopy(BASE)
    record["protocolSection"]["identificationModule"]["nctId"] = nct
    change(record["protocolSection"])
    return record


def set_path(*path_and_value):
    *path, value = path_and_value

    def change(protocol):
        node = protocol
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = value

    return change


def arm_text(text):
    def change(protocol):
        protocol["armsInterventionsModule"]["armGroups"][0]["description"] = text

    return change


CASES = {
    "enrollment-infinity.json": ("NCT90000001", set_path("designModule", "enrollmentInfo", "count", "INFINITY")),
    "enrollment-negative.json": ("NCT90000002", set_path("designModule", "enrollmentInfo", "count", -40)),
    "date-february-30.json": ("NCT90000003", set_path("statusModule", "startDateStruct", "date", "2021-02-30")),
    "date-month-13.json": ("NCT90000004", set_path("statusModule", "completionDateStruct", "date", "2021-13")),
    "age-of-400-nines.json": ("NCT90000005", set_path("eligibilityModule", "minimumAge", "9" * 400 + " Years")),
    "title-lone-surrogate.json": ("NCT90000006", set_path("identificationModule", "briefTitle", "SURROGATE")),
    "dose-dotted-capital-i.json": ("NCT90000007", arm_text("1 MİCROGRAMS/kg once daily")),
    "dose-long-s.json": ("NCT90000008", arm_text("10 unitſ per day")),
    "sponsor-nfd.json": (
        "NCT90000009",
        set_path(
            "sponsorCollaboratorsModule", "leadSponsor", "name", unicodedata.normalize("NFD", "Université de Genève")
        ),
    ),
    "sponsor-nfc.json": (
        "NCT90000010",
        set_path(
            "sponsorCollaboratorsModule", "leadSponsor", "name", unicodedata.normalize("NFC", "Université de Genève")
        ),
    ),
    "nct-id-arabic-indic-digits.json": ("NCT٩٠٠٠٠٠١١", lambda protocol: None),
    "nct-id-trailing-newline.json": ("NCT90000012\n", lambda protocol: None),
}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, (nct, change) in CASES.items():
        text = json.dumps(study(nct, change), ensure_ascii=False, indent=1)
        text = text.replace('"INFINITY"', "Infinity").replace('"SURROGATE"', '"A \\ud800 title"')
        (OUT / name).write_text(text, encoding="utf-8")
    enrollment = study("NCT90000013", lambda p: None)
    text = json.dumps(enrollment, indent=1).replace('"count": 40', '"count": ' + "7" * 5000)
    assert "7" * 5000 in text
    (OUT / "enrollment-5000-digits.json").write_text(text)
    # An array whose second item holds NaN in a field and whose third is broken: the fourth is still read.
    items = [study(f"NCT9000002{i}", lambda p: None) for i in range(4)]
    parts = [json.dumps(item) for item in items]
    parts[1] = parts[1].replace('"count": 40', '"count": NaN')
    parts[2] = parts[2].replace('"count": 40', '"count": tru')
    (OUT / "array-with-nan-and-a-broken-item.json").write_text("[\n" + ",\n".join(parts) + "\n]\n")
    # JSON Lines whose first line is cut short: the other lines are still read.
    lines = [json.dumps(study(f"NCT9000003{i}", lambda p: None)) for i in range(3)]
    lines[0] = lines[0][:500]
    (OUT / "json-lines-truncated-first-line.jsonl").write_text("\n".join(lines) + "\n")
    xml = (ROOT / "fixtures" / "legacy-xml" / "NCT00000105.xml").read_text()
    start = xml.index("<enrollment")
    end = xml.index("</enrollment>")
    head = xml[start : xml.index(">", start) + 1]
    (OUT / "xml-enrollment-superscript.xml").write_text(xml[:start] + head + "2²" + xml[end:])
    (OUT / "prose-readme.md").write_text(
        "# My notes\n\nI read about NCT00000105 yesterday; the trial looked at vitamin D.\n\n"
        "Status: unclear. Conditions: many.\n"
    )


if __name__ == "__main__":
    main()
