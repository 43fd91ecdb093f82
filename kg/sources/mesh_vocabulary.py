"""NLM's MeSH: the descriptor file (`descYYYY.xml`) or MeSH RDF N-Triples (`mesh.nt`, `mesh.nt.gz`), both
free from NLM, or a MeSH table (tab-separated descriptor id, name, entry terms and tree numbers, the last
two `|`-separated; the layout of the table kg bundles). `kg build --mesh FILE` reads one into a
`kg.model.mesh.MeshVocabulary`; without `--mesh` a build reads the bundled table (`BUNDLED_MESH`: NLM's
2024 descriptors of the Diseases and Psychiatry trees, where trials' conditions lie).

Both are read as streams (the XML with `iterparse`, each record cleared once read; the N-Triples line by
line): the full files are 0.3 and 2 GB. The XML goes through defusedxml, so a file that declares entities
is refused and nothing is ever fetched.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import IO
from xml.etree.ElementTree import ParseError as XmlSyntaxError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from kg import textpatterns
from kg.errors import InputError
from kg.model.mesh import MeshVocabulary

_MESH = "http://id.nlm.nih.gov/mesh/"
_MESHV = "http://id.nlm.nih.gov/mesh/vocab#"
_RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
# One N-Triples statement whose subject is a MeSH resource: subject id, predicate, object (IRI or literal).
_STATEMENT = textpatterns.pattern(
    "mesh-ntriples-statement",
    r'^<http://id\.nlm\.nih\.gov/mesh/(?:\d{4}/)?([^>]+)>\s+<([^>]+)>\s+(<[^>]*>|".*")\S*\s*\.\s*$',
)
_LITERAL = textpatterns.pattern("mesh-ntriples-literal", r'^"((?:[^"\\]|\\.)*)"')
_ESCAPE = textpatterns.pattern("mesh-ntriples-escape", r"\\(?:u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)")
_DESCRIPTOR_ID = textpatterns.pattern("mesh-descriptor-id", r"^D\d{6,9}$")
_TABLE_ROW = textpatterns.pattern("mesh-table-row", r"^D\d{6,9}\t")

BUNDLED_MESH = Path(str(resources.files("kg") / "data" / "mesh" / "mesh2024-conditions.tsv.gz"))


def read_mesh_vocabulary(path: Path) -> MeshVocabulary:
    """The descriptors of an NLM MeSH file, in either of NLM's formats (gzip or not)."""
    try:
        with _open(path) as stream:
            head = stream.peek(512)[:512].lstrip(b"\xef\xbb\xbf").lstrip()  # type: ignore[attr-defined]
            if head.startswith(b"<?xml") or head.startswith(b"<DescriptorRecordSet") or head.startswith(b"<!DOCTYPE"):
                return _read_descriptor_xml(stream, path)
            if head.startswith(b"<http"):
                return _read_ntriples(stream)
            if head.startswith(b"#") or _TABLE_ROW.match(head.decode("utf-8", "replace")):
                return _read_table(stream, path)
    except OSError as error:
        raise InputError(f"--mesh {path}: cannot read it ({error.strerror or error})") from error
    except (EOFError, zlib.error) as error:  # a gzip cut short or damaged
        raise InputError(f"--mesh {path}: a damaged gzip file ({error or 'it ends too early'})") from error
    raise InputError(
        f"--mesh {path}: neither NLM's descriptor XML (descYYYY.xml), MeSH RDF N-Triples (mesh.nt) nor a MeSH "
        "table (descriptor id, name, entry terms, tree numbers; tab-separated): "
        "download one from https://www.nlm.nih.gov/databases/download/mesh.html"
    )


