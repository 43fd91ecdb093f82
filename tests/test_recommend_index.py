"""The recommendation index lives in the store: every build, load and update saves the trial–feature
index of its own generation, `kg recommend --store` and `kg serve /recommend` answer from it, and what
they answer is exactly what the same graph gives when read from its file."""

from __future__ import annotations

import json
import os
import shutil
import threading
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from kg.query.endpoint import ServerConfig, make_server
from kg.similarity.index import INDEX_DIR, FeatureIndex, saved_index
from kg.similarity.recommend import load_index
from kg.store import load_store
from tests.conftest import FIXTURES
from tests.conftest import run_kg as run

QUERY = "NCT03945487"


@pytest.fixture(scope="module")
def built(real_build) -> tuple[Path, Path]:
    return real_build


def test_a_build_saves_the_index_inside_the_store_generation_it_swaps_in(built) -> None:
    _, store = built
    generation = Path(os.path.realpath(store))
    assert (generation / INDEX_DIR / "meta.json").is_file()
    saved, where = saved_index(store)
    assert saved is not None and where == generation
    assert QUERY in saved.trials and len(saved.trials) > 20


def test_the_saved_index_is_the_index_of_the_graph_file(built) -> None:
    graph, store = built
    from_store, from_file = load_index(store_dir=store), load_index(graph_file=graph)
    assert from_store.trials == from_file.trials
    assert list(from_store.data.names) == list(from_file.data.names)
    assert np.array_equal(from_store.data.vectors.indptr, from_file.data.vectors.indptr)
    assert np.array_equal(from_store.data.vectors.data, from_file.data.vectors.data)
    assert np.allclose(from_store.weights, from_file.weights)


@pytest.mark.parametrize("method", ["hybrid", "shared-features", "ppr"])
def test_kg_recommend_answers_the_same_from_the_store_and_from_the_file(built, method) -> None:
    graph, store = built
    by_store = run("recommend", QUERY, "--store", str(store), "--method", method, "--format", "json", "--top", "8")
    by_file = run("recommend", QUERY, "--graph", str(graph), "--method", method, "--format", "json", "--top", "8")
    assert by_store.exit_code == by_file.exit_code == 0
    assert json.loads(by_store.stdout) == json.loads(by_file.stdout)
    first = json.loads(by_store.stdout)[0]
    assert first["rank"] == 1 and first["reasons"].startswith("both: ") and first["shared"]


def test_a_store_without_an_index_is_still_answered_from_its_triples(built, tmp_path: Path) -> None:
    graph, _ = built
    store = tmp_path / "store"
    load_store(graph, store)
    shutil.rmtree(Path(os.path.realpath(store)) / INDEX_DIR)  # as a store made by an earlier kg
    result = run("recommend", QUERY, "--store", str(store), "--top", "3")
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == 3


def test_an_index_of_another_format_is_not_used(built, tmp_path: Path) -> None:
    _, store = built
    copy = tmp_path / "index"
    shutil.copytree(Path(os.path.realpath(store)) / INDEX_DIR, copy)
    meta = json.loads((copy / "meta.json").read_text(encoding="utf-8"))
    assert FeatureIndex.load(copy) is not None
    (copy / "meta.json").write_text(json.dumps({**meta, "format": -1}), encoding="utf-8")
    assert FeatureIndex.load(copy) is None
    (copy / "meta.json").write_text("{", encoding="utf-8")
    assert FeatureIndex.load(copy) is None


def test_kg_load_and_an_update_each_give_their_generation_its_own_index(tmp_path: Path, examples_build) -> None:
    graph, store = examples_build[0], tmp_path / "store"
    assert run("load", str(graph), "--store", str(store)).exit_code == 0
    before, _ = saved_index(store)
    assert before is not None and QUERY not in before.trials
    more = tmp_path / "more.ttl"
    result = run("build", str(FIXTURES / "v1"), "-o", str(more), "--store", str(store), "--update")
    assert result.exit_code == 0, result.output
    after, _ = saved_index(store)
    assert after is not None and QUERY in after.trials and set(before.trials) < set(after.trials)


def test_an_empty_graph_gives_an_empty_index_that_saves_and_loads(tmp_path: Path) -> None:
    graph, store = tmp_path / "empty.nt", tmp_path / "store"
    graph.write_text('<http://example.org/a> <http://example.org/b> "c" .\n', encoding="utf-8")
    load_store(graph, store)
    saved, _ = saved_index(store)
    assert saved is not None and saved.trials == [] and saved.vectors.shape == (0, 0)


@pytest.fixture(scope="module")
def server(built):
    _, store = built
    httpd = make_server(ServerConfig(store, port=0, timeout=5.0))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()) if "json" in (error.headers.get("Content-Type") or "") else {}


