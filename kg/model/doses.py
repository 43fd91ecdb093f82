"""Doses and schedules read from arm and intervention text.

Cell doses as registries write them (`2.0×10^6/kg`, `4*10^5/kg/each time`, `0.1-1x10E6 MSCs/kg`,
`1.0*10E6 UC-MSC/kg`, `1.5×10^8`) and drug doses (`100 mg`, `2 mg/kg`, `75 mg/m2`, `500 µg`, `10 IU/kg`,
per day or per dose where stated). Units come from a small vocabulary (see `mapping.UCUM_CODES`).
Text that is not a dose never becomes one: percentages, lab values (`×10^9/L`) and placebo volumes
"calculated at" a cell dose are skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from itertools import islice
from typing import Any

from kg import textpatterns
from kg.model.records import Arm, Dose, Schedule, TrialRecord

CELL_DOSE = textpatterns.CELL_DOSE
_GLUED_TEN = textpatterns.GLUED_TEN
DRUG_DOSE = textpatterns.DRUG_DOSE
_CELL = CELL_DOSE.groupindex  # group numbers: RE2's match objects look names up slowly
_DRUG = DRUG_DOSE.groupindex
_MAX_DIGITS = 12  # a number with more digits before its point is not an amount
_MAX_SPANS = 10_000  # dose-like spans read from one text (an arm description has a handful)

_DRUG_UNITS = {
    "mg": "mg", "milligram": "mg", "milligrams": "mg", "g": "g", "gram": "g", "grams": "g",
    "µg": "ug", "μg": "ug", "ug": "ug", "mcg": "ug", "microgram": "ug", "micrograms": "ug",
    "iu": "IU", "u": "IU", "units": "IU", "ml": "mL", "mmol": "mmol",
}  # fmt: skip


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
    text = unescape_markdown(text)
    return doses_in_clauses(_dose_clauses(text), textpatterns.CELL_CONTEXT.search(text) is not None)


def doses_in_clauses(clauses: Iterable[str], about_cells: bool) -> tuple[Dose, ...]:
    """The doses of these clauses of one text (`about_cells`: the text speaks of cells)."""
    found: list[tuple[Dose, str]] = []  # each dose with the drug it names, if any
    for clause in clauses:
        if textpatterns.NOT_A_DOSE.search(clause):
            continue
        found.extend((dose, "") for dose in _cell_doses(clause, about_cells))
        found.extend(_drug_doses(clause))
        found.extend((dose, "") for dose in _auc_doses(clause))
    if any(d.unit.startswith("cells") for d, _ in found):  # a cell count's volume restates the same dose
        found = [(d, drug) for d, drug in found if d.unit != "mL"]
    unique: dict[tuple[object, ...], Dose] = {}
    for dose, drug in found:
        key = (dose.low, dose.high, dose.unit, drug)  # the same amount restated is one dose; of two drugs, two
        if key not in unique or (unique[key].per is None and dose.per is not None):
            unique[key] = dose
    return tuple(unique.values())


def _dose_clauses(text: str) -> Iterator[str]:
    """The clauses of `text` that hold a dose-like span, in order: no other clause can give a dose.

    A clause ends at a newline or at the white space after `.` or `;`. Spans and clause breaks are found
    in the text's UTF-8 bytes, where RE2's Python wrapper is fastest, so that many short clauses (`1. 1.
    1. ...`) cost little; only the clauses that hold a span are cut out and read."""
    data = text.encode("utf-8", "replace")
    starts: list[int] = []
    horizon = len(data)
    for dose_pattern in (CELL_DOSE, DRUG_DOSE, textpatterns.AUC_DOSE):
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
    """A matched number as a float: `1,5` is a decimal comma, `1,000` and `1.000.000` thousands
    separators; None when it has too many digits to be an amount."""
    if digits is None:
        return None
    if "," in digits or digits.count(".") > 1:
        groups = digits.replace(",", ".").split(".")
        if len(groups) > 1 and all(len(g) == 3 for g in groups[1:]) and len(groups[0]) <= 3:
            digits = "".join(groups)  # thousands separators
        elif len(groups) == 2:
            digits = f"{groups[0]}.{groups[1]}"  # a decimal comma
        else:
            return None
    if len(digits.partition(".")[0]) > _MAX_DIGITS:
        return None
    return float(digits)


def _cell_doses(clause: str, about_cells: bool) -> list[Dose]:
    doses = []
    for match in islice(CELL_DOSE.finditer(clause), _MAX_SPANS):
        if match[_CELL["lab"]] or match[_CELL["drug"]]:
            continue  # a lab value (`x10^9/L`), or an amount in a drug unit (read as a drug dose)
        named_cells = bool(match[_CELL["cells"]] or match[_CELL["per_kg"]])
        loose = match[_CELL["sup"]] or match[_CELL["million"]]
        if loose and not (named_cells or (about_cells and match[_CELL["sup"]])):
            continue  # `2 x 106` or `300 million` of something that is not said to be cells
        high_text = match[_CELL["high"]]
        if match[_CELL["exp2"]] and _GLUED_TEN.fullmatch(high_text):
            high_text = high_text[:-2]  # `3,010E6`: `3,0` and `10E6` run together
        high_amount = _amount(high_text)
        low_amount = _amount(match[_CELL["low"]]) if match[_CELL["low"]] else high_amount
        if high_amount is None or low_amount is None or low_amount > high_amount:
            continue
        power = match[_CELL["exp"]] or match[_CELL["exp2"]] or match[_CELL["exp3"]] or match[_CELL["sup"]]
        scale = 10 ** int(power) if power else 10**6
        unit = "cells/kg" if match[_CELL["per_kg"]] else "cells"
        rest = clause[match.end() : match.end() + 25].lower()
        before = clause[max(0, match.start() - 25) : match.start()].lower()
        per_dose = match[_CELL["per"]] or any(
            w in rest for w in ("each time", "per dose", "/time", "per time", "every time")
        )
        per = "dose" if per_dose or "every time" in before or "each time" in before else None
        doses.append(Dose(_round(low_amount * scale), _round(high_amount * scale), unit, match.group(0).strip(), per))
    return doses


_UNITS = frozenset(
    ("mg", "mg/kg", "mg/m2", "g", "g/kg", "g/m2", "ug", "ug/kg", "ug/m2", "IU", "IU/kg", "IU/m2", "mL", "mmol/kg")
)


def _drug_doses(clause: str) -> list[tuple[Dose, str]]:
    doses: list[tuple[Dose, str]] = []
    for match in islice(DRUG_DOSE.finditer(clause), _MAX_SPANS):
        start = match.start()
        if start > 0 and (clause[start - 1].isalnum() or clause[start - 1] in "/.^*×"):
            continue
        if _restates(clause, start):
            continue  # "1000 mcg (1 mg)", "6*10^7 (30ml)": the same dose restated
        base = _drug_unit(match[_DRUG["unit"]])
        if base is None:
            continue
        per_text = (match[_DRUG["per"]] or "").lower().replace(" ", "")
        unit = base + ("/kg" if "kg" in per_text else "/m2" if "m" in per_text else "")
        if unit not in _UNITS:
            continue
        if unit == "mL" and _names_a_diluent(clause, match.start(), match.end()):
            continue
        high_amount = _amount(match[_DRUG["high"]])
        low_amount = _amount(match[_DRUG["low"]]) if match[_DRUG["low"]] else high_amount
        if high_amount is None or low_amount is None or low_amount > high_amount or high_amount == 0:
            continue
        scale = 10 ** int(match[_DRUG["exp"]]) if match[_DRUG["exp"]] else 1
        per = _rate(match[_DRUG["freq"]], per_text)
        text = match[_DRUG["dose"]].strip()
        drug = textpatterns.DRUG_NAME_BEFORE.search(clause[max(0, start - 40) : start])
        dose = Dose(_round(low_amount * scale), _round(high_amount * scale), unit, text, per)
        doses.append((dose, drug.group(1).casefold() if drug else ""))
    return doses


def _restates(clause: str, start: int) -> bool:
    """The amount opens a parenthesis right after another amount."""
    index = start - 1
    while index >= 0 and clause[index].isspace():
        index -= 1
    if index < 0 or clause[index] != "(":
        return False
    return textpatterns.DOSE_TAIL.search(clause[max(0, index - 20) : index].rstrip()) is not None


def _rate(written: str | None, per_text: str) -> str | None:
    """`per` from an explicit rate (`/day`, `per week`, `/time`); frequency words never set it."""
    rate = (written or "").lower().replace(" ", "")
    if ".d)" in per_text or "·d)" in per_text or rate in ("/day", "/d", "perday"):
        return "day"
    if rate in ("/week", "/wk", "perweek"):
        return "week"
    if rate in ("/dose", "/time", "perdose", "pertime", "eachtime", "everytime"):
        return "dose"
    return None


def _names_a_diluent(clause: str, start: int, end: int) -> bool:
    """`3 mL of saline`, `diluted in 250 mL dextrose`: a volume of what carries the dose."""
    return (
        textpatterns.DILUENT.search(clause[end : end + 15]) is not None or "dilut" in clause[max(0, start - 20) : start]
    )


def _auc_doses(clause: str) -> list[Dose]:
    """Carboplatin's dose as a target area under the curve (`AUC=5`, `AUC 6`)."""
    doses = []
    for match in islice(textpatterns.AUC_DOSE.finditer(clause), _MAX_SPANS):
        value = _amount(match.group("value"))
        if value is not None and 0 < value <= 20:
            doses.append(Dose(value, value, "AUC", match.group(0).strip(), None))
    return doses


