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
KEYS_ALONE_FORMATS = frozenset({ctgov_v2.FORMAT})  # `keys_only` reads a record of these for its keys alone

__all__ = [
    "Document",
    "Reject",
    "INPUT_FORMATS",
    "KEYS_ALONE_FORMATS",
    "iter_records",
    "iter_documents",
    "records_in_document",
]


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
    document: Document, input_format: str = "auto", include_contacts: bool = False, keys_only: bool = False
) -> Iterator[TrialRecord | Reject]:
    """One document's records. `keys_only` is a build's first pass, which needs only each record's keys:
    an API v2 study is read for them alone (`ctgov_v2.parse_keys`, no field warnings; one whose keys are
    unsound is read whole, to be rejected now), any other record whole but without the doses, cell
    products and thresholds read from its free text. A whole read rejects a record `keys_only` accepted
    only for a fault in another field: that reject has `after_keys` set (pass two reports it).

    This is the fault boundary of the build: an unexpected error while one record is read or parsed
    becomes that record's `internal-error` reject (with the traceback, a kg bug to report), and an
    error in the document's container (the JSON array, the zip member) ends that document only."""
    position = -1  # the last record given
    try:
        for item in _records_in_document(document, input_format, include_contacts, keys_only):
            position = (item.position if isinstance(item, Reject) else item.provenance.position) or 0
            yield item
    except Exception as error:  # noqa: BLE001 - the boundary: one document's fault, never the build's
        yield internal_error(document, error, position + 1, "reading the document; its later records are lost")


def internal_error(document: Document, error: BaseException, position: int | None, doing: str) -> Reject:
    detail = "".join(traceback.format_exception(error)).strip()
    message = f"kg failed while {doing}: {type(error).__name__}: {error}"[:2000]
    return document.reject("internal-error", message, position=position).with_detail(detail)


def _records_in_document(
    document: Document, input_format: str, include_contacts: bool, keys_only: bool
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
                continue
            keys_alone = _reads_keys_alone(item, input_format)
            read_keys = partial(
                _guarded, document, position, False, partial(_parse_keys, document, position, item), clean
            )
            if keys_only and keys_alone and isinstance(keys := read_keys(), TrialRecord):
                yield replace(keys, field_warnings=()) if keys.field_warnings else keys  # pass two reports them
                continue
            parse = partial(_parse_item, document, position, item, input_format)
            record = _guarded(document, position, not keys_only, parse, clean)
            if (
                isinstance(record, Reject)
                and keys_alone
                and not keys_only
                and isinstance(keys := read_keys(), TrialRecord)
            ):
                record = replace(record, nct_id=record.nct_id or keys.nct_id, after_keys=True)  # pass one took it
            yield record
    elif kind in ("xml", "page"):
        data = _read_whole(document)
        if isinstance(data, Reject):
            yield data
            return
        # A page's bytes may be Latin-1 or UTF-16: only XML's can be tested for clean text as they are.
        clean = kind == "xml" and values.is_clean_text(data)
        parse = partial(_parse_whole, document, kind, data, include_contacts)
        yield _guarded(document, 0, not keys_only, parse, clean)
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
        return add_thresholds(add_cell_products(add_doses(record))) if doses else record
    except Exception as error:  # noqa: BLE001 - the boundary: one record's fault, never the build's
        return internal_error(document, error, position, "parsing this record")


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


def _reads_keys_alone(item: object, input_format: str) -> bool:
    """An API v2 study (what `KEYS_ALONE_FORMATS` names): pass one reads its keys alone."""
    return input_format == ctgov_v2.FORMAT or (input_format == "auto" and ctgov_v2.recognizes(item))


def _parse_keys(document: Document, position: int, item: object) -> TrialRecord | Reject:
    try:
        return ctgov_v2.parse_keys(item, document.provenance(ctgov_v2.FORMAT, position))  # type: ignore[arg-type]
    except ParseError as error:
        return document.reject(error.reason, error.message, position=position, nct_id=error.nct_id)


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
