"""`kg build --update` replaces exactly what the store said about the changed trials: the updated store
says about every trial what a full rebuild of the same records says, and the removal is a walk from each
changed trial, not a scan of the store."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyoxigraph
import pytest

from kg.rdf import iris
from kg.similarity.features import read_features
from kg.similarity.index import index_of_store, saved_index
from kg.store import open_store
from kg.store.updates import said_about
from tests.conftest import FIXTURES, run_kg

BUNDLE = FIXTURES / "v2-bundle" / "dgg32_ctg-studies.json"


def _nct(study: dict) -> str:
    return study["protocolSection"]["identificationModule"]["nctId"]


def _changed(study: dict) -> dict:
    """A newer version that changes, drops and adds: status, keywords gone, one arm fewer, a new site."""
    newer = json.loads(json.dumps(study))
    protocol = newer["protocolSection"]
    protocol["statusModule"]["lastUpdatePostDateStruct"] = {"date": "2030-01-01", "type": "ACTUAL"}
    protocol["statusModule"]["overallStatus"] = "COMPLETED"
    protocol["conditionsModule"].pop("keywords", None)
    arms = protocol.get("armsInterventionsModule", {}).get("armGroups", [])
    if len(arms) > 1:
        arms.pop()
    sites = protocol.setdefault("contactsLocationsModule", {}).setdefault("locations", [])
    sites.append({"facility": "A New Site", "city": "Lyon", "country": "France"})
    return newer


def _trial_statements(store: pyoxigraph.Store) -> set[str]:
    """Every statement about a trial or a node a trial owns, found by scanning the whole store."""
    owned = (str(iris.CTGOV), f"{iris.KGR}trial/")
    return {
        str(pyoxigraph.Triple(q.subject, q.predicate, q.object))
        for q in store.quads_for_pattern(None, None, None, pyoxigraph.DefaultGraph())
        if isinstance(q.subject, pyoxigraph.NamedNode) and q.subject.value.startswith(owned)
    }


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> Path:
    """base/: seven unchanged trials, one file each; old/ and new/: two versions of three more."""
    root = tmp_path_factory.mktemp("update")
    studies = json.loads(BUNDLE.read_text())
    for name in ("base", "old", "new"):
        (root / name).mkdir()
    for position, study in enumerate(studies):
        if position in (1, 2, 5):
            (root / "old" / f"{_nct(study)}.json").write_text(json.dumps(study))
            (root / "new" / f"{_nct(study)}.json").write_text(json.dumps(_changed(study)))
        else:
            (root / "base" / f"{_nct(study)}.json").write_text(json.dumps(study))
    return root


def test_an_updated_store_says_about_every_trial_what_a_full_rebuild_says(folders: Path) -> None:
    updated, rebuilt = folders / "updated", folders / "rebuilt"
    first = run_kg(
        "build", str(folders / "base"), str(folders / "old"), "-o", str(folders / "a.nt"), "--store", str(updated)
    )
    assert first.exit_code == 0, first.stderr
    update = run_kg("build", str(folders / "new"), "-o", str(folders / "d.nt"), "--store", str(updated), "--update")
    assert update.exit_code == 0, update.stderr
    assert "3 trials rebuilt" in update.stderr
    full = run_kg(
        "build", str(folders / "base"), str(folders / "new"), "-o", str(folders / "b.nt"), "--store", str(rebuilt)
    )
    assert full.exit_code == 0, full.stderr

    after_update, after_rebuild = _trial_statements(open_store(updated)), _trial_statements(open_store(rebuilt))
    assert after_update == after_rebuild
    assert any("A New Site" in s for s in after_update)


def _owner_named_in(iri: str) -> str | None:
    """`…/resource/trial/NCT…/arm/1` -> `NCT…` (the trial whose owned prefix the IRI starts with)."""
    base = f"{iris.KGR}trial/"
    return iri[len(base) :].split("/")[0] if iri.startswith(base) and iri.count("/") > base.count("/") else None


def test_the_walk_from_a_trial_finds_every_statement_about_the_nodes_it_owns(real_build) -> None:
    _, store_dir = real_build
    store = open_store(store_dir)
    by_scan: dict[str, set[str]] = {}
    for quad in store.quads_for_pattern(None, None, None, pyoxigraph.DefaultGraph()):
        subject = quad.subject.value if isinstance(quad.subject, pyoxigraph.NamedNode) else ""
        nct = iris.nct_id_of(subject) or _owner_named_in(subject)
        if nct and (subject == str(iris.trial_iri(nct)) or subject.startswith(iris.trial_owned_prefix(nct))):
            by_scan.setdefault(nct, set()).add(str(quad))
    assert len(by_scan) > 20
    for nct, statements in by_scan.items():
        assert {str(q) for q in said_about(store, nct)} == statements, nct


def test_an_updated_store_index_equals_the_index_built_from_scratch(folders: Path, monkeypatch) -> None:
    """The update reads only the rebuilt trials' features and re-weighs the rest from saved raw counts."""
    import kg.similarity.index as index_module

    asked: list[object] = []

    def reading(store: pyoxigraph.Store, with_words: bool = True, only=None):
        asked.append(None if only is None else sorted(only))
        return read_features(store, with_words, only)

    monkeypatch.setattr(index_module, "read_features", reading)
    store = folders / "indexed"
    assert (
        run_kg(
            "build", str(folders / "base"), str(folders / "old"), "-o", str(folders / "c.nt"), "--store", str(store)
        ).exit_code
        == 0
    )
    before, _ = saved_index(store)
    update = run_kg("build", str(folders / "new"), "-o", str(folders / "e.nt"), "--store", str(store), "--update")
    assert update.exit_code == 0, update.stderr
    updated, _ = saved_index(store)
    assert asked == [sorted(p.stem for p in (folders / "new").iterdir())]  # the build reads in chunks, not this way
    scratch = index_of_store(open_store(store))
    assert before is not None and updated is not None
    assert updated.trials == scratch.trials == before.trials
    assert list(updated.names) == list(scratch.names) != list(before.names)
    assert list(updated.titles) == list(scratch.titles)
    assert np.array_equal(updated.vectors.indptr, scratch.vectors.indptr)
    assert np.array_equal(updated.vectors.indices, scratch.vectors.indices)
    assert np.allclose(updated.vectors.data, scratch.vectors.data, atol=1e-6)
    assert np.allclose(updated.weights, scratch.weights) and np.array_equal(updated.counts, scratch.counts)
    assert updated.labels == scratch.labels
