"""Doses and schedules read from arm and intervention text.

Cell doses as registries write them (`2.0×10^6/kg`, `4*10^5/kg/each time`, `0.1-1x10E6 MSCs/kg`,
`1.0*10E6 UC-MSC/kg`, `1.5×10^8`) and drug doses (`100 mg`, `2 mg/kg`, `75 mg/m2`, `500 µg`, `10 IU/kg`,
per day or per dose where stated). Units come from a small vocabulary (see `mapping.UCUM_CODES`).
Text that is not a dose never becomes one: percentages, lab values (`×10^9/L`) and placebo volumes
"calculated at" a cell dose are skipped.
"""

from __future__ import annotations

import re
from dataclasses import replace

from kg.records import Arm, Dose, Schedule, TrialRecord

_NUMBER = r"\d+(?:\.\d+)?"
_RANGE = rf"(?:(?P<low>{_NUMBER})\s*(?:-|–|~|to)\s*)?(?P<high>{_NUMBER})"
_POWER = r"\s*(?:[x×*]\s*10\s*(?:\^|E|e)\s*(?P<exp>\d{1,2})|[eE](?P<exp2>\d{1,2}))"
_CELLS = r"(?:\s*(?:h?UC-?MSCs?|MSCs?|BM-?MSCs?|cells?|viable cells|stem cells))?"
_PER_KG = r"(?P<per_kg>\s*(?:/\s*kg|per\s+kg|/\s*kilogram))?"
CELL_DOSE = re.compile(_RANGE + _POWER + _CELLS + _PER_KG, re.IGNORECASE)

_DRUG_UNITS = {
    "mg": "mg", "milligram": "mg", "milligrams": "mg", "g": "g", "gram": "g", "grams": "g",
    "µg": "ug", "μg": "ug", "ug": "ug", "mcg": "ug", "microgram": "ug", "micrograms": "ug",
    "iu": "IU", "u": "IU", "units": "IU", "ml": "mL",
}  # fmt: skip
DRUG_DOSE = re.compile(
    _RANGE
    + r"\s*(?P<unit>mg|milligrams?|g|grams?|µg|μg|ug|mcg|micrograms?|IU|U|units|mL)"
    + r"(?P<per>\s*/\s*(?:kg|m2|m²|m\^2)|\s+per\s+(?:kg|m2))?"
    + r"(?P<freq>\s*(?:/\s*day|per\s+day|daily|/\s*d\b|once daily|twice daily|per\s+dose|each time))?"
    + r"(?![\w/%])",
    re.IGNORECASE,
)
_NOT_A_DOSE = re.compile(r"equivalent volume|calculated at|placebo", re.IGNORECASE)
_LAB_VALUE = re.compile(r"\s*/\s*(?:L|l|mL|ml|µL|uL|mm3)\b")
_WORDS = {"once": 1, "twice": 2, "three": 3, "four": 4, "five": 5, "six": 6, "two": 2, "one": 1}


def unescape_markdown(text: str) -> str:
    """Pages copied as markdown escape `*`, `^`, `<`, `>`: `2.0\\*10\\^6/kg` -> `2.0*10^6/kg`."""
    return re.sub(r"\\([\\`*_{}\[\]()#+\-.!<>^|])", r"\1", text)


def find_doses(text: str | None) -> tuple[Dose, ...]:
    """Every dose the text states, in order of appearance, without repeats."""
    if not text:
        return ()
    found: list[Dose] = []
    for clause in re.split(r"(?<=[.;])\s+|\n", unescape_markdown(text)):
        if _NOT_A_DOSE.search(clause):
            continue
        found.extend(_cell_doses(clause))
        if not any(d.unit.startswith("cells") for d in found):
            found.extend(_drug_doses(clause))
    unique: list[Dose] = []
    for dose in found:
        if all((d.low, d.high, d.unit, d.per) != (dose.low, dose.high, dose.unit, dose.per) for d in unique):
            unique.append(dose)
    return tuple(unique)


def _cell_doses(clause: str) -> list[Dose]:
    doses = []
    for match in CELL_DOSE.finditer(clause):
        if _LAB_VALUE.match(clause, match.end()):
            continue
        scale = 10 ** int(match.group("exp") or match.group("exp2"))
        high = float(match.group("high")) * scale
        low = float(match.group("low")) * scale if match.group("low") else high
        unit = "cells/kg" if match.group("per_kg") else "cells"
        rest = clause[match.end() : match.end() + 25].lower()
        per = "dose" if ("each time" in rest or "per dose" in rest or "/time" in rest) else None
        doses.append(Dose(_round(low), _round(high), unit, match.group(0).strip(), per))
    return doses


