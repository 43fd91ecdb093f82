"""Registry-like corpora for build benchmarks: an N-trial zip of per-study API v2 JSON files (the layout
of ClinicalTrials.gov's bulk download), made by cloning real records with new NCT ids and varied
fields (title, status, dates, enrollment).

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
    return json.dumps(study, ensure_ascii=False), nct_id


def clone(template: str, own_id: str, number: int) -> tuple[str, bytes]:
    """The `number`-th study of a corpus: a new NCT id everywhere the template named its own."""
    nct_id = f"NCT{FIRST_ID + number:08d}"
    text = (
        template.replace(own_id, nct_id)
        .replace("@@COPY@@", f" (synthetic copy {number})")
        .replace("@@STATUS@@", STATUSES[number % len(STATUSES)])
        .replace("@@UPDATED@@", f"20{15 + number % 10}-{1 + number % 12:02d}-{1 + number % 28:02d}")
        .replace('"@@ENROLLMENT@@"', str(10 + number % 490))
    )
    return nct_id, text.encode("utf-8")


def make_corpus(size: int, out: Path | None = None) -> Path:
    templates = [_template(p) for p in template_paths()]
    key = hashlib.sha256("".join(t for t, _ in templates).encode()).hexdigest()[:10]
    out = out or CACHE / f"registry-{size}-{key}.zip"
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_suffix(".part")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for number in range(size):
            template, own_id = templates[number % len(templates)]
            nct_id, data = clone(template, own_id, number)
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
