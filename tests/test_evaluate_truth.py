"""Rankings scored against a truth file, every trial's rankings out, and truth signals kept out of features.

Runs on a fresh clone: real records from tests/fixtures and a tiny truth TSV written here."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pyoxigraph
import pytest
from rdflib import Graph

from kg.model.records import Reference, RelatedTrial, SecondaryId, TrialRecord
from kg.rdf.mapping import map_trial
from kg.similarity import truth as truth_set
from kg.similarity.features import read_features
from kg.similarity.scoring import Recommendation
from kg.similarity.text import baseline_tokens, tfidf_matrix, words
from kg.sources import iter_records
from tests.conftest import FIXTURES
from tests.conftest import run_kg as run

TRUTH = "a\tb\tevidence\nNCT03945487\tNCT03529136\tpmid<=5;secret_positive\nNCT03668171\tNCT04267848\tcrossref\n"


@pytest.fixture(scope="module")
def corpus(real_build) -> Path:
    """Real records: the five seed pages, the eight focus MSC trials (v1) and the bundled examples."""
    return real_build[0]


@pytest.fixture()
def truth_file(tmp_path: Path) -> Path:
    path = tmp_path / "truth.tsv"
    path.write_text(TRUTH, encoding="utf-8")
    return path


def test_evaluate_with_truth_scores_every_method_and_both_baselines_per_subset(corpus, truth_file) -> None:
    result = run("evaluate", "--graph", str(corpus), "--truth", str(truth_file), "--format", "json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert set(report["methods"]) == {"hybrid", "shared-features", "ppr", "tfidf", "bm25"}
    hybrid = report["methods"]["hybrid"]
    assert hybrid["overall"]["pairs"] == 4  # two undirected pairs, both directions
    assert {"pmid<=5", "secret_positive", "crossref", "SECRET (any secret_)"} <= set(hybrid)
    assert set(hybrid["overall"]) == {"pairs", "recall@10", "recall@50", "mrr", "ndcg@10"}
    assert "ci95" in hybrid["SECRET (any secret_)"] and hybrid["SECRET (any secret_)"]["pairs"] == 2


def test_evaluate_with_truth_prints_a_markdown_table(corpus, truth_file) -> None:
    result = run("evaluate", "--graph", str(corpus), "--truth", str(truth_file))
    assert result.exit_code == 0
    assert "| subset | pairs | method | R@10 | R@50 | MRR | nDCG@10 |" in result.stdout
    assert "| overall | 4 | tfidf |" in result.stdout


def test_a_truth_file_without_a_and_b_columns_is_a_clear_error(corpus, tmp_path: Path) -> None:
    bad = tmp_path / "bad.tsv"
    bad.write_text("x\ty\nNCT03945487\tNCT03529136\n", encoding="utf-8")
    result = run("evaluate", "--graph", str(corpus), "--truth", str(bad))
    assert result.exit_code == 2 and "columns `a` and `b`" in result.stderr


def test_metrics_average_over_pairs_with_ranks_counted_from_one() -> None:
    values = truth_set.metric_values(np.array([1.0, 2.0, 20.0, np.inf]))
    assert values["recall@10"].mean() == 0.5 and values["recall@50"].mean() == 0.75
    assert values["mrr"].mean() == pytest.approx((1 + 0.5 + 0.05) / 4)
    assert values["ndcg@10"][1] == pytest.approx(1 / np.log2(3))


def test_pairs_count_under_each_evidence_kind_and_sponsors_are_compared_folded(tmp_path: Path) -> None:
    path = tmp_path / "t.tsv"
    path.write_text("a\tb\tevidence\nNCT1\tNCT2\tpmid<=5;secret_list\nNCT1\tNCT3\tcrossref\n", encoding="utf-8")
    sponsors = {"NCT1": "acme  pharma", "NCT2": truth_set.fold_sponsor("ACME  Pharma"), "NCT3": "other"}
    sponsors["NCT1"] = truth_set.fold_sponsor(sponsors["NCT1"])
    truth = truth_set.read_truth(path, {"NCT1", "NCT2", "NCT3"}, sponsors)
    subsets = truth.subsets()
    assert len(subsets["overall"]) == 4 and len(subsets["pmid<=5"]) == 2 and len(subsets["secret_list"]) == 2
    assert len(subsets["sponsors differ"]) == 2  # only the NCT1-NCT3 pair, both directions


def test_recommend_all_writes_every_trials_top_k_as_tsv_and_jsonl(corpus) -> None:
    result = run("recommend", "--all", "--top", "3", "--format", "tsv", "--graph", str(corpus))
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "query\trank\tcandidate\tscore"
    rows = [line.split("\t") for line in lines[1:]]
    assert all(query != candidate for query, _, candidate, _ in rows)
    first = [r for r in rows if r[0] == "NCT03945487"]
    assert [r[1] for r in first] == ["1", "2", "3"]
    assert all(float(a[3]) >= float(b[3]) for a, b in zip(first, first[1:], strict=False))
    jsonl = run("recommend", "--all", "--top", "3", "--format", "jsonl", "--graph", str(corpus)).stdout
    parsed = [json.loads(line) for line in jsonl.splitlines()]
    assert [[str(v) for v in p.values()] for p in parsed] == rows and set(parsed[0]) == {
        "query",
        "rank",
        "candidate",
        "score",
    }


def test_recommend_needs_one_trial_or_all(corpus) -> None:
    assert run("recommend", "--graph", str(corpus)).exit_code == 2


def test_the_default_method_explains_with_words_and_mesh_terms(corpus) -> None:
    result = run("recommend", "NCT03945487", "--explain", "--graph", str(corpus), "--top", "3")
    assert result.exit_code == 0
    reasons = result.stdout.splitlines()[1]
    assert reasons.strip().startswith("both:") and "words " in reasons


def test_shared_words_are_listed_together_in_reasons() -> None:
    shared = (("mesh:D1", "MeSH Liver Failure (D1)", 2.0), ("word:umbilical", "word umbilical", 1.0),
              ("word:infusion", "word infusion", 0.5), ("sponsor:x", "sponsor X", 0.1))  # fmt: skip
    assert Recommendation("NCT1", 1.0, "", shared).reasons() == (
        "both: MeSH Liver Failure (D1); words umbilical, infusion; sponsor X"
    )


def test_the_tfidf_baseline_tokenizes_as_specified_and_drops_nct_ids() -> None:
    assert baseline_tokens("NCT01234567: IL-6 and Anti-TNF in the Heart-2") == ["il-6", "anti-tnf", "heart-2"]
    assert words("Grant R01HL123456, see nct01234567; umbilical cells") == ["grant", "see", "umbilical", "cell"]


def test_tfidf_rows_are_unit_length_cosines() -> None:
    from kg.similarity.text import TrialTexts

    texts = TrialTexts({"A": {"title": ["liver cirrhosis stem cells"]}, "B": {"title": ["liver failure"]},
                        "C": {"title": ["asthma inhaler"]}})  # fmt: skip
    matrix = tfidf_matrix(texts, ["A", "B", "C"])
    assert np.allclose(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel(), 1.0)
    assert (matrix[0] @ matrix[2].T).toarray()[0, 0] == 0.0


# --- truth signals never become features ----------------------------------------------------------------


def features_of(record: TrialRecord) -> tuple[set[str], dict[str, int]]:
    graph = Graph()
    for triple in map_trial(record).rdflib():
        graph.add(triple)
    store = pyoxigraph.Store()
    store.load(graph.serialize(format="nt").encode("utf-8"), format=pyoxigraph.RdfFormat.N_TRIPLES)
    features = read_features(store)
    return features.trials[record.nct_id], features.counts[record.nct_id]


def test_references_ids_related_lists_and_nct_ids_in_text_never_change_a_trials_features() -> None:
    record = next(r for r in iter_records([str(FIXTURES / "seeds")]) if isinstance(r, TrialRecord))
    before = features_of(record)
    changed = dataclasses.replace(
        record,
        references=(*record.references, Reference("Smith J. A paper. 2020.", "31234567", "RESULT")),
        secondary_ids=(*record.secondary_ids, SecondaryId("R01HL0099887", "NIH", "grant")),
        org_study_id="PROTOCOL-20200101",
        related_trials=(*record.related_trials, RelatedTrial("NCT01111111", "A related trial")),
        brief_summary=(record.brief_summary or "") + " NCT01111111 (nct02222222).",
    )
    assert features_of(changed) == before
    assert not any(f.startswith("word:nct") or f == "word:r01hl0099887" for f in before[0])
