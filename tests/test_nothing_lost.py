"""Nothing lost: a bad input costs one record, never the build or the other records.

The hostile corpus (tests/fixtures/hostile, written by tests/make_hostile_corpus.py from a real record)
has one damaged record per case; big cases (deep nesting, long digit runs, odd zips, a FIFO) are made
here. Every case has an exact outcome, and a property test mixes good records with random damage.
"""

from __future__ import annotations

import json
import os
import struct
import time
import unicodedata
import zipfile
from pathlib import Path

import pyoxigraph
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import Graph

from kg.build import BuildConfig, build
from kg.cli import main
from kg.model.doses import find_doses, find_schedule
from kg.model.records import TrialRecord
from kg.rdf import iris
from kg.rdf.iris import KG, SCHEMA
from kg.sources import Reject, iter_records
from tests.conftest import EXAMPLES, FIXTURES, example_paths

HOSTILE = FIXTURES / "hostile"

# file -> what each of its records becomes: an NCT id (built), or a reject reason
EXPECTED = {
    "age-of-400-nines.json": ["NCT90000005"],
    "array-with-nan-and-a-broken-item.json": ["NCT90000020", "NCT90000021", "malformed-json", "NCT90000023"],
    "date-february-30.json": ["NCT90000003"],
    "date-month-13.json": ["NCT90000004"],
    "dose-dotted-capital-i.json": ["NCT90000007"],
    "dose-long-s.json": ["NCT90000008"],
    "enrollment-5000-digits.json": ["NCT90000013"],
    "enrollment-infinity.json": ["NCT90000001"],
    "enrollment-negative.json": ["NCT90000002"],
    "json-lines-truncated-first-line.jsonl": ["malformed-json", "NCT90000031", "NCT90000032"],
    "nct-id-arabic-indic-digits.json": ["invalid-nct-id"],
    "nct-id-trailing-newline.json": ["NCT90000012"],  # surrounding whitespace is not part of the id
    "prose-readme.md": ["unknown-format"],
    "sponsor-nfc.json": ["NCT90000010"],
    "sponsor-nfd.json": ["NCT90000009"],
    "title-lone-surrogate.json": ["NCT90000006"],
    "xml-enrollment-superscript.xml": ["NCT00000105"],
}

# file -> the field warnings its records carry: (field, reason)
WARNINGS = {
    "age-of-400-nines.json": [("min_age", "invalid-age")],
    "array-with-nan-and-a-broken-item.json": [("enrollment", "invalid-number")],
    "date-february-30.json": [("start_date", "invalid-date")],
    "date-month-13.json": [("completion_date", "invalid-date")],
    "enrollment-5000-digits.json": [("enrollment", "invalid-number")],
    "enrollment-infinity.json": [("enrollment", "invalid-number")],
    "enrollment-negative.json": [("enrollment", "invalid-number")],
    "title-lone-surrogate.json": [("title", "invalid-text")],
    "xml-enrollment-superscript.xml": [("enrollment", "invalid-number")],
}


def outcomes(paths: list[str]) -> tuple[dict[str, list[str]], dict[str, list[tuple[str, str]]]]:
    found: dict[str, list[str]] = {}
    warnings: dict[str, list[tuple[str, str]]] = {}
    for item in iter_records(paths):
        name = Path(item.path if isinstance(item, Reject) else item.provenance.path).name
        found.setdefault(name, []).append(item.reason if isinstance(item, Reject) else item.nct_id)
        if isinstance(item, TrialRecord) and item.field_warnings:
            warnings.setdefault(name, []).extend((w.field, w.reason) for w in item.field_warnings)
    return found, warnings


def test_each_hostile_input_has_its_exact_outcome() -> None:
    found, warnings = outcomes([str(HOSTILE)])
    assert found == EXPECTED
    assert warnings == WARNINGS


def test_every_hostile_file_is_named_in_the_table() -> None:
    assert sorted(p.name for p in HOSTILE.iterdir()) == sorted(EXPECTED)


