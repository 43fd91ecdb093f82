"""Reading a SPARQL query the way each engine will, and refusing what must not run.

Updates, `SERVICE`, `LOAD` and `FROM`/`FROM NAMED` (which would make an engine contact a URL) are refused
before anything runs. The check reads the query the way each engine will: Oxigraph reads the text as it
is, while the SPARQL grammar (and rdflib) first turns `\\u`/`\\U` escapes into characters, so a comment
can end, or a string begin, in one reading and not in the other. The query is scanned in both readings
(strings, comments and IRIs skipped as each engine skips them), and refused when a forbidden keyword is
a token in either. Oxigraph matches keywords without a word boundary (`SERVICE<u>{…}`, `ASKFROM<u>`),
so a keyword glued to what follows counts too, and brackets nested too deep for the engines' parsers are
refused. The scan is linear and needs no parser; `kg serve` runs it in the query's own child process,
inside its time limit, and every query runs in a child process whose network is cut off (see
`kg.query.sandbox`): the second wall. Separate from `kg.query.prepare` so this first wall reads (and is
reviewed) on its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kg.errors import QueryRefused, QueryTooComplex

# Brackets nested deeper than this are refused: Oxigraph's recursive parser overflows its stack (a
# segfault) near 5,000 nested parentheses and needs seconds for 100 nested `[ … ]`; rdflib's fails with
# a RecursionError from about 25 nested parentheses. Real queries nest a dozen levels at most.
MAX_NESTING = 100


def refuse_unsafe(text: str) -> str:
    """Raise if the query updates, fetches or nests too deeply in either reading; else its form
    (SELECT | ASK | CONSTRUCT | DESCRIBE). Linear in the query's length; syntax errors are left to the engine."""
    raw = _scan(text)
    _refuse(raw, text, "")
    expanded_text = expand_escapes(text)
    if expanded_text != text:
        _refuse(_scan(expanded_text), expanded_text, ", once \\u escapes are read as the SPARQL grammar reads them")
    return raw.form()


# --- Reading a query the way the engines read it -------------------------------------------------------
#
# Terminals follow the SPARQL 1.1 grammar as Oxigraph's parser implements it. What matters is where
# strings, comments and IRIs begin and end (their insides are never code), and where a keyword can begin:
# Oxigraph's parser is a PEG over characters whose keywords need no boundary after them, so `SERVICE`,
# `FROM` or `LOAD` can be glued to the IRI or prefixed name that follows (`SERVICEex:e{…}`), to `SILENT`
# or `NAMED`, or come right after `true`, `false`, a number, `ASK`, `CONSTRUCT`…; and a prefixed name's
# local part ends before a second `.`-group (`ex:a.b.SERVICE` is `ex:a.b` `.` `SERVICE`).

_PN_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d\u2070-\u218f"
    "\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_PN_U = _PN_BASE + "_"