def _open(path: Path) -> IO[bytes]:
    """The file's bytes, inflated when gzipped (both kinds of stream can `peek`)."""
    with path.open("rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if gzipped else path.open("rb")  # type: ignore[return-value]


def _read_descriptor_xml(stream: IO[bytes], path: Path) -> MeshVocabulary:
    """`<DescriptorRecord>`s: `DescriptorUI`, `DescriptorName/String`, tree numbers, every concept's terms."""
    vocabulary = MeshVocabulary()
    trees: dict[str, list[str]] = {}
    try:
        events = SafeET.iterparse(stream, events=("end",), forbid_dtd=False, forbid_entities=True, forbid_external=True)
        for _, element in events:
            if element.tag != "DescriptorRecord":
                continue
            mesh_id = (element.findtext("DescriptorUI") or "").strip()
            name = (element.findtext("DescriptorName/String") or "").strip()
            if _DESCRIPTOR_ID.match(mesh_id) and name:
                vocabulary.labels[mesh_id] = name
                entry_terms = dict.fromkeys(
                    (t.text or "").strip() for t in element.iterfind("ConceptList/Concept/TermList/Term/String")
                )
                synonyms = tuple(t for t in entry_terms if t and t != name)
                if synonyms:
                    vocabulary.synonyms[mesh_id] = synonyms
                numbers = [(t.text or "").strip() for t in element.iterfind("TreeNumberList/TreeNumber")]
                trees[mesh_id] = [n for n in numbers if n]
            element.clear()
    except DefusedXmlException as error:
        raise InputError(f"--mesh {path}: refused, the XML declares entities ({type(error).__name__})") from error
    except XmlSyntaxError as error:
        raise InputError(f"--mesh {path}: malformed XML ({error})") from error
    _add_parents(vocabulary, trees)
    return vocabulary


def _read_table(stream: IO[bytes], path: Path) -> MeshVocabulary:
    """Rows `id<TAB>name<TAB>entry|terms<TAB>tree|numbers` (more columns ignored; `#` lines are comments)."""
    vocabulary = MeshVocabulary()
    trees: dict[str, list[str]] = {}
    for number, raw in enumerate(stream, 1):
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        if len(cells) < 4 or not _DESCRIPTOR_ID.match(cells[0]) or not cells[1].strip():
            raise InputError(f"--mesh {path}: line {number} is not `descriptor id, name, entry terms, tree numbers`")
        mesh_id, name = cells[0], cells[1].strip()
        vocabulary.labels[mesh_id] = name
        synonyms = tuple(t for t in dict.fromkeys(s.strip() for s in cells[2].split("|")) if t and t != name)
        if synonyms:
            vocabulary.synonyms[mesh_id] = synonyms
        trees[mesh_id] = [n.strip() for n in cells[3].split("|") if n.strip()]
    _add_parents(vocabulary, trees)
    return vocabulary


def _add_parents(vocabulary: MeshVocabulary, trees: dict[str, list[str]]) -> None:
    """Parent descriptors from tree numbers: `C06.552` is the parent of `C06.552.380`."""
    tree_owner = {number: mesh_id for mesh_id, numbers in trees.items() for number in numbers}
    for mesh_id, numbers in trees.items():
        parents = dict.fromkeys(
            tree_owner[parent]
            for parent in (n.rsplit(".", 1)[0] for n in numbers if "." in n)
            if parent in tree_owner and tree_owner[parent] != mesh_id
        )
        if parents:
            vocabulary.parents[mesh_id] = tuple(parents)


def _read_ntriples(stream: IO[bytes]) -> MeshVocabulary:
    """MeSH RDF: descriptors' `rdfs:label` and `meshv:broaderDescriptor`; entry terms through
    descriptor -> `meshv:concept`/`preferredConcept` -> `meshv:term`/`preferredTerm` -> `meshv:prefLabel`."""
    vocabulary = MeshVocabulary()
    parents: dict[str, list[str]] = {}
    concepts: dict[str, list[str]] = {}  # descriptor -> concepts
    terms: dict[str, list[str]] = {}  # concept -> terms
    term_labels: dict[str, str] = {}
    for subject, predicate, obj in _statements(stream):
        if predicate == _RDFS_LABEL and _DESCRIPTOR_ID.match(subject):
            vocabulary.labels[subject] = _literal(obj)
        elif not predicate.startswith(_MESHV):
            continue
        name = predicate[len(_MESHV) :]
        if name == "broaderDescriptor" and _DESCRIPTOR_ID.match(subject):
            parents.setdefault(subject, []).append(_mesh_id(obj))
        elif name in ("concept", "preferredConcept") and _DESCRIPTOR_ID.match(subject):
            concepts.setdefault(subject, []).append(_mesh_id(obj))
        elif name in ("term", "preferredTerm"):
            terms.setdefault(subject, []).append(_mesh_id(obj))
        elif name == "prefLabel":
            term_labels[subject] = _literal(obj)
    for mesh_id, found in parents.items():
        vocabulary.parents[mesh_id] = tuple(dict.fromkeys(p for p in found if p != mesh_id))
    for mesh_id, name in vocabulary.labels.items():
        entry_terms = dict.fromkeys(
            term_labels.get(t, "") for concept in concepts.get(mesh_id, ()) for t in terms.get(concept, ())
        )
        synonyms = tuple(t for t in entry_terms if t and t != name)
        if synonyms:
            vocabulary.synonyms[mesh_id] = synonyms
    return vocabulary


def _statements(stream: IO[bytes]) -> Iterator[tuple[str, str, str]]:
    for raw in stream:
        if not raw.startswith(b"<http://id.nlm.nih.gov/mesh/"):
            continue
        match = _STATEMENT.match(raw.decode("utf-8", "replace"))
        if match:
            yield match[1], match[2], match[3]


def _mesh_id(obj: str) -> str:
    value = obj.strip("<>")
    return value.rsplit("/", 1)[-1] if value.startswith(_MESH) else value


def _literal(obj: str) -> str:
    match = _LITERAL.match(obj)
    if not match:
        return obj.strip("<>")
    lexical = str(match[1])
    return str(_ESCAPE.sub(_unescape, lexical)) if "\\" in lexical else lexical


def _unescape(escape: textpatterns.Match) -> str:
    text = str(escape[0])
    if text[1] in "uU":
        return chr(int(text[2:], 16))
    return {"t": "\t", "n": "\n", "r": "\r", "b": "\b", "f": "\f"}.get(text[1], text[1])