def test_serve_answers_recommend_with_reasons_as_kg_recommend_does(server, built) -> None:
    _, store = built
    status, body = get(f"{server}/recommend?trial={QUERY.lower()}&top=5")
    assert status == 200
    assert body["trial"] == QUERY and body["method"] == "hybrid" and len(body["recommendations"]) == 5
    cli = json.loads(run("recommend", QUERY, "--store", str(store), "--format", "json", "--top", "5").stdout)
    assert body["recommendations"] == cli


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("trial=NCT3945487", 400),  # not an NCT id
        ("", 400),
        (f"trial={QUERY}&top=0", 400),
        (f"trial={QUERY}&top=1001", 400),
        (f"trial={QUERY}&top=ten", 400),
        (f"trial={QUERY}&method=magic", 400),
        ("trial=NCT00000000", 404),  # well formed, not in the store
    ],
)
def test_serve_refuses_a_bad_recommend_request_clearly(server, query: str, status: int) -> None:
    code, body = get(f"{server}/recommend?{query}")
    assert code == status
    if status == 404:
        assert "NCT00000000" in body["error"]


def test_walking_from_each_trial_reads_what_the_sparql_path_reads(built) -> None:
    """Features and text are read by walking the store from each trial (indexed lookups); for every text
    path, that gives exactly the distinct values the SPARQL property path gives."""
    from kg.similarity.text import TEXT_FIELDS, read_texts
    from kg.store import open_store

    _, store_dir = built
    store = open_store(store_dir)
    walked = read_texts(store).fields
    for name, path in TEXT_FIELDS.items():
        query = (
            "SELECT DISTINCT ?nct ?text WHERE { ?t <http://www.w3.org/ns/prov#wasDerivedFrom> ?r ; "
            f"<https://w3id.org/kg-trials/ontology#nctId> ?nct ; {'/'.join(f'<{p}>' for p in path)} ?text }}"
        )
        by_sparql: dict[str, list[str]] = {}
        for row in store.query(query):
            by_sparql.setdefault(row["nct"].value, []).append(row["text"].value)
        assert {n: sorted(v) for n, v in by_sparql.items()} == {
            n: fields[name] for n, fields in walked.items() if name in fields
        }, name


def test_the_index_read_in_chunks_of_trials_equals_the_index_of_all_features_at_once(built, monkeypatch) -> None:
    """A store's index is read a few trials at a time so memory holds one chunk's feature sets; the
    arrays, names, labels and weights are exactly those of reading every trial's features at once."""
    import kg.similarity.index as index_module
    from kg.similarity.features import read_features
    from kg.store import open_store

    store = open_store(built[1])
    whole = FeatureIndex.of_features(read_features(store))
    monkeypatch.setattr(index_module, "TRIALS_PER_CHUNK", 7)
    chunked = index_module.index_of_store(store)
    assert chunked.trials == whole.trials and len(whole.trials) > 20
    assert chunked.names.strings() == whole.names.strings() and chunked.titles.strings() == whole.titles.strings()
    for name in ("indptr", "indices", "data"):
        assert np.array_equal(getattr(chunked.vectors, name), getattr(whole.vectors, name)), name
    assert np.array_equal(chunked.weights, whole.weights) and np.array_equal(chunked.counts, whole.counts)
    assert chunked.labels == whole.labels and chunked.kinds == whole.kinds


def test_the_index_read_by_the_build_workers_is_the_index_a_walk_of_the_store_gives(real_build) -> None:
    """With a store, the build's workers read each trial's features from the text they mapped, instead of
    the store being walked after the load; every array, name and label is the same."""
    import os

    import numpy as np
    import pyoxigraph
    from scipy import sparse

    from kg.similarity.hybrid import shipped_weights
    from kg.similarity.index import INDEX_DIR, FeatureIndex, index_of_store

    generation = Path(os.path.realpath(real_build[1]))
    saved = FeatureIndex.load(generation / INDEX_DIR)
    assert saved is not None
    walked = index_of_store(pyoxigraph.Store.read_only(str(generation))).with_postings(shipped_weights())
    for name, built in vars(saved).items():
        expected = getattr(walked, name)
        if sparse.issparse(built):
            assert built.shape == expected.shape and (built != expected).nnz == 0, name
        elif isinstance(built, np.ndarray):
            assert np.array_equal(built, expected), name
        elif isinstance(built, dict):
            assert built.keys() == expected.keys(), name
            assert all(np.array_equal(built[k], expected[k]) for k in built), name
        else:
            assert list(built) == list(expected), name
