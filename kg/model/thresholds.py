"""Numeric eligibility thresholds read from criteria text (`Bilirubin ≤ 1.5 × ULN`, `Age 18-70 years`).

Each inclusion and exclusion item is read for thresholds on a fixed list of variables (`VARIABLES`: age,
liver and renal tests, blood counts, scores, vital signs). An item is normalized first (markdown escapes,
comparator glyphs and words become `≥ ≤ > < =`), then two kinds of events are found in it: *mentions*
(a variable's name, or the name of a variable that is not on the list, which stops a value from being
given to the name before it) and *values* (a number with the comparator before it, its unit, and a
comparator written after it such as "or more"). A value belongs to the mentions just before it when
only a few words, and no digit or sentence break, lie between; a value right after another value
("≤ 2.5 × ULN, or ≤ 5 × ULN if ...") belongs to the same mentions. A value with a unit that makes no
sense for its variable, or a number no such test can have, is dropped: this is what keeps time windows,
doses, list numbers and formulas out. The side is the item's, except a sentence that says the patients
"are excluded" or "must not have" it. Nothing is inverted: an exclusion `INR > 2.5` stays `>`.

Values are kept as written (`value`, `unit`) and normalized to UCUM units (`value_normalized`,
`unit_normalized`); multiples of the upper limit of normal stay multiples (`x ULN`).
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from kg import textpatterns
from kg.model.doses import unescape_markdown
from kg.model.records import Eligibility, TrialRecord

pattern = textpatterns.pattern
S = textpatterns.S

VARIABLES = (
    "age", "total_bilirubin", "inr", "prothrombin_time", "prothrombin_activity", "meld", "meld_na",
    "child_pugh_score", "child_pugh_class", "alt", "ast", "albumin", "creatinine", "creatinine_clearance",
    "egfr", "platelets", "hemoglobin", "wbc", "anc", "hba1c", "bmi", "ecog", "karnofsky", "lvef", "afp",
    "hbv_dna", "systolic_bp", "diastolic_bp", "weight",
    # beyond the shared gold's list: the frequent variables its README names (labelled in gold/eligibility-more.json)
    "life_expectancy", "alcohol_intake", "alcohol_abstinence", "ldl_cholesterol", "triglycerides", "qtc",
    "nyha_class", "hepatic_encephalopathy_grade", "alp", "aptt",
)  # fmt: skip

ULN = "x ULN"


@dataclass(frozen=True)
class Threshold:
    """One numeric bound of an eligibility criterion, as written and normalized to UCUM units."""

    variable: str  # one of VARIABLES
    side: str  # inclusion | exclusion
    comparator: str  # >= > <= < = between
    value: float | str | None = None  # a Child-Pugh class letter is a str
    low: float | None = None  # for `between`
    high: float | None = None
    low_op: str | None = None  # the bound operators of a range, where the text writes them
    high_op: str | None = None
    unit: str = ""  # as written; "x ULN" for every multiple of the upper limit of normal
    value_normalized: float | str | None = None
    low_normalized: float | None = None
    high_normalized: float | None = None
    unit_normalized: str = ""  # UCUM: mg/dL, 10*9/L, %, a, ...; "x ULN"; "" for scores
    text: str = ""  # the criterion item (or structured field) it was read from
    source: str = "criteria"  # criteria | structured


# --- text normalization -------------------------------------------------------------------------------

# Glyphs that mean a comparator, and the ways of writing `≥`/`≤` with two characters.
_GLYPHS = str.maketrans(
    {"﹤": "<", "＜": "<", "﹥": ">", "＞": ">", "˂": "<", "˃": ">", "≦": "≤", "⩽": "≤", "≧": "≥", "⩾": "≥", "＝": "=", "–": "-",
     "—": "-", "‐": "-", "‑": "-", "−": "-", "，": ",", "；": ";", "：": ":", "（": "(", "）": ")", "～": "~",
     "\u00a0": " ", "µ": "μ", "ｍ": "m", "％": "%", "、": ","}
)  # fmt: skip
# Private-use markers a comparator written after its number becomes ("5 mg/dL or more").
_POST_GE, _POST_LE, _POST_OLDER, _POST_YOUNGER, _POST_BETTER = "\ue000", "\ue001", "\ue002", "\ue003", "\ue004"
# "or better": no direction of its own (ECOG 2 or better is ≤ 2, Karnofsky 70 or better ≥ 70): see `_BETTER`
_POST_COMPARATORS = {_POST_GE: ">=", _POST_LE: "<=", _POST_OLDER: ">=", _POST_YOUNGER: "<=", _POST_BETTER: "better"}
_BETTER = {"ecog": "<=", "karnofsky": ">=", "lvef": ">=", "life_expectancy": ">=", "child_pugh_score": "<=",
           "nyha_class": "<=", "hepatic_encephalopathy_grade": "<="}  # fmt: skip
_W = r"[\t\x0b\x0c\r\x1c-\x1f\x85\pZ\n]+"  # white space between the words of a phrase


def _words(*phrases: str) -> str:
    """Phrases as one alternation, longest first (RE2 takes the first alternative that matches)."""
    ordered = sorted(phrases, key=len, reverse=True)
    return "|".join(p.replace(" ", _W) for p in ordered)


# Comparator words, by the symbol each becomes.
_COMPARATOR_WORDS = {
    "≥": _words(
        "greater than or equal to",
        "greater than or equal",
        "more than or equal to",
        "higher than or equal to",
        "larger than or equal to",
        "equal to or greater than",
        "equal to or more than",
        "equal to or higher than",
        "equal to or above",
        "equal or greater than",
        "greater or equal to",
        "great or equal to",
        "great than or equal to",
        "greater or equal",
        "more or equal to",
        "higher or equal to",
        "larger or equal to",
        "equal or more than",
        "equal or higher than",
        "not less than",
        "no less than",
        "not lower than",
        "no lower than",
        "not below",
        "not under",
        "not controlled below",
        "not controlled to below",
        "not controlled to less than",
        "not controlled under",
        "not younger than",
        "no younger than",
        "at least",
        "a minimum of",
        "minimum of",
        "minimum",
        "minimal",
        "=> to",
        ">= to",
        "= or >",
        "> or =",
        ">/=",
        ">=",
        "=>",
        "> =",
        "≥=",
        "≥ =",
    ),
    "≤": _words(
        "less than or equal to",
        "less than or equal",
        "lower than or equal to",
        "smaller than or equal to",
        "fewer than or equal to",
        "equal to or less than",
        "equal to or lower than",
        "equal to or below",
        "equal to or smaller than",
        "equal or less than",
        "less or equal to",
        "less or equal",
        "lower or equal to",
        "smaller or equal to",
        "equal or lower than",
        "not more than",
        "no more than",
        "not greater than",
        "no greater than",
        "not higher than",
        "no higher than",
        "not exceeding",
        "not to exceed",
        "does not exceed",
        "do not exceed",
        "not exceed",
        "not above",
        "not over",
        "not older than",
        "no older than",
        "at most",
        "up to",
        "a maximum of",
        "maximum of",
        "maximum",
        "maximal",
        "< or =",
        "= or <",
        "=< to",
        "<= to",
        "</=",
        "<=",
        "=<",
        "< =",
        "≤=",
        "≤ =",
    ),
    ">": _words(
        "greater than",
        "great than",
        "more than",
        "higher than",
        "larger than",
        "bigger than",
        "in excess of",
        "exceeding",
        "exceeds",
        "exceed",
        "above",
        "over",
        "superior to",
        "elevated above",
        "longer than",
    ),
    "<": _words(
        "less than", "lower than", "smaller than", "fewer than", "below", "under", "inferior to", "shorter than"
    ),
    "=": _words("equal to", "equals"),
}
# Words that imply age as well as a comparator: they become a comparator and the word `age`.
_AGE_COMPARATOR_WORDS = {
    "age >": _words("older than", "over the age of", "above the age of"),
    "age <": _words("younger than", "under the age of", "below the age of"),
}
# Number words that stand for a multiple: "ALT at least twice normal" is `≥ 2 times normal`.
_MULTIPLE_WORDS = {"2 times": _words("twice"), "3 times": _words("thrice")}
_POST_WORDS = {
    _POST_OLDER: _words("or older", "and older"),
    _POST_YOUNGER: _words("or younger", "and younger"),
    _POST_BETTER: _words("or better"),
    _POST_GE: _words(
        "or more", "or greater", "or higher", "or above", "or over", "and over", "and above", "and more",
        "or larger", "or later", "or bigger", "and higher", "and greater",
    ),
    _POST_LE: _words("or less", "or lower", "or below", "or under", "and under", "and below", "or fewer",
                     "or smaller", "and less", "and lower"),
}  # fmt: skip
_REPLACEMENTS = {**_POST_WORDS, **_AGE_COMPARATOR_WORDS, **_MULTIPLE_WORDS, **_COMPARATOR_WORDS}
_REPLACEMENT_ORDER = list(_REPLACEMENTS)
# A phrase is a comparator only as whole words: the character before and after it is captured and kept.
COMPARATOR_WORD = pattern(
    "threshold-comparator-word",
    "(?i)(^|[^\\pL\\pN_])(" + "|".join(f"(?P<r{i}>{_REPLACEMENTS[k]})" for i, k in enumerate(_REPLACEMENT_ORDER)) + ")",
)
_REPLACEMENT_GROUPS = [COMPARATOR_WORD.groupindex[f"r{i}"] for i in range(len(_REPLACEMENT_ORDER))]
# The symbol of each phrase as written (lower case, single spaces): one lookup instead of asking each group.
_PHRASE_KEYS = {
    " ".join(phrase.replace(_W, " ").lower().split()): key
    for key in reversed(_REPLACEMENT_ORDER)  # a phrase under two keys keeps the first key's, as the groups do
    for phrase in _REPLACEMENTS[key].split("|")
}
_THAN_NEXT = pattern("threshold-than-next", r"[\t \pZ]*(than)(?:[^\pL]|$)")
_NUMBER_NEXT = pattern("threshold-number-next", r"[\t \pZ]*[0-9]")
PLUS_YEARS = pattern("threshold-plus-years", r"(?i)([0-9]{1,3})\+([\t \pZ]*(?:years?|yrs?)(?:[^\pL]|$))")
# "Platelet count at least\n100,000/mm3": a line wrapped after a comparator (no line ends with one)
WRAPPED_NUMBER = pattern("threshold-wrapped-number", r"([≥≤<>=])[\t \pZ]*\n[\t \pZ\n]*([0-9])")
_ESCAPED_COMPARATOR = pattern("threshold-escaped-comparator", r"\\([<>=])")
# A list number glued to the first value of its item: `4.18-65 years of age` is item 4, "18-65".
GLUED_LIST_NUMBER = pattern("threshold-glued-list-number", rf"^[0-9]{{1,2}}\.([0-9]{{1,3}}{S}*(?:-|~|to{S}))")
# The same after a `;` inside a joined item, only before an age range: "17-30,; 4.18-65 years of age"
GLUED_LIST_AGE = pattern(
    "threshold-glued-list-age",
    rf"(?i)(;{S}*)[0-9]{{1,2}}\.([0-9]{{2}}{S}*(?:(?:years|yrs){S}*)?(?:-|~|to{S}){S}*[0-9]{{2,3}}{S}*(?:years|yrs))",
)
# "ECOG 0 to1": a range whose "to" is glued to its upper bound
GLUED_TO = pattern("threshold-glued-to", r"([0-9][\t \pZ]*)(?i:(to))([0-9])")
# "> 2 × upper limit of normal (ULN) for ALT": a value written before the names it is for
_NAMED_ULN = pattern("threshold-named-uln", r"(?i)ULN|UNL|normal|limit")
VALUE_FOR_NAME = pattern(
    "threshold-value-for-name",
    r"(?i)^[\t \pZ]*(?:\([\t \pZ]*ULN[\t \pZ]*\)[\t \pZ]*)?(?:for[\t \pZ]+|\([\t \pZ]*)"
    r"(?:(?:the|serum|plasma|blood|either|both|of)[\t \pZ]+)*$",
)
_ENTITIES = (("&gt;", ">"), ("&lt;", "<"), ("&ge;", "≥"), ("&le;", "≤"), ("&#8805;", "≥"), ("&#8804;", "≤"),
             ("&#62;", ">"), ("&#60;", "<"), ("&amp;", "&"))  # fmt: skip
NOT_BEFORE = pattern("threshold-not-before", r"(?i)(?:^|[^\pL])not[\t \pZ]+$")
_NEGATED = {">": "<=", ">=": "<"}  # a lower bound of survival said not to be expected
# "LDL-C>=120 mg/dL": a two-glyph comparator glued to the name before it
GLUED_COMPARATOR = pattern("threshold-glued-comparator", r"([\pL\pN])(>=|<=)")
# "aPTT> ULN x 1.5": the multiple written after the upper limit of normal
ULN_FIRST = pattern("threshold-uln-first", r"(?-i:ULN)[\t \pZ]*[x×*][\t \pZ]*([0-9]+(?:[.,][0-9]+)?)")
# "PT(INR) < 1.5": the INR of a prothrombin time, one test (like "PT/INR")
PT_INR = pattern("threshold-pt-inr", rf"(?-i:PT){S}*\({S}*(?-i:INR){S}*\)")
DIPSTICK_AFTER = pattern(
    "threshold-dipstick-after",
    r"(?i)^[\t \pZ]*(?:on[\t \pZ]+)?(?:dipstick|proteinuria|protein|h[a]?ematuria|glucosuria|ketonuria|blood|glucose|ketones?)",
)
# Angle-bracket list numbers inside an item: "complications: <1> Active bleeding … <5> Serum creatinine ≥2 mg/dL"
ANGLE_LIST_NUMBER = pattern(
    "threshold-angle-list-number", rf"(^|[{textpatterns.SPACE}.;:,])<[0-9]{{1,2}}>([{textpatterns.SPACE}]*\p{{Lu}})"
)


def _normalized(text: str) -> str:
    """`text` with comparators as `≥ ≤ > < =` (words too, and post-comparators as private markers)."""
    if "\\" in text:
        text = _ESCAPED_COMPARATOR.sub(r"\1", unescape_markdown(text))
    text = text.translate(_GLYPHS)
    if "&" in text:  # HTML entities a registry page kept: "QTc &gt; 450 ms"
        for entity, glyph in _ENTITIES:
            text = text.replace(entity, glyph)
    glued = GLUED_LIST_NUMBER.match(text)
    if glued:
        text = text[glued.start(1) :]
    if ";" in text and "." in text:
        text = str(GLUED_LIST_AGE.sub(lambda m: m.group(1) + m.group(2), text))
    if "INR)" in text:
        text = str(PT_INR.sub("INR", text))
    if "ULN" in text:
        text = str(ULN_FIRST.sub(r"\1 x ULN", text))  # "aPTT > ULN x 1.5": 1.5 x ULN
    if "to" in text or "TO" in text:
        text = str(GLUED_TO.sub(r"\1 \2 \3", text))
    if ">=" in text or "<=" in text:
        text = str(GLUED_COMPARATOR.sub(r"\1 \2", text))
    if "<" in text and ">" in text:
        text = str(ANGLE_LIST_NUMBER.sub(lambda m: f"{m.group(1)}; {m.group(2)}", text))
    if not any(c.isalpha() for c in text):
        return text
    parts = []
    position = 0
    for match in COMPARATOR_WORD.finditer(text):
        key = _PHRASE_KEYS.get(" ".join(match.group(2).lower().split())) or next(
            k for i, k in enumerate(_REPLACEMENT_ORDER) if match.group(_REPLACEMENT_GROUPS[i]) is not None
        )
        end = match.end()
        if text[match.start(2) - 1 : match.start(2)] == "(" and text[match.end(2) : match.end(2) + 1] == ")":
            continue  # "formula (below)": a pointer to the text, no comparator
        if key in _POST_COMPARATORS:
            than = _at(_THAN_NEXT, text, end)
            if than is not None or _at(_NUMBER_NEXT, text, end):
                # "less than 18 or over 70", "20 years old or more than 60": `or` and the next number's comparator
                # "6 and less than 13" keeps its `and` (a range), "18 or more than" its `or`
                joining = "and " if match.group(2)[:3].lower() == "and" else "or "
                key = joining + (">" if key in (_POST_GE, _POST_OLDER) else "<")
                end = than.end(1) if than is not None else end
        parts += [text[position : match.start(2)], f" {key} "]
        position = end
    parts.append(text[position:])
    text = "".join(parts)
    if "+" in text:
        text = str(PLUS_YEARS.sub(lambda m: f"≥ {m.group(1)}{m.group(2)}", text))  # "18+ years of age"
    return str(WRAPPED_NUMBER.sub(r"\1 \2", text)) if "\n" in text else text


# --- mentions -----------------------------------------------------------------------------------------


def _names(case_insensitive: Iterable[str] = (), acronyms: Iterable[str] = ()) -> str:
    """Names as whole words: long names in any case, acronyms (`PT`, `Hb`, `Cr`) only as written."""
    parts = []
    if words := list(case_insensitive):
        parts.append(f"(?i:{_words(*words)})")
    if short := list(acronyms):
        parts.append(f"(?-i:{_words(*short)})")
    return "(?:" + "|".join(parts) + ")"


_SERUM = r"(?:(?i:serum|plasma|blood|s)[- ]?)?"
# Each key is a variable of the list, or `x_...`: a name that is not one (it takes the values after it,
# so that they are not given to the variable named before it), or a name for several variables.
_MENTIONS: dict[str, str] = {
    # names of other things that contain a listed name, first
    "x_free_hemoglobin": _names(
        [
            "plasma free hemoglobin",
            "plasma-free hemoglobin",
            "free hemoglobin",
            "free haemoglobin",
            "urine hemoglobin",
            "urinary hemoglobin",
            "urine haemoglobin",
        ]
    ),
    "x_hla": _names(["human leukocyte antigen", "human leucocyte antigen", "leukocyte antigen"]),  # HLA, no count
    "x_other_bilirubin": _names(
        [
            "direct bilirubin",
            "conjugated bilirubin",
            "indirect bilirubin",
            "unconjugated bilirubin",
            "bilirubin direct",
            "urine bilirubin",
        ],
        ["DBIL", "DBil", "IBIL"],
    ),
    "x_uacr": r"(?i:(?:spot )?(?:urine|urinary) (?:total )?(?:albumin|protein)(?:[- :/]*(?:to[- ](?:urine |urinary |total )*)?creatinine(?: ratio)?)?|albumin[- :/]*(?:to[- ](?:urine |urinary )?)?creatinine(?: ratio)?|albuminuria|microalbumin\w*|protein[- :/]*(?:to[- ](?:urine |urinary |total )*)?creatinine(?: ratio)?)|(?-i:UACR|UPCR|ACR|uACR)",
    "x_albumin_drug": _names(
        [
            "human serum albumin",
            "human albumin",
            "albumin infusion",
            "albumin infusions",
            "albumin therapy",
            "albumin administration",
            "albumin transfusion",
            "albumin use",
        ]
    ),
    "x_ck": _names(
        [
            "creatine kinase",
            "creatine kinases",
            "creatine-kinase",
            "creatinine kinase",
            "creatine phosphokinase",
            "creatine phospho kinase",
            "creatine-phosphokinase",
        ],
        ["CK", "CPK"],
    ),  # fmt: skip
    "hba1c": _names(
        [
            "hemoglobin A1c",
            "haemoglobin A1c",
            "hemoglobin A1C",
            "glycated hemoglobin",
            "glycated haemoglobin",
            "glycosylated hemoglobin",
            "glycosylated haemoglobin",
            "glycohemoglobin",
            "HbA1c",
            "HbA1C",
            "Hb A1c",
            "HgbA1c",
            "HgbA1C",
            "HgA1c",
            "Hgb A1c",
        ],
        ["A1c", "A1C", "HBA1C"],
    ),
    "x_other_dna": _names(
        [
            "HCV RNA",
            "HCV-RNA",
            "HIV RNA",
            "HIV-1 RNA",
            "HIV-RNA",
            "HCV viral load",
            "HIV viral load",
            "HDV RNA",
            "CMV DNA",
            "EBV DNA",
        ]
    ),
    "hbv_dna": _names(
        ["HBV DNA", "HBV-DNA", "HBVDNA", "hepatitis B virus DNA", "HBV viral load", "HBV viral loads", "serum HBV DNA"]
    ),
    "aptt": _names(
        [
            "activated partial thromboplastin time",
            "partial thromboplastin time",
            "activated partial prothrombin time",
            "partial prothrombin time",
        ],
        ["APTT", "aPTT", "PTT"],
    ),
    # "Prothrombin time (PT)-international normalized ratio (INR)" is one test, the INR.
    "inr": r"(?i:(?:prothrombin[\t \pZ]+time[\t \pZ]*(?:\(PT\)[\t \pZ]*)?-[\t \pZ]*)?international[\t \pZ]+"
    r"(?:normali[sz]ed|standardi[sz]ed)[\t \pZ]+ratio(?:[\t \pZ]+of[\t \pZ]+prothrombin[\t \pZ]+time)?|PT[- /]INR)|(?-i:INR)",
    "prothrombin_activity": _names(
        [
            "prothrombin activity",
            "prothrombin time activity",
            "prothrombin index",
            "PT activity",
            "prothrombin activities",
            "activity of prothrombin",
        ],
        ["PTA", "PT%"],
    ),
    "prothrombin_time": _names(["prothrombin time", "protime", "pro time", "prothrombin times"], ["PT"]),
    "total_bilirubin": r"(?:"
    + _SERUM
    + _names(
        [
            "total bilirubin",
            "bilirubin total",
            "bilirubin",
            "T-bilirubin",
            "T. bilirubin",
            "total serum bilirubin",
            "T-Bil",
            "Tbili",
            "T.Bil",
        ],
        ["TBil", "TBIL", "TBiL", "Tbil", "STB", "TSB", "TB", "BIL", "Bil"],
    )
    + ")",
    "alt": _names(
        [
            "alanine aminotransferase",
            "alanine transaminase",
            "alanine amino transferase",
            "SGPT",
            "ALAT",
            "serum glutamate pyruvate transaminase",
            "serum glutamic pyruvic transaminase",
            "glutamate pyruvate transaminase",
            "glutamic pyruvic transaminase",
            "glutamic-pyruvic transaminase",
        ],
        ["ALT", "GPT", "Alt"],
    ),
    "ast": _names(
        [
            "aspartate aminotransferase",
            "aspartate transaminase",
            "aspartate amino transferase",
            "SGOT",
            "ASAT",
            "serum glutamic oxaloacetic transaminase",
            "serum glutamate oxaloacetate transaminase",
            "glutamic oxaloacetic transaminase",
            "glutamate oxaloacetate transaminase",
            "glutamic-oxaloacetic transaminase",
        ],
        ["AST", "GOT", "Ast"],
    ),
    "x_transaminases": _names(
        [
            "transaminases",
            "transaminase",
            "aminotransferases",
            "aminotransferase",
            "liver enzymes",
            "liver enzyme",
            "hepatic enzymes",
            "transaminase levels",
            "liver transaminases",
        ]
    ),
    "life_expectancy": _names(
        [
            "life expectancy",
            "life-expectancy",
            "life expectation",
            "expected survival",
            "expected survival time",
            "expected survival period",
            "expected survival duration",
            "estimated survival",
            "estimated life expectancy",
            "predicted survival",
            "anticipated survival",
            "survival expectancy",
            "survival expected",
            "expected to survive",
            "expected to live",
            "expect time of survive",
            "expected lifespan",
            "expected life span",
            "limits lifespan",
            "limit lifespan",
            "limiting lifespan",
            "limits life span",
        ]
    ),
    # before `alcohol_intake`: "alcohol abstinence" is a name of its own, not "alcohol"
    "alcohol_abstinence": _names(
        [
            "abstinence from alcohol",
            "abstinent from alcohol",
            "abstain from alcohol",
            "abstained from alcohol",
            "abstinence from drinking",
            "alcohol abstinence",
            "alcohol-abstinent",
            "alcohol free",
            "alcohol-free",
            "free of alcohol",
            "sobriety",
            "stopped drinking",
            "stop drinking",
            "ceased drinking",
        ]
    ),
    "alcohol_intake": _names(
        [
            "alcohol",
            "alcohol consumption",
            "alcohol intake",
            "alcohol use",
            "ethanol",
            "ethanol intake",
            "ethanol consumption",
            "alcoholic beverages",
            "alcoholic beverage",
            "alcoholic drinks",
            "standard drinks",
            "standard drink",
            "drinks of alcohol",
            "daily intake",
            "weekly intake",
            "daily consumption",
            "weekly consumption",
        ]
    ),
    "ldl_cholesterol": _names(
        [
            "LDL cholesterol",
            "LDL-cholesterol",
            "low-density lipoprotein cholesterol",
            "low density lipoprotein cholesterol",
            "low-density lipoprotein",
            "low density lipoprotein",
        ],
        ["LDL", "LDL-C", "LDLc", "LDL-c"],
    ),
    "triglycerides": _names(
        [
            "triglycerides",
            "triglyceride",
            "triglyceride levels",
            "triglyceride level",
            "fasting triglycerides",
            "fasting triglyceride",
            "serum triglycerides",
            "triacylglycerol",
        ],
        ["TG", "TGs"],
    ),
    "qtc": _names(
        [
            "corrected QT interval",
            "corrected QT",
            "QT corrected",
            "QTc interval",
            "QTcF interval",
            "QTcB interval",
            "QT/QTc interval",
            "QT interval",
        ],
        ["QTc", "QTcF", "QTcB", "QTC", "QTcf", "QT/QTc", "QTc-F", "QT"],
    ),
    "nyha_class": _names(
        [
            "New York Heart Association",
            "New York Heart Classification",
            "New York Heart Association Classification",
            "NYHA functional class",
            "NYHA class",
            "NYHA classification",
        ],
        ["NYHA"],
    ),
    "hepatic_encephalopathy_grade": _names(
        ["hepatic encephalopathy", "portosystemic encephalopathy", "portal-systemic encephalopathy", "encephalopathy"],
        ["HE"],
    ),
    "alp": _names(
        [
            "alkaline phosphatase",
            "alkaline phosphatases",
            "alkaline phosphate",
            "alkalin phosphatase",
            "alkalin phosphatases",
            "alk phos",
            "alk. phos.",
        ],
        ["ALP", "AKP"],
    ),
    "x_other": _names(
        [
            "creatinine ratio",
            "creatinine ratios",
            "gamma glutamyl transferase",
            "gamma-glutamyl transferase",
            "gamma-glutamyltransferase",
            "gamma GT",
            "γ-GT",
            "γGT",
            "survival",
            "cholesterol",
            "sodium",
            "potassium",
            "urea",
            "urea nitrogen",
            "C-peptide",
            "C peptide",
            "glucose",
            "hematocrit",
            "haematocrit",
            "oxygen saturation",
            "proteinuria",
            "urine protein",
            "urinary protein",
            "protein",
            "temperature",
            "lactate",
            "lactic acid",
            "gamma globulin",
            "globulin",
            "immunoglobulin",
            "liver stiffness",
            "stiffness",
            "FIB-4",
            "FIB4",
            "lipase",
            "amylase",
            "ferritin",
            "C-reactive protein",
            "fibrinogen",
            "D-dimer",
            "ammonia",
            "lesion",
            "lesions",
            "tumor",
            "tumour",
            "tumors",
            "tumours",
            "nodule",
            "nodules",
            "diameter",
            "grade",
            "grades",
            "stage",
            "CTCAE",
            "drinks",
            "cigarettes",
            "episodes",
            "hypoglycemia",
            "hypoglycaemia",
            "insulin",
            "dose",
            "doses",
            "regimen",
            "regimens",
            "cycles",
            "mean arterial pressure",
            "heart rate",
            "pulse",
            "respiratory rate",
            "version",
            "childbearing age",
            "child-bearing age",
            "child bearing age",
            "reproductive age",
            "gestational age",
            "bone age",
            "age at diagnosis",
            "age of onset",
            "age at onset",
            "weight loss",
            "weight gain",
            "weight change",
            "birth weight",
            "molecular weight",
            "weight-based",
            "blasts",
            "blast",
            "bone marrow",
            "marrow",
            "lymphocytes",
            "lymphocyte count",
            "eosinophils",
            "monocytes",
            "reticulocytes",
            "red blood cells",
            "red blood cell",
            "hemoglobinopathy",
            "calcium",
            "magnesium",
            "phosphate",
            "phosphorus",
            "bicarbonate",
            "uric acid",
            "cortisol",
            "testosterone",
            "estradiol",
            "vitamin",
            "vitamin D",
            "TSH",
            "thyroid",
            "troponin",
            "BNP",
            "NT-proBNP",
            "pro-BNP",
            "CD4",
            "CD4 count",
            "CD34",
            "CD3",
            "viral load",
            "anti-HBs",
            "HBsAg",
            "HBeAg",
            "titer",
            "titre",
            "interval",
            "intervals",
            "Mayo",
            "SLEDAI",
            "MMSE",
            "AUDIT",
            "AUDIT-C",
            "PEth",
            "NAS",
            "VAS",
            "FEV1",
            "DLCO",
            "FVC",
            "SpO2",
            "SaO2",
            "PaO2",
            "FiO2",
            "MAP",
            "GGT",
            "HDL",
            "BUN",
            "Hct",
            "HCT",
            "CRP",
            "IgG",
            "IgM",
            "IgA",
            "INR target",
            "ELF",
            "FAST",
            "MAST",
            "CAP",
            "kPa",
            "RECIST",
            "Gleason",
            "PSA",
            "CEA",
            "CA19-9",
            "CA-125",
            "CA 19-9",
            "ANA",
            "AMA",
            "ASMA",
            "IgE",
            "HIV",
            "HCV",
            "HBV",
            "BCLC",
            "CLIF",
            "CLIF-C",
            "ACLF grade",
            "SOFA",
            "APACHE",
            "Glasgow",
            "GCS",
            "MELD exception",
            "pack-years",
            "pack years",
            "HAMD",
            "PHQ-9",
            "NRS",
            "ASA",
            "BP target",
        ]
    ),
    "albumin": r"(?:" + _SERUM + _names(["albumin"], ["ALB", "Alb"]) + ")",
    "creatinine_clearance": r"(?:"
    + _SERUM  # "serum creatinine clearance": not serum creatinine
    + _names(
        [
            "creatinine clearance",
            "creatinin clearance",
            "creatine clearance",
            "creatinine clearance rate",
            "calculated creatinine clearance",
            "endogenous creatinine clearance",
            "endogenous creatinine clearance rate",
            "measured creatinine clearance",
            "clearance of creatinine",
            "clearance of creatinin",
            "measured or calculated clearance",
            "calculated clearance",
            "measured clearance",
        ],
        ["CrCl", "CrCL", "CRCL", "Crcl", "Ccr", "CCr", "CCR", "CLcr", "CLCr"],
    )
    + ")",
    "egfr": _names(
        ["estimated glomerular filtration rate", "glomerular filtration rate", "estimated GFR"],
        ["eGFR", "EGFR", "GFR", "eGFRcr", "eGFR-EPI", "eGFR_CKD-EPI"],
    ),
    "creatinine": r"(?:"
    + _SERUM
    + _names(
        ["creatinine", "creatinin", "creatine", "creatinemia", "creatininemia", "S-creatinine"],
        ["SCr", "Scr", "sCr", "SCR", "Cr", "CREA", "Crea", "Creat"],
    )
    + ")",
    "platelets": _names(
        [
            "platelets",
            "platelet",
            "platelet count",
            "platelet counts",
            "platlet",
            "platlets",
            "platlet count",
            "platlet counts",
            "thrombocytes",
            "thrombocyte",
            "thrombocyte count",
            "blood platelets",
        ],
        ["PLT", "Plt", "PLTs", "Plts"],
    ),
    "wbc": _names(
        [
            "white blood cells",
            "white blood cell",
            "white blood cell count",
            "white blood cell counts",
            "white blood count",
            "white blood counts",
            "white cell count",
            "white cells",
            "leukocytes",
            "leucocytes",
            "leukocyte",
            "leucocyte",
            "leukocyte count",
            "leucocyte count",
            "total leukocyte count",
            "WBC count",
        ],
        ["WBC", "WBCs", "Wbc"],
    ),
    "anc": _names(
        [
            "absolute neutrophil count",
            "absolute neutrophil counts",
            "absolute neutrophils",
            "absolute neutrophil",
            "neutrophil count",
            "neutrophil counts",
            "neutrophils",
            "neutrophil",
            "neutrophile granulocytes",
            "neutrophil granulocytes",
            "granulocytes",
            "granulocyte count",
            "absolute granulocyte count",
            "polymorphonuclear leukocytes",
            "segmented neutrophils",
        ],
        ["ANC", "ANCs", "AGC", "AGCs", "NEUT", "PMN"],
    ),
    "hemoglobin": _names(
        ["hemoglobin", "haemoglobin", "hemoglobin level", "haemoglobin level"],
        ["Hb", "HB", "Hgb", "HGB", "hgb", "HGb", "Hbg"],
    ),
    "bmi": _names(["body mass index", "body-mass index", "Quetelet index"], ["BMI", "Bmi"]),
    "karnofsky": _names(
        [
            "Karnofsky performance status",
            "Karnofsky performance score",
            "Karnofsky performance scale",
            "Karnofsky score",
            "Karnofsky index",
            "Karnofsky",
        ],
        ["KPS"],
    ),
    "ecog": _names(
        [
            "Eastern Cooperative Oncology Group performance status",
            "Eastern Cooperative Oncology Group",
            "ECOG performance status",
            "ECOG performance score",
            "ECOG performance standard",
            "ECOG PS",
            "ECOG-PS",
            "ECOG score",
            "ECOG",
            "WHO performance status",
            "WHO performance score",
            "WHO PS",
            "WHO/ECOG PS",
            "WHO/ECOG performance status",
            "WHO/ECOG",
            "World Health Organisation performance status",
            "World Health Organization performance status",
            "Zubrod",
            "Zubrod performance status",
        ]
    ),
    "x_performance": _names(["performance status", "performance score", "performance scale"], ["PS"]),
    "lvef": _names(
        [
            "left ventricular ejection fraction",
            "left ventricle ejection fraction",
            "left-ventricular ejection fraction",
            "LV ejection fraction",
            "LV ejection fractions",
            "ejection fractions",
            "ejection fraction",
            "LV EF",
        ],
        ["LVEF", "EF", "LVEF%"],
    ),
    "afp": _names(
        [
            "alpha-fetoprotein",
            "alpha fetoprotein",
            "alphafetoprotein",
            "α-fetoprotein",
            "α-FP",
            "alpha-foetoprotein",
            "alpha foetoprotein",
            "alpha feto protein",
        ],
        ["AFP"],
    ),
    "systolic_bp": _names(
        [
            "systolic blood pressure",
            "systolic pressure",
            "systolic BP",
            "arterial systolic blood pressure",
            "systolic arterial pressure",
            "systolic",
        ],
        ["SBP"],
    ),
    "diastolic_bp": _names(["diastolic blood pressure", "diastolic pressure", "diastolic BP", "diastolic"], ["DBP"]),
    "x_blood_pressure": _names(
        ["blood pressure", "arterial pressure", "arterial hypertension", "hypertension"], ["BP"]
    ),
    "weight": _names(["body weight", "bodyweight", "weight", "weighing", "weighs", "weigh"]),
    "meld_na": _names(["MELD-Na", "MELD Na", "MELDNa", "MELD-sodium", "MELD sodium", "MELD-Na score", "MELD(Na)"]),
    "meld": _names(
        [
            "Model for End-Stage Liver Disease",
            "Model for End Stage Liver Disease",
            "Model of End-Stage Liver Disease",
            "Model for End-stage Liver Disease score",
            "End-stage liver disease score",
            "End-stage liver disease scores",
            "MELD score",
            "MELD scores",
            "MELD-score",
            "MELD",
        ]
    ),
    "x_child_pugh": _names(
        [
            "Child-Turcotte-Pugh",
            "Child Turcotte Pugh",
            "Child-Pugh-Turcotte",
            "Child-Pugh",
            "Child Pugh",
            "ChildPugh",
            "Child's-Pugh",
            "Childs-Pugh",
            "Childs Pugh",
            "Child-pugh's",
            "Child's class",
            "Child's classification",
            "Child's grade",
            "Child class",
            "Child classification",
            "Child grade",
            "Child score",
            "Child stage",
            "Child-Pugh-Score",
            "Child and Pugh",
        ],
        ["CTP"],
    )
    + r"(?:[\t \pZ]*\((?:CTP|CP|C-P)\))?(?:[\t \pZ]*(?i:score|scores|class|classification|grade|stage|status))?",
    "x_age_adjusted": _names(["non-age adjusted", "non-age-adjusted", "age-adjusted", "age adjusted"]),
    "age": _names(["ages eligible for study", "age eligible for study", "age", "aged", "ages"]),
}
MENTION = pattern(
    "threshold-mention",
    # The character before a name is consumed; the end is `\b` (not consumed), so `ALT/AST` gives two names.
    r"(?:^|[^\pL\pN_])(?:" + "|".join(f"(?P<{key}>{regex})" for key, regex in _MENTIONS.items()) + r")\b",
    max_mem=64 << 20,
)
# The key of each capturing group (looking groups up by name is slow in RE2).
_MENTION_KEYS = {MENTION.groupindex[key]: key for key in _MENTIONS}

# What follows a Child-Pugh name: a class letter, maybe with its score (`B7`), and more of them ("B or C").
CHILD_PUGH_CLASS = pattern(
    "threshold-child-pugh-class",
    r"[\t \pZ]*(?:(?i:of|is|was|=|:)[\t \pZ]*)?(?:(?i:grade|class)[\t \pZ]+)?([≥≤<>])?[\t \pZ]*(?-i:([ABC])([0-9]{1,2})?)"
    r"(?:[^\pL\pN]|$)",
)
CHILD_PUGH_MORE = pattern(
    "threshold-child-pugh-more",
    r"[\t \pZ]*(?:,[\t \pZ]*)?(?:(?i:or|and|to|and/or)|/|-|,)[\t \pZ]*(?:(?i:child[- ]?pugh|class|grade)[\t \pZ]*)?"
    r"(?-i:([ABC])([0-9]{1,2})?)(?:[^\pL\pN]|$)",
)

# NYHA classes and encephalopathy grades: roman or arabic, one or a range, after the name or before it.
_CLASS_NUMBERS = {"I": 1.0, "II": 2.0, "III": 3.0, "IV": 4.0, "Ⅰ": 1.0, "Ⅱ": 2.0, "Ⅲ": 3.0, "Ⅳ": 4.0, "0": 0.0,
                  "1": 1.0, "2": 2.0, "3": 3.0, "4": 4.0}  # fmt: skip
_CLASS = r"(?-i:(IV|III|II|I|Ⅳ|Ⅲ|Ⅱ|Ⅰ|[0-4]))"
_CLASS_JOIN = r"[\t \pZ]*(?:-|\\?~|～|〜|to|or|and|&|/|,|through)[\t \pZ]*(?:(?i:class|grade)[\t \pZ]*)?"
_CLASS_WORD = r"(?i:(?:functional[\t \pZ]+)?(?:class(?:es|ification)?|grades?|degree|stage|category|score|rating(?:[\t \pZ]+of)?))"
# After the name: the class right away ("NYHA III-IV"), or a few words (no comma, number or clause break)
# then a class word ("(NYHA) has a heart function rating of ≥ II"); a list keeps its first and last class.
CLASS_AFTER = pattern(
    "threshold-class-after",
    r"[\t \pZ]*(?:\((?-i:NYHA|HE)\))?(?:([^0-9,;.\n≥≤<>]{0,40}?(?:(?i:standards?|classification),[\t \pZ]*)?)"
    + _CLASS_WORD
    + r")??[\t \pZ]*\(?[\t \pZ]*"
    r"(?:(?i:of|is|=|:)[\t \pZ]*)?([≥≤<>])?[\t \pZ]*(?:(?i:class|grade)[\t \pZ]*)?([≥≤<>])?[\t \pZ]*"
    + _CLASS
    + "(?:"
    + _CLASS_JOIN
    + _CLASS
    + r")*(?:[^\pL\pN]|$)",
)
CLASS_BEFORE = pattern(
    "threshold-class-before",
    r"(?:([≥≤<>])[\t \pZ]*)?"
    + _CLASS_WORD
    + r"[\t \pZ]*([≥≤<>])?[\t \pZ]*"
    + _CLASS
    + "(?:"
    + _CLASS_JOIN
    + _CLASS
    + r")*(?:[^\pL\pN]|$)",
)
# What may stand between a class written before its name and the name: "Class III or IV heart failure as
# defined by the NYHA", "grade III-IV (West Haven) encephalopathy"; anything else ("grade 3 neuropathy or
# hepatic encephalopathy") belongs to something else.
CLASS_BEFORE_GAP = {
    "nyha_class": pattern(
        "threshold-class-before-gap-nyha",
        rf"(?i)^(?:[\t \pZ(){_POST_GE}{_POST_LE}]|congestive|chronic|heart|failure|cardiac|insufficiency|disease|chf|as|defined"
        r"|by|the|according|to|per|using|in|of|symptoms|functional|classification|criteria)*$",
    ),
    "hepatic_encephalopathy_grade": pattern(
        "threshold-class-before-gap-he",
        rf"(?i)^(?:[\t \pZ(){_POST_GE}{_POST_LE}]|hepatic|overt|portosystemic|portal-systemic|west|haven)*$",
    ),
}
# Encephalopathies that are not hepatic, and a number that is a time or an amount, not a class.
OTHER_ENCEPHALOPATHY = pattern(
    "threshold-other-encephalopathy",
    r"(?i)(?:wernicke'?s?|hypertensive|uremic|uraemic|septic|metabolic|toxic|hiv|hypoxic|ischemic|ischaemic|anoxic"
    r"|traumatic|epileptic|spongiform)[\t \pZ-]*$",
)
_CLASS_RANGE = {"nyha_class": (1.0, 4.0), "hepatic_encephalopathy_grade": (0.0, 4.0)}
_CLASS_WORD_IN = pattern("threshold-class-word-in", r"(?i)grade|class|stage")
CLASS_GAP_OTHER = pattern(
    "threshold-class-gap-other", r"(?:^|[^\pL])(?:(?i:or|and|with|without)|(?-i:[A-Z]{2,}))(?:[^\pL]|$)"
)

# --- values -------------------------------------------------------------------------------------------

_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                 "nine": 9, "ten": 10, "twenty": 20, "twice": 2}  # fmt: skip
# A number with the comparators written before it. Number words count only before a ULN multiple.
NUMBER = pattern(
    "threshold-number",
    r"(?P<pre>(?:[≥≤<>=][\t \pZ]*)+)?(?P<num>[0-9]{1,3}(?:[ \x{2009}\x{202f}][0-9]{3})+(?:[.,][0-9]+)?|[0-9]+(?:[.,][0-9]+)*"
    r"|(?i:" + "|".join(_NUMBER_WORDS) + r"))",
)
_H = r"[\t \pZ]*"  # blanks inside a unit
_LITRE = r"(?:lit(?:er|re)s?|l)"
_MICROLITRE = rf"(?:microlit(?:er|re)s?|micro{_H}lit(?:er|re)s?|microl|mcl|[μu]l)"
_ULN_NAME = (
    rf"(?:ULN|upper{_H}limits?{_H}(?:of{_H})?(?:the{_H})?(?:normal|reference)(?:{_H}(?:range|values?|limits?))?"
    rf"|upper{_H}normal{_H}(?:limits?|values?|range)|upper{_H}limits?|top{_H}(?:of{_H})?normal|(?-i:UNL|ULRR)|(?:the{_H})?normal(?:{_H}(?:upper{_H})?"
    rf"(?:limits?|values?|range))?|(?-i:N))"
)
_PER_DAY_OR_WEEK = rf"(?:{_H}(?:/|per|a|each){_H}(?:drinking{_H})?(?:day|d|week|wk)|{_H}(?:daily|weekly))?"
# Units after a number, each a named group (its key); `foreign` units belong to no listed variable.
_UNITS = {
    "e9": rf"(?:[x×*·]{_H})?10{_H}(?:\^|\*\*|\*|E|e|\()?{_H}[9⁹]\)?{_H}(?:cells{_H})?(?:/|per{_H}){_H}{_LITRE}|(?-i:G{_H}/{_H}L)",
    "e3ul": rf"(?:[x×*·]{_H})?10{_H}(?:\^|\*\*|\*|E|e|\()?{_H}[3³]\)?{_H}(?:cells{_H})?(?:/|per{_H}){_H}(?:{_MICROLITRE}|mm3|mm\^3|mm³|cu{_H}mm|cumm)"
    rf"|(?-i:K){_H}/{_H}[μu]l|[x×*]{_H}1000{_H}/{_H}(?:mm3|mm³|[μu]l)",
    "uln": rf"(?:[x×*⋅·]|times|-?fold){_H}(?:of{_H})?(?:the{_H})?(?:(?:institutional|local|laboratory){_H})?{_ULN_NAME}"
    rf"(?:{_H}\({_H}ULN{_H}\))?"
    rf"|(?:the{_H})?(?:ULN|upper{_H}limits?{_H}of{_H}(?:the{_H})?normal(?:{_H}(?:range|values?))?|upper{_H}normal{_H}limits?)"
    rf"|times|-?fold|(?-i:N)",  # "ALT > 5N": five times normal
    "mm3": rf"(?:(?:cells|platelets|cell){_H})?(?:(?:/|per){_H})?(?:mm3|mm\^3|mm³|mm{_H}3|cumm|cmm)|(?:/|per){_H}cu\.?{_H}mm"
    rf"|(?:/|per){_H}cubic{_H}millimet(?:er|re)s?",
    "ul": rf"(?:(?:cells|platelets|cell){_H})?(?:/|per){_H}{_MICROLITRE}",
    "mgdl": rf"mg{_H}/{_H}d[lL]|mg{_H}/{_H}100{_H}m[lL]|mg{_H}%|mg{_H}/{_H}deciliter|milligrams?{_H}per{_H}decilit(?:er|re)|mg{_H}per{_H}dl",
    "gdl": rf"g(?:m|ms|r)?{_H}/{_H}d[lL]|g{_H}/{_H}100{_H}m[lL]|grams?{_H}per{_H}decilit(?:er|re)|g{_H}%",
    "gl": rf"g(?:m|ms|r)?{_H}/{_H}{_LITRE}|grams?{_H}per{_H}lit(?:er|re)",
    "umol": rf"[μu]mo[l1]{_H}/{_H}{_LITRE}|micromol(?:es)?{_H}(?:/|per){_H}{_LITRE}|(?-i:[μu]M|µM)|[μu]mo[l1]|micromolar",
    "mmolmol": rf"mmol{_H}/{_H}mol",
    "mmoll": rf"mmol{_H}/{_H}{_LITRE}|(?-i:mM)",
    "pct": rf"%|percent|per{_H}cent",
    "kgm2": rf"kg{_H}/{_H}m(?:2|\^2|²|{_H}2)|(?:kg|kilograms?){_H}per{_H}(?:square{_H}met(?:er|re)s?|m2|m²|sq\.?{_H}m)|kg{_H}/{_H}(?:square|sq\.?){_H}m(?:eters?|etres?)?|kg{_H}m-2|kg{_H}m\^-2",
    "kg": r"kg|kgs|kilograms?",
    "lb": r"lbs?|pounds?",
    "mlmin173": rf"m[lL]{_H}/{_H}min(?:ute)?{_H}(?:/|per){_H}1[.,]73(?:{_H}m(?:2|\^2|²)?)?|m[lL]{_H}/{_H}1[.,]73{_H}m(?:2|\^2|²)?{_H}/{_H}min",
    "mlmin": rf"(?:m[lL]|cc){_H}/{_H}min(?:ute)?s?|m[lL]{_H}per{_H}min(?:ute)?",
    "mmhg": rf"mm{_H}/?{_H}hg",
    "ul_enz": rf"(?:i?u|units?){_H}/{_H}{_LITRE}|(?:international{_H})?units?{_H}per{_H}lit(?:er|re)",
    "iuml": rf"(?:iu|u){_H}/{_H}m[lL]|international{_H}units?{_H}(?:/|per){_H}m(?:l|illilit(?:er|re))",
    "copies": rf"copies{_H}(?:/|per){_H}m[lL]|cp{_H}/{_H}m[lL]",
    "ngml": rf"ng{_H}/{_H}m[lL]|[μu]g{_H}/{_H}{_LITRE}|ng{_H}per{_H}m[lL]",
    "years_age": rf"(?:years?|yrs?|y){_H}-?{_H}(?:old|of{_H}age)|-?years?-old|y/o|yoa|yo",
    # an infant's age: "< 12 hours of age", "28 days old", "6-week-old"
    "young_age": rf"(?:months?|weeks?|wks?|days?|hours?|hrs?){_H}-?{_H}(?:old|of{_H}age)|-?(?:month|week|day|hour)s?-old",
    "years": r"years?|yrs?|yr|y",
    "months": r"months?|mos?\.?|mths?|mouths?",
    "sec": r"seconds?|secs?|s",
    "points": r"points?|pts?",
    "weeks": r"weeks?|wks?|wk",
    "days": r"days?",
    "hours": r"hours?|hrs?",  # a life expectancy of hours (intensive care); nothing else is read in hours
    "ms": r"msecs?|ms|milliseconds?",
    # alcohol: grams a day or week; drinks (or units of alcohol), perhaps per day or week
    "alcohol_g": rf"(?:g|gm|gms|grams?)(?:{_H}of{_H}(?:pure{_H})?(?:alcohol|ethanol))?{_H}(?:(?:/|per|a|each){_H}"
    rf"(?:day|d|week|wk)|daily|weekly)",
    "alcohol_drinks": rf"(?:(?:standard|alcoholic){_H})?(?:drinks?|beverages?)(?:{_H}of{_H}alcohol)?{_PER_DAY_OR_WEEK}"
    rf"|(?:alcohol{_H})?units?{_H}of{_H}alcohol{_PER_DAY_OR_WEEK}|alcohol{_H}units?{_PER_DAY_OR_WEEK}",
    "alcohol_units": rf"units?{_PER_DAY_OR_WEEK}",
    "foreign": rf"mg{_H}/{_H}(?:g|kg|l|m2|day|d|mmol)|mg|g{_H}/{_H}(?:d|day|week)|meq{_H}/{_H}{_LITRE}"
    rf"|[np]mol{_H}/{_H}{_LITRE}|pg{_H}/{_H}m[lL]|ng{_H}/{_H}dl|msecs?|ms|milliseconds?|mm|cm|kpa|°{_H}[CF]|°|degrees?"
    rf"|o{_H}C|bpm|beats|breaths|drinks?|units?|episodes?|cigarettes?|pack{_H}-?years?|lesions?|cycles?|ml|mcg|[μu]g"
    rf"|iu|cells|mmol|log|copies|weeks?|wks?|days?|d|hours?|hrs?|h|minutes?|mins?|grade|x",
    "grams": r"grams?|gms?|g",  # an infant's weight ("Body weight < 2,500 g"); after `foreign`'s "g/d", "mg"
}
_UNIT_ORDER = list(_UNITS)
UNIT = pattern(
    "threshold-unit",
    rf"{_H}(?:-{_H})?(?i:" + "|".join(f"(?P<{key}>{regex})" for key, regex in _UNITS.items()) + ")",
)
_UNIT_GROUPS = {UNIT.groupindex[key]: key for key in _UNIT_ORDER}
_ALPHABETIC_END_UNITS = {
    "sec", "years", "months", "weeks", "days", "hours", "ms", "points", "kg", "lb", "foreign", "uln", "years_age",
    "young_age", "pct", "grams", "alcohol_g", "alcohol_drinks", "alcohol_units",
}  # fmt: skip
# A power of ten: `10^4`, `10E5`, `10⁵`, `x 10^3` (not a cell-count unit such as `x 10^9/L`, read before).
POWER = pattern(
    "threshold-power",
    rf"{_H}([x×*]{_H}10{_H})?(?:(?:\^|\*\*|E\+?|e\+?){_H}([0-9]{{1,2}})|{_H}([⁰¹²³⁴⁵⁶⁷⁸⁹]{{1,2}}))",
)
_POWER_HINT = pattern("threshold-power-hint", r"[x×*]|10")
_PER_TIME_HINT = pattern("threshold-per-time-hint", r"/|per|dai|a |over|in ")
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
BP_PAIR = pattern("threshold-bp-pair", rf"{_H}/{_H}([0-9]{{2,3}})")
POST_COMPARATOR = pattern(
    "threshold-post-comparator", rf"{_H}([{_POST_GE}{_POST_LE}{_POST_OLDER}{_POST_YOUNGER}{_POST_BETTER}])"
)
# A value per unit of time is a rate (a daily rise of bilirubin), not a level.
PER_TIME = pattern(
    "threshold-per-time",
    rf"(?i){_H}(?:/{_H}(?:per{_H})?(?:day|d|24{_H}h|week|wk|month|year)|per{_H}(?:day|week|month|year)|daily|a{_H}day"
    rf"|over{_H}[0-9]|in{_H}[0-9]+{_H}(?:days?|weeks?|months?|years?)|/{_H}(?:per){_H}(?:day|d))",
)
BP_WORD_AFTER = pattern(
    "threshold-bp-word-after",
    rf"(?i){_H}(?:(?:(systolic)|(diastolic))(?:[^\pL]|$)|\({_H}(?:(systolic)|(diastolic)){_H}\))",
)  # "100 mmHg diastolic", "≥ 160 mmHg (systolic)": not "(systolic > 160", "(systolic/diastolic)"
NOT_ULN_TIMES = pattern(
    "threshold-not-uln-times",
    rf"(?i){_H}(?:per|a|an|daily|weekly|monthly|in|each|every|the{_H}dose|more|higher)(?:[^\pL]|$)",
)
INCLUSIVE_RANGE = pattern("threshold-inclusive-range", r"(?i)[^;.]{0,12}(?:inclusive|includ(?:ing|ed)|boundary)")
BETWEEN_BEFORE = pattern("threshold-between-before", r"(?i)(?:between|from)[^0-9;.]{0,30}$")
TO_GAP = pattern("threshold-to-gap", rf"(?i)^{_H}(?:-|~|to){_H}$")
AND_GAP = pattern("threshold-and-gap", rf"(?i)^{_H}and{_H}$")
RANGE_GAP = pattern("threshold-range-gap", rf"(?i)^{_H}(?:-|~|to|至|and|through|until){_H}$")
BOUND_GAP = pattern("threshold-bound-gap", rf"(?i)^{_H}(?:,|and|or|but|to|,{_H}and|,{_H}or|,{_H}but)?{_H}$")
LIST_GAP = pattern("threshold-list-gap", rf"(?i)^{_H}(?:,|/|or|,{_H}or|and|,{_H}and){_H}$")
# After a `between` of years: words saying it is a time, not an age.
TIME_AFTER = pattern(
    "threshold-time-after",
    rf"(?i){_H}(?:ago|since|after|before|prior|post-\pL|post{_H}(?:transplant|surgery|operati|CABG|PCI|infarct|stroke"
    rf"|injury)|of{_H}(?:treatment|therapy|diagnosis|disease|follow))",
)
# People named right before a number of years: the years are their age ("Adult patients ≥ 18 years").
PERSON_BEFORE = pattern(
    "threshold-person-before",
    r"(?i)(?:adults?|patients?|subjects?|participants?|men|women|males?|females?|volunteers?|children|adolescents?"
    r"|individuals?|persons?|people|boys|girls)[^0-9;.]{0,12}$",
)
# Who is "< 48 hours old" or "1 to 3 days old": an infant named right before, or the item's subject (it starts
# with the age), not a scan, a surgery or an infarction.
YOUNG_PERSON_BEFORE = pattern(
    "threshold-young-person-before",
    r"(?i)(?:^[\t \pZ]*(?:(?:are|be|is)[\t \pZ]+)?|(?:infants?|neonates?|newborns?|babies|baby|children|child|boys?|girls?)"
    r"[\t \pZ]+(?:(?:aged?|who[\t \pZ]+are|that[\t \pZ]+are)[\t \pZ]+)?)[\t \pZ<>≤≥=-]*$",
)
NOT_AGE_YEARS_BEFORE = pattern(
    "threshold-not-age-years-before",
    r"(?i)(?:within|for|past|last|since|during|previous|over|after|before|prior|course|duration|history|diagnos\w*"
    r"|disease|treatment|therapy|onset|remission|free|smok\w*|menopaus\w*)[^0-9]{0,25}$",
)
# A formula's coefficients are not thresholds: `0.957 × ln(Cr) + 0.378 × ln(bilirubin)`.
FORMULA = pattern(
    "threshold-formula", r"(?i)(?:^|[^\pL])(?:ln|log|log10|exp)[\t \pZ]*\(|[×*][\t \pZ]*(?:ln|log)(?:[^\pL]|$)"
)
CLAUSE_BREAK = pattern("threshold-clause-break", r";|\.[\t \pZ\n]|\n")
# Words between a name and its number that show the number is not a level of it.
NOT_A_LEVEL = pattern(
    "threshold-not-a-level",
    r"(?i)(?:^|[^\pL])(?:within|since|ago|version|decline|declines|decrease|decreased|increase|increased|increment|rise|rising"
    r"|ascend\w*|drop|fall|reduction|reduced|change|changes|loss|gain|doubling|fluctuation|variation|daily|dose|dosage"
    r"|duration|detection|quantification|dynamic"
    r"|assay|sensitivity|cut-?off|mortality|risk|probability)(?:[^\pL]|$)",
)
DURATION_WORD = pattern("threshold-duration-word", r"(?i)(?:^|[^\pL])(?:for|during)(?:[^\pL]|$)")
TEST_NAMES = pattern("threshold-test-names", r"(?:^|[^\pL])(?-i:ECGs?|EKGs?)(?:[^\pL]|$)")  # a test, not a measure
SCALE_NAMES = pattern(
    "threshold-scale-names", r"(?:^|[^\pL])(?-i:WHO|ECOG|Zubrod|GOG|SWOG|CTC|CALGB)(?:[^\pL]|$)"
)  # "Performance status: WHO 0-2"
OTHER_SCALE_EF = pattern("threshold-other-scale-ef", r"(?:^|[^\pL])(?-i:([A-Z]{2,}))-$")
THAT_IS = pattern("threshold-that-is", r"(?i)(?:^|[^\pL])(?:i\.?e\.?|that is)(?:[^\pL]|$)")  # "< 2 i.e. 0 or 1"
RESPECTIVE_CONDITIONS = pattern(
    "threshold-respective-conditions", r"(?i)(?:^|[^\pL])(?:with|without|presence|absence|in|for)(?:[^\pL]|$)"
)
RESPECTIVELY = pattern("threshold-respectively", r"(?i)(?:^|[^\pL])respectively(?:[^\pL]|$)")
CITATION = pattern(
    "threshold-citation", r"\([^()]*(?:^|[^\pL])et[\t \pZ]+al(?:[^\pL]|$)[^()]*\)"
)  # "(Oken et al.,1982)": no value in it
LANSKY_BEFORE = pattern("threshold-lansky-before", r"(?i)Lansky[^;.0-9]{0,40}$")  # a children's scale, not Karnofsky
SCALE_BEFORE_BRACKET = pattern(
    "threshold-scale-before-bracket",
    r"(?i)(?:ECOG|Lansky|Karnofsky|Zubrod|performance status|performance score)[\t \pZ]*"
    r"(?:(?:play|performance|status|score|scale|PS|KPS|LPS)[\t \pZ]*){0,3}(?:of[\t \pZ]*)?"
    r"(?:[0-9≤≥<>=%\t \pZ-]|or|to|and)*$",
)  # "ECOG 0 or 1 (age ≥ 16 years) or Lansky (age < 16 years)": the ages say which scale applies
MENOPAUSE_AFTER = pattern(
    "threshold-menopause-after",
    r"(?i)^[^;.]{0,60}?(?:considered|defined|(?:be|is|are)[\t \pZ]+consider)[\t \pZ]+(?:as[\t \pZ]+)?(?:post-?[\t \pZ]*)?menopaus",
)  # "Women ≥ 50 years of age would be considered post-menopausal if …": a definition, not a limit
CONSENT_AFTER = pattern(
    "threshold-consent-after",
    r"(?i)^[^;.]{0,40}?(?:may|can|could)[\t \pZ]+(?:also[\t \pZ]+)?(?:participate|enrol|enroll|be[\t \pZ]+enrolled|take[\t \pZ]+part)"
    r"[^;.]{0,30}?(?:consent|assent|permission)",
)  # "Patients < 18 years of age may participate with the consent of a parent": who signs, not a limit
# "consent from parent or legal guardian for patients less than 18 years", "if the legal age is > 18",
# "onset age less than 60 years": an age that says who signs, what the law says or when a disease began
NOT_AGE_LIMIT_BEFORE = pattern(
    "threshold-not-age-limit-before",
    r"(?i)(?:(?:consent|assent)[^;.]{0,40}(?:parent|guardian)[^;.]{0,20}(?:(?:for|of)[\t \pZ]+"
    r"(?:patients|subjects|participants|children|minors|those)[^;.]{0,15}|if[\t \pZ]*)"
    r"|if[\t \pZ]+the[\t \pZ]+legal[\t \pZ]+age[^;.]{0,15}"
    r"|onset[\t \pZ]+age[^;.]{0,10}|age[\t \pZ]+(?:at|of)[\t \pZ]+onset[^;.]{0,10})$",
)
# "For patients aged 12-17 years, the written informed consent of the parents …": who signs, not a limit
FOR_WHOM_BEFORE = pattern(
    "threshold-for-whom-before",
    r"(?i)(?:^|[.;:(][\t \pZ]*)for[\t \pZ]+(?:patients|subjects|participants|children|minors|those)[^0-9;.,]{0,20}$",
)
CONSENT_CLAUSE_AFTER = pattern(
    "threshold-consent-clause-after",
    r"(?i)^[^;.,]{0,25},[^;.]{0,60}(?:consent|assent|permission)[^;.]{0,40}(?:parent|guardian|legal|relative|witness)",
)
# "1-11 months of age must have > 2000 cells/mm3 …; 7 years and older must have > 500 cells/mm3": age bands
# that each choose a limit of another test (two or more in one item), not limits of entry
AGE_BAND_RULE = pattern(
    "threshold-age-band-rule",
    r"(?i)(?:^|[;:]|(?:^|[^\pL])and)[\t \pZ]*[0-9]{1,3}(?:[\t \pZ]*(?:months?|years?|yrs?))?"
    r"(?:[\t \pZ]*(?:-|to)[\t \pZ]*[0-9]{1,3})?[\t \pZ]*(?:months?|years?|yrs?)[^0-9;:.]{0,16}?"
    r"(?:must|should)[\t \pZ]+(?:have|be)",
)  # each band starts its clause: "; 12-23 months must have", not "at least 3 months must have passed"
AGE_BAND_RULE_AFTER = pattern(
    "threshold-age-band-rule-after",
    r"(?i)^(?:[\t \pZ]+(?:and|or)[\t \pZ]+older)?[\t \pZ]+(?:must|should)[\t \pZ]+(?:have|be)",
)
DONOR_AGE_BEFORE = pattern(
    "threshold-donor-age-before",
    r"(?i)donors?[\t \pZ(]+(?:(?:must[\t \pZ]+be|is|are|be)[\t \pZ]+)?(?:aged?|ages)?[\t \pZ]*(?:between|from)?[\t \pZ]*$",
)
ASSENT_AFTER = pattern(
    "threshold-assent-after",
    r"(?i)^[^;.]{0,40}?(?:must|will|should)[\t \pZ]+(?:also[\t \pZ]+)?(?:give|provide|sign)[\t \pZ]+(?:their[\t \pZ]+)?assent",
)
AT_ONSET_AFTER = pattern("threshold-at-onset-after", r"(?i)^[^;.]{0,20}?at[\t \pZ]+(?:disease[\t \pZ]+)?onset")
ABBREVIATION_DOTS = pattern("threshold-abbreviation-dots", r"(?i)\b([ie])\.([eg])\.")
ALCOHOL_WORD = pattern("threshold-alcohol-word", r"(?i)alcohol|ethanol|drink|beer|wine|liquor|spirits")
PER_D = pattern("threshold-per-d", r"(?:/|per|a)[\t \pZ]*d$")
INTAKE_WORDS = pattern("threshold-intake-words", r"(?i)(?:^|[^\pL])(?:daily|weekly)(?:[^\pL]|$)")
# Words in front of a name that make its numbers a change (`daily increase of TBIL ≥17.1 µmol/L`).
RATE_BEFORE = pattern(
    "threshold-rate-before",
    r"(?i)(?:increase|increased|rise|rising|decline|decrease|drop|fall|reduction|change|elevation rate|doubling)"
    r"(?:[\t \pZ]+(?:of|in))?[\t \pZ]+(?:the[\t \pZ]+)?(?:serum[\t \pZ]+)?$",
)
# Words that may join two names that share one value ("ALT and AST", "AST/ALT", "creatinine (Cr)").
COORDINATED = pattern(
    "threshold-coordinated",
    r"(?i)^(?:[\t \pZ,/&()\[\]+-]|and/or|and|or|as well as|both|either|serum|plasma|the|levels?|counts?|values?"
    r"|measured|calculated|estimated|radioisotope|radionuclide|isotopic|nuclear|urinary|24-hour"
    r"|(?-i:[A-Z][A-Z0-9]{1,5}))*$",  # "ALT, AST, LDH or bilirubin > 2 x ULN": a test of no listed variable
)
# What may lie between a value and the next one it is chained to: connectors and a short qualifier.
CHAIN_GAP = pattern(
    "threshold-chain-gap",
    r"(?i)^[\t \pZ,()\[\]/:-]*(?:(?:or|and|and/or|but|if|in|for|unless|except|while|when|whereas|with|without|otherwise"
    r"|respectively|ie|i\.e\.|e\.g\.|eg|men|women|males?|females?|for[\t \pZ]+(?:men|women|males?|females?))"
    r"(?:[^\pL]|$)[^0-9;]*)?$",
)
ACRONYM = pattern("threshold-acronym", r"(?-i:[A-Z][A-Za-z]*[A-Z])")
PARENTHESIZED = pattern("threshold-parenthesized", r"\([^()]*\)|\[[^\[\]]*\]")
EXCLUDED = pattern(
    "threshold-excluded",
    r"(?i)(?:are|is|be|being|were|will[\t \pZ]+be|shall[\t \pZ]+be)[\t \pZ]+excluded|must[\t \pZ]+not[\t \pZ]+(?:have|be|show|present|exhibit)"
    r"|should[\t \pZ]+not[\t \pZ]+have|(?:are|is|be)[\t \pZ]+(?:not[\t \pZ]+eligible|ineligible)",
)
# "Patients with a history of QTc prolongation (…), … are excluded": a sentence whose subject is the patients
# and whose verb excludes them (not "… in whom other causes were excluded")
EXCLUDED_SENTENCE = pattern(
    "threshold-excluded-sentence",
    r"(?i)^[\t \pZ]*(?:patients|subjects|participants|those|individuals|women|men|children|persons)(?:[^\pL]|$)[^;]*"
    r"(?:are|will[\t \pZ]+be)[\t \pZ]+(?:excluded|ineligible|not[\t \pZ]+eligible)[\t \pZ.]*$",
)
PERSON_WORD = pattern(
    "threshold-person-word",
    r"(?i)(?:^|[^\pL])(?:patients?|subjects?|participants?|those|individuals?|women|men|children|persons?)(?:[^\pL]|$)",
)
# "No one age less than 18 years", "No patients with serum creatinine > 2 mg/dL": who may not enter
NO_PERSON = pattern(
    "threshold-no-person",
    r"^[\t \pZ]*(?-i:No)[\t \pZ]+(?i:one|patients?|subjects?|persons?|people|participants?|individuals?|women|men"
    r"|children)(?:[^\pL]|$)",
)
EXCEPTION_WORDS = pattern(
    "threshold-exception-words", r"(?i)(?:^|[^\pL])(?:unless|except|provided|other[\t \pZ]+than)(?:[^\pL]|$)"
)
# B: "… (no higher than 150/90 mm Hg)" after "controlled", "allowed": a limit the patient must meet
ALLOWED_BEFORE = pattern(
    "threshold-allowed-before",
    r"(?i)(?:^|[^\pL])(?:controlled|allowed|required|permitted|acceptable|adequate(?:ly)?|under[\t \pZ]+control)(?:[^\pL]|$)",
)
NO_RIGHT_BEFORE = pattern(
    "threshold-no-right-before",
    r"(?:^|[^\pL])(?-i:No)[\t \pZ]+(?:(?:history|evidence)[\t \pZ]+of[\t \pZ]+|prior[\t \pZ]+)?$",
)
NO_WORD = pattern("threshold-no-word", r"(?:^|[^\pL])(?-i:(No))[\t \pZ]+\pL")
# "patients … who are not eligible for curative treatment": who the trial is for, not an exclusion
ELIGIBLE_FOR_TREATMENT = pattern(
    "threshold-eligible-for-treatment",
    r"(?i)eligible[\t \pZ]+(?:for|to[\t \pZ]+(?:receive|undergo|have))[\t \pZ]+(?:(?:a|an|any|the)[\t \pZ]+)?"
    r"(?:curative|surgery|surgical|resection|transplant|liver[\t \pZ]+transplant|standard|intensive|chemotherapy|radiotherapy"
    r"|radiation|induction|allogeneic|autologous|high-dose|local|locoregional|definitive|systemic|anthracycline|platinum"
    r"|cisplatin|treatment[\t \pZ]+with|therapy[\t \pZ]+with)",
)
# "No significant hypertension (systolic blood pressure > 170 mm Hg)", "No hypotension: systolic < 100 mm Hg":
# an item that names what a patient must not have, with the limit that defines it
NO_BEFORE_BRACKET = pattern(
    "threshold-no-before-bracket", r"(?:^|[:.;\t \pZ])[\t \pZ]*(?-i:No)[\t \pZ]+\pL[^:;()]{0,110}$"
)  # a capital "No" inside a sentence starts an item an old record ran on without a full stop
MUST_BE = pattern("threshold-must-be", r"(?i)(?:must|should)[\t \pZ]+be|required|acceptable|allowed")
NO_HEADING = pattern(
    "threshold-no-heading",
    r"(?:^|[.;][\t \pZ]*)[\t \pZ]*(?-i:No)[\t \pZ]+\pL(?:[^:;.]{0,40}:[^:;]*|[^:;.,()]{0,80})$",
)  # "No hypotension: systolic < 100 mm Hg", "No hypotension with systolic pressure < 100 mm Hg"
NO_LIST_HEADING = pattern(
    "threshold-no-list-heading",
    r"^[\t \pZ]*(?-i:No)[\t \pZ]+(?i:one|patients?|subjects?|persons?|people|participants?|individuals?)[^\pL]"
    r"[^:;.]{0,80}:[^:.]*$",
)  # "No patients with the following abnormalities: AST > 5x ULN; total bilirubin > 5x ULN"
OR_WORD = pattern("threshold-or-word", r"(?i)(?:^|[^\pL])or(?:[^\pL]|$)")
_ENDS_WITH_COMPARATOR = pattern("threshold-ends-with-comparator", r"[≥≤<>][\t \pZ]*$")
COMPARATOR_BEFORE = pattern("threshold-comparator-before", r"([≥≤<>])[\t \pZ]*$")
REVERSED_COMPARATOR = pattern("threshold-reversed-comparator", r"[\t \pZ]*([≥≤<>])[\t \pZ]*")
# Cheap pre-checks: an item with no digit and no number word has no threshold.
HAS_NUMBER = pattern("threshold-has-number", r"(?i)[0-9]|(?:^|[^\pL])(?:" + "|".join(_NUMBER_WORDS) + r")(?:[^\pL]|$)")
STRUCTURED_AGE = textpatterns.AGE

_FLIPPED = {"≥": "<=", "≤": ">=", ">": "<", "<": ">"}
_SYMBOLS = {"≥": ">=", "≤": "<=", ">": ">", "<": "<", "=": "="}
_LOWER_BOUNDS = (">", ">=")
_UPPER_BOUNDS = ("<", "<=")
# A value in these ends a run of bounds, unless a variable named before it is measured in them.
_NOT_LEVEL_UNITS = {
    "foreign",
    "grams",
    "hours",
    "years",
    "months",
    "weeks",
    "days",
    "ms",
    "alcohol_g",
    "alcohol_drinks",
    "alcohol_units",
}
_ALCOHOL_UNITS = {"alcohol_g", "alcohol_drinks", "alcohol_units"}
_DURATIONS = {"life_expectancy", "alcohol_abstinence"}  # measured in time: "for", "within" may come before
_CLASSES = {"nyha_class", "hepatic_encephalopathy_grade"}  # classes I-IV, read by `_classes`, not as numbers
_CLASS_HINTS = ("hild", "CTP", "NYHA", "York Heart", "ncephalopathy", "HE ")  # classes a text writes without digits
_SCORES = {"ecog", "karnofsky", "child_pugh_score"}  # a bare number after these names is `=`
_COUNTS = {"platelets", "wbc", "anc"}
_ALLOWED_UNITS: dict[str, set[str]] = {
    "age": {"", "years", "years_age", "young_age", "months"},
    "total_bilirubin": {"", "mgdl", "umol", "uln"},
    "inr": {"", "uln"},
    "prothrombin_time": {"", "sec", "uln"},
    "prothrombin_activity": {"", "pct"},
    "meld": {"", "points"},
    "meld_na": {"", "points"},
    "child_pugh_score": {"", "points"},
    "alt": {"", "ul_enz", "uln"},
    "ast": {"", "ul_enz", "uln"},
    "albumin": {"", "gdl", "gl"},
    "creatinine": {"", "mgdl", "umol", "uln"},
    "creatinine_clearance": {"", "mlmin", "mlmin173", "uln"},
    "egfr": {"", "mlmin", "mlmin173"},
    "platelets": {"", "e9", "e3ul", "ul", "mm3"},
    "wbc": {"", "e9", "e3ul", "ul", "mm3"},
    "anc": {"", "e9", "e3ul", "ul", "mm3"},
    "hemoglobin": {"", "gdl", "gl", "mmoll"},
    "hba1c": {"", "pct", "mmolmol"},
    "bmi": {"", "kgm2"},
    "ecog": {"", "points"},
    "karnofsky": {"", "pct", "points"},
    "lvef": {"", "pct"},
    "afp": {"", "ngml", "iuml"},
    "hbv_dna": {"", "iuml", "copies"},
    "systolic_bp": {"", "mmhg"},
    "diastolic_bp": {"", "mmhg"},
    "weight": {"", "kg", "lb", "grams"},
    "life_expectancy": {"", "hours", "days", "weeks", "months", "years"},
    "alcohol_abstinence": {"days", "weeks", "months", "years"},
    "alcohol_intake": {"alcohol_g", "alcohol_drinks", "alcohol_units"},
    "ldl_cholesterol": {"", "mgdl", "mmoll", "uln"},
    "triglycerides": {"", "mgdl", "mmoll", "uln"},
    "qtc": {"", "ms"},
    "nyha_class": set(),  # classes, not numbers
    "hepatic_encephalopathy_grade": set(),
    "alp": {"", "ul_enz", "uln"},
    "aptt": {"", "sec", "uln"},
}
# The values a variable can have, in its normalized unit (a multiple of ULN: 0.5 to 100).
_PLAUSIBLE: dict[str, tuple[float, float]] = {
    "age": (0, 130), "total_bilirubin": (0.1, 60), "inr": (0.5, 10), "prothrombin_time": (1, 100),
    "prothrombin_activity": (1, 150), "meld": (6, 60), "meld_na": (6, 60), "child_pugh_score": (5, 15),
    "alt": (1, 10000), "ast": (1, 10000), "albumin": (0.5, 10), "creatinine": (0.1, 20),
    "creatinine_clearance": (1, 250), "egfr": (1, 250), "platelets": (1, 2000), "wbc": (0.1, 500),
    "anc": (0.05, 100), "hemoglobin": (2, 25), "hba1c": (3, 25), "bmi": (10, 100), "ecog": (0, 5),
    "karnofsky": (10, 100), "lvef": (5, 100), "afp": (0.1, 1e7), "hbv_dna": (1, 1e12), "systolic_bp": (40, 300),
    "diastolic_bp": (20, 200), "weight": (0.3, 500), "life_expectancy": (0.01, 240), "alcohol_abstinence": (0.03, 240),
    "alcohol_intake": (0.5, 500), "ldl_cholesterol": (20, 1000), "triglycerides": (20, 5000), "qtc": (300, 700),
    "nyha_class": (1, 4), "hepatic_encephalopathy_grade": (0, 4), "alp": (1, 5000), "aptt": (10, 200),
}  # fmt: skip


class _At:
    """A match of a pattern at a position, read from a short window of the text: RE2's Python wrapper
    re-encodes a whole non-ASCII string on every call, which over a long item would cost its square."""

    __slots__ = ("_match", "_offset")

    def __init__(self, match: Any, offset: int) -> None:
        self._match = match
        self._offset = offset

    def group(self, index: int = 0) -> Any:
        return self._match.group(index)

    def start(self, index: int = 0) -> int:
        return int(self._match.start(index)) + self._offset

    def end(self, index: int = 0) -> int:
        return int(self._match.end(index)) + self._offset

    @property
    def lastindex(self) -> int | None:
        return self._match.lastindex  # type: ignore[no-any-return]


_FOREIGN_UNIT = UNIT.groupindex["foreign"]
_WORD_NUMBER_UNITS = {"uln", "years", "months", "weeks", "days"}  # "twice the ULN", "one year", not "one of"
# Names that can give a listed variable a value: the variables' own, and the few other names read as one
# (transaminases as ALT and AST, performance status, Child-Pugh, blood pressure). An item naming none of
# them (only "life expectancy", "NYHA class", …) is skipped before its numbers are read, unless it has a
# value that needs no name ("18 years", "< 48 hours old", "160 mmHg").
_UNNAMED_HINTS = ("year", " y", "mm", " old", "-old", _POST_OLDER, _POST_YOUNGER)
_PRODUCTIVE = frozenset(key for key in _MENTIONS if not key.startswith("x_")) | {
    "x_blood_pressure",
    "x_transaminases",
    "x_performance",
    "x_child_pugh",
}  # compared by number: RE2 looks group names up slowly
_WINDOW = 160  # no unit, comparator or class letters run longer than this


def _at(compiled: textpatterns.TextPattern, text: str, position: int) -> _At | None:
    """`compiled` matched at `position` of `text` (within `_WINDOW` characters), or None."""
    match = compiled.match(text[position : position + _WINDOW])
    return _At(match, position) if match is not None else None


# --- reading ------------------------------------------------------------------------------------------


@dataclass
class _Value:
    """A number as the text writes it, with what is attached to it."""

    start: int
    end: int
    number: float
    raw: str
    pre: str | None = None  # the comparator symbol written before it
    post: str | None = None  # >= or <= written after it ("or more")
    older: bool = False  # "or older" / "or younger": an age
    unit: str = ""
    unit_key: str = ""
    pair: float | None = None  # `160/100`
    rate: bool = False  # a value per day, not a level
    bp_word: str | None = None  # "systolic" / "diastolic" after it
    word_number: bool = False
    thousands_dot: bool = False  # `30.000`: thousands for a cell count
    high: _Value | None = None  # the upper end of a range `18-70`
    members: tuple[float, ...] = ()  # a list `0, 1 or 2`
    between_years: bool = False  # "between 18 and 70 years"
    inclusive: bool = False  # "(including 18 and 75 years)"
    upper_op: str | None = None  # "12 to < 18": the upper end's own comparator


@dataclass
class _Mention:
    start: int
    end: int
    key: str
    comparator_before: str | None = None  # "less than age 18"
    rate: bool = False  # "daily increase of TBIL"
    classes: bool = False  # Child-Pugh class letters follow it


def _number(raw: str) -> tuple[float, bool] | None:
    """The number `raw` writes (thousands separators read) and whether it is `30.000`-like."""
    if raw.isalpha():
        return float(_NUMBER_WORDS[raw.lower()]), False
    raw = raw.replace(" ", "").replace("\u2009", "").replace("\u202f", "")  # `100 000`
    if "," in raw:
        parts = raw.split(",")
        if len(parts) == 2 and len(parts[1]) != 3 and "." not in raw:
            raw = f"{parts[0]}.{parts[1]}"  # a decimal comma
        else:
            raw = raw.replace(",", "")
    thousands_dot = False
    if raw.count(".") > 1:
        raw = raw.replace(".", "")
    elif "." in raw:
        whole, fraction = raw.split(".")
        thousands_dot = len(fraction) == 3 and 1 <= len(whole) <= 3 and whole != "0"
    try:
        return float(raw), thousands_dot
    except ValueError:
        return None


def _mentions(text: str) -> list[_Mention]:
    found = []
    for match in MENTION.finditer(text):
        index = match.lastindex or 0
        key = _MENTION_KEYS.get(index, "x_other")
        start, end = match.start(index), match.end(index)
        other = OTHER_SCALE_EF.search(text[max(0, start - 12) : start]) if key == "lvef" else None
        if other is not None and other.group(1).endswith("IIEF"):
            continue  # "IIEF-EF score ≥ 21": erectile function, not an ejection fraction
        before = text[max(0, start - 40) : start]
        comparator = COMPARATOR_BEFORE.search(before) if _ENDS_WITH_COMPARATOR.search(before) else None
        rate = bool(before) and RATE_BEFORE.search(before) is not None
        found.append(_Mention(start, end, key, comparator.group(1) if comparator else None, rate))
    return found


def _values(text: str, mentions: list[_Mention]) -> list[_Value]:
    """Every number of `text` outside the names, with its comparators and unit."""
    spans = [(m.start, m.end) for m in mentions]  # in order, not overlapping
    if "et al" in text:
        spans = sorted(spans + [(c.start(), c.end()) for c in CITATION.finditer(text)])
    span_index = 0
    lowered = text.lower()
    has_post = any(marker in text for marker in _POST_COMPARATORS)
    has_pressure_word = "systolic" in lowered or "diastolic" in lowered
    values: list[_Value] = []
    consumed = 0
    number_at = NUMBER.groupindex["num"]
    pre_at = NUMBER.groupindex["pre"]
    for match in NUMBER.finditer(text):
        start, end = match.start(number_at), match.end(number_at)
        while span_index < len(spans) and spans[span_index][1] <= start:
            span_index += 1
        if start < consumed or (span_index < len(spans) and spans[span_index][0] <= start):
            continue
        raw = match.group(number_at)
        if raw[0].isalpha() and (text[start - 1 : start].isalpha() or text[end : end + 1].isalpha()):
            continue
        pre_text = match.group(pre_at)
        if (
            not pre_text
            and start
            and (text[start - 1].isalpha() or text[start - 1] in "-." and text[start - 2 : start - 1].isalpha())
        ):
            continue  # part of a name (`A1c`, `FIB-4`, `RECIST 1.1`)
        if (
            not pre_text
            and text[end : end + 2] == "- "
            and text[end + 2 : end + 3].isupper()
            and _char_before(text, start) in ("0", "1", "2", "3", "4", "5", "6", "7", "8", "9", ")", ".")
        ):
            continue  # an inline list number: "4- GFR>30, Cr<2 5- The presence of …"
        read = _number(raw)
        if read is None:
            continue
        value = _Value(match.start(), end, read[0], raw, thousands_dot=read[1], word_number=raw[0].isalpha())
        if pre_text:
            value.pre = pre_text.strip()[-1]
        position = end
        pair = _at(BP_PAIR, text, position) if "/" in text[position : position + 3] else None
        if pair and not raw[0].isalpha():
            value.pair = float(pair.group(1))
            position = pair.end()
        unit = _at(UNIT, text, position)
        power = (
            _at(POWER, text, position)
            if (unit is None or unit.lastindex == _FOREIGN_UNIT)
            and (raw == "10" or _POWER_HINT.search(text[position : position + 8]))
            else None
        )
        if power is not None and (power.group(1) or raw == "10"):
            # `10^4 copies/mL`, `2 x 10^5 IU/mL`: the value is the product
            exponent = int((power.group(2) or power.group(3)).translate(_SUPERSCRIPTS))
            value.number = (value.number if power.group(1) else 1.0) * 10.0**exponent
            position = power.end()
            unit = _at(UNIT, text, position)
        if unit is not None:
            key = _UNIT_GROUPS.get(unit.lastindex or 0, "foreign")
            after = text[unit.end() : unit.end() + 1]
            if key in _ALPHABETIC_END_UNITS and after.isalpha():
                unit = None  # `5 s` is seconds, `5 subjects` is not
            elif (
                key == "uln"
                and unit.group(0).strip().lower() in ("times", "fold", "-fold")
                and _at(NOT_ULN_TIMES, text, unit.end())
            ):
                key = "foreign"  # `3 times per week`
            if unit is not None:
                value.unit_key = key
                value.unit = _unit_as_written(unit.group(0), key)
                position = unit.end()
        elif text[position : position + 1].isalpha():
            continue  # glued to a word (`19del`)
        elif text[position : position + 1] == "+" and _at(DIPSTICK_AFTER, text, position + 1):
            value.unit_key = "foreign"  # a dipstick grade ("≤ 3+ proteinuria"), no level: it ends a run of bounds
        if value.word_number and value.unit_key not in _WORD_NUMBER_UNITS:
            continue
        post = _at(POST_COMPARATOR, text, position) if has_post else None
        if post:
            marker = post.group(1)
            value.post = _POST_COMPARATORS[marker]
            value.older = marker in (_POST_OLDER, _POST_YOUNGER)
            position = post.end()
        value.rate = (
            _PER_TIME_HINT.search(lowered[position : position + 8]) is not None
            and _at(PER_TIME, text, position) is not None
        )
        bp_word = _at(BP_WORD_AFTER, text, position) if has_pressure_word else None
        if bp_word:
            value.bp_word = "systolic_bp" if bp_word.group(1) or bp_word.group(3) else "diastolic_bp"
            if bp_word.group(1) or bp_word.group(2):
                position = bp_word.end(1) if bp_word.group(1) else bp_word.end(2)
            else:
                position = bp_word.end()
        value.end = position
        consumed = position
        values.append(value)
    return _ranges(text, values)


def _unit_as_written(written: str, key: str) -> str:
    if key == "uln":
        return ULN
    return " ".join(written.split()).lstrip("- ").strip()


def _ranges(text: str, values: list[_Value]) -> list[_Value]:
    """Join `18-70`, `18 to 75`, `between 18 and 65` into ranges and `0, 1 or 2` into lists; a bound with
    no unit takes the unit of the bound written right after it (`≥ 18 and ≤ 75 years of age`)."""
    for bound, after in zip(values, values[1:], strict=False):
        if not bound.unit_key and after.unit_key and bound.pre and after.pre:
            if BOUND_GAP.match(text[bound.end : after.start]):
                bound.unit, bound.unit_key = after.unit, after.unit_key
    joined: list[_Value] = []
    index = 0
    while index < len(values):
        value = values[index]
        following = values[index + 1] if index + 1 < len(values) else None
        if following is not None and not value.post and value.unit_key not in ("uln",):
            gap = text[value.end : following.start]
            range_gap = RANGE_GAP.match(gap) is not None
            between = range_gap and BETWEEN_BEFORE.search(text[max(0, value.start - 40) : value.start]) is not None
            joined_by_and = "and" in gap.lower()
            # "12 to < 18 years", "between 18 and < 65": the upper bound's own comparator, after an unmarked lower one
            upper_marked = following.pre in ("<", "≤") and (
                (not value.pre and (TO_GAP.match(gap) is not None or (between and AND_GAP.match(gap) is not None)))
                or (between and value.pre in (">", "≥"))  # "between ≥ 40 through ≤ 75 years"
            )
            if range_gap and (not following.pre or upper_marked) and (not joined_by_and or between):
                value.high = following
                value.between_years = joined_by_and or between
                value.inclusive = _at(INCLUSIVE_RANGE, text, following.end) is not None
                value.upper_op = _SYMBOLS[following.pre] if following.pre else None
                if not value.unit_key or _same_age_unit(value, following):
                    value.unit, value.unit_key = following.unit, following.unit_key  # "18 years to 65 years of age"
                value.end = following.end
                value.rate = following.rate
                value.bp_word = value.bp_word or following.bp_word
                joined.append(value)
                index += 2
                continue
            if (
                not following.pre
                and value.pre in (None, "=")
                and not value.unit_key
                and LIST_GAP.match(gap)
                and value.number.is_integer()
            ):
                members = [value.number]
                last = index
                while last + 1 < len(values):
                    nxt = values[last + 1]
                    if (
                        nxt.pre
                        or (nxt.post and nxt.post != "better")  # "ECOG 0, 1 or 2 or better" stays a list
                        or not nxt.number.is_integer()
                        or not LIST_GAP.match(text[values[last].end : nxt.start])
                    ):
                        break
                    members.append(nxt.number)
                    last += 1
                    if nxt.unit_key:
                        break
                value.members = tuple(members)
                value.end = values[last].end
                value.unit, value.unit_key = values[last].unit, values[last].unit_key
                joined.append(value)
                index = last + 1
                continue
        joined.append(value)
        index += 1
    return joined


def _same_age_unit(value: _Value, following: _Value) -> bool:
    """ "18 years to 65 years of age", "3 months to < 15 months of age": both bounds of one age, in one unit."""
    if following.unit_key not in ("years_age", "young_age"):
        return False
    first, second = _time_unit(value.unit), _time_unit(following.unit)
    return first is not None and first == second


def _time_unit(written: str) -> str | None:
    """ "years", "Years old", "months of age" → "y", "mo"; None for anything else ("mg")."""
    lowered = written.strip(" -").lower()
    return next((unit for prefix, unit in _TIME_PREFIXES if lowered.startswith(prefix)), None)


_TIME_PREFIXES = (("year", "y"), ("yr", "y"), ("month", "mo"), ("mo", "mo"), ("week", "w"), ("wk", "w"), ("day", "d"),
                  ("hour", "h"), ("hr", "h"))  # fmt: skip


@dataclass
class _Reading:
    """The state of one item's reading: its text, side, and the thresholds found so far."""

    text: str  # normalized
    side: str
    source_text: str
    found: list[Threshold]
    last: dict[str, tuple[int, int]] = field(default_factory=dict)  # per variable: (index in found, value end)
    classes_until: int = 0  # the end of the NYHA / encephalopathy classes read so far


