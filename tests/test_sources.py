"""Every container the registry's JSON comes in is read, streamed, and detected from content."""

from __future__ import annotations

import copy
import json
import shutil
import zipfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.model.records import TrialRecord
from kg.sources import Reject, iter_records
from tests.conftest import EXAMPLES, FIXTURES, example_paths, load_json

BUNDLE = FIXTURES / "v2-bundle" / "dgg32_ctg-studies.json"


def nct_ids(items) -> list[str]:
    return [item.nct_id for item in items if isinstance(item, TrialRecord)]


def test_reads_one_study_object_per_file() -> None:
    records = list(iter_records([str(EXAMPLES / "NCT04267848.json")]))
    assert nct_ids(records) == ["NCT04267848"]


def test_reads_the_website_download_array_in_order() -> None:
    expected = [s["protocolSection"]["identificationModule"]["nctId"] for s in json.loads(BUNDLE.read_text())]
    records = list(iter_records([str(BUNDLE)]))
    assert nct_ids(records) == expected and len(expected) == 10
    assert [r.provenance.position for r in records] == list(range(10))


def test_reads_a_paged_api_response(tmp_path: Path) -> None:
    studies = [load_json(p) for p in example_paths()[:3]]
    page = tmp_path / "page-1"
    page.write_text(json.dumps({"studies": studies, "nextPageToken": "abc", "totalCount": 99}))
    assert nct_ids(iter_records([str(page)])) == [p.stem for p in example_paths()[:3]]


def test_reads_json_lines_and_reports_the_bad_line(tmp_path: Path) -> None:
    lines = [json.dumps(load_json(p)) for p in example_paths()[:2]]
    path = tmp_path / "studies.jsonl"
    path.write_text(lines[0] + "\n{broken\n" + lines[1] + "\n")
    items = list(iter_records([str(path)]))
    assert nct_ids(items) == [p.stem for p in example_paths()[:2]]
    (reject,) = [i for i in items if isinstance(i, Reject)]
    assert reject.reason == "malformed-json" and reject.position == 1 and reject.path == str(path)


def test_reads_a_directory_recursively_in_sorted_order(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    for source in example_paths()[:3]:
        shutil.copy(source, tmp_path / "b" / source.name)
    shutil.copy(BUNDLE, tmp_path / "a.json")
    (tmp_path / "SOURCES.md").write_text("notes, not records")
    ids = nct_ids(iter_records([str(tmp_path)]))
    assert len(ids) == 13 and ids[10:] == [p.stem for p in example_paths()[:3]]


def test_reads_a_zip_of_study_files_like_the_bulk_download(tmp_path: Path) -> None:
    archive = tmp_path / "ctg-studies.json.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for source in example_paths():
            zf.write(source, f"ctg-studies/{source.name}")
        zf.write(BUNDLE, "bundle.json")
    records = [r for r in iter_records([str(archive)]) if isinstance(r, TrialRecord)]
    assert len(records) == len(example_paths()) + 10
    assert records[0].provenance.path == str(archive) and records[0].provenance.member == "bundle.json"


def test_zip_members_are_read_without_loading_the_whole_directory_in_each_process(tmp_path: Path) -> None:
    """A worker gets each member's place from the parent; only odd members go through zipfile."""
    from kg.sources import documents

    archive = tmp_path / "ctg-studies.json.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for index, source in enumerate(example_paths()[:6]):
            compression = zipfile.ZIP_STORED if index % 2 else zipfile.ZIP_DEFLATED
            zf.write(source, f"ctg-studies/{source.name}", compress_type=compression)
    documents._OPEN_ARCHIVES.clear()
    ids = nct_ids(iter_records([str(archive)]))
    assert ids == [p.stem for p in example_paths()[:6]]
    assert documents._OPEN_ARCHIVES == {}


def test_a_damaged_zip_member_is_rejected_and_the_others_read(tmp_path: Path) -> None:
    archive = tmp_path / "damaged.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for source in example_paths()[:3]:
            zf.write(source, source.name)
    data = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as zf:
        second = zf.infolist()[1]
    middle = second.header_offset + 30 + len(second.filename) + second.compress_size // 2
    data[middle] ^= 0xFF  # flip a byte inside the second member's compressed data
    archive.write_bytes(bytes(data))
    results = list(iter_records([str(archive)]))
    built = [r.nct_id for r in results if isinstance(r, TrialRecord)]
    rejected = [r for r in results if isinstance(r, Reject)]
    assert built == [example_paths()[0].stem, example_paths()[2].stem]
    assert len(rejected) == 1 and rejected[0].member == example_paths()[1].name
    assert rejected[0].reason == "unreadable-file" and "damaged zip member" in rejected[0].message


def test_detects_json_by_content_not_file_name(tmp_path: Path) -> None:
    path = tmp_path / "download.txt"
    shutil.copy(EXAMPLES / "NCT04267848.json", path)
    assert nct_ids(iter_records([str(path)])) == ["NCT04267848"]


def test_accepts_a_utf8_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + BUNDLE.read_bytes())
    assert len(nct_ids(iter_records([str(path)]))) == 10


