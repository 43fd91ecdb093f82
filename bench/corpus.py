"""Registry-like corpora for build benchmarks: an N-trial zip of per-study API v2 JSON files (the layout
of ClinicalTrials.gov's bulk download), made by cloning real records with new NCT ids and varied
fields: title, status, dates and enrollment, and, so that repeated text does not flatter kg's caches,
the lead sponsor (each template's in 40 variants: a sponsor runs ~1 trial in 10,000 at 200,000 trials),
the conditions (100 variants each: a condition's text recurs a few times) and the arm descriptions (each
clone's own, as a registry trial's are).

Usage: python bench/corpus.py N [--out PATH]
Each clone is its template's JSON text with placeholders filled in, so 200,000 studies take well
under a minute. Corpora are cached in bench/.cache by size and template set.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED_V2 = ROOT.parent / "shared" / "data" / "ctgov" / "v2-json"
CACHE = ROOT / "bench" / ".cache"
STATUSES = ["RECRUITING", "COMPLETED", "ACTIVE_NOT_RECRUITING", "NOT_YET_RECRUITING", "TERMINATED", "UNKNOWN"]
FIRST_ID = 10_000_000
CLONING = "2: sponsors, conditions and arm text varied"  # a change here makes new corpora (the cache key)


def template_paths() -> list[Path]:
    folder = SHARED_V2 if SHARED_V2.is_dir() else ROOT / "examples"
    return sorted(folder.glob("NCT*.json"))


def _template(path: Path) -> tuple[str, str]:
    """(JSON text with @@ placeholders, the record's own NCT id)."""
    study = json.loads(path.read_text(encoding="utf-8"))
    protocol = study["protocolSection"]
    nct_id = protocol["identificationModule"]["nctId"]
    protocol["identificationModule"]["briefTitle"] = protocol["identificationModule"].get("briefTitle", "") + "@@COPY@@"
    status = protocol.setdefault("statusModule", {})
    status["overallStatus"] = "@@STATUS@@"
    status["lastUpdatePostDateStruct"] = {"date": "@@UPDATED@@", "type": "ACTUAL"}
    design = protocol.get("designModule")
    if design and "enrollmentInfo" in design:
        design["enrollmentInfo"]["count"] = "@@ENROLLMENT@@"
    lead = protocol.get("sponsorCollaboratorsModule", {}).get("leadSponsor")
    if isinstance(lead, dict) and lead.get("name"):
        lead["name"] += "@@SPONSOR@@"
    conditions = protocol.get("conditionsModule", {})
    if conditions.get("conditions"):
        conditions["conditions"] = [f"{c}@@CONDITION@@" for c in conditions["conditions"]]
    for arm in protocol.get("armsInterventionsModule", {}).get("armGroups", []):
        if arm.get("description"):
            arm["description"] += "@@ARM@@"
    return json.dumps(study, ensure_ascii=False), nct_id


def clone(template: str, own_id: str, number: int, templates: int = 1) -> tuple[str, bytes]:
    """The `number`-th study of a corpus (of `templates` templates, cloned in turn): a new NCT id
    everywhere the template named its own, and its varied fields."""
    nct_id = f"NCT{FIRST_ID + number:08d}"
    round_ = number // templates  # the how-many-th clone of its template
    text = (
        template.replace(own_id, nct_id)
        .replace("@@COPY@@", f" (synthetic copy {number})")
        .replace("@@SPONSOR@@", f" (unit {round_ % 40 + 1})")
        .replace("@@CONDITION@@", f" (cohort {round_ % 100 + 1})")
        .replace("@@ARM@@", f" (regimen of synthetic trial {number})")
        .replace("@@STATUS@@", STATUSES[number % len(STATUSES)])
        .replace("@@UPDATED@@", f"20{15 + number % 10}-{1 + number % 12:02d}-{1 + number % 28:02d}")
        .replace('"@@ENROLLMENT@@"', str(10 + number % 490))
    )
    return nct_id, text.encode("utf-8")


def make_corpus(size: int, out: Path | None = None) -> Path:
    templates = [_template(p) for p in template_paths()]
    key = hashlib.sha256("".join([CLONING, *(t for t, _ in templates)]).encode()).hexdigest()[:10]
    out = out or CACHE / f"registry-{size}-{key}.zip"
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_suffix(".part")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for number in range(size):
            template, own_id = templates[number % len(templates)]
            nct_id, data = clone(template, own_id, number, len(templates))
            archive.writestr(f"{nct_id}.json", data)
    partial.replace(out)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("size", type=int)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    print(make_corpus(args.size, args.out))


if __name__ == "__main__":
    main()