_DIGITS = frozenset("0123456789")
_MAX_GROUP = 8  # names one value can belong to ("ALT, AST, GGT, ALP and bilirubin"); a longer list is no group


def _char_before(text: str, position: int) -> str:
    """The last character before `position` that is not white space ("" if none), without copying the text
    before it (`_values` asks for every number of an item)."""
    window = text[max(0, position - 40) : position].rstrip()
    if window or position <= 40:
        return window[-1:]
    return text[:position].rstrip()[-1:]


def _item_thresholds(item: str, side: str) -> list[Threshold]:
    """The thresholds of one criterion item."""
    if _DIGITS.isdisjoint(item) and HAS_NUMBER.search(item) is None and not any(h in item for h in _CLASS_HINTS):
        return []
    text = _normalized(item)
    mentions = _mentions(text)
    if not any(m.key in _PRODUCTIVE for m in mentions):
        lowered = (
            text.lower()
        )  # no listed variable named: only an age (`18 years`, `59 and younger`) or a pressure (`mmHg`) is left
        if not any(hint in lowered for hint in _UNNAMED_HINTS):
            return []
    reading = _Reading(text, side, item, [])
    values = _values(text, mentions)
    mentions = _outside(mentions, [(v.start, v.end) for v in values])  # `160 mmHg systolic`
    events: list[_Mention | _Value] = sorted([*mentions, *values], key=lambda event: event.start)
    group: list[_Mention] = []
    group_keys: set[str] = set()
    previous: _Mention | _Value | None = None
    chained: _Value | None = None  # the last value given to `group`, which a following value may join
    unnamed_age = False  # `chained` is an age read by its unit ("18 years of age"), not after a name
    read_until = 0  # the end of the Child-Pugh classes read so far
    for position, event in enumerate(events):
        if isinstance(event, _Mention):
            if event.start < read_until:
                continue  # "child-pugh B or child-pugh C": read with the first
            if (
                isinstance(previous, _Mention)
                and group
                and not previous.classes
                and _coordinated(text[previous.end : event.start])
                and (
                    "age" not in (previous.key, event.key) or previous.key == event.key
                )  # "Any age Performance status"
                and len(group) < _MAX_GROUP
            ):
                group.append(event)
                group_keys.add(event.key)
            else:
                group = [event]
                group_keys = {event.key}
            if event.key == "x_child_pugh":
                event.end = read_until = _child_pugh_classes(reading, event)
            elif event.key in _CLASSES:
                _classes(reading, event)
            previous = event
            chained = None
            continue
        following = next((events[i] for i in range(position + 1, len(events)) if events[i].start >= read_until), None)
        reversed_comparator = _at(REVERSED_COMPARATOR, text, event.end)
        if (
            reversed_comparator is not None
            and isinstance(following, _Mention)
            and reversed_comparator.end() >= following.start
            and event.high is None
        ):
            # `17≤MELD score≤30`, `20%<PTA`: the value is a bound of the name after it
            _emit(reading, [following], event, _FLIPPED[reversed_comparator.group(1)])
            previous, chained = event, None
            continue
        anchor: list[_Mention] = []
        inherited: str | None = None
        if isinstance(previous, _Mention) and _name_gap(text[previous.end : event.start], group_keys):
            anchor = group
        elif isinstance(previous, _Value) and chained is not None:
            gap = _without_own_words(text[previous.end : event.start], group_keys)
            strict = chained.unit_key == "years" or unnamed_age  # only a bound of its own joins an age
            if (unnamed_age or (strict and event.unit_key not in ("years", "years_age"))) and not _ends_an_age(
                text, event
            ):
                pass  # "at least 18 years of age and < 3 prior lines of therapy": another count
            elif (_chain_gap(gap) or (event.pre and BOUND_GAP.match(gap))) and (
                not strict or (BOUND_GAP.match(gap) and event.pre)
            ):
                anchor = group
                inherited = _comparator_of(chained)
                if _restated(chained, event, inherited, bracketed="(" in gap) or THAT_IS.search(gap):
                    previous = event
                    continue
            elif _carried(gap) and event.pre:
                anchor = group
        unnamed_age = False
        if anchor:
            _emit(reading, _respective(text, anchor, values, event) or anchor, event, inherited=inherited)
        elif (
            event.pre
            and isinstance(following, _Mention)
            and VALUE_FOR_NAME.match(text[event.end : following.start])
            and (event.unit_key != "uln" or _NAMED_ULN.search(text[event.start : event.end]))  # not "≥ 2 times for"
            and (event.unit_key == "uln" or "(" not in text[event.end : following.start])  # "≥ 0.3 mg/dL (serum …)"
            and RATE_BEFORE.search(text[max(0, event.start - 40) : event.start]) is None  # "Increase ≥ 0.3 …"
        ):
            _emit(reading, _names_from(text, events, position + 1), event)  # "> 2 × ULN for ALT or AST"
        elif (
            _unanchored(reading, event)
            and (event.unit_key == "years_age" or (event.unit_key == "years" and event.pre))
            and reading.found[-1].variable == "age"
        ):
            # "at least 18 years of age, but not older than 70": a bound after an age no name began
            group, group_keys, unnamed_age = [_Mention(event.start, event.start, "age")], {"age"}, True
            anchor = group
        previous = event
        # A number of years ends a run of bounds, except an age's: "age ≥ 6 and < 13 years"; so do other
        # units of no variable named before ("QTc > 450 ms" goes on: "female > 470 ms").
        level = event.unit_key not in _NOT_LEVEL_UNITS or (
            event.unit_key == "years" and any(mention.key == "age" for mention in anchor)
        )
        if not level and (event.unit_key == "ms" or event.unit_key in _ALCOHOL_UNITS):
            level = any(event.unit_key in _ALLOWED_UNITS.get(mention.key, ()) for mention in anchor)
        chained = event if anchor and level else None
    return reading.found


