"""Namespaces and IRI minting: the one place IRIs are made, so every build mints the same ones."""

from __future__ import annotations

import hashlib
import unicodedata

from rdflib import Namespace, URIRef
from rdflib.namespace import OWL, SKOS
from rdflib.namespace import PROV as _PROV
from rdflib.namespace import RDF as _RDF
from rdflib.namespace import RDFS as _RDFS
from rdflib.namespace import XSD as _XSD

from kg import textpatterns


class Vocabulary(Namespace):
    """A namespace that hands out one URIRef object per term. rdflib makes a new one on every
    `NS.term`; builds name ~300 terms per trial, and a reused object is both cheaper to get and
    found by identity in dict lookups (rdflib's term equality is a slow Python method)."""

    _terms: dict[str, URIRef]

    def __new__(cls, value: str) -> Vocabulary:
        namespace: Vocabulary = super().__new__(cls, value)  # type: ignore[assignment]
        namespace._terms = {}
        return namespace

    def term(self, name: str) -> URIRef:
        found = self._terms.get(name)
        if found is None:
            found = self._terms[name] = URIRef(str(self) + name)
            if name.isidentifier() and not hasattr(type(self), name):
                self.__dict__[name] = found  # later `NS.name` lookups skip __getattr__
        return found

    def __getitem__(self, key: str) -> URIRef:  # type: ignore[override]
        return self.term(key)

    def __getattr__(self, name: str) -> URIRef:
        if name.startswith("__"):  # dunder lookups (copy, pickle) are not terms
            raise AttributeError(name)
        return self.term(name)


KG = Vocabulary("https://w3id.org/kg-trials/ontology#")
KGR = Namespace("https://w3id.org/kg-trials/resource/")
KGSH = Namespace("https://w3id.org/kg-trials/shapes#")  # kg's SHACL shapes, named for the report
SCHEMA = Vocabulary("https://schema.org/")
MESH = Namespace("http://id.nlm.nih.gov/mesh/")
MESHV = Vocabulary("http://id.nlm.nih.gov/mesh/vocab#")
CTGOV = Namespace("https://clinicaltrials.gov/study/")
SH = Vocabulary("http://www.w3.org/ns/shacl#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
RDF = Vocabulary(str(_RDF))
RDFS = Vocabulary(str(_RDFS))
XSD = Vocabulary(str(_XSD))
PROV = Vocabulary(str(_PROV))
VOCABULARIES = (KG, SCHEMA, MESHV, SH, RDF, RDFS, XSD, PROV)


def canonical(term: URIRef) -> URIRef:
    """The shared object for a vocabulary term (for terms read from elsewhere, e.g. the shapes)."""
    text = str(term)
    for vocabulary in VOCABULARIES:
        if text.startswith(vocabulary) and "/" not in text[len(vocabulary) :] and "#" not in text[len(vocabulary) :]:
            return vocabulary.term(text[len(vocabulary) :])
    return term


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


def sparql_prefixes() -> str:
    """The PREFIX lines of every namespace kg uses, for the SPARQL kg writes itself."""
    return "".join(f"PREFIX {prefix}: <{namespace}>\n" for prefix, namespace in PREFIXES.items())


UNRESOLVED_PREFIX = "unresolved-"


def trial_iri(nct_id: str) -> URIRef:
    """The registry's IRI; a record no NCT id was found for gets a stable stand-in of ours."""
    if nct_id.startswith(UNRESOLVED_PREFIX):
        return KGR[f"trial/{nct_id}"]
    return CTGOV[nct_id]


def nct_id_of(iri: object) -> str | None:
    """The NCT id (or stand-in id) a trial IRI names, read back: `trial_iri`'s inverse; None for any
    other IRI."""
    text = str(iri)
    for base in (str(CTGOV), f"{KGR}trial/"):
        if text.startswith(base) and "/" not in text[len(base) :] and len(text) > len(base):
            return text[len(base) :]
    return None


def unresolved_id(digest: str) -> str:
    """The stand-in id of a record without an NCT id, from a digest of its content."""
    return UNRESOLVED_PREFIX + digest


def trial_owned_prefix(nct_id: str) -> str:
    """Every node a trial owns (arms, doses, sites, …) has an IRI starting with this."""
    return f"{KGR}trial/{nct_id}/"


def shortened(iri: object) -> str:
    """An IRI without kg's or the registry's base, for messages: `NCT01234567`, `trial/NCT…/arm/0`."""
    text = str(iri)
    for base in (str(CTGOV), str(KGR)):
        if text.startswith(base):
            return text[len(base) :]
    return text


def sparql(body: str) -> str:
    """A query kg writes itself: the PREFIX lines of every namespace kg uses, then `body`."""
    return sparql_prefixes() + body


def mesh_iri(mesh_id: str) -> URIRef:
    return MESH[mesh_id]


def mesh_id_of(iri: object) -> str | None:
    """The MeSH id a `mesh_iri` names, read back; None for any other IRI."""
    text, base = str(iri), str(MESH)
    rest = text[len(base) :] if text.startswith(base) else ""
    return rest if rest[:1] in ("D", "C") and rest[1:].isdigit() else None


def slug(text: str) -> str:
    """A readable, stable IRI segment: `Pfizer, Inc.` -> `pfizer-inc`."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return "-".join(textpatterns.lower_alnum_runs(folded.lower()))[:60] or "x"


def _keyed(kind: str, text: str) -> URIRef:
    """Readable slug plus a short hash of the normalized text, so distinct names never collide."""
    normalized = " ".join(text.split()).casefold()
    digest = hashlib.sha1(normalized.encode("utf-8")).hexdigest()[:10]
    return KGR[f"{kind}/{slug(text)}-{digest}"]


def learned_ancestry_iri(descendant_key: str, ancestor_key: str) -> URIRef:
    """The evidence node of one learned MeSH ancestor (keys of `kg.model.mesh.term_key`)."""
    return _keyed("mesh-ancestry", f"{descendant_key} {ancestor_key}")


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


def conflicting_dose_iri(nct_id: str, arm_index: int, dose_index: int) -> URIRef:
    return KGR[f"trial/{nct_id}/arm/{arm_index + 1}/dose-conflict/{dose_index + 1}"]


def contact_iri(nct_id: str, index: int) -> URIRef:
    return KGR[f"trial/{nct_id}/contact/{index + 1}"]


def eligibility_iri(nct_id: str) -> URIRef:
    return KGR[f"trial/{nct_id}/eligibility"]


def threshold_iri(nct_id: str, index: int) -> URIRef:
    """A numeric bound of the trial's eligibility, under the trial's owned prefix so `kg build --update`
    removes it with the trial's other nodes."""
    return KGR[f"trial/{nct_id}/eligibility/threshold/{index + 1}"]


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