def test_a_truncated_array_keeps_the_records_before_the_break(tmp_path: Path) -> None:
    data = BUNDLE.read_bytes()
    path = tmp_path / "cut.json"
    path.write_bytes(data[: len(data) // 2])
    items = list(iter_records([str(path)]))
    good = nct_ids(items)
    assert 1 <= len(good) < 10
    assert isinstance(items[-1], Reject) and items[-1].reason == "malformed-json"
    assert f"after {len(good)} record(s)" in items[-1].message


def test_each_bad_input_is_named_with_its_reason() -> None:
    items = {Path(i.path).name: i for i in iter_records([str(FIXTURES / "bad")]) if isinstance(i, Reject)}
    assert items["truncated.json"].reason == "malformed-json"
    assert (
        items["invalid-nct-id.json"].reason == "invalid-nct-id" and "'NCT123'" in items["invalid-nct-id.json"].message
    )
    assert items["unknown-status.json"].reason == "unknown-status"
    assert items["unknown-status.json"].nct_id == "NCT99999901"
    assert items["not-a-study.json"].reason == "not-a-study"
    assert items["page-of-another-site.html"].reason == "unknown-format"


def test_a_missing_path_is_a_reject_not_a_crash(tmp_path: Path) -> None:
    (reject,) = list(iter_records([str(tmp_path / "nope.json")]))
    assert isinstance(reject, Reject) and reject.reason == "unreadable-file"


def test_arrays_are_streamed_not_loaded(monkeypatch, tmp_path: Path) -> None:
    """The first record of a big array arrives before the rest of the file is read."""
    studies = [load_json(p) for p in example_paths()[:5]] * 40
    path = tmp_path / "big.json"
    path.write_text(json.dumps(studies))
    reads: list[int] = []
    real_open = Path.open

    import kg.sources.documents as documents

    class CountingFile:
        def __init__(self, stream):
            self._stream = stream

        def read(self, size=-1):
            chunk = self._stream.read(size)
            reads.append(len(chunk))
            return chunk

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self._stream.close()

    monkeypatch.setattr(documents.Document, "open", lambda self: CountingFile(real_open(Path(self.path), "rb")))
    first = next(r for r in iter_records([str(path)]) if isinstance(r, TrialRecord))
    assert first.nct_id == example_paths()[0].stem
    assert sum(reads) < path.stat().st_size / 4


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)


def _paths(value, prefix=()):
    if isinstance(value, dict):
        for key, child in value.items():
            yield prefix + (key,)
            yield from _paths(child, prefix + (key,))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield prefix + (index,)
            yield from _paths(child, prefix + (index,))


REAL_STUDY = load_json(EXAMPLES / "NCT00410098.json")
REAL_STUDY_PATHS = list(_paths(REAL_STUDY))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_mutated_real_record_parses_or_is_rejected_never_crashes(tmp_path: Path, data) -> None:
    study = copy.deepcopy(REAL_STUDY)
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        path = data.draw(st.sampled_from(REAL_STUDY_PATHS))
        target = study
        try:
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = data.draw(json_values)
        except (KeyError, IndexError, TypeError):
            continue
    source = tmp_path / "mutated.json"
    source.write_text(json.dumps(study))
    items = list(iter_records([str(source)]))
    assert len(items) == 1 and isinstance(items[0], (TrialRecord, Reject))
