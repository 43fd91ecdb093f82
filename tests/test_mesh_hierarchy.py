"""The MeSH hierarchy: NLM's files read (`kg build --mesh`), ancestors learned from the registry's own
lists and checked on records not learned from, and condition search that walks both."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import RDF

from kg.errors import InputError
from kg.evaluation.mesh_ancestry import score_mesh_ancestry
from kg.model.mesh import AncestryLearner, MeshNames, learned_ancestor_sets
from kg.model.records import MeshTerm
from kg.sources.mesh_vocabulary import BUNDLED_MESH, read_mesh_vocabulary
from tests.conftest import EXAMPLES, FIXTURES
from tests.conftest import run_kg as run

MESH = FIXTURES / "mesh"
KG = Namespace("https://w3id.org/kg-trials/ontology#")
MESHV = Namespace("http://id.nlm.nih.gov/mesh/vocab#")
D = Namespace("http://id.nlm.nih.gov/mesh/")
LIVER_RECORDS = [str(FIXTURES / "v1"), str(MESH / "records"), str(FIXTURES / "seeds")]


def term(mesh_id: str, name: str) -> MeshTerm:
    return MeshTerm(mesh_id, name)


LIVER_DISEASES, DIGESTIVE = term("D008107", "Liver Diseases"), term("D004066", "Digestive System Diseases")


# --- NLM's files ---------------------------------------------------------------------------------


def test_nlm_descriptor_xml_and_mesh_rdf_give_the_same_hierarchy() -> None:
    from_xml = read_mesh_vocabulary(MESH / "desc-extract.xml")
    from_rdf = read_mesh_vocabulary(MESH / "mesh-extract.nt")
    assert len(from_xml) == 18
    assert from_xml == from_rdf


def test_parents_come_from_tree_numbers_and_entry_terms_become_synonyms() -> None:
    vocabulary = read_mesh_vocabulary(MESH / "desc-extract.xml")
    assert vocabulary.labels["D008113"] == "Liver Neoplasms"
    # C06.552.697 is under C06.552 (Liver Diseases); C04.588.274.623 under Digestive System Neoplasms
    assert set(vocabulary.parents["D008113"]) == {"D008107", "D004067"}
    assert "Hepatic Neoplasms" in vocabulary.synonyms["D008113"]
    assert "Liver Neoplasms" not in vocabulary.synonyms["D008113"]  # the name is not its own synonym
    assert vocabulary.ancestors("D065290") == {"D017093", "D048550", "D008107", "D004066"}


def test_a_gzipped_file_is_read_as_it_is(tmp_path: Path) -> None:
    packed = tmp_path / "mesh.nt.gz"
    packed.write_bytes(gzip.compress((MESH / "mesh-extract.nt").read_bytes()))
    assert read_mesh_vocabulary(packed) == read_mesh_vocabulary(MESH / "desc-extract.xml")


def test_a_mesh_table_gives_the_same_hierarchy_as_nlms_xml(tmp_path: Path) -> None:
    """The bundled table's layout: id, name, entry terms, tree numbers (`|`-separated; `#` comments)."""
    table = tmp_path / "mesh.tsv"
    vocabulary = read_mesh_vocabulary(MESH / "desc-extract.xml")
    trees = {"D008107": "C06.552", "D008113": "C04.588.274.623|C06.301.623|C06.552.697", "D004066": "C06"}
    rows = ["# descriptor id\tname\tentry terms\ttree numbers"]
    rows += [f"{i}\t{vocabulary.labels[i]}\t{'|'.join(vocabulary.synonyms.get(i, ()))}\t{t}" for i, t in trees.items()]
    table.write_text("\n".join(rows) + "\n")
    read = read_mesh_vocabulary(table)
    assert read.parents == {"D008107": ("D004066",), "D008113": ("D008107",)}  # C04… parents not in the table
    assert read.synonyms["D008113"] == vocabulary.synonyms["D008113"]


def test_the_bundled_mesh_is_nlms_2024_diseases_and_psychiatry_trees() -> None:
    bundled = read_mesh_vocabulary(BUNDLED_MESH)
    assert len(bundled) > 6000
    assert bundled.ancestors("D008113") == {"D008107", "D004066", "D004067", "D009371", "D009369"}
    assert bundled.labels["D003866"] == "Depressive Disorder"  # F03
    assert "Hepatic Neoplasms" in bundled.synonyms["D008113"]


