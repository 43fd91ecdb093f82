"""Input sources: expand paths into documents, detect each document's format, yield records.

Every source format module turns raw input into `TrialRecord`s; problems with one record become
`Reject`s (counted and reported), never exceptions that stop the build.
"""

from __future__ import annotations

from collections.abc import Iterator

from kg.records import TrialRecord
from kg.sources import ctgov_v2
from kg.sources.documents import Document, Reject, iter_documents
from kg.sources.jsonfile import iter_json_items, looks_like_json

# Each item-level format: (name, recognizes(obj), parse(obj, position, document) -> TrialRecord)
JSON_ITEM_FORMATS = {
    ctgov_v2.FORMAT: ctgov_v2,
}
INPUT_FORMATS = ("auto", *JSON_ITEM_FORMATS)

__all__ = ["Document", "Reject", "INPUT_FORMATS", "iter_records", "iter_documents"]


def iter_records(paths: list[str], input_format: str = "auto") -> Iterator[TrialRecord | Reject]:
    """Stream records (or rejects) from files, directories and zips, in a stable order."""
    for document in iter_documents(paths):
        if isinstance(document, Reject):
            yield document
            continue
        yield from _records_in_document(document, input_format)


def _records_in_document(document: Document, input_format: str) -> Iterator[TrialRecord | Reject]:
    head = document.head()
    if input_format == "auto" and not looks_like_json(head):
        yield document.reject(
            "unknown-format",
            "not a format kg reads (expected ClinicalTrials.gov API v2 JSON: an object, array, "
            "paged response or JSON Lines)",
        )
        return
    for position, item in iter_json_items(document):
        if isinstance(item, Reject):
            yield item
            continue
        yield _parse_item(document, position, item, input_format)


def _parse_item(document: Document, position: int, item: object, input_format: str) -> TrialRecord | Reject:
    from kg.errors import ParseError

    module = JSON_ITEM_FORMATS.get(input_format) if input_format != "auto" else None
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
        return module.parse(item, document.provenance(module.FORMAT, position))
    except ParseError as error:
        return document.reject(error.reason, error.message, position=position, nct_id=error.nct_id)