def _drug_unit(matched: str) -> str | None:
    """The unit the text names; None for a case-insensitive match that is no unit's spelling in any case
    (`unitſ`, which matches `units` as `ſ` folds to `s`)."""
    return _DRUG_UNITS.get(matched) or _DRUG_UNITS.get(matched.lower()) or _DRUG_UNITS.get(matched.casefold())


def _round(value: float) -> float:
    return float(f"{value:.6g}")


_DAYS = textpatterns.SCHEDULE_DAYS
_WEEKS = textpatterns.SCHEDULE_WEEKS
_TIMES = textpatterns.SCHEDULE_TIMES
_INTERVAL = textpatterns.SCHEDULE_INTERVAL
_COUNTS = {
    "once": 1, "one": 1, "twice": 2, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "twelve": 12,
}  # fmt: skip


def _count(word: str | None) -> int | None:
    if not word:
        return None
    word = word.lower()
    return int(word) if word.isdigit() else _COUNTS.get(word)


def find_schedule(text: str | None) -> Schedule | None:
    """How often an arm's product is given: a count (`three times`, `4 doses`, `a single dose`), listed
    days or weeks (`on the 1, 4, 7 and 10 days`, `at week 0, 4, 8`), an interval in weeks (`at 3-week
    intervals`, `every 2 weeks`, `q d 21`, `once a week`); continuous daily dosing is no schedule."""
    if not text:
        return None
    clean = unescape_markdown(text)
    if textpatterns.NOT_A_SCHEDULE.search(clean):
        return None  # exercise sessions are not administrations
    spans: list[str] = []
    days = _days(clean, spans)
    weeks_match = _WEEKS.search(clean)
    weeks = _numbers(weeks_match)
    if weeks_match:
        spans.append(weeks_match.group(0))
    interval = _interval(clean, spans)
    times = _times(clean, spans)
    if times is None and (days or weeks) and interval is None:
        times = len(days or weeks)
    if times is None and interval is not None and interval <= 1:
        duration = textpatterns.SCHEDULE_FOR_WEEKS.search(clean)
        weeks_long = _count(duration.group("n")) if duration else None
        if weeks_long and (weeks_long / interval).is_integer():
            times = int(weeks_long / interval)
            spans.append(duration.group(0).strip())  # type: ignore[union-attr]
    if not (days or weeks or times or interval):
        return None
    return Schedule(days, weeks, times, interval, "; ".join(dict.fromkeys(s.strip() for s in spans)))


