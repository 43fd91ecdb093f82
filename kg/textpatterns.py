"""Every regular expression kg applies to source text, in one place, each compiled with RE2.

Record fields, registry pages, XML text, eligibility criteria, doses, schedules, display strings and
ages are written by registrants and copied by mirrors: any of them can be long and strange. RE2
(`google-re2`) runs in time linear in the text by construction (no backtracking), so no text can make
a pattern run for minutes, as Python's `re` did on a 49 KB run of digits in an arm description.

Each pattern is registered by `pattern(name, regex)`, which compiles it and records it in `PATTERNS`.
A test times every registered pattern on adversarial text of 100 kB and 1 MB, and another checks that
no other module imports `re` (except the few it lists, whose regexes see queries, shapes and kg's own
output, never source text). A new pattern belongs here, registered, so that it is checked too. The
runs of a character class in titles, names and display values, looked for on every record, need no
regex at all: `word_runs`, `lower_alnum_runs` and `upper_alnum_runs` find them with byte tables.

RE2 differs from `re` in ways these patterns account for:

- `\\d` is ASCII `[0-9]` (what we want: `float` and `int` read only those digits here);
- `\\s`, `\\w` and `\\b` are ASCII-only, so patterns use `SPACE`, `WORD`, `START_OF_WORD` and
  `END_OF_WORD` below, which match exactly what Python's Unicode `\\s`, `\\w` and `\\b` do;
- `$` without `(?m)` matches only at the end of the text (not before a final newline);
- there is no lookahead, lookbehind or backreference: a lookahead becomes a consumed character
  outside the group the caller reads, a lookbehind a consumed character before it (or the caller
  checks the character itself);
- flags are written inline: `(?i)`, `(?s)`, `(?m)`, `(?-i:...)`. Case-insensitive matching folds
  Unicode case (`ſ` matches `s`, the Kelvin sign `k`), so callers never look a matched word up by its
  `lower()` unchecked; unlike `re`, it does not take the Turkish `ı` and `İ` for `i`.

The registered patterns have `re`'s API: `search`, `match`, `fullmatch`, `finditer`, `findall`, `split`
and `sub` (a `\\1` template or a function), on `str` or UTF-8 `bytes`. RE2's match objects take group
names in `group()` and `[]` only (and look each name up slowly): `start`, `end` and `span` take numbers,
which `groupindex` gives.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import re2

Match = Any  # RE2's match object (the package ships no type information)
Text = Any  # str or bytes, as with `re`


class TextPattern:
    """One registered pattern, compiled with RE2.

    RE2 reads UTF-8. Text holding lone surrogates (a JSON `\\ud800`, undecodable bytes kept by
    `surrogateescape`) has none: it is matched with each surrogate read as `?`, offsets unchanged (as
    `sources.values` writes it later). On ASCII text every method runs on its bytes, whose offsets are its
    characters': RE2's Python wrapper otherwise re-encodes the text and converts each group's byte offsets
    to character offsets on every call, 40 % of the eligibility reader's time (same results; see
    `_ascii_matching_works`)."""

    __slots__ = ("name", "regex", "groupindex", "_compiled")

    def __init__(self, name: str, regex: str, max_mem: int | None = None) -> None:
        self.name = name
        self.regex = regex
        if max_mem is None:
            self._compiled = re2.compile(regex)
        else:  # a large alternation: RE2's default 8 MiB budget leaves its DFA too small, and it falls back slowly
            options = re2.Options()
            options.max_mem = max_mem
            self._compiled = re2.compile(regex, options)
        self.groupindex: dict[str, int] = dict(self._compiled.groupindex)

    def __repr__(self) -> str:
        return f"TextPattern({self.name!r}, {self.regex!r})"

    def search(self, text: Text, pos: int | None = None, endpos: int | None = None) -> Match | None:
        if _ASCII_MATCHING and isinstance(text, str) and text.isascii():
            return self._ascii_match(_UNANCHORED, text, pos, endpos)
        return self._compiled.search(_utf8(text), pos, endpos)

    def match(self, text: Text, pos: int | None = None, endpos: int | None = None) -> Match | None:
        if _ASCII_MATCHING and isinstance(text, str) and text.isascii():
            return self._ascii_match(_ANCHOR_START, text, pos, endpos)
        return self._compiled.match(_utf8(text), pos, endpos)

    def fullmatch(self, text: Text, pos: int | None = None, endpos: int | None = None) -> Match | None:
        if _ASCII_MATCHING and isinstance(text, str) and text.isascii():
            return self._ascii_match(_ANCHOR_BOTH, text, pos, endpos)
        return self._compiled.fullmatch(_utf8(text), pos, endpos)

    def finditer(self, text: Text, pos: int | None = None, endpos: int | None = None) -> Iterator[Match]:
        if _ASCII_MATCHING and isinstance(text, str) and text.isascii():
            return self._ascii_finditer(text, pos, endpos)
        return self._compiled.finditer(_utf8(text), pos, endpos)  # type: ignore[no-any-return]

    def _ascii_match(self, anchor: Any, text: str, pos: int | None, endpos: int | None) -> Match | None:
        """The wrapper's match, run on the bytes of ASCII `text` (byte offsets are character offsets)."""
        start, end = _bounds(text, pos, endpos)
        if start > end:
            return None
        spans = self._compiled._regexp.Match(anchor, text.encode("ascii"), start, end)
        return None if spans[0] == _NULL_SPAN else re2._Match(self._compiled, text, start, end, spans)

    def _ascii_finditer(self, text: str, pos: int | None, endpos: int | None) -> Iterator[Match]:
        start, end = _bounds(text, pos, endpos)
        if start > end:
            return
        encoded, regexp = text.encode("ascii"), self._compiled._regexp
        while True:
            spans = regexp.Match(_UNANCHORED, encoded, start, end)
            if spans[0] == _NULL_SPAN:
                return
            yield re2._Match(self._compiled, text, start, end, spans)
            if start == end:
                return
            start = start + 1 if start == spans[0][1] else spans[0][1]  # past an empty match, as `re` does

    def findall(self, text: Text) -> list[Any]:
        if isinstance(text, str) and text.isascii():
            return [_decoded(item) for item in self._compiled.findall(text.encode("ascii"))]
        return self._compiled.findall(_utf8(text))  # type: ignore[no-any-return]

    def split(self, text: Text, maxsplit: int = 0) -> list[Any]:
        if isinstance(text, str) and text.isascii():
            return [_decoded(item) for item in self._compiled.split(text.encode("ascii"), maxsplit)]
        return self._compiled.split(_utf8(text), maxsplit)  # type: ignore[no-any-return]

    def sub(self, repl: str | bytes | Callable[[Match], Any], text: Text, count: int = 0) -> Any:
        if isinstance(text, str) and isinstance(repl, str) and text.isascii() and repl.isascii():
            return self._compiled.sub(repl.encode("ascii"), text.encode("ascii"), count).decode("ascii")
        return self._compiled.sub(repl, _utf8(text), count)


