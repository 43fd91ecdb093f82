"""Input sources: expand paths into documents, detect each document's format, yield records.

Formats are found through one registry: JSON documents hold items that one of the JSON item formats
recognizes (API v2 study objects, API v1 study-fields records); XML documents are legacy ClinicalStudy
records; text documents are registry pages in one of their layouts. Problems with one record become
`Reject`s (counted and reported), never exceptions that stop the build.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType

from kg.doses import add_doses
from kg.errors import ParseError
from kg.records import TrialRecord
from kg.sources import ctgov_v1, ctgov_v2, legacy_xml, registry_page
from kg.sources.documents import MAX_TEXT_BYTES, Document, MemberTooLarge, Reject, iter_documents
from kg.sources.jsonfile import iter_json_items, looks_like_json

JSON_ITEM_FORMATS: dict[str, ModuleType] = {ctgov_v2.FORMAT: ctgov_v2, ctgov_v1.FORMAT: ctgov_v1}
INPUT_FORMATS = ("auto", *JSON_ITEM_FORMATS, legacy_xml.FORMAT, registry_page.FORMAT)

__all__ = ["Document", "Reject", "INPUT_FORMATS", "iter_records", "iter_documents", "records_in_document"]


def iter_records(
    paths: list[str], input_format: str = "auto", include_contacts: bool = False
) -> Iterator[TrialRecord | Reject]:
    """Stream records (or rejects) from files, directories and zips, in a stable order."""
    for document in iter_documents(paths):
        if isinstance(document, Reject):
            yield document
            continue
        yield from records_in_document(document, input_format, include_contacts)


def records_in_document(
    document: Document, input_format: str = "auto", include_contacts: bool = False, doses: bool = True
) -> Iterator[TrialRecord | Reject]:
    """One document's records; `doses=False` skips reading doses from free text (pass one needs none)."""
    for item in _records_in_document(document, input_format, include_contacts):
        yield add_doses(item) if doses and isinstance(item, TrialRecord) else item


def _records_in_document(
    document: Document, input_format: str, include_contacts: bool
) -> Iterator[TrialRecord | Reject]:
    try:
        head = document.head()
    except OSError as error:
        yield document.reject("unreadable-file", f"cannot read: {error}")
        return
    if not head.strip():
        yield document.reject("empty-file", "the file is empty")
        return
    kind = _document_kind(head, input_format)
    if kind == "json":
        for position, item in iter_json_items(document):
            yield item if isinstance(item, Reject) else _parse_item(document, position, item, input_format)
    elif kind in ("xml", "page"):
        yield _parse_whole(document, kind, include_contacts)
    else:
        yield document.reject(
            "unknown-format",
            "not a format kg reads (binary data; expected registry JSON, ClinicalStudy XML or a registry page)",
        )


def _document_kind(head: bytes, input_format: str) -> str:
    if input_format in JSON_ITEM_FORMATS:
        return "json"
    if input_format == legacy_xml.FORMAT:
        return "xml"
    if input_format == registry_page.FORMAT:
        return "page"
    if looks_like_json(head):
        return "json"
    if legacy_xml.looks_like(head):
        return "xml"
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "binary"
    return "page"


def _parse_whole(document: Document, kind: str, include_contacts: bool) -> TrialRecord | Reject:
    """XML records and pages are one record per document, read whole (with a size limit)."""
    try:
        with document.open() as stream:
            data = stream.read(MAX_TEXT_BYTES + 1)
    except (OSError, MemberTooLarge) as error:
        return document.reject("unreadable-file", f"cannot read: {error}")
    if len(data) > MAX_TEXT_BYTES:
        return document.reject("unreadable-file", f"larger than {MAX_TEXT_BYTES // (1024 * 1024)} MiB; refused")
    try:
        if kind == "xml":
            return legacy_xml.parse_bytes(data, document.provenance(legacy_xml.FORMAT, 0))
        return registry_page.parse_bytes(data, document.provenance(registry_page.FORMAT, 0), include_contacts)
    except ParseError as error:
        return document.reject(error.reason, error.message, position=0, nct_id=error.nct_id)


def _parse_item(document: Document, position: int, item: object, input_format: str) -> TrialRecord | Reject:
    module = JSON_ITEM_FORMATS.get(input_format)
    if module is None:
        module = next((m for m in JSON_ITEM_FORMATS.values() if m.recognizes(item)), None)
    if module is None:
        keys = ", ".join(list(item)[:5]) if isinstance(item, dict) else type(item).__name__
        return document.reject(
            "not-a-study",
            f"not a ClinicalTrials.gov study record (found {keys or 'an empty object'})",
            position=position,
        )
    try:
        record: TrialRecord = module.parse(item, document.provenance(module.FORMAT, position))
        return record
    except ParseError as error:
        return document.reject(error.reason, error.message, position=position, nct_id=error.nct_id)
