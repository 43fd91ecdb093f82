"""Doses and schedules read from arm and intervention text.

Cell doses as registries write them (`2.0×10^6/kg`, `4*10^5/kg/each time`, `0.1-1x10E6 MSCs/kg`,
`1.0*10E6 UC-MSC/kg`, `1.5×10^8`) and drug doses (`100 mg`, `2 mg/kg`, `75 mg/m2`, `500 µg`, `10 IU/kg`,
per day or per dose where stated). Units come from a small vocabulary (see `mapping.UCUM_CODES`).
Text that is not a dose never becomes one: percentages, lab values (`×10^9/L`) and placebo volumes
"calculated at" a cell dose are skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from itertools import islice
from typing import Any

from kg import textpatterns
from kg.model.records import Arm, Dose, Schedule, TrialRecord

CELL_DOSE = textpatterns.CELL_DOSE
DRUG_DOSE = textpatterns.DRUG_DOSE
_CELL = CELL_DOSE.groupindex  # group numbers: RE2's match objects look names up slowly
_DRUG = DRUG_DOSE.groupindex
_MAX_DIGITS = 12  # a number with more digits before its point is not an amount
_MAX_SPANS = 10_000  # dose-like spans read from one text (an arm description has a handful)

_DRUG_UNITS = {
    "mg": "mg", "milligram": "mg", "milligrams": "mg", "g": "g", "gram": "g", "grams": "g",
    "µg": "ug", "μg": "ug", "ug": "ug", "mcg": "ug", "microgram": "ug", "micrograms": "ug",
    "iu": "IU", "u": "IU", "units": "IU", "ml": "mL",
}  # fmt: skip
_WORDS = {"once": 1, "twice": 2, "three": 3, "four": 4, "five": 5, "six": 6, "two": 2, "one": 1}


def unescape_markdown(text: str) -> str:
    """Pages copied as markdown escape `*`, `^`, `<`, `>`: `2.0\\*10\\^6/kg` -> `2.0*10^6/kg`."""
    if "\\" not in text:
        return text
    return str(textpatterns.MARKDOWN_ESCAPE.sub(r"\1", text))


def find_doses(text: str | None) -> tuple[Dose, ...]:
    """Every dose the text states, in order of appearance, without repeats (from its first 10,000
    dose-like spans: no arm description has as many)."""
    if not text:
        return ()
    found: list[Dose] = []
    cells_found = False
    for clause in _dose_clauses(unescape_markdown(text)):
        if textpatterns.NOT_A_DOSE.search(clause):
            continue
        cell_doses = _cell_doses(clause)
        found.extend(cell_doses)
        cells_found = cells_found or bool(cell_doses)
        if not cells_found:
            found.extend(_drug_doses(clause))
    unique: dict[tuple[object, ...], Dose] = {}
    for dose in found:
        unique.setdefault((dose.low, dose.high, dose.unit, dose.per), dose)
    return tuple(unique.values())


def _dose_clauses(text: str) -> Iterator[str]:
    """The clauses of `text` that hold a dose-like span, in order: no other clause can give a dose.

    A clause ends at a newline or at the white space after `.` or `;`. Spans and clause breaks are found
    in the text's UTF-8 bytes, where RE2's Python wrapper is fastest, so that many short clauses (`1. 1.
    1. ...`) cost little; only the clauses that hold a span are cut out and read."""
    data = text.encode("utf-8", "replace")
    starts: list[int] = []
    horizon = len(data)
    for dose_pattern in (CELL_DOSE, DRUG_DOSE):
        found = [match.start() for match in islice(dose_pattern.finditer(data), _MAX_SPANS)]
        if len(found) == _MAX_SPANS:
            horizon = min(horizon, found[-1])  # this pattern's spans past here were not looked for
        starts.extend(found)
    starts.sort()
    index = clause_start = 0
    for gap in textpatterns.CLAUSE_BREAK.finditer(data):
        if index == len(starts) or clause_start > horizon:
            return
        gap_start, gap_end = gap.span(1) if gap.start(1) >= 0 else gap.span()
        if starts[index] < gap_start:
            yield data[clause_start:gap_start].decode("utf-8")
            while index < len(starts) and starts[index] < gap_end:
                index += 1
        clause_start = gap_end
    if index < len(starts) and clause_start <= horizon:
        yield data[clause_start:].decode("utf-8")


def _amount(digits: str | None) -> float | None:
    """A matched number as a float; None when it has too many digits to be an amount."""
    if digits is None or len(digits.partition(".")[0]) > _MAX_DIGITS:
        return None
    return float(digits)


def _cell_doses(clause: str) -> list[Dose]:
    doses = []
    for match in islice(CELL_DOSE.finditer(clause), _MAX_SPANS):
        if match[_CELL["lab"]]:
            continue  # a lab value (`x10^9/L`)
        high_amount = _amount(match[_CELL["high"]])
        low_amount = _amount(match[_CELL["low"]]) if match[_CELL["low"]] else high_amount
        if high_amount is None or low_amount is None:
            continue
        scale = 10 ** int(match[_CELL["exp"]] or match[_CELL["exp2"]])
        high = high_amount * scale
        low = low_amount * scale
        unit = "cells/kg" if match[_CELL["per_kg"]] else "cells"
        rest = clause[match.end() : match.end() + 25].lower()
        per = "dose" if ("each time" in rest or "per dose" in rest or "/time" in rest) else None
        doses.append(Dose(_round(low), _round(high), unit, match.group(0).strip(), per))
    return doses


def _drug_doses(clause: str) -> list[Dose]:
    doses: list[Dose] = []
    for match in islice(DRUG_DOSE.finditer(clause), _MAX_SPANS):
        start = match.start()
        if start > 0 and (clause[start - 1].isalnum() or clause[start - 1] in "/.^*×"):
            continue
        if doses and _after_open_parenthesis(clause, start) and start - len(doses[-1].text or "") < 80:
            continue  # "1000 mcg (1 mg)": the same dose restated
        base = _drug_unit(match[_DRUG["unit"]])
        if base is None:
            continue
        per = (match[_DRUG["per"]] or "").lower()
        unit = base + ("/kg" if "kg" in per else "/m2" if "m" in per else "")
        if unit not in ("mg", "mg/kg", "mg/m2", "g", "ug", "ug/kg", "IU", "IU/kg", "mL"):
            continue
        freq = (match[_DRUG["freq"]] or "").lower()
        frequency = "day" if ("day" in freq or "daily" in freq or "/d" in freq.replace(" ", "")) else None
        frequency = frequency or ("dose" if ("dose" in freq or "each time" in freq) else None)
        high_amount = _amount(match[_DRUG["high"]])
        low_amount = _amount(match[_DRUG["low"]]) if match[_DRUG["low"]] else high_amount
        if high_amount is None or low_amount is None or low_amount > high_amount or high_amount == 0:
            continue
        doses.append(Dose(low_amount, high_amount, unit, match[_DRUG["dose"]].strip(), frequency))
    return doses


def _drug_unit(matched: str) -> str | None:
    """The unit the text names; None for a case-insensitive match that is no unit's spelling in any case
    (`unitſ`, which matches `units` as `ſ` folds to `s`)."""
    return _DRUG_UNITS.get(matched.lower()) or _DRUG_UNITS.get(matched.casefold())


def _after_open_parenthesis(clause: str, start: int) -> bool:
    """`clause[:start].rstrip().endswith("(")`, without copying the clause."""
    index = start - 1
    while index >= 0 and clause[index].isspace():
        index -= 1
    return index >= 0 and clause[index] == "("


def _round(value: float) -> float:
    return float(f"{value:.6g}")


_DAYS = textpatterns.SCHEDULE_DAYS
_WEEKS = textpatterns.SCHEDULE_WEEKS
_TIMES = textpatterns.SCHEDULE_TIMES
_INTERVAL = textpatterns.SCHEDULE_INTERVAL


def find_schedule(text: str | None) -> Schedule | None:
    """`on the 1, 4, 7 and 10 days`, `at week 0, 1, 2`, `three times at 3-week intervals`."""
    if not text:
        return None
    clean = unescape_markdown(text)
    days_match = _DAYS.search(clean)
    weeks_match = _WEEKS.search(clean)
    days = _numbers(days_match)
    weeks = _numbers(weeks_match)
    times_match = _TIMES.search(clean)
    interval_match = _INTERVAL.search(clean)
    times = None
    if times_match:
        word = times_match[_TIMES.groupindex["word"]].lower()
        times = (int(word) if len(word) <= _MAX_DIGITS else None) if word.isdigit() else _WORDS.get(word)
    interval = None
    if interval_match:
        value = interval_match.group(1) or interval_match.group(2)
        interval = _amount(value) if value else 1.0
    if not (days or weeks or times or interval):
        return None
    if times is None and (days or weeks):
        times = len(days or weeks)
    spans = [m.group(0) for m in (days_match, weeks_match) if m]
    spans += [times_match[_TIMES.groupindex["times"]]] if times_match else []
    spans += [interval_match.group(0)] if interval_match else []
    return Schedule(days, weeks, times, interval, "; ".join(spans))


def _numbers(match: Any) -> tuple[float, ...]:
    """The numbers of a days or weeks list; none when one is too long to be a day or week."""
    if not match:
        return ()
    numbers = textpatterns.DIGITS.findall(match.group(1))
    if any(len(number) > _MAX_DIGITS for number in numbers):
        return ()
    return tuple(float(number) for number in numbers)


NON_DOSE_ARM_TYPES = ("PLACEBO_COMPARATOR", "SHAM_COMPARATOR", "NO_INTERVENTION")
_NON_DOSE_LABEL = textpatterns.NON_DOSE_LABEL


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
