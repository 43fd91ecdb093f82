"""Namespaces and IRI minting: the one place IRIs are made, so every build mints the same ones."""

from __future__ import annotations

import hashlib
import re
import unicodedata

from rdflib import Namespace, URIRef
from rdflib.namespace import OWL, PROV, RDF, RDFS, SKOS, XSD

KG = Namespace("https://w3id.org/kg-trials/ontology#")
KGR = Namespace("https://w3id.org/kg-trials/resource/")
SCHEMA = Namespace("https://schema.org/")
MESH = Namespace("http://id.nlm.nih.gov/mesh/")
MESHV = Namespace("http://id.nlm.nih.gov/mesh/vocab#")
CTGOV = Namespace("https://clinicaltrials.gov/study/")
SH = Namespace("http://www.w3.org/ns/shacl#")
DCTERMS = Namespace("http://purl.org/dc/terms/")

PREFIXES: dict[str, Namespace] = {
    "kg": KG,
    "kgr": KGR,
    "schema": SCHEMA,
    "mesh": MESH,
    "meshv": MESHV,
    "ctgov": CTGOV,
    "prov": Namespace(str(PROV)),
    "owl": Namespace(str(OWL)),
    "rdf": Namespace(str(RDF)),
    "rdfs": Namespace(str(RDFS)),
    "xsd": Namespace(str(XSD)),
    "skos": Namespace(str(SKOS)),
    "dcterms": DCTERMS,
    "sh": SH,
}


UNRESOLVED_PREFIX = "unresolved-"


def trial_iri(nct_id: str) -> URIRef:
    """The registry's IRI; a record no NCT id was found for gets a stable stand-in of ours."""
    if nct_id.startswith(UNRESOLVED_PREFIX):
        return KGR[f"trial/{nct_id}"]
    return CTGOV[nct_id]


def mesh_iri(mesh_id: str) -> URIRef:
    return MESH[mesh_id]


def slug(text: str) -> str:
    """A readable, stable IRI segment: `Pfizer, Inc.` -> `pfizer-inc`."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")[:60] or "x"


def _keyed(kind: str, text: str) -> URIRef:
    """Readable slug plus a short hash of the normalized text, so distinct names never collide."""
    normalized = " ".join(text.split()).casefold()
    digest = hashlib.sha1(normalized.encode("utf-8")).hexdigest()[:10]
    return KGR[f"{kind}/{slug(text)}-{digest}"]


def organization_iri(name: str) -> URIRef:
    return _keyed("org", name)


def condition_iri(name: str) -> URIRef:
    return _keyed("condition", name)


def mesh_term_iri(term: str) -> URIRef:
    """A MeSH term a source named without its id: a labelled node of our own, not a guessed descriptor."""
    return _keyed("mesh-term", term)


def intervention_iri(nct_id: str, index: int) -> URIRef:
    return KGR[f"trial/{nct_id}/intervention/{index + 1}"]


def arm_iri(nct_id: str, index: int) -> URIRef:
    return KGR[f"trial/{nct_id}/arm/{index + 1}"]


def dose_iri(nct_id: str, arm_index: int, dose_index: int) -> URIRef:
    return KGR[f"trial/{nct_id}/arm/{arm_index + 1}/dose/{dose_index + 1}"]


def contact_iri(nct_id: str, index: int) -> URIRef:
    return KGR[f"trial/{nct_id}/contact/{index + 1}"]


def eligibility_iri(nct_id: str) -> URIRef:
    return KGR[f"trial/{nct_id}/eligibility"]


def outcome_iri(nct_id: str, index: int) -> URIRef:
    return KGR[f"trial/{nct_id}/outcome/{index + 1}"]


def location_iri(nct_id: str, index: int) -> URIRef:
    return KGR[f"trial/{nct_id}/location/{index + 1}"]


def reference_iri(nct_id: str, index: int) -> URIRef:
    return KGR[f"trial/{nct_id}/reference/{index + 1}"]


def secondary_id_iri(nct_id: str, index: int) -> URIRef:
    return KGR[f"trial/{nct_id}/secondary-id/{index + 1}"]


def record_iri(nct_id: str, source_format: str, version: str) -> URIRef:
    """One source record of a trial (PROV entity), keyed by its registry version so rebuilds agree."""
    return KGR[f"trial/{nct_id}/record/{source_format}/{slug(version)}"]


def build_iri(build_id: str) -> URIRef:
    return KGR[f"build/{build_id}"]


def input_file_iri(checksum: str) -> URIRef:
    return KGR[f"file/sha256-{checksum}"]