def _names_from(text: str, events: list[_Mention | _Value], first: int) -> list[_Mention]:
    """The names listed from `events[first]` on ("ALT or AST"), up to a name with a value of its own ("for ALT
    or AST and total bilirubin > 2 mg/dL": not bilirubin)."""
    listed: list[_Mention] = []
    for index in range(first, min(len(events), first + _MAX_GROUP)):
        name = events[index]
        if not isinstance(name, _Mention):
            break
        if listed and not _coordinated(text[listed[-1].end : name.start]):
            break
        following = events[index + 1] if index + 1 < len(events) else None
        if listed and isinstance(following, _Value) and following.pre and len(text[name.end : following.start]) < 12:
            break
        listed.append(name)
    return listed


_NORMAL_WORDS = ("WNL", "NL", "ULN", "LLN", "NA", "ND")


def _coordinated(gap: str) -> bool:
    """Whether two names share the values after them: "ALT, AST, LDH or bilirubin > 2 x ULN" (an unlisted
    test between them), not "Bilirubin WNL, ALT ≤ 3 x ULN" (the first is already normal)."""
    if COORDINATED.match(gap) is None:
        return False
    return not any(word in _NORMAL_WORDS for word in gap.replace(",", " ").replace("/", " ").split())


def _ends_an_age(text: str, value: _Value) -> bool:
    """ "… but not older than 70." / "… and < 75 years": a bare number or years, then the clause ends."""
    if value.unit_key not in ("", "years", "years_age"):
        return False
    rest = text[value.end : value.end + 12].lstrip()
    return not rest or rest[0] in ".,;)" or rest.lower().startswith(("year", "yr"))


