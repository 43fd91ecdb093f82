"""Cell products as records describe them: what cells, from where, whose, and how they are given."""

from __future__ import annotations

import json

import pytest

from kg.evaluation.cell_products import score_cell_products
from kg.model.cell_products import add_cell_products, is_cell_therapy, read_cell_product
from kg.model.records import Arm, CellProduct, Intervention, Provenance, TrialRecord
from tests.conftest import FIXTURES, run_kg


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Taken a dose of 1.0*10E6 UC-MSC/kg body weight intravenously three times",
            CellProduct("MSC", "umbilical cord", None, "peripheral vein"),
        ),
        (
            "A single dose of 0.5 to 1 x 10^6/kg autologous BM MSCs will be infused via peripheral venous access.",
            CellProduct("MSC", "bone marrow", "autologous", "peripheral vein"),
        ),
        (
            "infusions of umbilical cord blood mesenchymal stem cells via peripheral veins",
            CellProduct("MSC", "cord blood", None, "peripheral vein"),
        ),
        (
            "Treatment with intra-glandular Injections of allogeneic adipose derived stem cells",
            CellProduct("other", "adipose", "allogeneic", "local injection"),
        ),
        (
            "3 x 10^7cells/2mL 3 repeated intraventricular administrations via an Ommaya Reservoir",
            CellProduct("other", None, None, "other"),
        ),
        ("hepatocytes infused through the portal vein", CellProduct("hepatocytes", None, None, "portal vein")),
        (
            "autologous bone marrow mononuclear cells into the hepatic artery",
            CellProduct("BM-MNC", "bone marrow", "autologous", "hepatic artery"),
        ),  # fmt: skip
        # the first stated wins: an intrasplenic route named before an intravenous one
        ("MSCs given intrasplenically, then intravenously", CellProduct("MSC", None, None, "intrasplenic")),
    ],
)
def test_each_field_is_the_first_value_the_text_states(text: str, expected: CellProduct) -> None:
    assert read_cell_product(text) == expected


def test_allogeneic_said_of_the_patients_earlier_transplant_is_not_the_products_donor() -> None:
    product = read_cell_product(
        "Mesenchymal stem cells intravenously", titles="MSC for Treatment of cGVHD After Allo-HSCT"
    )
    assert product.donor is None


@pytest.mark.parametrize(
    ("name", "description", "cells"),
    [
        ("Mesenchymal Stem Cells", None, True),
        (
            "CARTISTEM®",
            "Procedure: Microfracture Biological: CARTISTEM®(Human Umbilical Cord Blood-derived Mesenchymal "
            "Stem Cell product)",
            True,
        ),  # fmt: skip
        (
            "PSORI-CM01 formula",
            "PSORI-CM01 formula will be orally administrated once a day for 12 weeks excpet the "
            "day for the infusion of AD-MSCs",
            False,
        ),  # fmt: skip
        ("MSC-derived exosomes", "exosomes secreted by mesenchymal stem cells", False),
        ("Placebo", "saline without cells", False),
    ],
)
def test_a_cell_therapy_is_told_by_its_own_name_or_the_start_of_its_description(name, description, cells) -> None:
    assert is_cell_therapy(Intervention("BIOLOGICAL", name, description)) is cells


def test_titles_are_read_only_for_a_trials_single_cell_therapy_and_never_for_the_route() -> None:
    record = TrialRecord(
        "NCT00000001",
        Provenance("ctgov-v1-json", "x.json", 0),
        title="Allogeneic Umbilical Cord MSC Delivered by Intra-Articular Injection",
        interventions=(Intervention("BIOLOGICAL", "Mesenchymal Stem Cells"), Intervention("DRUG", "Hyaluronan")),
        arms=(Arm("A", interventions=("Biological: Mesenchymal Stem Cells",)),),
    )
    (cells, drug) = add_cell_products(record).interventions
    assert cells.cell_product == CellProduct("MSC", "umbilical cord", "allogeneic", None)
    assert drug.cell_product is None


def test_parse_and_the_graph_carry_the_cell_product(tmp_path) -> None:
    line = run_kg("parse", str(FIXTURES / "v1" / "NCT03945487.json")).stdout
    (product, *_) = [i["cell_product"] for i in json.loads(line)["interventions"]]
    assert product == {"cell_type": "MSC", "tissue_source": "umbilical cord", "donor": None, "route": "peripheral vein"}
    graph = tmp_path / "g.ttl"
    result = run_kg("build", str(FIXTURES / "v1" / "NCT03945487.json"), "-o", str(graph))
    assert result.exit_code == 0 and "conforms (0 violations" in result.stderr
    text = graph.read_text()
    assert 'kg:tissueSource "umbilical cord"' in text and 'kg:deliveryRoute "peripheral vein"' in text


def test_score_cell_products_counts_each_field_against_the_labels() -> None:
    gold = FIXTURES / "gold" / "cell-products-sample.json"
    scores = score_cell_products(gold, "all", FIXTURES)
    assert (scores.records, scores.interventions) == (2, 3)
    assert scores.counts["is_cell_product:gold"] == 2 and scores.counts["tissue_source:right"] == 2
    assert scores.precision("route") == 1.0 and scores.recall("route") == 1.0
    result = run_kg("score-cell-products", "--gold", str(gold), "--records-under", str(FIXTURES))
    assert result.exit_code == 0 and "| tissue_source |" in result.stdout
