"""Split an eligibility-criteria text into inclusion and exclusion items.

The registry's text is markdown-ish: headings like `Inclusion Criteria:`, bullets (`*`, `-`, `•`)
or numbers (`1.`, `2)`), nested bullets, and wrapped lines that continue the previous item.
"""

from __future__ import annotations

import re

_HEADING = re.compile(r"^\W*(key\s+)?(inclusion|exclusion)\s+criteri(a|on)\b", re.IGNORECASE)
_ITEM = re.compile(r"^\s*(?:[*\-•·▪]|\d{1,3}[.)]|\(?[a-z]\)|\\-)\s+(.*)$", re.IGNORECASE)


def split_criteria(text: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(inclusion items, exclusion items); text before any heading counts as inclusion."""
    if not text:
        return (), ()
    sections: dict[str, list[str]] = {"inclusion": [], "exclusion": []}
    current = "inclusion"
    continuing = False
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line:
            continuing = False
            continue
        heading = _HEADING.match(line)
        if heading and len(line) < 60:
            current = heading.group(2).lower()
            rest = line.split(":", 1)[1].strip() if ":" in line else ""
            if rest:
                sections[current].append(_clean(rest))
            continuing = False
            continue
        item = _ITEM.match(line)
        items = sections[current]
        if item:
            items.append(_clean(item.group(1)))
            continuing = True
        elif continuing and items and not raw_line[:1].isalnum():
            items[-1] = f"{items[-1]} {_clean(line)}"
        else:
            items.append(_clean(line))
            continuing = True
    return tuple(i for i in sections["inclusion"] if i), tuple(i for i in sections["exclusion"] if i)


def _clean(text: str) -> str:
    text = re.sub(r"^[.\s]+(?=\w)", "", text)  # "1. . Age 18-70" leaves ". Age 18-70"
    return re.sub(r"\\([\\`*_{}\[\]()#+\-.!<>^])", r"\1", " ".join(text.split()))