def read_build(stderr: str) -> tuple[int, int, int, int]:
    read = int(stderr.split("records read: ")[1].split()[0])
    trials = int(stderr.split("trials: ")[1].split()[0])
    merged = int(stderr.split("duplicate records merged: ")[1].split(")")[0])
    rejected = int(stderr.split("rejected: ")[1].split()[0])
    return read, trials, merged, rejected


def test_hostile_and_good_records_build_together_with_exit_0_and_every_good_record(tmp_path: Path) -> None:
    output = tmp_path / "g.ttl"
    result = CliRunner().invoke(main, ["build", str(EXAMPLES), str(HOSTILE), "-o", str(output)])
    assert result.exit_code == 0, result.stderr
    read, trials, merged, rejected = read_build(result.stderr)
    assert read == trials + merged + rejected
    lines = [json.loads(line) for line in (tmp_path / "g.rejects.jsonl").read_text().splitlines()]
    assert {line["kind"] for line in lines} == {"reject", "field-warning"}
    assert rejected == sum(1 for line in lines if line["kind"] == "reject") == 4
    assert sum(1 for line in lines if line["kind"] == "field-warning") == sum(len(w) for w in WARNINGS.values())
    graph = pyoxigraph.Store()
    graph.load(path=str(output), format=pyoxigraph.RdfFormat.TURTLE)
    built = {str(t.object.value) for t in graph.quads_for_pattern(None, pyoxigraph.NamedNode(str(KG.nctId)), None)}
    expected = {p.stem for p in example_paths()} | {n for v in EXPECTED.values() for n in v if n.startswith("NCT")}
    assert expected <= built
    assert "SHACL: conforms (0 violations" in result.stderr


def test_a_field_value_that_cannot_be_used_is_left_out_and_the_trial_kept(tmp_path: Path) -> None:
    build(BuildConfig(inputs=[str(HOSTILE / "date-february-30.json")], output=tmp_path / "g.ttl"))
    graph = Graph().parse(tmp_path / "g.ttl")
    trial = iris.trial_iri("NCT90000003")
    assert (trial, KG.nctId, None) in graph
    assert not any("2021-02-30" in str(o) for o in graph.objects(trial, None))


def test_a_name_in_nfc_and_in_nfd_is_one_sponsor(tmp_path: Path) -> None:
    build(
        BuildConfig(
            inputs=[str(HOSTILE / "sponsor-nfc.json"), str(HOSTILE / "sponsor-nfd.json")], output=tmp_path / "g.ttl"
        )
    )
    graph = Graph().parse(tmp_path / "g.ttl")
    sponsors = {o for s in graph.subjects(KG.nctId, None) for o in graph.objects(s, KG.leadSponsor)}
    assert len(sponsors) == 1
    (name,) = {str(n) for s in sponsors for n in graph.objects(s, SCHEMA.name)}
    assert unicodedata.is_normalized("NFC", name)


def test_a_hundred_thousand_nested_brackets_cost_one_record_in_bounded_memory(tmp_path: Path) -> None:
    good = json.loads((EXAMPLES / "NCT00710099.json").read_text())
    path = tmp_path / "deep.json"
    path.write_text("[" + "[" * 100_000 + "]" * 100_000 + "," + json.dumps(good) + "]")
    found = [r.reason if isinstance(r, Reject) else r.nct_id for r in iter_records([str(path)])]
    assert found == ["malformed-json", "NCT00710099"]


def test_dose_and_schedule_readers_take_linear_time_on_long_digit_runs() -> None:
    for text in ("1" * 49_000, "1." * 25_000, "1, " * 16_000 + "x", "on day " + "1, " * 16_000 + "x"):
        started = time.perf_counter()
        find_doses(text)
        find_schedule(text)
        assert time.perf_counter() - started < 2.0


