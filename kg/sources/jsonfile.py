"""JSON container shapes: one object, an array (the website download), a paged API response
(`{"studies": [...], "nextPageToken": ...}`) or JSON Lines. Arrays stream, an item at a time (`split_array`)."""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Protocol

from kg.errors import MemberTooLarge
from kg.sources.documents import MAX_TEXT_BYTES, Document, Reject
from kg.sources.values import is_clean_text


class _Readable(Protocol):
    def read(self, size: int = -1) -> bytes: ...


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


def iter_json_items(document: Document) -> Iterator[tuple[int, object | Reject, bool]]:
    """(position, item, clean) for every item of the document (clean: its text passed
    `values.is_clean_text`); a broken item or file yields a Reject."""
    try:
        head = document.head()
        if _first_char(head) == "[" and not head.startswith(_WIDE_BOMS):
            yield from _stream_array(document)
        else:
            yield from _whole_document_items(document)
    except MemberTooLarge as error:
        yield 0, document.reject("unreadable-file", f"zip member {error}; refused"), False
    except OSError as error:
        yield 0, document.reject("unreadable-file", f"cannot read: {error}"), False


def _stream_array(document: Document) -> Iterator[tuple[int, object | Reject, bool]]:
    """Each item of a top-level array, parsed on its own: a broken item costs that item only."""
    position = 0
    with document.open() as stream:
        for item in array_items(_SkipBom(stream)):
            if isinstance(item, ArrayEnd):
                if item.problem:
                    yield position, document.reject("malformed-json", item.problem, position=position), False
                return
            if isinstance(item, BadItem):
                problem = item.problem
                if item.truncated:
                    problem = f"the file ends inside array item {position + 1}, after {position} record(s) (truncated?)"
                yield position, document.reject(item.reason, problem, position=position), False
                if item.truncated:
                    return
            else:
                yield position, item.value, item.clean
            position += 1


MAX_ITEM_CHARS = MAX_TEXT_BYTES
MAX_INT_DIGITS = 30
_READ_BYTES = 1 << 18
_SCAN_OUTSIDE_STRING = re.compile(r'[\[\]{},"]')
_WHITESPACE = " \t\n\r"


@dataclass(frozen=True)
class Item:
    value: object
    clean: bool  # its text passed `values.is_clean_text`


@dataclass(frozen=True)
class BadItem:
    reason: str
    problem: str
    truncated: bool = False  # the file ends inside this item


@dataclass(frozen=True)
class ArrayEnd:
    problem: str | None = None  # why the array ended before its closing bracket


class _TextBuffer:
    """Decoded text of a byte stream, read 256 KiB at a time; bytes that are not UTF-8 become lone
    surrogates, which the value checks replace and report."""

    def __init__(self, stream: _Readable) -> None:
        self._stream = stream
        self._decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
        self.text, self.eof = "", False

    def more(self, size: int = _READ_BYTES) -> bool:
        if self.eof:
            return False
        chunk = self._stream.read(max(size, _READ_BYTES))
        self.text += self._decoder.decode(chunk, final=not chunk)
        self.eof = not chunk
        return True

    def drop_before(self, pos: int) -> int:
        """Forget text before `pos` (once it is large), returning `pos` in the kept text."""
        if pos < _READ_BYTES:
            return pos
        self.text = self.text[pos:]
        return 0


def array_items(stream: _Readable) -> Iterator[Item | BadItem | ArrayEnd]:
    """The items of a top-level JSON array, each parsed at C speed by `raw_decode`. An item that does
    not parse (a broken string, bad syntax, nesting past the recursion limit) is skipped to the next
    comma at the array's level by a scanner that tracks only brackets and strings, so it costs that
    item, not the rest of the file. Ends with an `ArrayEnd`."""
    buffer, decoder = _TextBuffer(stream), json.JSONDecoder(parse_int=_bounded_int)
    pos = _skip_whitespace(buffer, 0)
    if pos >= len(buffer.text) or buffer.text[pos] != "[":
        yield ArrayEnd("not a JSON array")
        return
    pos += 1
    while True:
        pos = buffer.drop_before(_skip_whitespace(buffer, pos))
        if pos >= len(buffer.text):
            yield ArrayEnd("the file ends before the array closes, between two items (truncated?)")
            return
        if buffer.text[pos] == "]":
            yield ArrayEnd()
            return
        if buffer.text[pos] == ",":
            pos += 1
            continue
        item, end = _decode_item(buffer, decoder, pos)
        yield item if isinstance(item, BadItem) else Item(item, is_clean_text(buffer.text[pos:end]))
        pos = end


def _decode_item(buffer: _TextBuffer, decoder: json.JSONDecoder, pos: int) -> tuple[object, int]:
    want = _READ_BYTES
    while True:
        try:
            item, end = decoder.raw_decode(buffer.text, pos)
        except RecursionError:
            return _skip_item(buffer, pos, "nested too deeply")
        except json.JSONDecodeError as error:
            if _needs_more(buffer, error, pos) and len(buffer.text) - pos <= MAX_ITEM_CHARS and buffer.more(want):
                want *= 2
                continue
            return _skip_item(buffer, pos, str(error).replace(f"char {error.pos}", f"char {error.pos - pos}"))
        if end >= len(buffer.text) and not buffer.eof and buffer.more(want):
            continue  # a number may go on in the next chunk
        return item, end


def _needs_more(buffer: _TextBuffer, error: json.JSONDecodeError, pos: int) -> bool:
    if buffer.eof:
        return False
    if error.pos >= len(buffer.text) - 1:
        return True
    return error.msg.startswith("Unterminated string") and buffer.text.find('"', error.pos + 1) < 0


