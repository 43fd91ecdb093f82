"""kg never destroys the user's files, and faults end cleanly: inputs are never written over, a path kg
did not make is never moved or deleted, two writers never interleave, a signal or a full disk leaves no
half-written file or store, and files get the modes the umask gives."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pyoxigraph
import pytest

from tests.conftest import EXAMPLES, example_paths, kg_temporaries, stored_triples
from tests.conftest import run_kg as run

RECORD = "NCT00220935.json"


def tree(folder: Path) -> dict[str, bytes | str]:
    """Everything under a folder: file bytes, link targets, folders."""
    found: dict[str, bytes | str] = {}
    for path in sorted(folder.rglob("*")):
        name = str(path.relative_to(folder))
        if path.is_symlink():
            found[name] = "-> " + os.readlink(path)
        elif path.is_dir():
            found[name] = "folder"
        else:
            found[name] = path.read_bytes()
    return found


def generations(folder: Path, store: str = "st") -> list[str]:
    return sorted(p.name for p in folder.glob(f".{store}.gen-*"))


def count_lines(stderr: str) -> tuple[str, str]:
    lines = stderr.splitlines()
    return next(x for x in lines if x.startswith("records read:")), next(x for x in lines if x.startswith("rejected:"))


@pytest.fixture()
def records(tmp_path: Path) -> Path:
    folder = tmp_path / "records"
    folder.mkdir()
    for path in example_paths():
        shutil.copy(path, folder / path.name)
    return folder


# ---------------------------------------------------------------------------------------------- inputs are not outputs


@pytest.mark.parametrize("given", ["the folder", "the file", "a link to the file", "a zip"])
def test_an_output_that_is_an_input_file_is_refused_and_the_input_is_untouched(
    records: Path, tmp_path: Path, given: str
) -> None:
    inputs, output = str(records), records / RECORD
    if given == "the file":
        inputs = str(records / RECORD)
    elif given == "a link to the file":
        output = tmp_path / "graph.ttl"
        output.symlink_to(records / RECORD)
    elif given == "a zip":
        with zipfile.ZipFile(records / "bundle.zip", "w") as archive:
            archive.write(records / RECORD, RECORD)
        inputs, output = str(records / "bundle.zip"), records / "bundle.zip"
    before = tree(records)
    result = run("build", inputs, "-o", str(output))
    assert result.exit_code == 2
    assert "kg never writes over its inputs" in result.stderr and str(output) in result.stderr
    assert "Traceback" not in result.output
    assert tree(records) == before  # not even a lock file, a report or a rejects file


def test_a_report_or_rejects_file_that_would_land_on_an_input_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "trials.rejects.jsonl"  # a records file whose name -o's rejects file would take
    shutil.copy(EXAMPLES / RECORD, source)
    before = source.read_bytes()
    result = run("build", str(source), "-o", str(tmp_path / "trials.ttl"))
    assert result.exit_code == 2 and "the rejects file" in result.stderr
    assert source.read_bytes() == before and not (tmp_path / "trials.ttl").exists()


def test_an_output_inside_an_input_folder_is_written_and_a_second_build_does_not_read_it_back(records: Path) -> None:
    graph, store = records / "graph.ttl", records / "kg-store"
    first = run("build", str(records), "-o", str(graph), "--store", str(store))
    assert first.exit_code == 0, first.stderr
    assert count_lines(first.stderr)[0] == f"records read: {len(example_paths())} from {len(example_paths())} file(s)"
    built = graph.read_bytes()
    second = run("build", str(records), "-o", str(graph), "--store", str(store))
    assert second.exit_code == 0, second.stderr
    # Neither the graph, report and rejects nor the store beside them were read as records.
    assert count_lines(second.stderr) == count_lines(first.stderr)
    assert graph.read_bytes().count(b"\n") == built.count(b"\n")
    assert not [name for name in kg_temporaries(records) if not name.startswith(".kg-store.gen-")]


def test_a_kg_store_given_as_an_input_is_not_read_as_records(tmp_path: Path) -> None:
    store = tmp_path / "st"
    assert run("build", str(EXAMPLES / RECORD), "-o", str(tmp_path / "g.ttl"), "--store", str(store)).exit_code == 0
    result = run("parse", str(store))
    assert result.exit_code == 2 and "kg does not read its own stores" in result.stderr


# ---------------------------------------------------------------------------------------------- stores


@pytest.mark.parametrize("kind", ["a folder of the user's", "a file", "a link to another folder"])
@pytest.mark.parametrize("command", ["build", "load"])
def test_a_store_path_that_is_not_a_kg_store_is_refused_and_left_untouched(
    tmp_path: Path, kind: str, command: str
) -> None:
    graph = tmp_path / "graph.ttl"
    assert run("build", str(EXAMPLES / RECORD), "-o", str(graph)).exit_code == 0
    mine = tmp_path / "mine"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "notes.txt").write_text("keep me")
    if kind == "a folder of the user's":
        mine.mkdir()
        (mine / "CURRENT").write_text("not a kg store")
        (mine / "data.csv").write_text("a,b\n1,2\n")
    elif kind == "a file":
        mine.write_text("keep me")
    else:
        mine.symlink_to(elsewhere)
    before = tree(tmp_path)
    if command == "build":
        result = run("build", str(EXAMPLES / RECORD), "-o", str(tmp_path / "other.ttl"), "--store", str(mine))
    else:
        result = run("load", str(graph), "--store", str(mine))
    assert result.exit_code == 2 and str(mine) in result.stderr
    assert ("not a kg store" if kind != "a file" else "is a file") in result.stderr  # (click refuses a file)
    assert "Traceback" not in result.output
    assert tree(tmp_path) == before  # nothing moved aside, nothing written


def test_an_empty_folder_may_become_a_store(tmp_path: Path) -> None:
    (tmp_path / "st").mkdir()
    result = run("build", str(EXAMPLES / RECORD), "-o", str(tmp_path / "g.ttl"), "--store", str(tmp_path / "st"))
    assert result.exit_code == 0 and (tmp_path / "st").is_symlink()


def test_a_store_made_by_an_earlier_kg_version_still_opens_and_loads(tmp_path: Path) -> None:
    graph = tmp_path / "graph.nt"
    assert run("build", str(EXAMPLES / RECORD), "-o", str(graph)).exit_code == 0
    # An earlier kg: a link to `.NAME.gen-STAMP-XXXXXXXX` beside it, no marker; and a folder it moved aside.
    old = tmp_path / ".st.gen-20240101T000000-abcd1234"
    store = pyoxigraph.Store(str(old))
    store.bulk_load(path=str(graph), format=pyoxigraph.RdfFormat.N_TRIPLES)
    store.flush()
    del store
    (tmp_path / "st").symlink_to(old.name)
    legacy = tmp_path / ".st.gen-0-legacy"
    legacy.mkdir()
    (legacy / "data.csv").write_text("someone's data")
    before = stored_triples(tmp_path / "st")
    assert before.splitlines()[1] != "0"

    first = run("load", str(graph), "--store", str(tmp_path / "st"))
    assert first.exit_code == 0, first.stderr
    assert stored_triples(tmp_path / "st") == before
    current = tmp_path / os.readlink(tmp_path / "st")
    assert (current / ".kg-store").read_text().startswith("kg store generation")
    assert old.is_dir()  # kept for readers that opened it before the swap
    assert run("load", str(graph), "--store", str(tmp_path / "st")).exit_code == 0
    assert not old.exists()  # then removed: it is kg's (its name, Oxigraph's files)
    assert (legacy / "data.csv").read_text() == "someone's data"  # never: it may be the user's


# ---------------------------------------------------------------------------------------------- one writer at a time


def test_a_second_build_while_the_first_holds_the_lock_fails_fast(tmp_path: Path, slow_build) -> None:
    output, store = tmp_path / "g.ttl", tmp_path / "st"
    first = slow_build(str(EXAMPLES), "-o", str(output), "--store", str(store), "-j", "2")
    started = time.monotonic()
    second = run("build", str(EXAMPLES / RECORD), "-o", str(output))
    assert second.exit_code == 2 and time.monotonic() - started < 10
    assert second.stderr.startswith("kg: error: ") and "being written by another kg process" in second.stderr
    assert str(output) in second.stderr and "Traceback" not in second.output
    # Another output, the same store: refused as well; a second output whose rejects file is shared too.
    other = run("build", str(EXAMPLES / RECORD), "-o", str(tmp_path / "h.ttl"), "--store", str(store))
    assert other.exit_code == 2 and "the store" in other.stderr
    assert run("load", str(EXAMPLES / RECORD), "--store", str(store)).exit_code == 2
    same_stem = run("build", str(EXAMPLES / RECORD), "-o", str(tmp_path / "g.nt"))
    assert same_stem.exit_code == 2 and "being written by another kg process" in same_stem.stderr
    assert "g.report.ttl" in same_stem.stderr or "g.rejects.jsonl" in same_stem.stderr
    assert first.poll() is None and list(tmp_path.glob(".g.ttl.*.part"))  # the first build is untouched
    os.kill(first.pid, signal.SIGTERM)
    assert first.wait(timeout=60) == 128 + signal.SIGTERM
    assert run("build", str(EXAMPLES / RECORD), "-o", str(output), "--store", str(store)).exit_code == 0


# ---------------------------------------------------------------------------------------------- signals


@pytest.mark.parametrize(
    "signum, to_group",
    [(signal.SIGTERM, False), (signal.SIGINT, False), (signal.SIGINT, True), (signal.SIGTERM, True)],
    ids=["SIGTERM", "SIGINT", "Ctrl-C to the process group", "SIGTERM to the process group"],
)
def test_sigterm_and_sigint_during_a_build_leave_no_part_files_and_no_half_generation(
    tmp_path: Path, slow_build, signum: int, to_group: bool
) -> None:
    output, store = tmp_path / "g.ttl", tmp_path / "st"
    assert run("build", str(EXAMPLES / RECORD), "-o", str(output), "--store", str(store)).exit_code == 0
    before, kept, triples = tree(tmp_path), generations(tmp_path), stored_triples(store)
    build = slow_build(str(EXAMPLES), "-o", str(output), "--store", str(store), "-j", "2")
    assert kg_temporaries(tmp_path) != kept  # writing: a .part file, a new generation, locks
    (os.killpg if to_group else os.kill)(build.pid, signum)
    assert build.wait(timeout=60) == 128 + signum, build.stderr_path.read_text()
    stderr = build.stderr_path.read_text()
    assert f"stopped by {signal.Signals(signum).name}" in stderr and "Traceback" not in stderr
    assert kg_temporaries(tmp_path) == kept  # no .part, no lock, no half generation
    assert tree(tmp_path) == before and stored_triples(store) == triples


@pytest.mark.parametrize("attempt", range(3))
def test_sigterm_while_the_inputs_are_still_being_read_stops_the_build_cleanly(
    tmp_path: Path, slow_build, attempt: int
) -> None:
    output, store = tmp_path / "g.ttl", tmp_path / "st"
    build = slow_build(str(EXAMPLES), "-o", str(output), "--store", str(store), "-j", "2", writing=False)
    time.sleep(0.15 * attempt)  # somewhere in pass one: workers forking, documents read
    os.kill(build.pid, signal.SIGTERM)
    assert build.wait(timeout=60) == 128 + signal.SIGTERM
    assert kg_temporaries(tmp_path) == [] and not output.exists() and not os.path.lexists(store)


def test_a_generation_a_killed_writer_created_but_never_marked_is_removed_only_if_empty(tmp_path: Path) -> None:
    """Killed between creating its generation folder and writing the marker, a writer leaves an empty
    folder of kg's name: the next writer removes it. A folder of that name holding anything else stays."""
    store = tmp_path / "st"
    empty = tmp_path / ".st.gen-20260101T000000-abcd1234"
    half_marked = tmp_path / ".st.gen-20260101T000000-efgh5678"
    not_empty = tmp_path / ".st.gen-20260101T000000-ijkl9012"
    for folder in (empty, half_marked, not_empty):
        folder.mkdir()
    (half_marked / ".kg-store.part").write_text("kg store generation\n")
    (not_empty / "notes.txt").write_text("mine")
    result = run("build", str(EXAMPLES / RECORD), "-o", str(tmp_path / "g.ttl"), "--store", str(store))
    assert result.exit_code == 0, result.stderr
    assert not empty.exists() and not half_marked.exists()
    assert (not_empty / "notes.txt").read_text() == "mine"