def test_a_malformed_mesh_table_row_is_named(tmp_path: Path) -> None:
    table = tmp_path / "mesh.tsv"
    table.write_text("D008107\tLiver Diseases\t\tC06.552\nD008113 Liver Neoplasms\n")
    with pytest.raises(InputError, match="line 2"):
        read_mesh_vocabulary(table)


def test_a_file_in_neither_format_is_refused_and_says_where_mesh_comes_from(tmp_path: Path) -> None:
    other = tmp_path / "terms.csv"
    other.write_text("id,name\nD008107,Liver Diseases\n")
    with pytest.raises(InputError, match="descYYYY.xml.*nlm.nih.gov"):
        read_mesh_vocabulary(other)


def test_a_descriptor_file_that_declares_entities_is_refused(tmp_path: Path) -> None:
    hostile = tmp_path / "desc.xml"
    hostile.write_text(
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "http://127.0.0.1:9/x">]>'
        "<DescriptorRecordSet><DescriptorRecord><DescriptorUI>D1</DescriptorUI>&x;</DescriptorRecord>"
        "</DescriptorRecordSet>"
    )
    with pytest.raises(InputError, match="declares entities"):
        read_mesh_vocabulary(hostile)


# --- learned ancestry ----------------------------------------------------------------------------


def test_a_term_named_alone_learns_exactly_the_ancestors_its_records_list() -> None:
    learner = AncestryLearner()
    failure = term("D017093", "Liver Failure")
    learner.observe([failure], [LIVER_DISEASES, DIGESTIVE])
    learned = learner.learned()
    assert {(e.descendant, e.ancestor, e.evidence) for e in learned} == {
        (failure, LIVER_DISEASES, 1),
        (failure, DIGESTIVE, 1),
    }


def test_a_concept_met_often_enough_learns_what_always_comes_with_it_but_never_both_ways() -> None:
    learner = AncestryLearner(least_co_occurring=3)
    hepatitis_a, hepatitis, fibrosis = (
        term("D006506", "Hepatitis A"),
        term("D006505", "Hepatitis"),
        term("D005355", "Fibrosis"),
    )
    cirrhosis = term("D008103", "Liver Cirrhosis")
    learner.observe([hepatitis_a, hepatitis], [LIVER_DISEASES, DIGESTIVE])
    learner.observe([hepatitis_a, hepatitis, fibrosis], [LIVER_DISEASES, DIGESTIVE])
    learner.observe([hepatitis_a, hepatitis, cirrhosis], [LIVER_DISEASES, DIGESTIVE])
    learner.observe([cirrhosis], [LIVER_DISEASES, DIGESTIVE])
    learned = learned_ancestor_sets(learner.learned())
    # Hepatitis A and Hepatitis always come together: neither is put above the other
    assert learned["D006506"] == {"D008107", "D004066"}
    assert "D006506" not in learned.get("D006505", set())
    assert learned["D008103"] == {"D008107", "D004066"}  # named alone once: its own list
    assert "D005355" not in learned  # met once: too little to learn from


def test_learned_ancestry_holds_on_records_it_was_not_learned_from() -> None:
    scores = score_mesh_ancestry([str(FIXTURES / "v1"), str(FIXTURES / "v2-bundle"), str(EXAMPLES)], "tune")
    assert scores.learned_from > 0 and scores.predicted > 0
    assert scores.precision >= 0.95


def test_names_are_found_in_text_longest_first_and_too_general_words_are_not() -> None:
    names = MeshNames(
        [
            ("Liver Failure", term("D017093", "Liver Failure")),
            ("Acute-On-Chronic Liver Failure", term("D065290", "Acute-On-Chronic Liver Failure")),
            ("Disease", term("D004194", "Disease")),
        ]
    )
    found = names.found_in(["Acute-on-chronic liver failure (ACLF)", "a rare disease"])
    assert [t.mesh_id for t in found] == ["D065290"]


# --- the build -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def learned_build(tmp_path_factory) -> tuple[Graph, Path]:
    folder = tmp_path_factory.mktemp("learned")
    graph, store = folder / "liver.nt", folder / "store"
    result = run("build", *LIVER_RECORDS, "--mesh", "none", "-o", str(graph), "--store", str(store))
    assert result.exit_code == 0, result.stderr
    return Graph().parse(graph, format="nt"), store