def _bounds(text: str, pos: int | None, endpos: int | None) -> tuple[int, int]:
    """`pos` and `endpos` clamped to the text, as `re` and the wrapper clamp them."""
    start = 0 if pos is None else max(0, min(pos, len(text)))
    return start, len(text) if endpos is None else max(0, min(endpos, len(text)))


def _ascii_matching_works() -> bool:
    """The ASCII path uses the wrapper's private parts (`_regexp.Match`, `_Match`): it is used only if they
    exist and give the wrapper's own answers, spans, groups and empty-match steps included."""

    def answer(found: Any) -> Any:
        return None if found is None else (found.span(), found.groups(), found.lastindex)

    try:
        probe = TextPattern("probe", r"(a+)|(b)?(x*)")
        wrapper, text = probe._compiled, "caab xx  b"
        for anchor, method in (
            (_UNANCHORED, wrapper.search),
            (_ANCHOR_START, wrapper.match),
            (_ANCHOR_BOTH, wrapper.fullmatch),
        ):
            for pos in (None, 1, 3, 20):
                if answer(probe._ascii_match(anchor, text, pos, None)) != answer(method(text, pos)):
                    return False
                ours = [answer(m) for m in probe._ascii_finditer(text, pos, None)]
                if ours != [answer(m) for m in wrapper.finditer(text, pos)]:
                    return False
        return True
    except (AttributeError, TypeError):
        return False


def _utf8(text: Text) -> Text:
    """`text` as RE2 can read it: lone surrogates read as `?` (one character each: offsets unchanged)."""
    if isinstance(text, bytes) or text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text


_ANCHORS = getattr(getattr(re2, "_re2", None), "RE2", None)
_UNANCHORED = getattr(getattr(_ANCHORS, "Anchor", None), "UNANCHORED", None)
_ANCHOR_START = getattr(getattr(_ANCHORS, "Anchor", None), "ANCHOR_START", None)
_ANCHOR_BOTH = getattr(getattr(_ANCHORS, "Anchor", None), "ANCHOR_BOTH", None)
_NULL_SPAN = (-1, -1)
_ASCII_MATCHING = _ascii_matching_works()