def _respective(text: str, group: list[_Mention], values: list[_Value], value: _Value) -> list[_Mention] | None:
    """ "systolic and diastolic pressures greater than 160 or greater than 95 mm Hg, respectively": as many
    values as names, then "respectively", so the i-th value is the i-th name's."""
    keys = list(dict.fromkeys(m.key for m in group))
    if len(keys) < 2:
        return None
    start = group[-1].end
    found = RESPECTIVELY.search(text[start : start + 240])
    if found is None or CLAUSE_BREAK.search(text[start : start + found.start()]):
        return None
    if RESPECTIVE_CONDITIONS.search(text[start : start + found.start()]):
        return None  # "≤ 2.5 or ≤ 5 × ULN without and with liver metastases, respectively": conditions, not names
    first = bisect.bisect_left(values, start, key=lambda v: v.start)
    last = bisect.bisect_left(values, start + found.start(), key=lambda v: v.start)
    run = values[first:last]
    if len(run) != len(keys) or value not in run:
        return None
    key = keys[run.index(value)]
    return [next(m for m in group if m.key == key)]


def _outside(mentions: list[_Mention], spans: list[tuple[int, int]]) -> list[_Mention]:
    """The mentions that do not start inside one of `spans` (both in order of position)."""
    kept = []
    index = 0
    for mention in mentions:
        while index < len(spans) and spans[index][1] <= mention.start:
            index += 1
        if not (index < len(spans) and spans[index][0] < mention.start):
            kept.append(mention)
    return kept