def test_a_fifo_in_an_input_folder_is_rejected_not_waited_on(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "NCT00710099.json").write_bytes((EXAMPLES / "NCT00710099.json").read_bytes())
    os.mkfifo(folder / "pipe.json")
    found = sorted(r.reason if isinstance(r, Reject) else r.nct_id for r in iter_records([str(folder)]))
    assert found == ["NCT00710099", "unreadable-file"]


def test_two_zip_members_with_one_name_are_two_records(tmp_path: Path) -> None:
    path = tmp_path / "twins.zip"
    with pytest.warns(UserWarning), zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("study.json", (EXAMPLES / "NCT00710099.json").read_bytes())
        archive.writestr("study.json", (EXAMPLES / "NCT00934284.json").read_bytes())
    found = [r.nct_id for r in iter_records([str(path)])]
    assert sorted(found) == ["NCT00710099", "NCT00934284"]
    summary = build(BuildConfig(inputs=[str(path)], output=tmp_path / "g.ttl"))
    assert (summary.records_read, summary.trials, summary.duplicates) == (2, 2, 0)


def _zip_with_member_flags(path: Path, compress_type: int | None = None, flag_bits: int = 0) -> None:
    """A one-member zip whose headers claim another compression (Deflate64 = 9) or encryption."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("study.json", (EXAMPLES / "NCT00710099.json").read_bytes())
        archive.writestr("other.json", (EXAMPLES / "NCT00934284.json").read_bytes())
    data = bytearray(path.read_bytes())
    for signature, flags_at, method_at in ((b"PK\x03\x04", 6, 8), (b"PK\x01\x02", 8, 10)):
        at = data.find(signature)  # the first member's local header, then its directory entry
        flags = struct.unpack_from("<H", data, at + flags_at)[0]
        struct.pack_into("<H", data, at + flags_at, flags | flag_bits)
        if compress_type is not None:
            struct.pack_into("<H", data, at + method_at, compress_type)
    if flag_bits & 0x1:  # encrypted bytes look like noise
        name_length = struct.unpack_from("<H", data, 26)[0]
        for offset in range(30 + name_length, 30 + name_length + 64):
            data[offset] ^= 0xA5
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(("compress_type", "flag_bits"), [(9, 0), (None, 0x1)], ids=["deflate64", "encrypted"])
def test_a_zip_member_kg_cannot_unpack_is_rejected_and_the_others_read(
    tmp_path: Path, compress_type: int | None, flag_bits: int
) -> None:
    path = tmp_path / "odd.zip"
    _zip_with_member_flags(path, compress_type, flag_bits)
    found = sorted((r.reason if isinstance(r, Reject) else r.nct_id) for r in iter_records([str(path)]))
    assert found == ["NCT00934284", "unreadable-file"]
    summary = build(BuildConfig(inputs=[str(path)], output=tmp_path / "g.ttl"))
    assert summary.exit_code == 0 and summary.trials == 1


def _build_with_a_file_touched_between_the_passes(tmp_path: Path, monkeypatch, touch) -> object:
    """Builds a folder of two real records, calling `touch(folder)` after pass one."""
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("NCT00710099.json", "NCT00934284.json"):
        (folder / name).write_bytes((EXAMPLES / name).read_bytes())
    from kg import build as build_module

    first_pass = build_module._first_pass

    def first_pass_then_touch(*args):
        index = first_pass(*args)
        touch(folder)
        return index

    monkeypatch.setattr(build_module, "_first_pass", first_pass_then_touch)
    return build(BuildConfig(inputs=[str(folder)], output=tmp_path / "g.ttl"))


def test_a_file_changed_between_the_passes_is_rejected_not_lost(tmp_path: Path, monkeypatch) -> None:
    def append_a_line(folder: Path) -> None:
        (folder / "NCT00934284.json").write_text((folder / "NCT00934284.json").read_text() + "\n")

    summary = _build_with_a_file_touched_between_the_passes(tmp_path, monkeypatch, append_a_line)
    assert [(r.reason, r.nct_id) for r in summary.rejects] == [("changed-during-build", "NCT00934284")]
    assert summary.records_read == summary.trials + summary.duplicates + len(summary.rejects) == 2


def test_a_file_deleted_between_the_passes_is_rejected_not_lost(tmp_path: Path, monkeypatch) -> None:
    def delete(folder: Path) -> None:
        (folder / "NCT00710099.json").unlink()

    summary = _build_with_a_file_touched_between_the_passes(tmp_path, monkeypatch, delete)
    assert [(r.reason, r.nct_id) for r in summary.rejects] == [("changed-during-build", "NCT00710099")]
    assert summary.trials == 1


def test_an_input_file_that_cannot_be_read_for_its_checksum_does_not_stop_the_build(
    tmp_path: Path, monkeypatch
) -> None:
    from kg import build as build_module

    real_open = open

    def refusing_open(path, *args, **kwargs):
        if str(path).endswith("NCT00934284.json") and "rb" in args:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(build_module, "open", refusing_open, raising=False)
    summary = build(BuildConfig(inputs=[str(EXAMPLES / "NCT00934284.json")], output=tmp_path / "g.ttl"))
    assert summary.exit_code == 0


def test_an_unexpected_error_in_one_record_is_an_internal_error_reject(tmp_path: Path, monkeypatch) -> None:
    from kg.sources import ctgov_v2

    original = ctgov_v2.parse

    def bug(study, provenance):
        if study["protocolSection"]["identificationModule"]["nctId"] == "NCT00934284":
            raise ZeroDivisionError("a bug kg has not met yet")
        return original(study, provenance)

    monkeypatch.setattr(ctgov_v2, "parse", bug)
    result = [r for r in iter_records([str(EXAMPLES)]) if isinstance(r, Reject)]
    assert [(Path(r.path).name, r.reason) for r in result] == [("NCT00934284.json", "internal-error")]
    assert "ZeroDivisionError" in result[0].message and "Traceback" in (result[0].detail or "")


def _v2_with(tmp_path: Path, name: str, change) -> Path:
    record = json.loads((EXAMPLES / "NCT00710099.json").read_text())
    change(record["protocolSection"])
    path = tmp_path / name
    path.write_text(json.dumps(record))
    return path


def test_a_code_no_registry_uses_is_left_out_with_a_warning_not_a_shacl_violation(tmp_path: Path) -> None:
    def odd_codes(protocol) -> None:
        protocol["armsInterventionsModule"]["armGroups"][0]["type"] = "SORT_OF_ACTIVE"
        protocol["sponsorCollaboratorsModule"]["leadSponsor"]["class"] = "PHILANTHROPIC"
        protocol["designModule"]["phases"] = [None, "PHASE2"]
        protocol["eligibilityModule"]["minimumAge"], protocol["eligibilityModule"]["maximumAge"] = (
            "65 Years",
            "18 Years",
        )

    summary = build(BuildConfig(inputs=[str(_v2_with(tmp_path, "odd.json", odd_codes))], output=tmp_path / "g.ttl"))
    assert summary.exit_code == 0 and summary.outcome.violations == 0 and summary.trials == 1
    assert sorted((w.warning.field, w.warning.reason) for w in summary.field_warnings) == [
        ("arms", "unknown-code"),
        ("min_age", "invalid-age"),
        ("phases", "unknown-code"),
        ("sponsor", "unknown-code"),
    ]


def test_a_record_listing_a_million_conditions_is_refused_before_it_is_mapped(tmp_path: Path) -> None:
    def million(protocol) -> None:
        protocol["conditionsModule"] = {"conditions": [f"Condition {i}" for i in range(1_000_000)]}

    (reject,) = iter_records([str(_v2_with(tmp_path, "many.json", million))])
    assert isinstance(reject, Reject) and reject.reason == "too-large" and "1,000,000 conditions" in reject.message


def test_xml_in_utf_16_is_read_and_an_unknown_declared_encoding_is_malformed_xml(tmp_path: Path) -> None:
    xml = (FIXTURES / "legacy-xml" / "NCT00000105.xml").read_text(encoding="utf-8")
    (tmp_path / "wide.xml").write_bytes(('<?xml version="1.0" encoding="UTF-16"?>\n' + xml).encode("utf-16"))
    (tmp_path / "odd.xml").write_text('<?xml version="1.0" encoding="x-no-such"?>\n' + xml)
    found = {
        Path(r.path).name if isinstance(r, Reject) else Path(r.provenance.path).name: getattr(r, "reason", None)
        or r.nct_id
        for r in iter_records([str(tmp_path)])
    }
    assert found == {"odd.xml": "malformed-xml", "wide.xml": "NCT00000105"}


def test_a_zip_cut_short_is_named_a_damaged_zip(tmp_path: Path) -> None:
    path = tmp_path / "cut.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("study.json", (EXAMPLES / "NCT00710099.json").read_bytes())
    path.write_bytes(path.read_bytes()[:-30])
    (reject,) = iter_records([str(path)])
    assert isinstance(reject, Reject) and reject.reason == "unreadable-file" and "damaged" in reject.message


def test_a_file_name_cannot_forge_lines_of_the_summary(tmp_path: Path) -> None:
    path = tmp_path / "x\nrecords read: 999.json"
    path.write_text("{}")
    result = CliRunner().invoke(
        main, ["build", str(path), str(EXAMPLES / "NCT00710099.json"), "-o", str(tmp_path / "g.ttl")]
    )
    assert "\nrecords read: 999" not in result.stderr and "x\\nrecords read: 999.json" in result.stderr


# Damage a property test may do to a good record's bytes.
def _damage(data: bytes, how: str, at: float) -> bytes:
    cut = int(len(data) * at)
    if how == "truncate":
        return data[:cut]
    if how == "flip":
        return data[:cut] + bytes([data[cut] ^ 0x5A]) + data[cut + 1 :] if cut < len(data) else data
    if how == "nan":
        return data.replace(b'"count": ', b'"count": NaN, "x": ', 1)
    if how == "huge-number":
        return data.replace(b'"count": ', b'"count": ' + b"9" * 6000 + b', "x": ', 1)
    if how == "bad-date":
        return data.replace(b'"date": "', b'"date": "2019-02-31', 1).replace(b"2019-02-31", b'2019-02-31", "y": "', 1)
    return data + b"\x00\xff"


GOOD = sorted(example_paths())[:8]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    damaged=st.lists(
        st.tuples(
            st.integers(0, len(GOOD) - 1),
            st.sampled_from(["truncate", "flip", "nan", "huge-number", "bad-date", "garbage"]),
            st.floats(0, 1),
        ),
        max_size=4,
        unique_by=lambda d: d[0],
    )
)
def test_any_mix_of_good_and_damaged_records_is_counted_exactly_and_builds(tmp_path_factory, damaged) -> None:
    folder = tmp_path_factory.mktemp("mix")
    hurt = {index for index, _, _ in damaged}
    for path in GOOD:
        (folder / path.name).write_bytes(path.read_bytes())
    for index, how, at in damaged:
        (folder / GOOD[index].name).write_bytes(_damage(GOOD[index].read_bytes(), how, at))
    output = folder.parent / (folder.name + ".nt")
    summary = build(BuildConfig(inputs=[str(folder)], output=output, rdf_format="nt"))
    assert summary.records_read == summary.trials + summary.duplicates + len(summary.rejects)
    store = pyoxigraph.Store()
    store.load(path=str(output), format=pyoxigraph.RdfFormat.N_TRIPLES)
    for index, path in enumerate(GOOD):
        if index not in hurt:
            trial = pyoxigraph.NamedNode(str(iris.trial_iri(path.stem)))
            assert any(True for _ in store.quads_for_pattern(trial, pyoxigraph.NamedNode(str(KG.nctId)), None))
