"""kg's own Turtle and N-Triples writer gives exactly the triples it was handed, for any text."""

from __future__ import annotations

from decimal import Decimal

import pyoxigraph
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import XSD

from kg.rdf.iris import KG, KGR, MESH, PREFIXES
from kg.rdf.terms import (
    compact_iri,
    iri_of_text,
    iri_text,
    literal_parts,
    ntriples,
    ntriples_of_text,
    plain_literal,
    rdflib_triples,
    string_text,
    text_triples,
    turtle_block,
    turtle_of_text,
)

HEADER = "".join(f"@prefix {prefix}: <{namespace}> .\n" for prefix, namespace in PREFIXES.items())

subjects = st.sampled_from(
    [
        URIRef("https://clinicaltrials.gov/study/NCT01234567"),
        KGR["org/x-1"],
        MESH.D008103,
        URIRef("http://example.org/naïve/é#ñ"),
    ]
)
predicates = st.sampled_from([KG.keyword, KG.enrollment, KG.healthyVolunteers, URIRef("http://example.org/p#a.b")])
texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)
literals = st.one_of(
    texts.map(Literal),
    st.tuples(texts, st.sampled_from(["en", "zh-Hans"])).map(lambda t: Literal(t[0], lang=t[1])),
    st.integers(min_value=-(10**12), max_value=10**12).map(lambda i: Literal(i, datatype=XSD.integer)),
    st.booleans().map(Literal),
    st.decimals(allow_nan=False, allow_infinity=False, places=3).map(
        lambda d: Literal(format(d, "f"), datatype=XSD.decimal)
    ),
    st.dates().map(lambda d: Literal(d.isoformat(), datatype=XSD.date)),
)
triples = st.lists(st.tuples(subjects, predicates, st.one_of(literals, subjects)), min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(triples)
def test_turtle_blocks_parse_back_to_the_same_triples_in_rdflib_and_oxigraph(items) -> None:
    expected = Graph()
    for triple in items:
        expected.add(triple)
    text = HEADER + turtle_block(items)
    assert isomorphic(Graph().parse(data=text, format="turtle"), expected)
    assert len(list(pyoxigraph.parse(text.encode(), format=pyoxigraph.RdfFormat.TURTLE))) == len(expected)


@settings(max_examples=200, deadline=None)
@given(triples)
def test_ntriples_parse_back_to_the_same_triples(items) -> None:
    expected = Graph()
    for triple in items:
        expected.add(triple)
    assert isomorphic(Graph().parse(data=ntriples(items), format="nt"), expected)


def test_numbers_and_booleans_are_written_bare_and_other_datatypes_prefixed() -> None:
    subject = KGR["x"]
    text = turtle_block(
        [
            (subject, KG.enrollment, Literal(40)),
            (subject, KG.minimumAgeYears, Literal("0.5", datatype=XSD.decimal)),
            (subject, KG.healthyVolunteers, Literal(False)),
            (subject, KG.startDate, Literal("2021-07", datatype=XSD.gYearMonth)),
        ]
    )
    assert "kg:enrollment 40" in text and "kg:minimumAgeYears 0.5" in text
    assert "kg:healthyVolunteers false" in text and '"2021-07"^^xsd:gYearMonth' in text
    assert Decimal("0.5") == Graph().parse(data=HEADER + text).value(subject, KG.minimumAgeYears).toPython()


def test_display_names_use_the_longest_namespace() -> None:
    assert compact_iri("http://id.nlm.nih.gov/mesh/vocab#Descriptor") == "meshv:Descriptor"
    assert compact_iri("http://id.nlm.nih.gov/mesh/D008103") == "mesh:D008103"


@given(st.text())
def test_the_fast_plain_literal_is_rdflibs_literal(text: str) -> None:
    fast, reference = plain_literal(text), Literal(text)
    assert fast == reference and hash(fast) == hash(reference)
    assert (fast.value, fast.datatype, fast.language, fast.n3()) == (
        reference.value,
        reference.datatype,
        reference.language,
        reference.n3(),
    )


def test_plain_literal_of_a_non_string_is_rdflibs_typed_literal() -> None:
    assert plain_literal(True) == Literal(True) and plain_literal(True).datatype == XSD.boolean


@settings(max_examples=300, deadline=None)
@given(triples)
def test_text_triples_are_the_same_terms_and_write_the_same_graphs(items) -> None:
    """The build's hot path holds terms as N-Triples text: reading the text back gives the same rdflib
    terms, and its N-Triples and Turtle are the graphs the rdflib-term writers give."""
    as_text = text_triples(items)
    assert rdflib_triples(as_text) == list(items)
    expected = Graph()
    for triple in items:
        expected.add(triple)
    assert isomorphic(Graph().parse(data=ntriples_of_text(as_text), format="nt"), expected)
    turtle = HEADER + turtle_of_text(as_text)
    assert isomorphic(Graph().parse(data=turtle, format="turtle"), expected)
    assert turtle_of_text(as_text) == turtle_block(items)


def test_what_n_triples_escapes_reads_back_exactly() -> None:
    iri = 'http://example.org/a b<c>"d{e}|f^g`h\\i\x01'
    assert iri_of_text(iri_text(iri)) == iri and " " not in iri_text(iri)
    text = 'say "hi"\\n\\ back\\slash \n\r\t\b\f end\u2028'
    assert literal_parts(string_text(text)) == (text, None, None)


def test_the_iri_text_caches_stay_bounded_and_write_the_same_text_after_starting_again() -> None:
    """A registry build names millions of distinct IRIs: the caches of their written text never hold more
    than the limit, and an IRI written again after a cache started over is written the same."""
    from kg.rdf import terms

    names = [
        f"https://w3id.org/kg-trials/resource/trial/NCT{n:08d}/arm/{n % 7}" for n in range(terms._IRI_TEXT_LIMIT * 3)
    ]
    first = iri_text(names[0])
    turtle = terms._turtle_of_text(first)
    for name in names:
        iri_text(name)
        terms._turtle_of_text(iri_text(name))
        assert len(terms._NT_IRI_TEXT) <= terms._IRI_TEXT_LIMIT and len(terms._TURTLE_TEXT) <= terms._IRI_TEXT_LIMIT
    assert iri_text(names[0]) == first == f"<{names[0]}>" and terms._turtle_of_text(first) == turtle