def _restated(first: _Value, second: _Value, inherited: str | None, bracketed: bool = False) -> bool:
    """`≥12 mg/dL (205 μmol/L)`, `> 1000 IU/mL or > 2500 copies/mL`: one bound in a second unit (in
    brackets, however strict: `≥ 100 x 10^9/L (> 100,000 per mm3)`)."""
    comparator = _SYMBOLS[second.pre] if second.pre else second.post or inherited
    if first.unit_key in _ALCOHOL_UNITS and second.unit_key in _ALCOHOL_UNITS:  # "> 3 drinks (i.e. > 21 a week)"
        return comparator == _comparator_of(first) and _alcohol_unit(first.unit_key, first.unit) != _alcohol_unit(
            second.unit_key, second.unit
        )
    return bool(
        first.unit_key
        and second.unit_key
        and first.unit_key != second.unit_key
        and (comparator == _comparator_of(first) or (bracketed and _same_direction(comparator, _comparator_of(first))))
        and second.unit_key not in _NOT_LEVEL_UNITS
    )


def _same_direction(one: str | None, other: str | None) -> bool:
    """`≥ 100 x 10^9/L (> 100,000 per mm3)`: both lower bounds (or both upper), however strict."""
    return one == other or {one, other} <= set(_LOWER_BOUNDS) or {one, other} <= set(_UPPER_BOUNDS)


