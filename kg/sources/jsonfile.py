"""JSON container shapes: one object, an array (the website download), a paged API response
(`{"studies": [...], "nextPageToken": ...}`) or JSON Lines. Arrays stream through ijson."""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from typing import IO

import ijson

from kg.sources.documents import MAX_TEXT_BYTES, Document, MemberTooLarge, Reject

_WIDE_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_BOMS = (codecs.BOM_UTF8, *_WIDE_BOMS)


def _first_char(head: bytes) -> str:
    for bom in _BOMS:
        if head.startswith(bom):
            encoding = {codecs.BOM_UTF8: "utf-8-sig"}.get(bom, "utf-16" if len(bom) == 2 else "utf-32")
            text = head.decode(encoding, errors="ignore")
            return text.lstrip()[:1]
    return head.decode("utf-8", errors="ignore").lstrip()[:1]


def looks_like_json(head: bytes) -> bool:
    return _first_char(head) in ("{", "[")


def iter_json_items(document: Document) -> Iterator[tuple[int, object | Reject]]:
    """(position, item) for every item of the document; a broken item or file yields a Reject."""
    try:
        head = document.head()
        if _first_char(head) == "[" and not head.startswith(_WIDE_BOMS):
            yield from _stream_array(document)
        else:
            yield from _whole_document_items(document)
    except MemberTooLarge as error:
        yield 0, document.reject("unreadable-file", f"zip member {error}; refused")
    except OSError as error:
        yield 0, document.reject("unreadable-file", f"cannot read: {error}")


def _stream_array(document: Document) -> Iterator[tuple[int, object | Reject]]:
    position = 0
    with document.open() as stream:
        try:
            for item in ijson.items(_SkipBom(stream), "item", use_float=True):
                yield position, item
                position += 1
        except (ijson.JSONError, ValueError, RecursionError) as error:
            yield (
                position,
                document.reject(
                    "malformed-json",
                    f"malformed JSON array after {position} record(s): {error}; the rest of the file is unread",
                    position=position,
                ),
            )


def _whole_document_items(document: Document) -> Iterator[tuple[int, object | Reject]]:
    with document.open() as stream:
        data = stream.read(MAX_TEXT_BYTES + 1)
    if len(data) > MAX_TEXT_BYTES:
        limit = MAX_TEXT_BYTES // (1024 * 1024)
        yield (
            0,
            document.reject(
                "too-large", f"a JSON object or JSON Lines file over {limit} MiB (arrays stream; this does not)"
            ),
        )
        return
    if not data.strip():
        yield 0, document.reject("malformed-json", "empty file")
        return
    try:
        parsed = json.loads(data)
    except json.JSONDecodeError as error:
        if error.msg == "Extra data":
            yield from _json_lines(document, data)
            return
        yield 0, document.reject("malformed-json", f"malformed JSON: {error}")
        return
    except RecursionError:
        yield 0, document.reject("malformed-json", "malformed JSON: nested too deeply")
        return
    except UnicodeDecodeError as error:
        yield 0, document.reject("malformed-json", f"not UTF-8/16/32 text: {error}")
        return
    if isinstance(parsed, dict) and isinstance(parsed.get("studies"), list):
        yield from enumerate(parsed["studies"])
    elif isinstance(parsed, list):
        yield from enumerate(parsed)
    else:
        yield 0, parsed


def _json_lines(document: Document, data: bytes) -> Iterator[tuple[int, object | Reject]]:
    position = 0
    for line in data.splitlines():
        if not line.strip():
            continue
        try:
            yield position, json.loads(line)
        except (json.JSONDecodeError, RecursionError, UnicodeDecodeError) as error:
            yield position, document.reject("malformed-json", f"malformed JSON line: {error}", position=position)
        position += 1


class _SkipBom:
    """A byte stream minus a leading UTF-8 byte-order mark (ijson rejects it)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream, self._started = stream, False

    def read(self, size: int = -1) -> bytes:
        chunk = self._stream.read(size)
        if not self._started and chunk:  # ijson first reads 0 bytes to tell bytes from text
            self._started = True
            if chunk.startswith(codecs.BOM_UTF8):
                chunk = chunk[len(codecs.BOM_UTF8) :]
        return chunk