def test_the_next_run_cleans_only_what_a_sigkilled_run_left(tmp_path: Path, slow_build) -> None:
    output, store = tmp_path / "g.ttl", tmp_path / "st"
    build = slow_build(str(EXAMPLES), "-o", str(output), "--store", str(store), "-j", "2")
    os.killpg(build.pid, signal.SIGKILL)
    build.wait()
    left = kg_temporaries(tmp_path)
    assert any(n.endswith(".part") for n in left) and any(".gen-" in n for n in left), left
    # Not kg's leftovers: a look-alike of the user's, and a temporary file a live process holds.
    (tmp_path / ".g.ttl.notes.part").write_text("mine")
    held = tmp_path / ".g.ttl.abcd1234.part"
    held.write_text("a live writer's")
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import fcntl, sys, time; f = open({str(held)!r}); fcntl.flock(f, fcntl.LOCK_EX); "
         "print(flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"\n"
        result = run("build", str(EXAMPLES / RECORD), "-o", str(output), "--store", str(store))
        assert result.exit_code == 0, result.stderr
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout:
            holder.stdout.close()
    assert kg_temporaries(tmp_path) == sorted([".g.ttl.abcd1234.part", ".g.ttl.notes.part", os.readlink(store)])
    assert held.read_text() == "a live writer's"