def _without_own_words(gap: str, keys: set[str]) -> str:
    """`gap` without the words that belong to an alcohol intake's name ("an average daily intake of")."""
    return str(INTAKE_WORDS.sub(" ", gap)) if keys and keys <= {"alcohol_intake"} else gap


def _name_gap(gap: str, keys: set[str]) -> bool:
    """Whether a value this far after a name is the name's: a few words, no number, no sentence break (a
    duration's "for" and an alcohol intake's "daily" are the name's own words)."""
    if "(" in gap:  # "ejection fraction (as measured by MUGA (…) or echocardiogram (EKG)) < 40%"
        gap = CITATION.sub(" ", gap)
    if len(_without_brackets(gap) if "(" in gap else gap) > 60 or any(
        c.isdigit() or c in "≥≤<>=;\n\ue000\ue001\ue002\ue003\ue004" for c in gap
    ):
        return False
    gap = _without_own_words(gap, keys)
    if CLAUSE_BREAK.search(gap) or NOT_A_LEVEL.search(gap) or (DURATION_WORD.search(gap) and not keys <= _DURATIONS):
        return False
    outside = TEST_NAMES.sub(" ", _without_brackets(gap))  # "QTc interval value in the ECG test, defined as"
    if keys & {"x_performance", "ecog"}:
        outside = SCALE_NAMES.sub(" ", outside)
    return len(outside.split()) <= 7 and ACRONYM.search(outside) is None


def _chain_gap(gap: str) -> bool:
    """Whether a value follows the previous one as another bound of the same names."""
    gap = ABBREVIATION_DOTS.sub(r"\1\2", gap)  # "(i.e. > 21 a week)": the dots end no sentence
    if len(gap) > 80 or any(c.isdigit() or c in ";\n" for c in gap) or CLAUSE_BREAK.search(gap):
        return False
    if ACRONYM.search(PARENTHESIZED.sub(" ", gap)) or NOT_A_LEVEL.search(gap):
        return False
    return CHAIN_GAP.match(gap) is not None and len(gap.split()) <= 10


def _carried(gap: str) -> bool:
    """`≤ 2.5 × ULN; ≤ 5 × ULN in the presence of liver metastases`: a new clause that starts with a bound."""
    if any(c.isdigit() or c == "\n" for c in gap) or len(gap) > 12:
        return False
    return CLAUSE_BREAK.search(gap) is not None and CHAIN_GAP.match(gap.replace(";", " ").replace(".", " ")) is not None


def _comparator_of(value: _Value) -> str | None:
    if value.pre:
        return _SYMBOLS[value.pre]
    return None if value.post == "better" else value.post  # "ECOG 2 or better, or 3 if …": no direction to pass on


def _child_pugh_classes(reading: _Reading, mention: _Mention) -> int:
    """The Child-Pugh classes (and the scores `B7` gives) written after a Child-Pugh name; where they end."""
    text = reading.text
    match = _at(CHILD_PUGH_CLASS, text, mention.end)
    if match is None:
        return mention.end
    if match.group(1):  # `Child-Pugh ≤ B7`: a bound on the score, no class of its own
        mention.classes = True
        if not match.group(3):
            return match.end(2)
        bound = _Value(match.start(1), match.end(3), float(match.group(3)), match.group(3), pre=match.group(1))
        _emit(reading, [replace_mention(mention, "child_pugh_score")], bound)
        return match.end(3)
    letters = [match.group(2)]
    scores = [float(match.group(3))] if match.group(3) else []
    end = match.end(3) if match.group(3) else match.end(2)
    while (more := _at(CHILD_PUGH_MORE, text, end)) is not None:
        letters.append(more.group(1))
        if more.group(2):
            scores.append(float(more.group(2)))
        end = more.end(2) if more.group(2) else more.end(1)
    mention.classes = True
    if mention.comparator_before is not None:
        return end  # "below Child-Pugh A" names no class
    side = _class_side(reading, mention, mention.start)
    for letter in dict.fromkeys(letters):
        reading.found.append(
            Threshold("child_pugh_class", side, "=", letter, value_normalized=letter, text=reading.source_text)
        )
    if scores:
        scored = _Value(mention.start, end, scores[0], str(scores[0]))
        if len(scores) > 1:
            scored.members = tuple(scores)
        _emit(reading, [replace_mention(mention, "child_pugh_score")], scored)
    return end


def _class_side(reading: _Reading, mention: _Mention, start: int) -> str:
    """A class's side: an old record's "No New York Heart Association class III or IV heart disease" (or "No
    prior grade III or IV New York Heart Association cardiac problem") item in an inclusion list rules those
    classes out; `start` is where the name or the class written before it starts."""
    side = _side(reading, mention.start)
    if side == "inclusion" and NO_RIGHT_BEFORE.search(reading.text[max(0, start - 30) : start]):
        return "exclusion"
    bracket = _enclosing_bracket(reading.text, start)
    if side == "inclusion" and bracket is not None:  # "No congestive heart failure (NYHA class 3/4 status)"
        before = _without_brackets(reading.text[_sentence(reading.text, bracket[0])[0] : bracket[0]])
        if "No" in before and _no_before_bracket(before):
            return "exclusion"
    return side


def _classes(reading: _Reading, mention: _Mention) -> None:
    """The NYHA classes or encephalopathy grades a name has, written after it ("NYHA class III or IV",
    "encephalopathy (grade II or lower)", "> grade II (inclusive)") or just before it ("Class III or IV heart
    failure as defined by the NYHA", "grade 2 or higher encephalopathy"); one written once is read once."""
    if mention.start < reading.classes_until:
        return
    text = reading.text
    if mention.key == "hepatic_encephalopathy_grade" and OTHER_ENCEPHALOPATHY.search(
        text[max(0, mention.start - 30) : mention.start]
    ):
        return
    match = _at(CLASS_AFTER, text, mention.end)
    if match is not None and text[mention.start : mention.end] == "HE" and not _CLASS_WORD_IN.search(match.group(0)):
        match = None  # "HE IS 3 MONTHS POST TRANSPLANT": an acronym in capitals needs "grade"
    if match is not None and match.group(1) and CLASS_GAP_OTHER.search(match.group(1)):
        match = None  # "hepatic encephalopathy or WHO class 2": the class is another scale's
    if (
        match is not None
        and text[match.start(4) - 1 : match.start(4)] == "("
        and text[match.end(4) : match.end(4) + 1] == ")"
    ):
        match = None  # "… NYHA cardiac function classification (2) unstable angina": a list number
    class_start = mention.start
    if match is not None:
        first, second, comparator = match.group(4), match.group(5), match.group(2) or match.group(3)
        end = match.end(5) if second else match.end(4)
    else:
        window_start = max(reading.classes_until, mention.start - 80)
        before = [m for m in CLASS_BEFORE.finditer(text[window_start : mention.start])]
        if not before:
            return
        found = before[-1]
        if not CLASS_BEFORE_GAP[mention.key].match(text[window_start + found.end() : mention.start]):
            return
        first, second, comparator = found.group(3), found.group(4), found.group(2) or found.group(1)
        class_start = window_start + found.start()
        end = window_start + found.end(4 if found.group(4) else 3)
    unit = _at(UNIT, text, end)
    unit_key = _UNIT_GROUPS.get(unit.lastindex or 0) if unit is not None else None
    if unit is not None and unit_key not in (None, "points"):
        if not (unit_key in _ALPHABETIC_END_UNITS and text[unit.end() : unit.end() + 1].isalpha()):
            return  # "HE 2 weeks ago", "grade 3 mg": a time or an amount (not "III heart failure")
    reading.classes_until = max(end, mention.end)
    post = _at(POST_COMPARATOR, text, end)
    low = _CLASS_NUMBERS[first]
    lowest, highest = _CLASS_RANGE[mention.key]
    side = _class_side(reading, mention, class_start)
    if second:
        high = _CLASS_NUMBERS[second]
        if lowest <= low < high <= highest:
            reading.found.append(
                Threshold(mention.key, side, "between", None, low, high, unit="", low_normalized=low,
                          high_normalized=high, text=reading.source_text)
            )  # fmt: skip
        return
    if not lowest <= low <= highest:
        return  # "NYHA class 0"
    if comparator is None:
        comparator = mention.comparator_before  # "heart failure higher than NYHA class II"
    written = _SYMBOLS[comparator] if comparator else (_POST_COMPARATORS[post.group(1)] if post else "=")
    written = _BETTER[mention.key] if written == "better" else written
    if written in (">", "<") and _at(INCLUSIVE_RANGE, text, end) is not None:
        written += "="  # "above grade II (inclusive)"
    reading.found.append(Threshold(mention.key, side, written, low, value_normalized=low, text=reading.source_text))