_PN = _PN_U + "\\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_ESCAPE = r"\\[tbnrf\"'\\]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"
_TOKENS = [
    ("space", re.compile(r"[ \t\n\r]+")),
    ("comment", re.compile(r"#[^\r\n]*")),
    # The long forms first, as in the grammar: an unclosed `"""` is read as `""` and a new string.
    ("string", re.compile(rf"\"\"\"(?:(?:\"\"|\")?(?:[^\"\\]|{_ESCAPE}))*\"\"\"")),
    ("string", re.compile(rf"'''(?:(?:''|')?(?:[^'\\]|{_ESCAPE}))*'''")),
    ("string", re.compile(rf"\"(?:[^\"\\\n\r]|{_ESCAPE})*\"")),
    ("string", re.compile(rf"'(?:[^'\\\n\r]|{_ESCAPE})*'")),
    ("var", re.compile(rf"[?$][{_PN_U}0-9][{_PN_U}0-9\u00b7\u0300-\u036f\u203f-\u2040]*")),
    ("bnode", re.compile(rf"_:[{_PN_U}0-9][{_PN}.]*")),
    ("langtag", re.compile(r"@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*")),
    (
        "number",
        re.compile(r"[0-9]+\.[0-9]*[eE][+-]?[0-9]+|[0-9]*\.[0-9]+(?:[eE][+-]?[0-9]+)?|[0-9]+(?:[eE][+-]?[0-9]+)?"),
    ),
    ("word", re.compile(rf"[{_PN_U}:](?:[{_PN}.:]|{_PLX})*")),
]
_IRIREF = re.compile(r"<(?:[^\x00-\x20<>\"{}|^`\\]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>")
_UCHAR = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_OPERANDS = ("var", "bnode", "langtag", "number", "string", "iri", "word", ")", "]", "}")
_MAX_READINGS = 8

# A keyword that makes an engine contact a URL, and the keyword that may sit between it and the URL.
_FETCHING = {"service": "silent", "from": "named", "load": "silent"}
_UPDATES = ("insert", "delete", "load", "clear", "drop", "create", "add", "move", "copy")
# Keywords after which Oxigraph may start another keyword with nothing in between.
_GLUE = ("true", "false", "ltr", "rtl", "ask", "construct", "describe", "select", "distinct", "reduced")
_FORMS = ("select", "ask", "construct", "describe")


def expand_escapes(text: str) -> str:
    """The text with `\\uXXXX` and `\\UXXXXXXXX` turned into characters, as the SPARQL grammar reads it."""

    def character(match: re.Match[str]) -> str:
        code = int(match.group(1) or match.group(2), 16)
        return chr(code) if code <= 0x10FFFF else match.group(0)

    return _UCHAR.sub(character, text)


@dataclass
class _Context:
    """One way of having read the text so far: its open brackets and whether a value came last. The
    token stream is shared; readings differ only in whether an ambiguous `<…>` was an IRI."""

    stack: list[str]
    after_value: bool = False
    values_next: bool = False  # `VALUES` seen: the next `{` holds data, never expressions

    def key(self) -> tuple[object, ...]:
        return (tuple(self.stack), self.after_value, self.values_next)


@dataclass
class _Scan:
    words: list[tuple[str, int]] = field(default_factory=list)
    problem: tuple[str, int] | None = None

    def form(self) -> str:
        for word, _ in self.words:
            lower = word.lower()
            if lower.startswith(("prefix", "base")) or word.endswith(":"):
                continue
            return next((f.upper() for f in _FORMS if lower.startswith(f)), "SELECT")
        return "SELECT"

    def declared_prefixes(self) -> set[str]:
        declared = set()
        for word, _ in self.words:
            if word.endswith(":"):
                declared.add(word)
                if word.lower().startswith("prefix"):
                    declared.add(word[len("prefix") :])
        return declared


def _scan(text: str) -> _Scan:
    """The words of a query outside strings, comments and IRIs, in every way Oxigraph may read it."""
    scan = _Scan()
    contexts = [_Context([])]
    pending: list[tuple[int, _Context]] = []  # readings inside a comment until the end of a line
    pos, end = 0, len(text)
    while pos < end and scan.problem is None:
        if pending and pos >= pending[0][0]:
            contexts = _merge(contexts + [c for _, c in pending])
            pending = []
        kind, token = _token(text, pos)
        if kind == "string" and pending and pos < pending[0][0] < pos + len(token):
            scan.problem = ("ambiguous", pos)  # one reading is in a string where another left a comment
            break
        if kind == "<":
            iri = _IRIREF.match(text, pos)
            ambiguous = [c for c in contexts if c.after_value and c.stack[-1:] == ["("]] if iri else []
            if iri and ambiguous:
                contexts, comment_until = _both_readings(text, pos, iri.group(0), contexts, ambiguous, scan)
                if comment_until is not None:  # every pending reading resumes at the end of this line
                    pending += [(comment_until, c) for c in ambiguous]
                pos += len(iri.group(0))
                continue
            if iri:
                kind, token = "iri", iri.group(0)
        if kind == "word":
            token = token.rstrip(".")  # a name never ends with a dot: that dot ends a triple
            scan.words.append((token, pos))
        for context in contexts:
            _advance(context, kind, token)
            if len(context.stack) > MAX_NESTING:
                scan.problem = ("nesting", pos)
        if len(contexts) > 1:
            contexts = _merge(contexts)
            if len(contexts) > _MAX_READINGS:
                scan.problem = ("ambiguous", pos)
        pos += len(token)
    return scan


def _token(text: str, pos: int) -> tuple[str, str]:
    for kind, pattern in _TOKENS:
        match = pattern.match(text, pos)
        if match:
            return kind, match.group(0)
    return text[pos], text[pos]  # punctuation; an unclosed quote is punctuation too, and what follows is code


def _advance(context: _Context, kind: str, token: str) -> None:
    if kind == "word" and token.lower() == "values":
        context.values_next = True
    elif kind == "(":
        in_data = context.values_next or context.stack[-1:] in (["v"], ["d"])
        context.stack.append("d" if in_data else "(")
    elif kind == "{":
        context.stack.append("v" if context.values_next else "{")
        context.values_next = False
    elif kind == "[":
        context.stack.append("[")
    elif kind in (")", "}", "]") and context.stack:
        context.stack.pop()
    if kind not in ("space", "comment"):
        context.after_value = kind in _OPERANDS


def _merge(contexts: list[_Context]) -> list[_Context]:
    seen: dict[tuple[object, ...], _Context] = {}
    for context in contexts:
        seen.setdefault(context.key(), context)
    return list(seen.values())


def _both_readings(
    text: str, pos: int, iri: str, contexts: list[_Context], ambiguous: list[_Context], scan: _Scan
) -> tuple[list[_Context], int | None]:
    """`<…>` right after a value inside parentheses: an IRI (in a list) or `<` comparing (in an
    expression), as Oxigraph decides from the grammar. Both readings are followed: the words inside
    count, and the comparing reading goes on from the closing `>`, or from the end of the line when
    a `#` inside starts a comment. A quote or bracket inside would make the readings part ways: refused."""
    inside = iri[1:-1]
    if any(c in inside for c in "'()[]"):
        scan.problem = ("ambiguous", pos)
        return contexts, None
    code, hash_sign, _ = inside.partition("#")
    offset, after_value = 0, False
    while offset < len(code):
        kind, token = _token(code, offset)
        if kind == "word":
            scan.words.append((token.rstrip("."), pos + 1 + offset))
        if kind not in ("space", "comment"):
            after_value = kind in _OPERANDS
        offset += len(token)
    as_iri = [_Context(list(c.stack), True, c.values_next) for c in contexts]
    if hash_sign:
        line_end = min((i for i in (text.find("\n", pos), text.find("\r", pos)) if i >= 0), default=len(text))
        for context in ambiguous:
            context.after_value = after_value
        return _merge(as_iri), line_end
    comparing = [_Context(list(c.stack), False, c.values_next) for c in ambiguous]
    return _merge(as_iri + comparing), None


def _refuse(scan: _Scan, text: str, reading: str) -> None:
    if scan.problem:
        what, pos = scan.problem
        where = _where(text, pos)
        if what == "nesting":
            raise QueryTooComplex(
                f"the query nests brackets more than {MAX_NESTING} deep ({where}{reading}), past what the engines' "
                "parsers can take"
            )
        raise QueryRefused(
            f"kg cannot tell whether the `<` at {where}{reading} starts an IRI or compares two values, so it "
            "cannot check the query; write comparisons with spaces (`?a < ?b`) or use a prefixed name"
        )
    declared = scan.declared_prefixes()
    longest = max((len(p) for p in declared), default=0) + 16
    for word, pos in scan.words:
        found = _forbidden(word, declared, longest)
        if found is None:
            continue
        where = _where(text, pos)
        if found == "service":
            raise QueryRefused(f"SERVICE is refused ({where}{reading}): kg never fetches from other endpoints")
        if found == "from":
            raise QueryRefused(f"FROM / FROM NAMED are refused ({where}{reading}): kg never loads graphs from URLs")
        raise QueryRefused(f"SPARQL updates are refused ({where}{reading}): kg's SPARQL side is read-only")


def _forbidden(word: str, declared: set[str], longest: int) -> str | None:
    """The forbidden keyword a word may start (in the ways Oxigraph may split it), or None."""
    if "service" in word.partition(":")[0].lower():
        # Oxigraph reads keywords glued to what comes before them (`a1SERVICE` is `a`, `1`, `SERVICE`):
        # rather than follow every way it may split a word, any word with SERVICE before its colon is
        # refused (a prefix named like `myservice:` with it; variables and local names are not words).
        return "service"
    starts = [0] + [i + 1 for i, c in enumerate(word) if c == "."]
    for start in starts:
        window = word[start : start + longest + 24]
        head, colon, _ = window.partition(":")
        lower = head.lower()
        for glued in _glued_starts(lower):
            rest = lower[glued:]
            for keyword, between in _FETCHING.items():
                if not rest.startswith(keyword):
                    continue
                after = head[glued + len(keyword) :]
                targets = [after, after[len(between) :]] if after.lower().startswith(between) else [after]
                # No colon: the keyword stands alone. A colon: it fetches the prefixed name that follows.
                if not colon or any(t + ":" in declared for t in targets):
                    return keyword
            if not colon and rest.startswith(_UPDATES):
                return "update"
    return None


def _glued_starts(lower: str) -> list[int]:
    starts, frontier = [0], [0]
    for _ in range(4):
        frontier = [i + len(g) for i in frontier for g in _GLUE if lower.startswith(g, i)]
        starts += frontier
    return starts


def _where(text: str, pos: int) -> str:
    line = text.count("\n", 0, pos) + 1
    return f"line {line}, column {pos - text.rfind(chr(10), 0, pos)}"
