"""How a registry's reply may appear in a message: short, quoted, every control and bidi character escaped.

Separate because every part of the fetch quotes what a server sent, and no server may put a terminal
escape on the user's screen through any of them.
"""

from __future__ import annotations

import reprlib

_SHOWN = reprlib.Repr()
_SHOWN.maxstring, _SHOWN.maxother, _SHOWN.maxlevel = 120, 120, 2


def shown(value: object) -> str:
    """A reply's value as it may be printed: short, quoted, control and bidi characters escaped."""
    return _SHOWN.repr(value)


def printable(text: str, limit: int = 500) -> str:
    """`text` cut to `limit` characters, each non-printable one escaped (no terminal escapes reach stderr)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text[:limit])


def kind(value: object) -> str:
    """What a JSON value is, in words: 'a JSON list', 'a string', ..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a JSON list"
    return "a JSON object"