def replace_mention(mention: _Mention, key: str) -> _Mention:
    return _Mention(mention.start, mention.end, key, mention.comparator_before, mention.rate)


def _side(reading: _Reading, position: int, variable: str = "", comparator: str = "") -> str:
    """The item's side, or exclusion where the sentence (or the brackets) around `position` excludes: a
    must-not sentence, or a "No X" item whose bracket or heading gives the bound that defines X (on the
    abnormal side: "No hypertension (systolic > 170 mm Hg)", not "No anemia (hemoglobin ≥ 10 g/dL)")."""
    if reading.side == "exclusion":
        return "exclusion"
    text = reading.text
    bracket = _enclosing_bracket(text, position)
    start, end = (bracket[0] + 1, bracket[1]) if bracket is not None else _sentence(text, position)
    scope = _without_brackets(text[start:end])  # brackets the value is not in say nothing of it
    abnormal = _abnormal_side(variable, comparator) and MUST_BE.search(scope) is None
    if _excludes(scope) or (abnormal and "No" in text[start:position] and _no_heading(text[start:position])):
        return "exclusion"
    if (  # "No one age less than 18 years", not "No patients with X unless bilirubin ≤ 1.5 mg/dL"
        "No" in scope[:12] and NO_PERSON.search(scope) and EXCEPTION_WORDS.search(text[start:position]) is None
    ):
        return "exclusion"
    # "No … abnormalities: AST > 5x ULN; bilirubin > …": a "No X:" heading before a list of clauses
    if abnormal and bracket is None and text[start - 1 : start] == ";":
        low = max(0, position - 400)
        full_stop = text.rfind(". ", low, position)
        opening = max(full_stop + 2 if full_stop >= 0 else low, text.rfind("\n", low, position) + 1)
        if NO_LIST_HEADING.search(text[opening:position]) and _one_item(text[opening : text.find(":", opening)]):
            return "exclusion"
    if bracket is not None and abnormal:  # "must not have renal disease (serum creatinine > 2 x ULN)"
        sentence_start, sentence_end = _sentence(text, bracket[0])
        before = _without_brackets(text[sentence_start : bracket[0]])
        if _excludes(before) or ("No" in before and _no_before_bracket(before)):
            return "exclusion"
        if EXCLUDED_SENTENCE.search(_without_brackets(text[sentence_start:sentence_end])) and (
            PERSON_WORD.search(_without_brackets(text[bracket[1] : sentence_end])) is None
        ):  # "Patients with a history of QTc prolongation (QTc ≥ 500 msec), … are excluded", not "(…), patients
            return "exclusion"  # with type 1 diabetes are excluded"
    return "inclusion"


def _no_heading(before: str) -> bool:
    """ "No hypotension: systolic < 100 mm Hg": the value follows a "No X" heading of its own item."""
    found = NO_HEADING.search(before)
    return found is not None and _one_item(found.group(0).split(":", 1)[0])


def _no_before_bracket(before: str) -> bool:
    """ "No significant hypertension (": the bracket gives the limit of a "No X" item, which starts at the last
    "No" (a run-on record: "… compromise No uncontrolled hypertension (") and is one item that does not allow
    what the bracket says ("Hypertension controlled (…)")."""
    if NO_BEFORE_BRACKET.search(before) is None:
        return False
    item = before[[found.start(1) for found in NO_WORD.finditer(before)][-1] :]
    return _one_item(item) and ALLOWED_BEFORE.search(item) is None


def _one_item(heading: str) -> bool:
    """No capitalized word after a heading's first ones: "No evidence for PNH Negative Ham's test … Severe
    disease:" runs several items of an old record together without full stops."""
    return not any(word[:1].isupper() and word[1:2].islower() for word in heading.split()[2:])


def _excludes(scope: str) -> bool:
    """A must-not sentence: "are excluded", "must not have", "are not eligible (for this study)", but not
    "who are not eligible for curative surgery", which says who the trial is for."""
    for found in EXCLUDED.finditer(scope):
        if (
            "eligible" not in found.group(0)
            or _at(ELIGIBLE_FOR_TREATMENT, scope, found.end() - len("eligible")) is None
        ):
            return True
    return False


_LOW_IS_ABNORMAL = {"platelets", "anc", "wbc", "hemoglobin", "albumin", "creatinine_clearance", "egfr", "lvef",
                    "karnofsky", "prothrombin_activity", "life_expectancy", "alcohol_abstinence"}  # fmt: skip
_EITHER_IS_ABNORMAL = {"systolic_bp", "diastolic_bp"}  # hypertension and hypotension
_NEVER_FLIPPED = {"age", "weight", "bmi"}


def _abnormal_side(variable: str, comparator: str) -> bool:
    """Whether a one-sided bound on `variable` marks the abnormal values (what a "No X" item rules out)."""
    if comparator not in (">", ">=", "<", "<=") or variable in _NEVER_FLIPPED or not variable:
        return False
    if variable in _EITHER_IS_ABNORMAL:
        return True
    return (comparator in _UPPER_BOUNDS) == (variable in _LOW_IS_ABNORMAL)


def _unanchored(reading: _Reading, value: _Value) -> bool:
    """A value no name claims: an age by its unit (`18 years old`), a pressure by its word (`100 mmHg diastolic`)."""
    if value.unit_key == "young_age" and "old" in value.unit.lower():  # "Surgery less than 30 days old": not a person's
        before = reading.text[_sentence(reading.text, value.start)[0] : value.start]
        if YOUNG_PERSON_BEFORE.search(before) is None:
            return False
    if value.unit_key in ("years_age", "young_age") or (value.older and value.unit_key in ("years", "")):
        return _emit(reading, [_Mention(value.start, value.start, "age")], value)
    if value.bp_word:
        return _emit(reading, [_Mention(value.start, value.start, value.bp_word)], value)
    if value.unit_key == "alcohol_drinks":  # "> 3 alcoholic beverages per day", "21 units of alcohol a week"
        return _emit(reading, [_Mention(value.start, value.start, "alcohol_intake")], value)
    before = reading.text[max(0, value.start - 40) : value.start]
    if (
        value.unit_key == "years"
        and (value.pre or value.high is not None)
        and PERSON_BEFORE.search(before)
        and NOT_AGE_YEARS_BEFORE.search(before) is None
        and _at(TIME_AFTER, reading.text, value.end) is None
    ):  # "Adult patients ≥ 18 years"
        return _emit(reading, [_Mention(value.start, value.start, "age")], value)
    if (
        value.high is not None
        and value.between_years
        and value.unit_key == "years"
        and _at(TIME_AFTER, reading.text, value.end) is None
        and NOT_AGE_YEARS_BEFORE.search(reading.text[max(0, value.start - 40) : value.start]) is None
    ):
        return _emit(reading, [_Mention(value.start, value.start, "age")], value)
    return False


def _variables(names: list[_Mention], value: _Value) -> list[tuple[str, float, float | None]]:
    """(variable, number, upper end) for each listed variable `names` give this value."""
    if value.bp_word and any(m.key in ("x_blood_pressure", "systolic_bp", "diastolic_bp") for m in names):
        return [(value.bp_word, value.number, value.high.number if value.high else None)]
    keys = list(dict.fromkeys(m.key for m in names))
    if any(m.rate for m in names):
        return []
    out: list[tuple[str, float, float | None]] = []
    high = value.high.number if value.high else None
    for key in keys:
        if key in ("x_blood_pressure", "systolic_bp", "diastolic_bp") and value.pair is not None:
            if key != "diastolic_bp":
                out.append(("systolic_bp", value.number, None))
            if key != "systolic_bp":
                out.append(("diastolic_bp", value.pair, None))
            continue
        if key == "x_transaminases":
            out += [("alt", value.number, high), ("ast", value.number, high)]
        elif key == "x_performance":
            if "ecog" not in keys and "karnofsky" not in keys:
                out.append(("ecog" if value.number <= 5 else "karnofsky", value.number, high))
        elif key == "x_child_pugh":
            out.append(("child_pugh_score", value.number, high))
        elif key == "prothrombin_time" and value.unit_key == "pct":
            out.append(("prothrombin_activity", value.number, high))
        elif not key.startswith("x_"):
            out.append((key, value.number, high))
    return list(dict.fromkeys(out))


def _emit(
    reading: _Reading,
    names: list[_Mention],
    value: _Value,
    reversed_to: str | None = None,
    inherited: str | None = None,
) -> bool:
    """Add the thresholds `value` gives the variables `names` name; whether any was added."""
    if value.rate or FORMULA.search(_scope(reading.text, value.start)):
        return False
    names = [
        m
        for m in names
        if m.key != "x_performance" or value.number <= 5 or not _lansky(reading.text, m.start, value.start)
    ]
    added = False
    for variable, number, high in _variables(names, value):
        before = names[0].comparator_before
        threshold = _threshold(reading, variable, value, number, high, before, reversed_to, inherited)
        if threshold is not None and variable == "life_expectancy" and threshold.comparator in _NEGATED:
            if NOT_BEFORE.search(reading.text[max(0, names[0].start - 8) : names[0].start]):
                # "not expected to survive > 24 hours": an expected survival of 24 hours or less
                threshold = replace(threshold, comparator=_NEGATED[threshold.comparator])
        if threshold is not None:
            _merge_or_add(reading, threshold, value)
            added = True
    return added


def _lansky(text: str, position: int, value_start: int) -> bool:
    """ "Lansky (age < 16 years) performance status ≥ 50", "Performance status: Lansky ≥ 50": a children's
    scale named just before the name or between it and the value, not Karnofsky."""
    between = text[position:value_start]
    if "ansky" in between and "arnofsky" not in between and "KPS" not in between:
        return True
    before = _without_brackets(text[max(0, position - 60) : position])
    return "ansky" in before and "arnofsky" not in before and "KPS" not in before and bool(LANSKY_BEFORE.search(before))


def _scope(text: str, position: int) -> str:
    """The brackets around `position`, or else its sentence without the brackets in it."""
    bracket = _enclosing_bracket(text, position)
    if bracket is not None:
        return text[bracket[0] : bracket[1]]
    start, end = _sentence(text, position)
    return _without_brackets(text[start:end])


def _enclosing_bracket(text: str, position: int) -> tuple[int, int] | None:
    """(start, end) of the innermost round brackets that hold `position`, if any (an unclosed one runs on)."""
    depth = 0
    for index in range(position - 1, max(-1, position - 300), -1):
        char = text[index]
        if char == ")":
            depth += 1
        elif char == "(":
            if depth == 0:
                closing, level = index + 1, 0
                while closing < min(len(text), position + 400):
                    if text[closing] == "(":
                        level += 1
                    elif text[closing] == ")":
                        if level == 0:
                            return index, closing + 1
                        level -= 1
                    closing += 1
                return index, min(len(text), position + 400)
            depth -= 1
    return None


def _defines_menopause(text: str, value: _Value) -> bool:
    """ "The post-menopausal period defined as age ≥ 50 years and amenorrheic …": an age in a definition."""
    start, end = _sentence(text, value.start)
    sentence = text[start:end].lower()
    before = sentence[: value.start - start]
    if "bearing potential" in before and ("amenorr" in sentence or "menopaus" in sentence):
        return True  # "considered of childbearing potential unless she is age ≥ 50 and amenorrhoeic …"
    return "menopaus" in sentence and ("defined as" in before or "definition" in sentence)


def _age_limit(text: str, value: _Value) -> bool:
    """Whether an age is a limit, not part of a definition ("women ≥ 50 years of age would be considered
    post-menopausal if …") or of which performance scale applies ("ECOG 0-1 (age ≥ 16 years)")."""
    after = text[value.end : value.end + 120]
    lowered = after.lower()
    if ("sent" in lowered or "permission" in lowered) and CONSENT_AFTER.search(after):
        return False
    before = text[max(0, value.start - 100) : value.start]
    if any(word in before.lower() for word in ("sent", "legal", "onset")) and NOT_AGE_LIMIT_BEFORE.search(before):
        return False
    consent = "sent" in lowered or "permission" in lowered
    if consent and FOR_WHOM_BEFORE.search(before) and CONSENT_CLAUSE_AFTER.search(after):
        return False
    if (
        ("must" in lowered[:30] or "should" in lowered[:30])
        and AGE_BAND_RULE_AFTER.search(after)
        and _age_bands(text) >= 2
    ):
        return False
    if "onset" in lowered and AT_ONSET_AFTER.search(after):
        return False
    if "donor" in before.lower() and DONOR_AGE_BEFORE.search(before):
        return False  # "a first-degree related donor aged between 18 and 50": the donor's age
    if "assent" in lowered and ASSENT_AFTER.search(after):
        return False  # "minors greater than or equal to 10 years old must give assent": who agrees how
    if ("menopaus" in lowered and MENOPAUSE_AFTER.search(after)) or _defines_menopause(text, value):
        return False
    bracket = _enclosing_bracket(text, value.start)
    return bracket is None or SCALE_BEFORE_BRACKET.search(text[max(0, bracket[0] - 60) : bracket[0]]) is None


@functools.lru_cache(maxsize=16)
def _age_bands(text: str) -> int:
    """How many clauses of an item start with an age band that must have something (counted once per item)."""
    return len(AGE_BAND_RULE.findall(text))


def _sentence(text: str, position: int) -> tuple[int, int]:
    """The clause around `position` (looked for within 400 characters either side)."""
    low, high = max(0, position - 400), min(len(text), position + 400)
    start = max(max(text.rfind(mark, low, position) for mark in (";", ". ", "\n")) + 1, low)
    ends = [i for i in (text.find(mark, position, high) for mark in (";", ". ", "\n")) if i >= 0]
    return start, (min(ends) if ends else high)


def _without_brackets(text: str) -> str:
    for _ in range(4):  # nested brackets, from the inside out
        if "(" not in text and "[" not in text:
            break
        text = str(PARENTHESIZED.sub(" ", text))
    return text


def _threshold(
    reading: _Reading,
    variable: str,
    value: _Value,
    number: float,
    high: float | None,
    before: str | None,
    reversed_to: str | None,
    inherited: str | None,
) -> Threshold | None:
    unit_key = value.unit_key
    if (variable, unit_key) in _EVIDENT_TYPOS and 4 <= number <= 20 and not _free_hemoglobin(reading.text):
        unit_key = _EVIDENT_TYPOS[variable, unit_key]  # "Hemoglobin < 10 mg/dl": grams, as no hemoglobin is 10 mg/dL
    if unit_key not in _ALLOWED_UNITS[variable]:
        return None
    if variable == "age" and not _age_limit(reading.text, value):
        return None
    if variable == "alcohol_intake" and ALCOHOL_WORD.search(reading.text) is None:
        return None  # "daily intake of more than 30 g/day of fat"
    number = _read_as(variable, number, value)
    if (
        variable in _COUNTS
        and unit_key in ("ul", "mm3")
        and value.unit.lstrip()[:1] == "/"
        and number < (1000 if variable == "platelets" else 100)
    ):
        unit_key = "e3ul"  # "WBC < 13.0/microL": thousands per µL, as no count of 13 per µL is a criterion
    if value.high is not None and high is not None:
        high = _read_as(variable, high, value.high)
    comparator: str | None = None
    low = upper = None
    low_op = high_op = None
    if value.high is not None and high is not None:
        comparator, low, upper = "between", number, high
        if value.inclusive:
            low_op, high_op = ">=", "<="
        if value.upper_op:
            high_op = value.upper_op
        if value.pre in ("≥", ">"):  # "between ≥ 40 through ≤ 75 years"
            low_op = _SYMBOLS[value.pre]
        if low >= upper:
            return None
    elif value.members:
        if variable not in _SCORES or len(set(value.members)) < 2:
            return None
        comparator, low, upper = "between", min(value.members), max(value.members)
    elif reversed_to is not None:
        comparator = reversed_to
    elif value.pre and value.pre != "=":
        comparator = _SYMBOLS[value.pre]
    elif value.post == "better":
        comparator = _BETTER.get(variable)
    elif value.post:
        comparator = value.post
    elif value.pre == "=":
        comparator = "="
    elif before is not None:
        comparator = _SYMBOLS[before]
    elif inherited:
        comparator = inherited
    elif variable in _SCORES:
        comparator = "="
    elif variable in _DURATIONS and _side(reading, value.start) == "inclusion":
        comparator = ">="  # "life expectancy of 3 months", "6 months of abstinence"
    if comparator is None:
        return None
    normalized_unit, convert = _normalization(variable, unit_key, number, value.unit)
    convert_high = convert
    if value.high is not None and value.high.unit_key and value.high.unit_key != unit_key:  # `6 months to 17 years`
        if value.high.unit_key not in _ALLOWED_UNITS[variable]:
            return None
        high_unit, convert_high = _normalization(variable, value.high.unit_key, high or 0.0)
        if high_unit != normalized_unit:
            return None
    lowest, highest = _PLAUSIBLE[variable]
    if unit_key == "uln":
        lowest, highest = 0.5, 100
    checks = [(low, convert), (upper, convert_high)] if comparator == "between" else [(number, convert)]
    for checked, converted in checks:
        if checked is None or not lowest <= converted(checked) <= highest:
            return None
    if comparator == "between":
        assert low is not None and upper is not None
        return Threshold(
            variable, _side(reading, value.start, variable, "between"), "between", None, low, upper, low_op, high_op, value.unit,
            None, _rounded(convert(low)), _rounded(convert_high(upper)), normalized_unit, reading.source_text,
        )  # fmt: skip
    return Threshold(
        variable, _side(reading, value.start, variable, comparator), comparator, number, unit=value.unit,
        value_normalized=_rounded(convert(number)), unit_normalized=normalized_unit, text=reading.source_text,
    )  # fmt: skip