# ---------------------------------------------------------------------------------------------- full disk


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_disk_ends_with_exit_2_naming_the_file_and_no_traceback(tmp_path: Path, monkeypatch) -> None:
    from kg.rdf import sinks

    output = tmp_path / "g.ttl"
    assert run("build", str(EXAMPLES / RECORD), "-o", str(output)).exit_code == 0
    before = tree(tmp_path)
    real_open = sinks._open_text

    def graph_on_a_full_disk(descriptor: int):
        if os.readlink(f"/proc/self/fd/{descriptor}").startswith(str(tmp_path / ".g.ttl.")):
            os.close(descriptor)
            return open("/dev/full", "w", encoding="utf-8")  # every write fails: ENOSPC
        return real_open(descriptor)

    monkeypatch.setattr(sinks, "_open_text", graph_on_a_full_disk)
    result = run("build", str(EXAMPLES), "-o", str(output))
    assert result.exit_code == 2
    assert f"kg: error: cannot write {output}: No space left on device" in result.stderr
    assert "Traceback" not in result.output
    assert tree(tmp_path) == before  # the previous graph whole, no .part, no lock


def test_a_full_disk_while_making_a_store_generation_ends_with_exit_2(tmp_path: Path, monkeypatch) -> None:
    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("kg.store.generations.tempfile.mkdtemp", no_space)
    output = tmp_path / "g.ttl"
    result = run("build", str(EXAMPLES / RECORD), "-o", str(output), "--store", str(tmp_path / "st"))
    assert result.exit_code == 2 and f"kg: error: cannot write {tmp_path}: No space left on device" in result.stderr
    assert "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------------------- modes