@pytest.fixture(scope="module")
def bundled_build(tmp_path_factory) -> tuple[Graph, Path]:
    folder = tmp_path_factory.mktemp("bundled")
    graph, store = folder / "liver.nt", folder / "store"
    result = run("build", *LIVER_RECORDS, "-o", str(graph), "--store", str(store))
    assert result.exit_code == 0, result.stderr
    assert "MeSH hierarchy from kg's bundled MeSH 2024" in result.stderr
    return Graph().parse(graph, format="nt"), store


@pytest.fixture(scope="module")
def nlm_build(tmp_path_factory) -> tuple[Graph, Path]:
    folder = tmp_path_factory.mktemp("nlm")
    graph, store = folder / "liver.nt", folder / "store"
    result = run(
        "build", *LIVER_RECORDS, "--mesh", str(MESH / "desc-extract.xml"), "-o", str(graph), "--store", str(store)
    )
    assert result.exit_code == 0, result.stderr
    assert "MeSH hierarchy from" in result.stderr
    return Graph().parse(graph, format="nt"), store


def test_learned_ancestors_are_kg_mesh_ancestor_with_evidence_never_parent_edges(learned_build) -> None:
    graph, _ = learned_build
    assert (D.D017093, KG.meshAncestor, D.D008107) in graph  # Liver Failure under Liver Diseases
    assert not list(graph.triples((None, MESHV.broaderDescriptor, None)))
    evidence = next(graph.subjects(KG.descendant, D.D017093))
    assert (evidence, RDF.type, KG.LearnedMeshAncestry) in graph
    assert int(graph.value(evidence, KG.evidenceCount)) >= 1


def test_nlm_hierarchy_gives_parent_edges_and_synonyms_above_the_graphs_descriptors(nlm_build) -> None:
    graph, _ = nlm_build
    assert (D.D008113, MESHV.broaderDescriptor, D.D008107) in graph
    assert (D.D008113, URIRef("http://www.w3.org/2004/02/skos/core#altLabel"), None) in graph
    assert (D.D009369, None, None) in graph  # Neoplasms: above a descriptor the graph names
    assert not list(graph.triples((D.D013568, MESHV.broaderDescriptor, None)))  # a tree's top has no parent


def search(store: Path, text: str) -> dict[str, str]:
    result = run(
        "query", "--store", str(store), "--name", "trials-by-condition", "--param", f"term={text}", "--format", "json"
    )
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)["results"]["bindings"]
    return {row["nct"]["value"]: row["matched"]["value"] for row in rows}


def matches(found: dict[str, str]) -> dict[str, set[str]]:
    """What matched each trial, in no order (the store concatenates matches in an order of its own)."""
    return {nct: set(matched.split("; ")) for nct, matched in found.items()}


def test_condition_search_finds_xml_trials_through_learned_ancestry_in_any_case(learned_build) -> None:
    _, store = learned_build
    found = search(store, "liver diseases")
    assert "Liver Failure, below Liver Diseases" in found["NCT00004467"]  # legacy XML: no ancestor list
    assert "NCT00005107" in found  # Liver Cirrhosis, XML
    assert matches(found) == matches(search(store, "LIVER DISEASES"))


def test_page_trials_without_mesh_terms_are_found_by_their_text(learned_build) -> None:
    _, store = learned_build
    found = search(store, "Liver Diseases")
    assert "Acute-On-Chronic Liver Failure, below Liver Diseases" in found["NCT05985863"]
    assert "NCT06884904" in found  # no condition on the page: its first inclusion criterion names ACLF
    named = search(store, "acute-on-chronic liver failure")
    assert "condition text names Acute-On-Chronic Liver Failure" in named["NCT05985863"]


def test_nlm_hierarchy_and_entry_terms_find_what_the_records_cannot_teach(learned_build, nlm_build) -> None:
    assert "NCT00001576" not in search(learned_build[1], "liver diseases")  # Liver Neoplasms: never learned
    found = search(nlm_build[1], "hepatic diseases")  # an entry term of Liver Diseases
    assert "Liver Neoplasms, below Liver Diseases" in found["NCT00001576"]


def test_by_default_the_bundled_mesh_finds_every_xml_trial_under_liver_diseases(bundled_build) -> None:
    graph, store = bundled_build
    assert (D.D008113, MESHV.broaderDescriptor, D.D008107) in graph
    found = search(store, "liver diseases")
    assert "Liver Neoplasms, below Liver Diseases" in found["NCT00001576"]  # XML, no ancestor list
    assert {"NCT00004467", "NCT00005107", "NCT05985863", "NCT06884904"} <= set(found)
    assert "NCT00001576" in search(store, "hepatic neoplasms")  # an entry term