def _days(text: str, spans: list[str]) -> tuple[float, ...]:
    stated = {m.group(0).lower() for m in textpatterns.SCHEDULE_DAY_RANGE.finditer(text)}
    if len(stated) > 1:
        return ()  # a regimen of several drugs on different days has no one list of days
    listed = _DAYS.search(text)
    if listed:
        spans.append(listed.group(0))
        return _numbers(listed)
    ranged = textpatterns.SCHEDULE_DAY_RANGE.search(text)
    if ranged:
        first, last = int(ranged.group(1)), int(ranged.group(2))
        if 0 <= first < last <= first + 60:
            spans.append(ranged.group(0))
            return tuple(float(d) for d in range(first, last + 1))
    marked = textpatterns.SCHEDULE_DAY_MARKS.search(text)
    if marked:
        later = textpatterns.DAY_TOLERANCE.sub("", marked.group(2) or "")
        numbers = [marked.group(1), *textpatterns.DIGITS.findall(later)]
        if all(len(n) <= 3 for n in numbers):
            spans.append(marked.group(0))
            return tuple(dict.fromkeys(float(n) for n in numbers))
    return ()


def _interval(text: str, spans: list[str]) -> float | None:
    per_week = textpatterns.SCHEDULE_PER_WEEK.search(text)
    if per_week:
        count = _count(per_week.group("word"))
        if count:
            spans.append(per_week.group(0))
            return round(1 / count, 4)
    for match in _INTERVAL.finditer(text):
        weeks = next((match.group(g) for g in ("n1", "n2", "n3", "n4", "n5", "n6") if match.group(g)), None)
        days = next((match.group(g) for g in ("d1", "d2", "d3", "d4") if match.group(g)), None)
        if days is not None:
            if int(days) % 7:
                continue  # an interval in days that is no whole number of weeks is not converted
            value: float | None = int(days) / 7
        else:
            value = float(_count(weeks) or 0) if weeks else 1.0
        if value:
            spans.append(match.group("phrase"))
            return value
    return None


