"""Input sources: expand paths into documents, detect each document's format, yield records.

Formats are found through one registry: JSON documents hold items that one of the JSON item formats
recognizes (API v2 study objects, API v1 study-fields records); XML documents are legacy ClinicalStudy
records; text documents are registry pages in one of their layouts. Problems with one record become
`Reject`s (counted and reported), never exceptions that stop the build.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import partial
from types import ModuleType

from kg.errors import MemberTooLarge, ParseError
from kg.model.cell_products import add_cell_products
from kg.model.doses import add_doses
from kg.model.records import TrialRecord
from kg.model.thresholds import add_thresholds
from kg.sources import ctgov_v1, ctgov_v2, legacy_xml, registry_page, values
from kg.sources.documents import MAX_TEXT_BYTES, Document, Reject, iter_documents
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
    """One document's records; `doses=False` skips reading doses and cell products from free text (pass
    one needs neither).

    This is the fault boundary of the build: an unexpected error while one record is read or parsed
    becomes that record's `internal-error` reject (with the traceback, a kg bug to report), and an
    error in the document's container (the JSON array, the zip member) ends that document only."""
    position = -1  # the last record given
    try:
        for item in _records_in_document(document, input_format, include_contacts, doses):
            position = (item.position if isinstance(item, Reject) else item.provenance.position) or 0
            yield item
    except Exception as error:  # noqa: BLE001 - the boundary: one document's fault, never the build's
        yield internal_error(document, error, position + 1, "reading the document; its later records are lost")


def internal_error(document: Document, error: BaseException, position: int | None, doing: str) -> Reject:
    detail = "".join(traceback.format_exception(error)).strip()
    message = f"kg failed while {doing}: {type(error).__name__}: {error}"[:2000]
    return document.reject("internal-error", message, position=position).with_detail(detail)


def _records_in_document(
    document: Document, input_format: str, include_contacts: bool, doses: bool
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
        for position, item, clean in iter_json_items(document):
            if isinstance(item, Reject):
                yield item
            else:
                parse = partial(_parse_item, document, position, item, input_format)
                yield _guarded(document, position, doses, parse, clean)
    elif kind in ("xml", "page"):
        data = _read_whole(document)
        if isinstance(data, Reject):
            yield data
            return
        # A page's bytes may be Latin-1 or UTF-16: only XML's can be tested for clean text as they are.
        clean = kind == "xml" and values.is_clean_text(data)
        yield _guarded(document, 0, doses, partial(_parse_whole, document, kind, data, include_contacts), clean)
    elif head.startswith(b"PK\x03\x04"):
        message = "a zip archive whose directory is missing or damaged (a truncated download?); not read"
        yield document.reject("unreadable-file", message)
    else:
        yield document.reject(
            "unknown-format",
            "not a format kg reads (binary data; expected registry JSON, ClinicalStudy XML or a registry page)",
        )


def _guarded(
    document: Document, position: int, doses: bool, parse: Callable[[], TrialRecord | Reject], clean: bool = False
) -> TrialRecord | Reject:
    """One record parsed, its values checked (warnings attached), its doses read; any unexpected
    error becomes this record's `internal-error` reject."""
    try:
        with values.collecting() as warnings:
            parsed = parse()
            if isinstance(parsed, Reject):
                return parsed
            try:
                record = values.checked_record(parsed, clean)
            except ParseError as error:
                return document.reject(error.reason, error.message, position=position, nct_id=error.nct_id)
        if warnings:
            record = replace(record, field_warnings=tuple(warnings))
    except Exception as error:  # noqa: BLE001 - the boundary: one record's fault, never the build's
        return internal_error(document, error, position, "parsing this record")
    if not doses:
        return record
    try:
        return add_thresholds(add_cell_products(add_doses(record)))
    except Exception as error:  # noqa: BLE001 - as above
        reject = internal_error(document, error, position, "reading doses and thresholds from this record's text")
        return replace(reject, nct_id=record.nct_id or None, after_read=True)


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


def _read_whole(document: Document) -> bytes | Reject:
    """XML records and pages are one record per document, read whole (with a size limit)."""
    try:
        with document.open() as stream:
            data = stream.read(MAX_TEXT_BYTES + 1)
    except (OSError, MemberTooLarge) as error:
        return document.reject("unreadable-file", f"cannot read: {error}")
    if len(data) > MAX_TEXT_BYTES:
        return document.reject("unreadable-file", f"larger than {MAX_TEXT_BYTES // (1024 * 1024)} MiB; refused")
    return data


def _parse_whole(document: Document, kind: str, data: bytes, include_contacts: bool) -> TrialRecord | Reject:
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
