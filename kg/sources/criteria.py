"""Split an eligibility-criteria text into inclusion and exclusion items.

The registry's text is markdown-ish: headings like `Inclusion Criteria:`, bullets (`*`, `-`, `•`)
or numbers (`1.`, `2)`), nested bullets, and wrapped lines that continue the previous item.
"""

from __future__ import annotations

from kg import textpatterns

_HEADING = textpatterns.CRITERIA_HEADING
_EXCLUDES_BELOW = textpatterns.CRITERIA_EXCLUDES_BELOW
_ITEM_STARTS = "*-•·▪(\\0123456789"  # what an item (a stripped line) starts with, or a letter and `)`
_BULLETS = "*-•·▪"
_DIGITS = frozenset("0123456789")


def _item_text(line: str) -> str | None:
    """The text of a bulleted or numbered item (`* x`, `- x`, `\\- x`, `12. x`, `3) x`, `(a) x`, `b) x`),
    read by hand: a stripped line starts with its marker, then white space. None if it is not one."""
    if line[:1] in _BULLETS:
        rest = line[1:]
    elif line[:2] == "\\-":
        rest = line[2:]
    elif line[:1].isascii() and line[:1].isdigit():
        count = 1
        while count < 3 and line[count : count + 1].isascii() and line[count : count + 1].isdigit():
            count += 1
        if line[count : count + 1] not in (".", ")"):
            return None
        rest = line[count + 1 :]
    elif line[:1] == "(" and _is_letter(line[1:2]) and line[2:3] == ")":
        rest = line[3:]
    elif _is_letter(line[:1]) and line[1:2] == ")":
        rest = line[2:]
    else:
        return None
    if not rest[:1].isspace():
        return None
    return rest.lstrip()


def _is_letter(char: str) -> bool:
    return char.isascii() and char.isalpha()


def split_criteria(text: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(inclusion items, exclusion items); text before any heading counts as inclusion, and so do the
    sub-items of an inclusion item that says they are excluded ("Patients with any of the following
    conditions are excluded:" over indented items) count as exclusion."""
    if not text:
        return (), ()
    if not text.isascii():  # lone surrogates read as `?`, as the value checks write them
        text = text.encode("utf-8", "replace").decode("utf-8")
    sections: dict[str, list[str]] = {"inclusion": [], "exclusion": []}
    current = "inclusion"
    continuing = False
    excluded_below: int | None = None  # the indentation of an "… are excluded:" item whose sub-items exclude
    last: list[str] = sections[current]  # the list the last item went to (a wrapped line continues it)
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line:
            continuing = False
            continue
        heading = _HEADING.match(line) if "criteri" in line.lower() else None
        if heading and not _is_heading(line, heading[1], heading.end(3)):
            heading = None
        if heading:
            current = "exclusion" if heading[2][0] in "eE" else "inclusion"  # not lower(): `incluſion` matches
            rest = line.split(":", 1)[1].strip() if ":" in line else ""
            if rest:
                sections[current].append(_clean(rest))
            continuing = False
            excluded_below = None
            last = sections[current]
            continue
        item = _item_text(line) if line[:1] in _ITEM_STARTS or line[1:2] == ")" else None
        if item is not None:
            indent = len(raw_line) - len(raw_line.lstrip())
            if excluded_below is not None and indent <= excluded_below:
                excluded_below = None
            last = sections["exclusion" if excluded_below is not None else current]
            last.append(_clean(item))
            if current == "inclusion" and excluded_below is None and _EXCLUDES_BELOW.search(item):
                excluded_below = indent
            continuing = True
        elif continuing and last and not raw_line[:1].isalnum():
            last[-1] = f"{last[-1]} {_clean(line)}"
        else:
            excluded_below = None
            last = sections[current]
            last.append(_clean(line))
            continuing = True
    return tuple(i for i in sections["inclusion"] if i), tuple(i for i in sections["exclusion"] if i)


_QUALIFIERS = frozenset(
    "key main major general generic specific additional other common principal subject subjects patient patients"
    " participant participants study trial".split()
)
_NOT_NAMES = frozenset("and or not no of to meet meets meeting absence failure any all inclusion exclusion".split())
_SCOPE_STARTS = ("that apply", "which apply", "applicable to", "applying to", "common to")


def _is_heading(line: str, words_before: str, end: int) -> bool:
    """Whether a line that starts with "inclusion/exclusion criteria", perhaps after a few words, heads a
    section: "Exclusion Criteria:", "Key exclusion criteria", "Cohort B exclusion criteria:", "Exclusion
    Criteria: The person who meet any of the following …", "Generic exclusion criteria that apply to both
    patients with PSC and AIH". Not a sentence or a wrapped line that only names them ("exclusion criteria
    of that study at the time of entry", "Study exclusion criteria will be checked again", "Inclusion and
    Exclusion Criteria:", "Failure to meet inclusion criteria: any")."""
    rest = line[end:].lstrip()
    words = words_before.split()
    if not words:
        return len(line) < 60 or rest[:1] == ":"
    qualified = all(word.lower() in _QUALIFIERS for word in words)
    named = all((word[:1].isupper() or word[:1].isdigit()) and word.lower() not in _NOT_NAMES for word in words)
    if rest[:1] == ":" or not rest:  # "Subject Exclusion Criteria:", "Cohort B exclusion criteria:"
        return qualified or named
    return qualified and len(line) < 100 and rest.lower().startswith(_SCOPE_STARTS) and _DIGITS.isdisjoint(rest)


def _clean(text: str) -> str:
    if text[:1] == "." or text[:1].isspace():
        dots = textpatterns.CRITERIA_LEADING_DOTS.match(text)  # "1. . Age 18-70" leaves ". Age 18-70"
        text = text[dots.start(1) :] if dots else text
    text = " ".join(text.split())
    return textpatterns.CRITERIA_ESCAPE.sub(r"\1", text) if "\\" in text else text
