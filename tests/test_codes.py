"""MeSH ids, ages and the code lists the parsers and the shapes share."""

from __future__ import annotations

import pytest
from rdflib import Literal
from rdflib.collection import Collection

from kg.model import codes
from kg.rdf.iris import SH
from kg.validation.shacl import load_shapes


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("D000017093", "D017093"),  # an old descriptor the registry pads to 10 characters
        ("D017093", "D017093"),
        ("D000068196", "D000068196"),  # a descriptor created after 2014 keeps its 10 characters
        ("C000005900", "C005900"),
        ("C582435", "C582435"),
        ("C000613593", "C000613593"),
        ("d008103", "D008103"),
        ("Q000000981", None),
        ("Liver Cirrhosis", None),
    ],
)
def test_mesh_ids_are_normalized_to_the_form_nlm_serves(raw: str, expected: str | None) -> None:
    assert codes.normalize_mesh_id(raw) == expected


@pytest.mark.parametrize(
    ("text", "years"),
    [("18 Years", 18.0), ("6 Months", 0.5), ("1 Year", 1.0), ("28 Days", 0.0767), ("N/A", None), (None, None)],
)
def test_ages_are_converted_to_years(text: str | None, years: float | None) -> None:
    assert codes.age_in_years(text) == years


def _shape_values(path_local: str) -> set[str]:
    shapes = load_shapes()
    for property_shape in shapes.subjects(SH.path, None):
        path = shapes.value(property_shape, SH.path)
        listed = shapes.value(property_shape, SH["in"])
        if str(path).endswith(path_local) and listed is not None:
            return {str(v) for v in Collection(shapes, listed) if isinstance(v, Literal)}
    raise AssertionError(f"no sh:in list for {path_local}")


@pytest.mark.parametrize(
    ("path_local", "code_list"),
    [
        ("#overallStatus", codes.OVERALL_STATUSES),
        ("#phase", codes.PHASES),
        ("#studyType", codes.STUDY_TYPES),
        ("#allocation", codes.ALLOCATIONS),
        ("#interventionModel", codes.INTERVENTION_MODELS),
        ("#masking", codes.MASKINGS),
        ("#primaryPurpose", codes.PRIMARY_PURPOSES),
        ("#sex", codes.SEXES),
    ],
)
def test_shapes_and_parsers_accept_the_same_codes(path_local: str, code_list: frozenset[str]) -> None:
    assert _shape_values(path_local) == set(code_list)