@pytest.mark.parametrize("umask, file_mode, folder_mode", [(0o022, 0o644, 0o755), (0o027, 0o640, 0o750)])
def test_files_and_folders_get_the_modes_the_umask_gives(
    tmp_path: Path, umask: int, file_mode: int, folder_mode: int
) -> None:
    previous = os.umask(umask)
    try:
        output = tmp_path / "out" / "g.ttl"
        result = run("build", str(EXAMPLES / RECORD), "-o", str(output), "--store", str(tmp_path / "st"))
        assert result.exit_code == 0, result.stderr
        loaded = run("load", str(output), "--store", str(tmp_path / "st2"))
        assert loaded.exit_code == 0, loaded.stderr
    finally:
        os.umask(previous)
    for name in ("g.ttl", "g.report.ttl", "g.rejects.jsonl"):
        assert stat.S_IMODE((tmp_path / "out" / name).stat().st_mode) == file_mode, name
    for store in ("st", "st2"):
        generation = tmp_path / os.readlink(tmp_path / store)
        assert stat.S_IMODE(generation.stat().st_mode) == folder_mode
        assert stat.S_IMODE((generation / ".kg-store").stat().st_mode) == file_mode


@pytest.mark.parametrize("kind", ["fifo", "folder", "device"])
def test_an_output_path_that_is_not_a_file_is_refused_and_left_as_it_was(tmp_path: Path, kind: str) -> None:
    import os

    target = tmp_path / "out.nt"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "folder":
        target.mkdir()
    else:
        target = Path("/dev/null")
    before = os.stat(target)
    result = run("build", str(EXAMPLES / "NCT00710099.json"), "-o", str(target))
    assert result.exit_code == 2 and ("not a file" in result.stderr or "is a directory" in result.stderr)
    after = os.stat(target)
    assert (after.st_mode, after.st_ino) == (before.st_mode, before.st_ino)


def test_a_report_path_that_is_a_folder_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    (tmp_path / "g.report.ttl").mkdir()
    result = run("build", str(EXAMPLES / "NCT00710099.json"), "-o", str(tmp_path / "g.nt"))
    assert result.exit_code == 2 and "not a file" in result.stderr
    assert not (tmp_path / "g.nt").exists() and not (tmp_path / "g.rejects.jsonl").exists()
