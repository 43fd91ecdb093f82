"""Related-trial recommendations: features from the graph, two scoring methods that match their NetworkX
references, reasons a reader can check, computed edges, exports and an evaluation against the registry."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import networkx as nx
import pyoxigraph
import pytest
from rdflib import Graph, URIRef

from kg.rdf.iris import KG
from kg.similarity import graph as reference
from kg.similarity.features import TrialFeatures, read_features
from kg.similarity.scoring import SparseIndex
from tests.conftest import FIXTURES
from tests.conftest import run_kg as run

QUERIES = ("NCT03945487", "NCT03668171", "NCT04267848", "NCT01220492")


@pytest.fixture(scope="module")
def corpus(real_build) -> Path:
    """Real records: the five seed pages, the eight focus MSC trials (v1) and the bundled examples."""
    return real_build[0]


@pytest.fixture(scope="module")
def features(corpus) -> TrialFeatures:
    store = pyoxigraph.Store()
    store.bulk_load(path=str(corpus), format=pyoxigraph.RdfFormat.TURTLE)
    return read_features(store)


@pytest.fixture(scope="module")
def index(features) -> SparseIndex:
    return SparseIndex.from_features(features)


@pytest.mark.parametrize("nct", QUERIES)
def test_sparse_shared_feature_scores_equal_the_networkx_reference(index, features, nct) -> None:
    graph = reference.trial_feature_graph(features)
    expected = reference.shared_feature_scores(graph, nct)
    scores = index.shared_feature_scores(nct)
    for row, other in enumerate(index.trials):
        assert scores[row] == pytest.approx(expected.get(other, 0.0), abs=1e-12)


@pytest.mark.parametrize("nct", QUERIES)
def test_sparse_personalized_pagerank_equals_networkx(index, features, nct) -> None:
    graph = reference.trial_feature_graph(features)
    expected = reference.ppr_scores(graph, nct)
    scores = index.ppr_scores(nct)
    for row, other in enumerate(index.trials):
        assert scores[row] == pytest.approx(expected.get(other, 0.0), abs=1e-9)


def test_recommendations_come_with_reasons_a_reader_can_check(corpus) -> None:
    result = run(
        "recommend", "NCT03945487", "--explain", "--graph", str(corpus), "--top", "5", "--method", "shared-features"
    )
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    place = next(i for i, line in enumerate(lines) if line.split()[1] == "NCT03529136")
    assert place <= 2  # among the top two
    assert "MeSH Liver Cirrhosis (D008103)" in lines[place + 1] and "dose band 1e6 cells/kg" in lines[place + 1]
    rows = json.loads(
        run(
            "recommend", "NCT03945487", "--graph", str(corpus), "--format", "json", "--method", "shared-features"
        ).stdout
    )
    assert {"feature": "mesh:D008103", "label": "MeSH Liver Cirrhosis (D008103)"} in [
        {"feature": s["feature"], "label": s["label"]} for s in rows[0]["shared"]
    ]


def test_recommendations_are_deterministic_with_ties_broken_by_nct_id(index) -> None:
    for method in ("shared-features", "ppr"):
        first = [(r.nct_id, r.score) for r in index.top("NCT04267848", method, 20)]
        assert first == [(r.nct_id, r.score) for r in index.top("NCT04267848", method, 20)]
        for (a, score_a), (b, score_b) in zip(first, first[1:], strict=False):
            assert score_a > score_b or (round(score_a, 12) == round(score_b, 12) and a < b)


def test_the_whole_corpus_top_k_agrees_with_one_query_at_a_time(index) -> None:
    everything = index.all_top(5, "shared-features", block=7)
    for nct in QUERIES:
        assert [n for n, _ in everything[nct]] == [r.nct_id for r in index.top(nct, "shared-features", 5)]


@pytest.mark.parametrize("method", ["hybrid", "shared-features"])
def test_the_whole_corpus_top_k_is_the_same_on_one_thread_or_several(index, method: str) -> None:
    """Blocks run on threads, and are still written in NCT id order with the same scores."""
    one = list(index.each_top(5, method, block=7, jobs=1))
    assert [nct for nct, _ in one] == index.trials
    assert list(index.each_top(5, method, block=7, jobs=3)) == one
    for nct in QUERIES:
        assert [n for n, _ in dict(one)[nct]] == [r.nct_id for r in index.top(nct, method, 5)]


def test_an_unknown_trial_is_a_clear_error(corpus) -> None:
    result = run("recommend", "NCT99999999", "--graph", str(corpus))
    assert result.exit_code == 2 and "NCT99999999 is not a trial with a record" in result.stderr


def test_evaluate_scores_both_methods_and_the_text_baseline_on_the_registry_lists(corpus) -> None:
    result = run("evaluate", "--graph", str(corpus))
    assert result.exit_code == 0
    assert "truth: 2 trials listing 8 related trials with records in the corpus (2 more listed" in result.stdout
    methods = [
        line.split("|")[1].strip()
        for line in result.stdout.splitlines()
        if line.startswith("| ") and "method" not in line
    ]
    assert methods == ["hybrid", "shared-features", "ppr", "text baseline (TF-IDF)"]


def test_build_adds_computed_neighbours_as_edges_of_their_own_kind(tmp_path: Path) -> None:
    output = tmp_path / "g.ttl"
    result = run("build", str(FIXTURES / "seeds"), str(FIXTURES / "v1"), "-o", str(output), "--related", "3")
    assert result.exit_code == 0 and "computed related edges:" in result.stderr
    assert "SHACL: conforms (0 violations" in result.stderr
    graph = Graph().parse(output)
    trial = URIRef("https://clinicaltrials.gov/study/NCT03945487")
    computed = set(graph.objects(trial, KG.similarTo))
    asserted = set(graph.objects(trial, KG.relatedTrial))
    assert len(computed) == 3 and asserted and computed != asserted
    relations = list(graph.subjects(KG.fromTrial, trial))
    assert sorted(int(graph.value(r, KG.similarityRank)) for r in relations) == [1, 2, 3]
    assert {str(graph.value(r, KG.similarityMethod)) for r in relations} == {"hybrid"}  # the default method


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_graph_exports_open_in_networkx(corpus, tmp_path: Path, fmt: str) -> None:
    output = tmp_path / f"trials.{fmt}"
    assert run("export", "--format", fmt, "-o", str(output), "--graph", str(corpus)).exit_code == 0
    graph = nx.read_graphml(output) if fmt == "graphml" else nx.read_gexf(output)
    trials = [n for n, d in graph.nodes(data=True) if d.get("kind") == "trial"]
    assert "NCT03945487" in trials and graph.number_of_edges() > len(trials)


def test_kgx_export_writes_biolink_nodes_and_edges(corpus, tmp_path: Path) -> None:
    assert run("export", "--format", "kgx", "-o", str(tmp_path / "trials"), "--graph", str(corpus)).exit_code == 0
    with (tmp_path / "trials_nodes.tsv").open() as stream:
        nodes = list(csv.DictReader(stream, delimiter="\t"))
    with (tmp_path / "trials_edges.tsv").open() as stream:
        edges = list(csv.DictReader(stream, delimiter="\t"))
    ids = {n["id"] for n in nodes}
    assert "clinicaltrials:NCT03945487" in ids and "MESH:D008103" in ids
    assert all(e["subject"] in ids and e["object"] in ids for e in edges)
    assert {"biolink:studies", "biolink:has_intervention"} <= {e["predicate"] for e in edges}
