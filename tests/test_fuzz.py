"""Fuzzing every parser with mutated real inputs: the only outcome besides a record is kg's own reject.
`make test` runs a short campaign; `make fuzz` a long one (KG_FUZZ=long)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.model.records import TrialRecord
from kg.sources import Reject, iter_records
from tests.conftest import FIXTURES

settings.register_profile(
    "short", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
settings.register_profile(
    "long", max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
PROFILE = "long" if os.environ.get("KG_FUZZ") == "long" else "short"

PAGES = [p.read_text(encoding="utf-8") for p in sorted((FIXTURES / "seeds").glob("*.txt"))]
XMLS = [p.read_bytes() for p in sorted((FIXTURES / "legacy-xml").glob("*.xml"))]
V1S = [json.loads(p.read_text()) for p in sorted((FIXTURES / "v1").glob("*.json"))]


def mutated_lines(text: str, data: st.DataObject) -> str:
    lines = text.split("\n")
    for _ in range(data.draw(st.integers(1, 6))):
        action = data.draw(st.sampled_from(["drop", "duplicate", "swap", "insert", "truncate"]))
        index = data.draw(st.integers(0, max(0, len(lines) - 1)))
        if action == "drop" and len(lines) > 1:
            del lines[index]
        elif action == "duplicate":
            lines.insert(index, lines[index])
        elif action == "swap" and len(lines) > 1:
            other = data.draw(st.integers(0, len(lines) - 1))
            lines[index], lines[other] = lines[other], lines[index]
        elif action == "insert":
            lines.insert(index, data.draw(st.text(max_size=40)))
        elif action == "truncate":
            lines[index] = lines[index][: data.draw(st.integers(0, len(lines[index])))]
    return "\n".join(lines)


def parse_one(tmp_path: Path, name: str, data: bytes) -> list[TrialRecord | Reject]:
    path = tmp_path / name
    path.write_bytes(data)
    items = list(iter_records([str(path)]))
    assert len(items) == 1 and isinstance(items[0], (TrialRecord, Reject))
    return items


@settings(settings.get_profile(PROFILE))
@given(data=st.data())
def test_mutated_registry_pages_parse_or_are_rejected(tmp_path: Path, data) -> None:
    page = data.draw(st.sampled_from(PAGES))
    parse_one(tmp_path, "page.txt", mutated_lines(page, data).encode("utf-8"))


@settings(settings.get_profile(PROFILE))
@given(data=st.data())
def test_mutated_legacy_xml_parses_or_is_rejected(tmp_path: Path, data) -> None:
    document = data.draw(st.sampled_from(XMLS)).decode("utf-8")
    parse_one(tmp_path, "study.xml", mutated_lines(document, data).encode("utf-8"))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=6,
)


@settings(settings.get_profile(PROFILE))
@given(data=st.data())
def test_mutated_api_v1_records_parse_or_are_rejected(tmp_path: Path, data) -> None:
    record = dict(data.draw(st.sampled_from(V1S)))
    for _ in range(data.draw(st.integers(1, 5))):
        key = data.draw(st.sampled_from(sorted(record)))
        record[key] = data.draw(json_values | st.lists(st.text(max_size=30), max_size=4))
    parse_one(tmp_path, "study.json", json.dumps(record).encode())


@settings(settings.get_profile(PROFILE))
@given(data=st.binary(max_size=2000))
def test_arbitrary_bytes_are_read_or_rejected(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "noise"
    path.write_bytes(data)
    for item in iter_records([str(path)]):
        assert isinstance(item, (TrialRecord, Reject))