def _decoded(item: Any) -> Any:
    if isinstance(item, bytes):
        return item.decode("ascii")
    if isinstance(item, tuple):
        return tuple(_decoded(part) for part in item)
    return item  # None: a group that took no part in a split


PATTERNS: dict[str, TextPattern] = {}


def pattern(name: str, regex: str, max_mem: int | None = None) -> TextPattern:
    """`regex` compiled with RE2 and registered under `name` (a name is registered once); `max_mem` raises
    RE2's memory budget (bytes) for a pattern too large for the default."""
    if name in PATTERNS:
        raise ValueError(f"text pattern {name!r} is registered twice")
    compiled = TextPattern(name, regex, max_mem)
    PATTERNS[name] = compiled
    return compiled


# Character classes that match exactly what Python's Unicode `\s` and `\w` match (`str.isspace()`;
# `str.isalnum()` or `_`), for use inside `[...]`.
SPACE = r"\t-\r\x1c-\x1f\x85\pZ"
WORD = r"\pL\pN_"
S = f"[{SPACE}]"
NOT_S = f"[^{SPACE}]"
INLINE_S = r"[\t\x0b\x0c\r\x1c-\x1f\x85\pZ]"  # `\s` without the newline: dose patterns never cross a line
START_OF_WORD = f"(?:^|[^{WORD}])"  # `\b` before a word character: consumes the character before
END_OF_WORD = f"(?:[^{WORD}]|$)"  # `\b` after a word character: consumes the character after

# --- codes and dates (record fields) -------------------------------------------------------------