def _times(text: str, spans: list[str]) -> int | None:
    for match in _TIMES.finditer(text):
        if match.group("after"):
            continue  # `three times a week`, `twice daily`: a frequency, not a count
        count = _count(match.group("word"))
        if count:
            spans.append(match.group("times"))
            return count
    for match in textpatterns.SCHEDULE_ONCE.finditer(text):
        if not match.group("after"):
            spans.append(match.group("once"))
            return 1
    return None


def _numbers(match: Any) -> tuple[float, ...]:
    """The numbers of a days or weeks list; none when one is too long to be a day or week."""
    if not match:
        return ()
    numbers = textpatterns.DIGITS.findall(match.group(1))
    if any(len(number) > _MAX_DIGITS for number in numbers):
        return ()
    return tuple(float(number) for number in numbers)


NON_DOSE_ARM_TYPES = ("PLACEBO_COMPARATOR", "SHAM_COMPARATOR", "Placebo Comparator", "Sham Comparator")
NO_INTERVENTION_TYPES = ("NO_INTERVENTION", "No Intervention")  # own amounts (standard care) only
_NON_DOSE_LABEL = textpatterns.NON_DOSE_LABEL


def add_doses(record: TrialRecord) -> TrialRecord:
    """Each arm's doses and schedule: from the arm's own text first; for an active arm with none,
    from its interventions' text when that names exactly one dose. Placebo arms get no dose."""
    if not record.arms:
        return record
    # each intervention's text is read once, however many arms receive it
    read = {i.name.casefold(): (find_doses(i.description), find_schedule(i.description)) for i in record.interventions}
    return replace(record, arms=tuple(_arm_with_doses(arm, read) for arm in record.arms))


def _arm_with_doses(arm: Arm, read: dict[str, tuple[tuple[Dose, ...], Schedule | None]]) -> Arm:
    received = [read[key] for name in arm.interventions if (key := name.split(": ", 1)[-1].casefold()) in read]
    schedule = find_schedule(arm.description) or _one_schedule([s for _d, s in received])
    if arm.arm_type in NON_DOSE_ARM_TYPES or _NON_DOSE_LABEL.search(arm.label):
        return replace(arm, doses=(), schedule=schedule)
    doses = find_doses(arm.description)
    stated = {d for found, _s in received for d in found}
    if not doses and arm.arm_type not in NO_INTERVENTION_TYPES:
        doses = tuple(stated) if len(stated) == 1 else ()
        return replace(arm, doses=doses, schedule=schedule)
    return replace(arm, doses=doses, schedule=schedule, dose_conflict=_conflict(doses, stated))


def _conflict(own: tuple[Dose, ...], stated: set[Dose]) -> tuple[Dose, ...]:
    """The intervention text's dose where it states one dose, of a unit the arm's own doses use, that is
    none of them (`doses` keeps the arm's: its text is about this arm). A text listing several levels
    (one per arm) is no conflict."""
    if len(stated) != 1 or not own:
        return ()
    (other,) = stated
    same_unit = [d for d in own if d.unit == other.unit and d.unit != "mL"]  # volumes vary with what is given
    if not same_unit or any(
        abs(d.low - other.low) <= 0.01 * max(d.low, other.low)
        and abs(d.high - other.high) <= 0.01 * max(d.high, other.high)
        for d in same_unit
    ):
        return ()
    return (other,)


def _one_schedule(schedules: list[Schedule | None]) -> Schedule | None:
    """The schedule the arm's interventions state, when they state one and only one."""
    found = {s for s in schedules if s is not None}
    return found.pop() if len(found) == 1 else None