def test_mesh_none_leaves_the_nlm_hierarchy_out_and_a_missing_mesh_file_stops_the_build(
    tmp_path: Path, learned_build
) -> None:
    graph, _ = learned_build
    assert not list(graph.triples((None, MESHV.broaderDescriptor, None)))
    missing = run("build", str(FIXTURES / "v1"), "--mesh", str(tmp_path / "desc2025.xml"), "-o", str(tmp_path / "g.nt"))
    assert missing.exit_code == 2
    assert "desc2025.xml: no such file" in missing.stderr
    assert not (tmp_path / "g.nt").exists()


def test_a_search_that_finds_nothing_says_what_it_searched_for(learned_build) -> None:
    _, store = learned_build
    result = run("query", "--store", str(store), "--name", "trials-by-condition", "--param", "term=no such condition")
    assert result.exit_code == 0
    assert "nothing found for term='no such condition'" in result.stderr and "MeSH" in result.stderr


def test_an_update_learns_the_ancestry_of_the_whole_store_again(tmp_path: Path, learned_build) -> None:
    store, graph = tmp_path / "store", tmp_path / "part.nt"
    no_nlm = ("--mesh", "none")
    assert run("build", str(FIXTURES / "v1"), *no_nlm, "-o", str(graph), "--store", str(store)).exit_code == 0
    before = search(store, "liver diseases")
    assert "NCT00004467" not in before
    update = run("build", *LIVER_RECORDS, *no_nlm, "-o", str(tmp_path / "delta.nt"), "--store", str(store), "--update")
    assert update.exit_code == 0, update.stderr
    assert matches(search(store, "liver diseases")) == matches(search(learned_build[1], "liver diseases"))


def test_recommendation_features_climb_the_hierarchy_for_trials_without_ancestor_lists(learned_build) -> None:
    """A legacy-XML trial on Liver Failure lists no ancestors; the learned hierarchy gives it the MeSH
    branches a v1 trial on the same term lists, and the index the build's workers read says the same as a
    walk of the finished store."""
    import os

    import pyoxigraph

    from kg.similarity.index import INDEX_DIR, FeatureIndex, index_of_store

    _, store = learned_build
    generation = Path(os.path.realpath(store))
    saved = FeatureIndex.load(generation / INDEX_DIR)
    walked = index_of_store(pyoxigraph.Store.read_only(str(generation)))
    assert saved is not None
    assert saved.names.strings() == walked.names.strings()
    assert (saved.vectors != walked.vectors).nnz == 0
    row = saved.trials.index("NCT00004467")
    features = {saved.name(int(j)) for j in saved.columns_of(row)}
    assert {"mesh:D017093", "mesh-ancestor:D008107"} <= features


def test_a_damaged_gzip_is_named_not_a_traceback(tmp_path: Path) -> None:
    whole = gzip.compress((MESH / "mesh-extract.nt").read_bytes())
    cut = tmp_path / "cut.nt.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(InputError, match="cut.nt.gz: a damaged gzip"):
        read_mesh_vocabulary(cut)
    corrupt = tmp_path / "corrupt.nt.gz"
    corrupt.write_bytes(whole[:20] + b"\xff" * 40 + whole[60:])
    with pytest.raises(InputError, match="corrupt.nt.gz: a damaged gzip"):
        read_mesh_vocabulary(corrupt)


def test_learned_ancestors_that_nlms_tree_contradicts_are_left_out() -> None:
    """Pathologic Processes met beside Liver Diseases in every trial naming it is learned to lie below it;
    NLM's tree says otherwise, so with NLM's hierarchy the edge is dropped (and kept without it)."""
    from kg.model.mesh import LearnedAncestor, agreeing_with

    bundled = read_mesh_vocabulary(BUNDLED_MESH)
    wrong = LearnedAncestor(term("D010335", "Pathologic Processes"), LIVER_DISEASES, 3)
    right = LearnedAncestor(term("D017093", "Liver Failure"), LIVER_DISEASES, 3)
    elsewhere = LearnedAncestor(term("C000657245", "COVID-19 variant"), LIVER_DISEASES, 3)  # not in NLM's file
    assert agreeing_with(bundled, [wrong, right, elsewhere]) == [right, elsewhere]
    assert agreeing_with(None, [wrong, right]) == [wrong, right]