def _drug_doses(clause: str) -> list[Dose]:
    doses: list[Dose] = []
    for match in DRUG_DOSE.finditer(clause):
        start = match.start()
        if start > 0 and (clause[start - 1].isalnum() or clause[start - 1] in "/.^*×"):
            continue
        if doses and clause[:start].rstrip().endswith("(") and start - len(doses[-1].text or "") < 80:
            continue  # "1000 mcg (1 mg)": the same dose restated
        base = _DRUG_UNITS[match.group("unit").lower()]
        per = (match.group("per") or "").lower()
        unit = base + ("/kg" if "kg" in per else "/m2" if "m" in per else "")
        if unit not in ("mg", "mg/kg", "mg/m2", "g", "ug", "ug/kg", "IU", "IU/kg", "mL"):
            continue
        freq = (match.group("freq") or "").lower()
        frequency = "day" if ("day" in freq or "daily" in freq or "/d" in freq.replace(" ", "")) else None
        frequency = frequency or ("dose" if ("dose" in freq or "each time" in freq) else None)
        high = float(match.group("high"))
        low = float(match.group("low")) if match.group("low") else high
        if low > high or high == 0:
            continue
        doses.append(Dose(low, high, unit, match.group(0).strip(), frequency))
    return doses


def _round(value: float) -> float:
    return float(f"{value:.6g}")


_DAYS = re.compile(
    r"on (?:the )?(?:days? )?(\d+(?:\s*(?:,\s*and|,|and)\s*\d+)+)(?:st|nd|rd|th)?\s*(?:days?)?", re.IGNORECASE
)
_WEEKS = re.compile(r"(?:at )?weeks? ?(\d+(?:\s*(?:,\s*and|,|and)\s*(?:weeks? ?)?\d+)+)", re.IGNORECASE)
_TIMES = re.compile(r"\b(once|twice|two|three|four|five|six|\d+)\s+times?s?\b", re.IGNORECASE)
_INTERVAL = re.compile(r"at (\d+)[- ]weeks? intervals?|every (\d+) weeks?|once a week|weekly", re.IGNORECASE)


def find_schedule(text: str | None) -> Schedule | None:
    """`on the 1, 4, 7 and 10 days`, `at week 0, 1, 2`, `three times at 3-week intervals`."""
    if not text:
        return None
    clean = unescape_markdown(text)
    days = _numbers(_DAYS.search(clean))
    weeks = _numbers(_WEEKS.search(clean))
    times_match = _TIMES.search(clean)
    interval_match = _INTERVAL.search(clean)
    times = None
    if times_match:
        word = times_match.group(1).lower()
        times = int(word) if word.isdigit() else _WORDS.get(word)
    interval = None
    if interval_match:
        value = interval_match.group(1) or interval_match.group(2)
        interval = float(value) if value else 1.0
    if not (days or weeks or times or interval):
        return None
    if times is None and (days or weeks):
        times = len(days or weeks)
    spans = [m.group(0) for m in (_DAYS.search(clean), _WEEKS.search(clean), times_match, interval_match) if m]
    return Schedule(days, weeks, times, interval, "; ".join(spans))


def _numbers(match: re.Match[str] | None) -> tuple[float, ...]:
    if not match:
        return ()
    return tuple(float(n) for n in re.findall(r"\d+", match.group(1)))


NON_DOSE_ARM_TYPES = ("PLACEBO_COMPARATOR", "SHAM_COMPARATOR", "NO_INTERVENTION")
_NON_DOSE_LABEL = re.compile(r"placebo|sham|no intervention", re.IGNORECASE)


def add_doses(record: TrialRecord) -> TrialRecord:
    """Each arm's doses and schedule: from the arm's own text first; for an active arm with none,
    from its interventions' text when that names exactly one dose. Placebo arms get no dose."""
    if not record.arms:
        return record
    descriptions = {i.name.casefold(): i.description for i in record.interventions}
    return replace(record, arms=tuple(_arm_with_doses(arm, descriptions) for arm in record.arms))


def _arm_with_doses(arm: Arm, descriptions: dict[str, str | None]) -> Arm:
    schedule = find_schedule(arm.description)
    if arm.arm_type in NON_DOSE_ARM_TYPES or _NON_DOSE_LABEL.search(arm.label):
        return replace(arm, doses=(), schedule=schedule)
    doses = find_doses(arm.description)
    if not doses:
        texts = [descriptions.get(name.split(": ", 1)[-1].casefold()) for name in arm.interventions]
        candidates = {d for text in texts for d in find_doses(text)}
        doses = tuple(candidates) if len(candidates) == 1 else ()
    return replace(arm, doses=doses, schedule=schedule)
