"""One study: its NCT id checked, written as `NCT….json` (the form `kg build` reads), atomically; and a
fetch of studies named by NCT id, one request each.

Separate because both a search's pages and a list of NCT ids end here: no study is written under a
name that is not `NCT` and 8 ASCII digits, whichever way it came.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kg.errors import FetchError
from kg.rdf.sinks import write_atomically
from kg.sources.fetch.client import Client
from kg.sources.fetch.config import FetchConfig
from kg.sources.fetch.shown import kind, shown
from kg.sources.values import is_nct_id


@dataclass
class FetchResult:
    fetched: int
    total: int | None
    resumed: bool
    requests: int
    retries: int
    skipped: int = 0  # studies reported and left out (not an object, no valid NCT id)


def study_id(study: object) -> tuple[str | None, str]:
    """A study's NCT id, or None and why it cannot be written (not an object, no NCT id, not a valid one)."""
    if not isinstance(study, dict):
        return None, f"{kind(study)}, not a study object: {shown(study)}"
    section = study.get("protocolSection")
    module = section.get("identificationModule") if isinstance(section, dict) else None
    nct_id = module.get("nctId") if isinstance(module, dict) else None
    if nct_id is None:
        return None, "no protocolSection.identificationModule.nctId"
    if not is_nct_id(nct_id):
        return None, f"nctId {shown(nct_id)} is not NCT and 8 ASCII digits"
    return nct_id, ""


def write_study(out_dir: Path, nct_id: str, study: dict[str, Any]) -> None:
    write_atomically(out_dir / f"{nct_id}.json", json.dumps(study, ensure_ascii=False, indent=2))


def fetch_listed(
    config: FetchConfig,
    client: Client,
    progress: Callable[[int, int | None], None] | None,
    say: Callable[[str], None],
) -> FetchResult:
    """The studies `config.nct_ids` names (each checked first); a reply that is not the study asked for
    is reported and skipped."""
    wanted = []
    for given in config.nct_ids:
        nct_id = given.strip().upper()
        if not is_nct_id(nct_id):
            raise FetchError(f"{shown(given)} is not an NCT id (NCT and 8 digits)")
        wanted.append(nct_id)
    config.out_dir.mkdir(parents=True, exist_ok=True)
    written = skipped = 0
    for done, nct_id in enumerate(wanted, 1):
        study = client.get_json(f"/studies/{nct_id}", {"format": "json"}, what=nct_id)
        got, problem = study_id(study)
        if got is not None and got != nct_id:
            got, problem = None, f"it is the study {got}"
        if got is None:
            say(f"skipped the registry's reply for {nct_id}: {problem}")
            skipped += 1
        else:
            write_study(config.out_dir, got, study)
            written += 1
        if progress:
            progress(done, len(wanted))
    return FetchResult(written, len(wanted), False, client.requests, client.retries, skipped)