NCT_ID = pattern("nct-id", r"^NCT[0-9]{8}$")
ISO_DATE = pattern("iso-date", r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
ISO_YEAR_MONTH = pattern("iso-year-month", r"^[0-9]{4}-[0-9]{2}$")
AGE = pattern("age", rf"(?i)^{S}*([0-9]+(?:\.[0-9]+)?){S}*(year|month|week|day|hour|minute)s?{S}*$")

# --- registry display strings --------------------------------------------------------------------

DISPLAY_NOTE = pattern("display-note", rf"{S}*\(.*\){S}*$")  # `Double (Participant, Investigator)`
PHASE_SEPARATOR = pattern("phase-separator", r"[/|,]")
DISPLAY_ISO_DATE = pattern("display-iso-date", r"[0-9]{4}-[0-9]{2}(-[0-9]{2})?")

# --- legacy XML text ---------------------------------------------------------------------------------

BLANKS_BEFORE_NEWLINE = pattern("blanks-before-newline", r"[ \t]+\n")
DOWNLOAD_DATE_PREFIX = pattern("download-date-prefix", r"^.*processed this data on ")

# --- eligibility criteria ---------------------------------------------------------------------------

CRITERIA_HEADING = pattern(
    "criteria-heading",
    rf"(?i)^[^{WORD}]*((?:[{WORD}'-]+{S}+){{0,3}}?)(inclusion|exclusion){S}+criteri(a|on){END_OF_WORD}",
)
# `^[.\s]+(?=\w)`: the word character is captured and kept
# An inclusion item that heads a list of exclusions: "Patients with any of the following conditions are excluded:"
CRITERIA_EXCLUDES_BELOW = pattern(
    "criteria-excludes-below",
    rf"(?i)(?:any|one|each|all){S}+(?:[{WORD}-]+{S}+){{0,3}}?following{S}+(?:[{WORD}-]+{S}+){{0,3}}?"
    rf"(?:are|is|will{S}+be){S}+(?:excluded|ineligible|not{S}+eligible){S}*:{S}*$",
)
CRITERIA_LEADING_DOTS = pattern("criteria-leading-dots", rf"^[.{SPACE}]+([{WORD}])")
CRITERIA_ESCAPE = pattern("criteria-escape", r"\\([\\`*_{}\[\]()#+\-.!<>^])")

# --- doses and schedules (arm and intervention text) -------------------------------------------------

MARKDOWN_ESCAPE = pattern("markdown-escape", r"\\([\\`*_{}\[\]()#+\-.!<>^|])")
# A clause ends at a newline, or at the white space after `.` or `;` (the gap, group 1: in neither clause).
CLAUSE_BREAK = pattern("clause-break", rf"[.;](?P<gap>{S}+)|\n|///")
_N = INLINE_S
_NUMBER = r"[0-9]+(?:[.,][0-9]+)*"  # decimal commas and thousands separators are told apart by the reader
_RANGE = rf"(?:(?P<low>{_NUMBER}){_N}*(?:-|–|~|to){_N}*)?(?P<high>{_NUMBER})"
_CELL_WORD = r"(?:h?UC-?MSCs?|MSCs?|BM-?MSCs?|cells?|viable cells|stem cells|[A-Za-z-]*MSCs?)"
CELL_DOSE = pattern(
    "cell-dose",
    "(?i)"
    + _RANGE
    + rf"(?:{_N}*[x×*]{_N}*10{_N}*(?:\^|E|e){_N}*(?P<exp>[0-9]{{1,2}})|[eE](?P<exp2>[0-9]{{1,2}})"
    + rf"|{_N}+10(?:\^|E|e)(?P<exp3>[0-9]{{1,2}})"  # `1,5-3,0 10E6`
    + rf"|{_N}*[x×*]{_N}*10(?P<sup>[5-9])"  # `2 x 106/kg`: a superscript lost in copying
    + rf"|{_N}*(?P<million>millions?))"
    + rf"(?P<cells>(?:{_N}+[\pL\pN-]+){{0,4}}?{_N}*{_CELL_WORD})?"  # `… ABCB5-positive stem cells`
    + rf"(?P<per_kg>{_N}*(?:/{_N}*kg|per{_N}+kg|/{_N}*kilogram|per{_N}+kilogram))?"
    + rf"(?P<per>{_N}*(?:/{_N}*(?:time|dose)|per{_N}+(?:time|dose)|each{_N}+time|every{_N}+time))?"
    # a lab value (`x10^9/L`) right after is not a dose: matched here so that the caller can skip it
    + rf"(?P<lab>(?-i:{_N}*/{_N}*(?:L|l|mL|ml|µL|uL|mm3)){END_OF_WORD})?"
    # an amount of a drug unit (`3.0 x 10^6 IU/m^2`) is not a cell count: the drug pattern reads it
    + rf"(?P<drug>{_N}*(?:IU|U|units|mg|µg|μg|ug|mcg|mL|ml){END_OF_WORD})?",
)
# `3,010` before `E6`: a decimal comma number (`3,0`) glued to `10E6`
GLUED_TEN = pattern("glued-ten", r"[0-9]+[.,][0-9]10")
# A cell dose's `sup` or `million` form counts only where the text is about cells.
CELL_CONTEXT = pattern("cell-context", r"(?i)cell|MSC|stem")
DRUG_DOSE = pattern(
    "drug-dose",
    "(?i)(?P<dose>"
    + _RANGE
    + rf"(?:{_N}*[x×*]{_N}*10{_N}*\^{_N}*(?P<exp>[0-9]{{1,2}}))?"
    + rf"{_N}*(?P<unit>mg|milligrams?|(?-i:g)|grams?|µg|μg|ug|mcg|micrograms?|IU|U|units|mL|mmol)"
    + rf"(?P<per>{_N}*/{_N}*(?:kg|m2|m²|m\^2|\(m2\.d\)|\(m2·d\))|{_N}+per{_N}+(?:kg|m2))?"
    + rf"(?P<freq>{_N}*(?:/{_N}*(?:day|d|week|wk|dose|time)|per{_N}+(?:day|week|dose|time)|each{_N}+time|every{_N}+time))?"
    # not followed by a word character, `/` or `%` (the character is consumed, outside `dose`)
    + rf")(?:[^{WORD}/%]|$)",
)
AUC_DOSE = pattern("auc-dose", rf"(?i){START_OF_WORD}AUC{_N}*(?:=|of|:)?{_N}*(?P<value>[0-9]+(?:\.[0-9]+)?)")
# What a volume of is no dose: a diluent or vehicle named right after (`3 mL of saline`) or before it.
DILUENT = pattern("diluent", r"(?i)saline|dextrose|water|diluent|solvent|vehicle|diluted|NaCl|sodium chloride")
NOT_A_DOSE = pattern("not-a-dose", r"(?i)equivalent volume|calculated at|placebo|corresponding volume")
NON_DOSE_LABEL = pattern("non-dose-label", r"(?i)placebo|sham|no intervention")
_COUNT_WORD = "[0-9]{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|twelve"
# what makes a count a frequency (`three times a week`, `twice daily`, `once every 2 weeks`); `5 injections
# per trial group` stays a count
_AFTER = (
    rf"(?P<after>{_N}*(?:(?:a|an|per|every|each|/){_N}*(?:[0-9]+{_N}*)?"
    rf"(?:days?|weeks?|wk|months?|years?|cycles?|d|hours?|h|morning|evening|night)|daily|weekly|nightly){END_OF_WORD})?"
)
SCHEDULE_DAYS = pattern(
    "schedule-days",
    rf"(?i)on (?:the )?(?:days? )?([0-9]+(?:{S}*(?:,{S}*and|,|and){S}*[0-9]+)+)(?:st|nd|rd|th)?{S}*(?:days?)?",
)
SCHEDULE_DAY_RANGE = pattern("schedule-day-range", r"(?i)\bdays? ([0-9]{1,3}) ?(?:-|–|to|through) ?([0-9]{1,3})\b")
SCHEDULE_DAY_MARKS = pattern(
    "schedule-day-marks",
    r"(?i)(?:\b(?:on|at) days? |\bd ?)([0-9]{1,3})"
    + r"((?:(?: ?\([±+/-]+ ?[0-9]+\))? ?(?:\+|,|and) ?(?:d ?|days? )?[0-9]{1,3})*)\b",
)
DAY_TOLERANCE = pattern("day-tolerance", r"\([±+/-]+ ?[0-9]+\)")  # `Day 5 (±1)`: the window, not a day
SCHEDULE_WEEKS = pattern(
    "schedule-weeks", rf"(?i)(?:at )?weeks? ?([0-9]+(?:{S}*(?:,{S}*and|,|and){S}*(?:weeks? ?)?[0-9]+)+)"
)
# `\b(...)\s+times?s?\b`: the characters around are consumed; the caller reads `times` and `word`
SCHEDULE_TIMES = pattern(
    "schedule-times",
    rf"(?i){START_OF_WORD}(?P<times>(?P<word>once|twice|{_COUNT_WORD}){S}+(?:divided{S}+)?"
    + rf"(?:times?s?|doses?|does|infusions?|injections?|administrations?|courses?)){END_OF_WORD}{_AFTER}",
)
SCHEDULE_ONCE = pattern(
    "schedule-once",
    rf"(?i){START_OF_WORD}(?P<once>once|one time|single dose|a single (?:dose|infusion|injection)){END_OF_WORD}"
    + _AFTER,
)
SCHEDULE_INTERVAL = pattern(
    "schedule-interval",
    rf"(?i){START_OF_WORD}(?P<phrase>(?:at|with)(?: an)? intervals? of (?P<n1>{_COUNT_WORD}) ?weeks?"
    + rf"|at (?P<n2>{_COUNT_WORD})[- ]weeks? intervals?"
    + rf"|(?:once |one time )?(?:every|per|a|each) ?(?P<n3>{_COUNT_WORD})?[- ]?weeks?"
    + r"|q ?(?P<n4>[0-9]{1,2}) ?w(?:ee)?ks?\b"
    + r"|(?P<n5>[0-9]{1,2}) ?weeks? apart|apart (?:from|by) (?P<n6>[0-9]{1,2}) ?weeks?"
    + r"|weekly"
    + rf"|every ?(?P<d1>[0-9]{{1,2}}) ?days?{END_OF_WORD}|q ?d ?(?P<d3>[0-9]{{1,2}})|q ?(?P<d4>[0-9]{{1,2}}) ?d(?:ays?)?{END_OF_WORD}"
    + r"|(?P<d2>[0-9]{1,2})[- ]day (?:treatment )?cycles?)",
)
SCHEDULE_PER_WEEK = pattern(
    "schedule-per-week", rf"(?i)(?P<word>twice|{_COUNT_WORD})(?: ?times?)? (?:a|per|every) ?week"
)
# What ends a dose (`1000 mcg`, `6*10^7`): a parenthesis right after it restates it (`(1 mg)`, `(30 ml)`).
DOSE_TAIL = pattern("dose-tail", r"(?i)(?:[0-9]|mg|g|µg|ug|mcg|ml|iu|kg|cells?|mscs?)$")
# The word before a drug amount, when it names the drug (`etoposide 120 mg/m2`, `Mesna 5 g/m2`).
DRUG_NAME_BEFORE = pattern("drug-name-before", r"(?i)([a-z][a-z-]{3,})[ :]*\(?$")
SCHEDULE_FOR_WEEKS = pattern("schedule-for-weeks", rf"(?i)\bfor (?P<n>{_COUNT_WORD}) ?(?:consecutive )?weeks?\b")
NOT_A_SCHEDULE = pattern("not-a-schedule", r"(?i)\bsessions?\b|exercise")
# --- cell products (kg.model.cell_products): one pattern per vocabulary value, the first stated wins ------
CELL_THERAPY = pattern(
    "cell-therapy",
    r"(?i)stem[ -]?cells?|stromal[ -]?cells?|mesenchymal|progenitor cells?|mononuclear cells?|\bMSCs?\b|MSC-|-MSCs?\b|"
    r"\b[A-Za-z]*-?MSCs?\b|hepatocytes?|\bNK cells?|natural killer|CAR-?T\b|T[ -]cells?|dendritic cells?|"
    r"iPSC|cell therapy|cell transplant|cells? infusion|bone marrow (?:concentrate|aspirate|cells|implant)|"
    r"stromal vascular fraction|\bSVF\b|lipogems|micro-?fragmented (?:adipose|fat)|\bASCs?\b|\bcells\b",
)
CELL_FREE = pattern(
    "cell-free",
    r"(?i)exosomes?|secretome|conditioned (?:medium|media)|extracellular vesicles?|cell[- ]free|lysate|placebo|"
    r"\bsaline\b|vehicle",
)
CELL_TYPES = {
    "MSC": pattern("cell-type-msc", r"(?i)mesenchymal|\bMSCs?\b|MSC-|-MSCs?\b|[A-Za-z]MSCs?\b|stromal cells?"),
    "HSC": pattern("cell-type-hsc", r"(?i)hematopoietic|haematopoietic|\bCD34\+?"),
    "BM-MNC": pattern("cell-type-bm-mnc", r"(?i)mononuclear cells?|\bBM-?MNCs?\b"),
    "hepatocytes": pattern("cell-type-hepatocytes", r"(?i)hepatocytes?"),
    "NK cells": pattern("cell-type-nk", r"(?i)\bNK cells?|natural killer"),
    "T cells": pattern("cell-type-t", r"(?i)CAR-?T\b|\bT[ -]cells?|\bTILs?\b|lymphocytes?"),
    "dendritic cells": pattern("cell-type-dendritic", r"(?i)dendritic cells?"),
    "iPSC-derived": pattern("cell-type-ipsc", r"(?i)iPSC|induced pluripotent"),
}
TISSUE_SOURCES = {
    "umbilical cord": pattern(
        "tissue-umbilical-cord",
        r"(?i)umbilical[ -]cord(?P<blood>[ -]blood)?|wharton|\bh?UC-?MSCs?\b|\bh?UC[- ]MSCs?|cord tissue",
    ),
    "cord blood": pattern("tissue-cord-blood", r"(?i)cord blood|\bUCB\b"),
    "bone marrow": pattern(
        "tissue-bone-marrow", r"(?i)bone[ -]marrow|\bBM[ -]?MSCs?\b|\bBMSCs?\b|\bBM[ -]?MNCs?\b|\bBMC\b"
    ),
    "adipose": pattern(
        "tissue-adipose",
        r"(?i)adipose|\bfat\b|lipoaspirate|lipogems|\bAD-?MSCs?\b|\bADSCs?\b|\bASCs?\b|stromal vascular",
    ),
    "placenta": pattern("tissue-placenta", r"(?i)placenta"),
    "menstrual blood": pattern("tissue-menstrual", r"(?i)menstrual"),
    "dental pulp": pattern("tissue-dental-pulp", r"(?i)dental pulp|\bDPSCs?\b"),
    "amniotic": pattern("tissue-amniotic", r"(?i)amnio"),
    "peripheral blood": pattern("tissue-peripheral-blood", r"(?i)peripheral blood"),
}
DONORS = {
    "autologous": pattern("donor-autologous", r"(?i)autologous|autogenous|patient'?s own|own (?:bone marrow|fat)"),
    "allogeneic": pattern(
        "donor-allogeneic",
        r"(?i)allogen(?:e)?ic|allo-|(?:third[- ]party|healthy|unrelated|related|BMT|transplant|original) donors?",
    ),
}
# `allogeneic` (or `allo-`) of a transplant the patients had, not of the product: `after allo-HSCT`
PRIOR_TRANSPLANT = pattern("prior-transplant", r"(?i)transplant|\bHSCT\b|\bSCT\b|\bBMT\b|\bHCT\b")
ROUTES = {
    "peripheral vein": pattern(
        "route-peripheral-vein",
        r"(?i)intravenous|\bi\.? ?v\.?(?:[^A-Za-z]|$)|\bIV\b|peripheral vein|peripheral venous|venous infusion|"
        r"into (?:a|the) vein|cubital vein",
    ),
    "hepatic artery": pattern("route-hepatic-artery", r"(?i)hepatic arter|intra-?arterial.{0,20}liver"),
    "portal vein": pattern("route-portal-vein", r"(?i)portal vein"),
    "intrasplenic": pattern("route-intrasplenic", r"(?i)intra-?splenic|into the spleen"),
    "intramuscular": pattern("route-intramuscular", r"(?i)intra-?muscular(?:ly)?|\bIM\b injection|into the muscle"),
    "intrathecal": pattern("route-intrathecal", r"(?i)intra-?thecal|lumbar puncture"),
    "intra-articular": pattern("route-intra-articular", r"(?i)intra-?articular|into the (?:knee )?joint"),
    "intradermal/subcutaneous": pattern("route-dermal", r"(?i)intra-?dermal|sub-?cutaneous"),
    "intracoronary": pattern("route-intracoronary", r"(?i)intra-?coronary"),
    "intramyocardial": pattern("route-intramyocardial", r"(?i)intra-?myocardial|trans-?endocardial"),
    # any other `intra…` injection (intracavernous, intra-glandular, intralesional): a local one; the specific
    # routes above win where they match at the same place
    "local injection": pattern(
        "route-local", r"(?i)local(?:ly)? inject|injected locally|peri-?anal|\bintra-?[a-z]{4,} injections?"
    ),
    # a route stated but none of the above: implanted, applied on a lesion or as a dressing, into a ventricle
    "other": pattern(
        "route-other",
        r"(?i)\bimplant(?:ed|ation)?\b|dressings?\b|intra-?ventricular|intra-?medullary|intra-?arterial|"
        r"(?:added|applied) (?:on|onto|to) the",
    ),
}
DIGITS = pattern("digits", r"[0-9]+")

# --- registry pages ------------------------------------------------------------------------------------

CURRENT_LAYOUT = pattern("current-layout", r"(?m)^NCT ID: NCT[0-9]{8}")
CLASSIC_TABULAR_LAYOUT = pattern("classic-tabular-layout", r"(?m)^ClinicalTrials\.gov Identifier: NCT[0-9]{8} \|")
# `\bNCT\d{8}\b` searched in a page: the id is group 1
NCT_IN_TEXT = pattern("nct-in-text", rf"{START_OF_WORD}(NCT[0-9]{{8}}){END_OF_WORD}")
PAGE_AGE = pattern("page-age", rf"(?i)^[0-9]+(?:\.[0-9]+)?{S}+(?:Years?|Months?|Weeks?|Days?|Hours?|Minutes?)$")
_INTERVENTION_KINDS = (
    "Drug|Biological|Device|Procedure|Behavioral|Genetic|Radiation|Dietary Supplement|Diagnostic Test|"
    "Combination Product|Other"
)
INTERVENTION_PREFIX = pattern("intervention-prefix", rf"^({_INTERVENTION_KINDS}){S}*:{S}*(.+)$")
INTERVENTION_KIND = pattern("intervention-kind", rf"({_INTERVENTION_KINDS}){S}*:{S}*")
ARM_PREFIX = pattern(
    "arm-prefix",
    rf"^(Experimental|Active Comparator|Placebo Comparator|Sham Comparator|No Intervention|Other){S}*:{S}*(.+)$",
)
PARENTHESIS = pattern("parenthesis", r"\(.*?\)")
AGE_RANGE = pattern("age-range", rf"^(.+?){S}+to{S}+(.+?)$")
AGE_AND_OLDER = pattern("age-and-older", rf"^(.+?){S}+and older$")
AGE_UP_TO = pattern("age-up-to", rf"(?i)^up to{S}+(.+?)$")
PHASE_TAIL = pattern("phase-tail", rf"{S}*((?:(?:Early )?Phase [0-9]{S}*)+|Not Applicable){S}*$")
ENROLLMENT_LABEL = pattern("enrollment-label", rf"^(Actual|Estimated) Enrollment{S}*:")
ENROLLMENT = pattern("enrollment", rf"([0-9]+){S}+participants?")
EMAIL = pattern("email", rf"{NOT_S}+@{NOT_S}+")
PHONE = pattern("phone", rf"\+?[0-9][0-9{SPACE}-]{{6,}}[0-9]")
CONTACT_NAME_END = pattern("contact-name-end", rf"{S}\+?[0-9][0-9{SPACE}-]{{6,}}|{S}{NOT_S}+@")
VERIFIED = pattern("verified", rf"^Verified ([{WORD}]+ [0-9]{{4}}) by ")
OUTCOME = pattern("outcome", rf"^(?:[0-9]+\.|-){S}+(.+?){S}*\[{S}*Time Frame:{S}*(.+?){S}*\]{S}*(.*)$")
BOILERPLATE = pattern(
    "boilerplate",
    r"^(Get a concise|Review |Explore |Dive into|See the |Understand how|Learn about|Check the |Meet the |"
    r"Identify the |Reach out|Find local|Additional clinical trials|The study team has not)",
)
NCT_ID_LINE = pattern("nct-id-line", rf"^NCT ID:{S}*(NCT[0-9]{{8}})")
PHASE_CODES = pattern("phase-codes", r"(EARLY_)?PHASE[0-9](/(EARLY_)?PHASE[0-9])*|NA")
PARTICIPANTS = pattern("participants", r"([0-9]+) participants?")
NUMBERED = pattern("numbered", rf"^[0-9]+\.{S}")
POWER_OF_TEN = pattern("power-of-ten", rf"(?i)[0-9]{S}*[x×*]{S}*10{S}*(\^|E)")
ABOUT = pattern("about", rf"^This is an? ([{WORD}]+) (.+?) trial for (.+?)(?: focused on measuring (.+))?$")
COMMA = pattern("comma", rf",{S}*")
SEMICOLON = pattern("semicolon", rf";{S}+")
MIRROR_ELIGIBILITY = pattern(
    "mirror-eligibility", rf"(?s)^Inclusion Criteria:{S}*(.*?){S}*(?:Exclusion Criteria:{S}*(.*))?$"
)
# `(?<=\.)\s+(?=[A-Z0-9])`: a sentence ends at the white space (the gap, group 1) between `.` and a capital or digit
SENTENCE_BREAK = pattern("sentence-break", rf"\.(?P<gap>{S}+)[A-Z0-9]")
MIRROR_AGES = pattern("mirror-ages", rf"([0-9]+){S}*years? old{S}*≤{S}*age{S}*≤{S}*([0-9]+){S}*years? old")
ARM_NUMBER = pattern("arm-number", r"Arm [0-9]+")
# The fixed TF-IDF baseline of `kg evaluate`: lower-cased tokens, as the relatedness truth set specifies them.
BASELINE_TOKEN = pattern("baseline-token", r"[a-z][a-z0-9-]{2,}")
NCT_ID_ANY_CASE = pattern("nct-id-any-case", rf"(?i){START_OF_WORD}NCT{S}*[0-9]{{8}}{END_OF_WORD}")


# --- runs of a character class: titles, feature text, IRI slugs, display codes ----------------------
# These run on every title, name and display value, so they need no regex: a byte table or a character test
# finds the runs at C speed, with the results of the regexes they replace (a test compares them).

_UPPER_ALNUM = bytes(c if (48 <= c <= 57 or 65 <= c <= 90) else 32 for c in range(256))
_LOWER_ALNUM = bytes(c if (48 <= c <= 57 or 97 <= c <= 122) else 32 for c in range(256))
_ASCII_WORD = bytes(c if (48 <= c <= 57 or 65 <= c <= 90 or 97 <= c <= 122 or c == 95) else 32 for c in range(256))


def upper_alnum_runs(text: str) -> list[str]:
    """The runs of `[A-Z0-9]`: `"_".join(...)` is `re.sub(r"[^A-Z0-9]+", "_", text).strip("_")`."""
    return text.encode("ascii", "replace").translate(_UPPER_ALNUM).decode("ascii").split()


def lower_alnum_runs(text: str) -> list[str]:
    """The runs of `[a-z0-9]`: `re.findall(r"[a-z0-9]+", text)`."""
    return text.encode("ascii", "replace").translate(_LOWER_ALNUM).decode("ascii").split()


def word_runs(text: str) -> list[str]:
    """The runs of Python's `\\w` (`str.isalnum()` or `_`): `re.sub(r"[^\\w]+", " ", text).split()`."""
    if text.isascii():
        return text.encode("ascii").translate(_ASCII_WORD).decode("ascii").split()
    return "".join(c if c.isalnum() or c == "_" else " " for c in text).split()


def split_at_gaps(compiled: TextPattern, text: str) -> list[str]:
    """`text` cut at each match's group 1, the gap (at the whole match where the gap took no part):
    what `re.split` did with a lookbehind and a lookahead around the gap."""
    pieces = []
    start = 0
    for match in compiled.finditer(text):
        gap_start, gap_end = match.span(1)  # RE2's span() takes group numbers only
        if gap_start < 0:
            gap_start, gap_end = match.span()
        pieces.append(text[start:gap_start])
        start = gap_end
    pieces.append(text[start:])
    return pieces