_EVIDENT_TYPOS = {("hemoglobin", "mgdl"): "gdl"}


def _free_hemoglobin(text: str) -> bool:
    """Plasma (free) hemoglobin, measured in mg/dL ("Plasma hemoglobin > 10 mg/dL (hemolysis)"): no slip."""
    lowered = text.lower()
    return any(hint in lowered for hint in ("plasma", "free", "hemoly", "haemoly", "urin"))


def _read_as(variable: str, number: float, value: _Value) -> float:
    """`30.000` is thirty thousand in a cell count per mm³ (or with no unit)."""
    if value.thousands_dot and variable in _COUNTS and value.unit_key in ("", "mm3", "ul"):
        return number * 1000
    return number


def _rounded(number: float) -> float:
    return float(f"{number:.6g}")


def _merge_or_add(reading: _Reading, threshold: Threshold, value: _Value) -> None:
    """Add `threshold`; a lower and an upper bound of one variable written together (`≥7 and <14`,
    `17≤MELD score≤30`, `MELD >10 but below 20`, not `<14 or >35`) become one range."""
    found = reading.found
    last = reading.last.get(threshold.variable)
    reading.last[threshold.variable] = (len(found), value.end)
    if last is not None and last[0] == len(found) - 1:
        first = found[-1]
        between = reading.text[last[1] : value.start]
        if (
            first.side == threshold.side
            and first.comparator in _LOWER_BOUNDS
            and threshold.comparator in _UPPER_BOUNDS
            and isinstance(first.value, float)
            and isinstance(threshold.value, float)
            and first.value < threshold.value
            and first.unit_normalized == threshold.unit_normalized
            and _same_scale(first, threshold)  # not "≥ 6 months of age and < 18 years of age"
            and len(between) <= 40
            and OR_WORD.search(between) is None
            and ";" not in between
        ):
            found[-1] = Threshold(
                first.variable, first.side, "between", None, first.value, threshold.value, first.comparator,
                threshold.comparator, threshold.unit or first.unit, None, _float(first.value_normalized),
                _float(threshold.value_normalized), threshold.unit_normalized, first.text, first.source,
            )  # fmt: skip
            reading.last.pop(threshold.variable)
            return
    found.append(threshold)


def _same_scale(first: Threshold, second: Threshold) -> bool:
    """Both bounds written in one unit: their values convert by the same factor."""
    if not (isinstance(first.value_normalized, float) and isinstance(second.value_normalized, float)):
        return True
    if not (isinstance(first.value, float) and isinstance(second.value, float)) or not first.value or not second.value:
        return True
    return abs(first.value_normalized / first.value - second.value_normalized / second.value) < 1e-9 * max(
        1.0, abs(first.value_normalized / first.value)
    )


def _float(value: float | str | None) -> float | None:
    return value if isinstance(value, float) else None


def _same(number: float) -> float:
    return number


# UCUM unit and factor of each (variable's) written unit.
_UCUM = {
    "uln": (ULN, 1.0), "mgdl": ("mg/dL", 1.0), "gdl": ("g/dL", 1.0), "e9": ("10*9/L", 1.0), "e3ul": ("10*9/L", 1.0),
    "mm3": ("10*9/L", 0.001), "ul": ("10*9/L", 0.001), "pct": ("%", 1.0), "kgm2": ("kg/m2", 1.0), "kg": ("kg", 1.0),
    "lb": ("kg", 0.45359237), "grams": ("kg", 0.001), "mlmin": ("mL/min", 1.0), "mlmin173": ("mL/min/{1.73_m2}", 1.0),
    "mmhg": ("mm[Hg]", 1.0), "ul_enz": ("U/L", 1.0), "iuml": ("[IU]/mL", 1.0), "copies": ("{copies}/mL", 1.0),
    "ngml": ("ng/mL", 1.0), "sec": ("s", 1.0), "years": ("a", 1.0), "years_age": ("a", 1.0),
    "months": ("a", 1 / 12), "points": ("", 1.0), "ms": ("ms", 1.0),
}  # fmt: skip
# Durations (life expectancy, abstinence) in months.
_MONTHS = {"hours": 12 / 8766, "days": 12 / 365.25, "weeks": 12 / 52.1775, "months": 1.0, "years": 12.0, "": 1.0}
_PER_YEAR = {"y": 1.0, "mo": 12.0, "w": 52.1775, "d": 365.25, "h": 8766.0}  # each unit `_time_unit` names, in a year
# mmol/L to mg/dL (haemoglobin: g/dL).
_FROM_MMOL = {"hemoglobin": ("g/dL", 1.611), "ldl_cholesterol": ("mg/dL", 38.67), "triglycerides": ("mg/dL", 88.57)}
# The unit a variable's bare number is in, and the unit of its other common spelling.
_DEFAULT_UNITS = {
    "age": "a", "total_bilirubin": "mg/dL", "creatinine": "mg/dL", "albumin": "g/dL", "hemoglobin": "g/dL",
    "platelets": "10*9/L", "wbc": "10*9/L", "anc": "10*9/L", "prothrombin_activity": "%", "lvef": "%",
    "hba1c": "%", "bmi": "kg/m2", "creatinine_clearance": "mL/min", "egfr": "mL/min/{1.73_m2}",
    "systolic_bp": "mm[Hg]", "diastolic_bp": "mm[Hg]", "weight": "kg", "prothrombin_time": "s", "alt": "U/L",
    "ast": "U/L", "afp": "ng/mL", "hbv_dna": "[IU]/mL", "ldl_cholesterol": "mg/dL", "triglycerides": "mg/dL",
    "qtc": "ms", "alp": "U/L", "aptt": "s",
}  # fmt: skip


def _alcohol_unit(unit_key: str, written: str) -> str:
    """`g/d`, `{drink}/wk`, `{unit}`, …: grams, drinks or (country-sized) units, per day or week as written."""
    amount = {"alcohol_g": "g", "alcohol_drinks": "{drink}", "alcohol_units": "{unit}"}[unit_key]
    lowered = written.lower()
    if any(word in lowered for word in ("week", "wk")):
        return f"{amount}/wk"
    if any(word in lowered for word in ("day", "dai")) or PER_D.search(lowered):
        return f"{amount}/d"
    return amount


def _normalization(variable: str, unit_key: str, number: float, written: str = "") -> tuple[str, Any]:
    """(UCUM unit, conversion) for a value of `variable` written in `unit_key` (`number` guides a bare value)."""
    if unit_key == "umol":  # µmol/L: bilirubin 17.1, creatinine 88.4 per mg/dL
        return "mg/dL", (lambda n: n / 17.1) if variable == "total_bilirubin" else (lambda n: n / 88.4)
    if unit_key == "gl":
        return "g/dL", lambda n: n / 10
    if unit_key == "mmoll":  # haemoglobin: 1 mmol/L is 1.611 g/dL
        unit, factor = _FROM_MMOL[variable]  # only these variables allow mmol/L (`_ALLOWED_UNITS`)
        return unit, lambda n: n * factor
    if variable in _DURATIONS and unit_key in _MONTHS:
        months = _MONTHS[unit_key]
        return "mo", (_same if months == 1.0 else (lambda n: n * months))
    if unit_key in _ALCOHOL_UNITS:
        return _alcohol_unit(unit_key, written), _same
    if unit_key == "young_age":  # in years, from the unit as written
        years = _PER_YEAR[_time_unit(written) or "y"]
        return "a", lambda n: n / years
    if unit_key == "mmolmol":  # HbA1c IFCC to NGSP
        return "%", lambda n: n / 10.929 + 2.15
    if unit_key in _UCUM:
        unit, factor = _UCUM[unit_key]
        return unit, (_same if factor == 1.0 else (lambda n: n * factor))
    if unit_key:
        return "", _same
    if variable in _COUNTS and number >= (2000 if variable == "platelets" else 200):
        return "10*9/L", lambda n: n / 1000  # a bare count per mm³
    if variable == "total_bilirubin" and number >= 30:
        return "mg/dL", lambda n: n / 17.1
    if variable == "creatinine" and number >= 20:
        return "mg/dL", lambda n: n / 88.4
    if variable in ("albumin", "hemoglobin") and number >= 25:
        return "g/dL", lambda n: n / 10
    return _DEFAULT_UNITS.get(variable, ""), _same


# --- records ------------------------------------------------------------------------------------------


def _joined_items(items: Iterable[str]) -> list[str]:
    """Items with the lines a wrapped paragraph was cut into joined again (`... WBC at` + `least 3,000/mm3`).
    Each item's lines are gathered and joined once (joining as they come copies a long item again and again)."""
    groups: list[list[str]] = []
    previous = ""  # the item being gathered, or its last 200 characters once it is longer (all `_continues` reads)
    for item in items:
        if groups and _continues(previous, item):
            groups[-1].append(item)
            previous = f"{previous[-200:]} {item}"
        else:
            groups.append([item])
            previous = item
    return [" ".join(group) for group in groups]


# The words of the listed variables' names (and some of their patterns' syntax: a superset is harmless).
_NAME_WORDS = frozenset(
    word
    for key, regex in _MENTIONS.items()
    if not key.startswith("x_")
    for word in "".join(char.lower() if char.isalpha() else " " for char in regex).split()
)
_JOINING_WORDS = frozenset({"a", "an", "the", "and", "or", "of", "to", "than", "with", "by", "at", "for", "in", "is"})


_COMPARATOR_ENDS = frozenset({"least", "most", "exceed", "exceeding", "exceeds"})  # "at least" + "100,000/mm3"


def _bare_heading(line: str) -> bool:
    """A PDQ heading on a line of its own, without a colon: one to three words of letters (after a section
    name it was joined to: "PATIENT CHARACTERISTICS: Age")."""
    tail = line[-40:]
    if ":" not in tail and len(line) > 40:
        return False
    words = tail.rsplit(":", 1)[-1].split()
    return 0 < len(words) <= 3 and words[0][0].isupper() and words[0] != "No" and all(w.isalpha() for w in words)


def _continues(previous: str, item: str) -> bool:
    if previous[-1:] == ":" and len(previous.split(None, 3)) <= 3 and item and item[-1:] != ":":
        return True  # a label and its value on the next line: "Life expectancy:" + "At least 12 weeks" (PDQ)
    if _bare_heading(previous) and not _DIGITS.isdisjoint(item[:12]):
        return True  # the same without the colon: "Performance status" + "WHO 0-2", "Age" + "18 and over"
    if not item or previous[-1:] in ".;:)。；":
        return False
    if _opens_a_bracket(previous[-60:]) and _closes_a_bracket(item[:80]):
        return True  # wrapped inside a bracket: "Ejection fraction (ECHO," + "MUGA, or ventriculography) at least 45%"
    tail = previous[-40:]  # a joined item can grow long: look at its end only
    last_word = tail.rsplit(None, 1)[-1].lower() if tail.split() else ""
    if item[0].islower() or last_word in _JOINING_WORDS or last_word in _COMPARATOR_ENDS or previous[-1] in "≥≤<>=":
        return True
    return item[0].isupper() and previous[-1:].isalpha() and _name_across(tail, item[:40])


def _name_across(tail: str, head: str) -> bool:
    """A listed variable's name wrapped across two lines of an old record: "… No New York Heart" +
    "Association class III or IV heart disease", "Alkaline" + "phosphatase …"."""
    last_word = tail.rsplit(None, 1)[-1].lower() if tail.strip() else ""
    first_word = head.split(None, 1)[0].lower() if head.strip() else ""
    if last_word not in _NAME_WORDS or first_word not in _NAME_WORDS:
        return False  # most wrapped lines: no word of a listed name on one side (cheaper than the names)
    for match in MENTION.finditer(f"{tail} {head}"):
        index = match.lastindex or 0
        if match.start(index) < len(tail) < match.end(index) and index in _MENTION_KEYS:
            return not _MENTION_KEYS[index].startswith("x_")
    return False


def _opens_a_bracket(tail: str) -> bool:
    return tail.rfind("(") > tail.rfind(")")


def _closes_a_bracket(head: str) -> bool:
    """The text closes a bracket before it opens one: the rest of a bracket the line before opened."""
    closing = head.find(")")
    return closing >= 0 and not 0 <= head.find("(") < closing


def _structured_age(text: str | None, comparator: str, name: str) -> Threshold | None:
    match = STRUCTURED_AGE.match(text) if text else None
    if match is None or text is None:
        return None
    number = float(match.group(1))
    per_year = {"year": 1.0, "month": 12.0, "week": 52.1775, "day": 365.25, "hour": 8766.0, "minute": 525960.0}
    unit_word = text.strip().split()[-1]
    return Threshold(
        "age", "inclusion", comparator, number, unit=unit_word,
        value_normalized=_rounded(number / per_year[match.group(2).lower()]), unit_normalized="a",
        text=f"{name}: {text.strip()}", source="structured",
    )  # fmt: skip


def read_thresholds(eligibility: Eligibility) -> tuple[Threshold, ...]:
    """The structured age bounds, then the thresholds of every inclusion and exclusion item, in order."""
    found: list[Threshold] = []
    for text, comparator, name in (
        (eligibility.min_age, ">=", "minimum age"),
        (eligibility.max_age, "<=", "maximum age"),
    ):
        threshold = _structured_age(text, comparator, name)
        if threshold is not None:
            found.append(threshold)
    for side, items in (("inclusion", eligibility.inclusion), ("exclusion", eligibility.exclusion)):
        for item in _joined_items(items):
            found.extend(_item_thresholds(item, side))
    return tuple(found)


def add_thresholds(record: TrialRecord) -> TrialRecord:
    """`record` with the thresholds of its eligibility criteria (records without criteria unchanged)."""
    if record.eligibility is None:
        return record
    thresholds = read_thresholds(record.eligibility)
    if not thresholds:
        return record
    return replace(record, eligibility=replace(record.eligibility, thresholds=thresholds))


# A patient's value given to a query: a number (`12`, `1.8`, `100,000`, `1,5`), then perhaps a unit.
PATIENT_VALUE = pattern(
    "threshold-patient-value",
    r"(?s)[\t \pZ]*([0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:[.,][0-9]+)?|\.[0-9]+)[\t \pZ]*(.*?)[\t \pZ]*",
)
# The micro sign and other glyphs as the reader's units spell them.
_UNIT_GLYPHS = str.maketrans({"µ": "μ", "\u00a0": " ", "％": "%", "×": "x"})


def patient_value(variable: str, value: str) -> str:
    """A patient's value of `variable` (`12mg/dL`, `205 µmol/L`, `2xULN`, `24`) as `<number> <normalized
    unit>` (`11.9883 mg/dL`, `2 x ULN`, `24`): normalized as the thresholds kg reads are, so a query compares
    like with like, and a multiple of the upper limit of normal meets only thresholds written as one.
    Raises ValueError, saying why, for a value kg cannot read."""
    if variable not in VARIABLES:
        raise ValueError(f"not one of kg's threshold variables ({', '.join(VARIABLES)})")
    if variable in _CLASSES:  # NYHA class, encephalopathy grade: `3`, `III`
        grade = _CLASS_NUMBERS.get(value.strip().upper().removeprefix("CLASS").removeprefix("GRADE").strip())
        if grade is None or (variable == "nyha_class" and grade < 1):
            raise ValueError(
                f"{value!r} is not a {'class I-IV' if variable == 'nyha_class' else 'grade 0-4'} (e.g. 3 or III)"
            )
        return format(Decimal(repr(grade)).normalize(), "f")
    match = PATIENT_VALUE.fullmatch(value)
    parsed = _number(match.group(1)) if match else None
    if match is None or parsed is None:
        raise ValueError(f"{value!r} is not a number with an optional unit (e.g. 12mg/dL, 205 µmol/L, 2xULN, 24)")
    number, written_unit = parsed[0], str(match.group(2)).translate(_UNIT_GLYPHS)
    unit_key = ""
    if written_unit:
        unit = UNIT.match(written_unit)
        if unit is None or unit.end() != len(written_unit):
            raise ValueError(f"kg does not know the unit {match.group(2)!r} in {value!r}")
        unit_key = _UNIT_GROUPS.get(unit.lastindex or 0, "foreign")
    if unit_key not in _ALLOWED_UNITS[variable]:
        raise ValueError(f"{match.group(2)!r} is not a unit of {variable}")
    unit_name, convert = _normalization(variable, unit_key, number, written_unit)
    normalized = _rounded(convert(number))
    highest = 100.0 if unit_name == ULN else _PLAUSIBLE[variable][1]
    if not 0 <= normalized <= highest:
        raise ValueError(f"{value!r} is not a plausible value (at most {highest:g} {unit_name})")
    lexical = format(Decimal(repr(normalized)).normalize(), "f")
    return f"{lexical} {unit_name}" if unit_name else lexical


__all__ = ["ULN", "VARIABLES", "Threshold", "add_thresholds", "patient_value", "read_thresholds"]
