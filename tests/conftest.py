from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = ROOT.parent / "shared" / "data" / "ctgov"

needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data/ctgov is not beside this checkout")


def example_paths() -> list[Path]:
    return sorted(EXAMPLES.glob("NCT*.json"))


def load_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))