def _skip_item(buffer: _TextBuffer, pos: int, problem: str) -> tuple[BadItem, int]:
    """Past the item at `pos`: to the comma or bracket that ends it at the array's level."""
    depth, in_string, start = 0, False, pos
    scanned = 0
    while True:
        text = buffer.text
        if in_string:
            end = _closing_quote(text, pos)
            if end >= 0:
                in_string, pos = False, end + 1
                continue
        else:
            match = _SCAN_OUTSIDE_STRING.search(text, pos)
            if match is not None:
                char, pos = match.group(), match.end()
                if char == '"':
                    in_string = True
                elif char in "[{":
                    depth += 1
                elif depth == 0 and char in ",]}":
                    reason = "too-large" if scanned + pos - start > MAX_ITEM_CHARS else "malformed-json"
                    return BadItem(
                        reason, f"malformed JSON array item: {problem}; the items after it are read"
                    ), pos - 1
                elif char in "]}":
                    depth -= 1
                continue
        if not buffer.more():
            return BadItem("malformed-json", f"malformed JSON array item: {problem}", truncated=True), len(text)
        keep = min(pos, len(text))
        scanned += keep - start
        buffer.text = buffer.text[keep:]  # the item is refused: its text is not needed
        pos, start = pos - keep, 0


def _skip_whitespace(buffer: _TextBuffer, pos: int) -> int:
    while True:
        text = buffer.text
        while pos < len(text) and text[pos] in _WHITESPACE:
            pos += 1
        if pos < len(text) or not buffer.more():
            return pos


def _closing_quote(text: str, pos: int) -> int:
    """The index of the quote that closes the string open at `pos`, or -1 if it is not in `text`."""
    while True:
        end = text.find('"', pos)
        if end < 0:
            return -1
        backslashes = 0
        while end - backslashes - 1 >= 0 and text[end - backslashes - 1] == "\\":
            backslashes += 1
        if backslashes % 2 == 0:
            return end
        pos = end + 1


def _bounded_int(text: str) -> int | str:
    """JSON integers over MAX_INT_DIGITS digits stay text: Python refuses to convert over 4,300
    digits, and no registry number is that long; the value checks report the digits as written."""
    return int(text) if len(text) <= MAX_INT_DIGITS else text


def loads(data: bytes | str) -> object:
    """json.loads with integer digits bounded before conversion (NaN and Infinity are read as floats
    and reported by the value checks)."""
    return json.loads(data, parse_int=_bounded_int)


def _whole_document_items(document: Document) -> Iterator[tuple[int, object | Reject, bool]]:
    with document.open() as stream:
        data = stream.read(MAX_TEXT_BYTES + 1)
    if len(data) > MAX_TEXT_BYTES:
        limit = MAX_TEXT_BYTES // (1024 * 1024)
        message = f"a JSON object or JSON Lines file over {limit} MiB (arrays stream; this does not)"
        yield 0, document.reject("too-large", message), False
        return
    if not data.strip():
        yield 0, document.reject("malformed-json", "empty file"), False
        return
    try:
        parsed = loads(data)
    except json.JSONDecodeError as error:
        if error.msg == "Extra data" or _looks_like_json_lines(data):
            yield from _json_lines(document, data)
            return
        yield 0, document.reject("malformed-json", f"malformed JSON: {error}"), False
        return
    except RecursionError:
        yield 0, document.reject("malformed-json", "malformed JSON: nested too deeply"), False
        return
    except UnicodeDecodeError as error:
        yield 0, document.reject("malformed-json", f"not UTF-8/16/32 text: {error}"), False
        return
    except ValueError as error:
        yield 0, document.reject("malformed-json", f"malformed JSON: {error}"), False
        return
    clean = is_clean_text(data)
    if isinstance(parsed, dict) and isinstance(parsed.get("studies"), list):
        parsed = parsed["studies"]
    if isinstance(parsed, list):
        for position, item in enumerate(parsed):
            yield position, item, clean
    else:
        yield 0, parsed, clean


def _looks_like_json_lines(data: bytes) -> bool:
    """Several lines that each start an object at the left margin and end one: JSON Lines, even when
    the first line is broken (a pretty-printed object indents its inner lines)."""
    starts = whole = 0
    for line in data.splitlines()[:1000]:
        if line.startswith(b"{"):
            starts += 1
            whole += line.rstrip().endswith(b"}")
    return starts >= 2 and whole >= 1


def _json_lines(document: Document, data: bytes) -> Iterator[tuple[int, object | Reject, bool]]:
    position = 0
    for line in data.splitlines():
        if not line.strip():
            continue
        try:
            yield position, loads(line), is_clean_text(line)
        except (ValueError, RecursionError) as error:  # JSONDecodeError and UnicodeDecodeError too
            message = f"malformed JSON line: {error}"
            yield position, document.reject("malformed-json", message, position=position), False
        position += 1


class _SkipBom:
    """A byte stream minus a leading UTF-8 byte-order mark (JSON parsers reject it)."""

    def __init__(self, stream: IO[bytes] | _Readable) -> None:
        self._stream, self._started = stream, False

    def read(self, size: int = -1) -> bytes:
        chunk = self._stream.read(size)
        if not self._started and chunk:
            self._started = True
            if chunk.startswith(codecs.BOM_UTF8):
                chunk = chunk[len(codecs.BOM_UTF8) :]
        return chunk
