"""Dose and schedule extraction scored against hand-labelled gold (`gold/doses-dev.json`).

What `kg parse` gives each arm (`doses[]`, `schedule`) is compared with the gold's arms of the same record,
matched by normalized label; arms the gold marks `uncertain` are left out on both sides. A dose matches
one gold dose (one to one) when unit and `per` agree (`per` null and `"dose"` are the same) and low and
high are within 1 %. A schedule is right when the number of administrations is equal and so are the days,
weeks and interval where the gold gives them. Records are split into halves by a hash of their NCT id
(or path), so rules can be tuned on one half and reported on the other.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg.evaluation import HALVES, gold_entries, half_of

_TOLERANCE = 0.01


def normalized_label(label: str | None) -> str:
    folded = unicodedata.normalize("NFKC", label or "").casefold()
    return " ".join(folded.replace(":", " ").split())


@dataclass
class DoseScores:
    """Counts over the scored arms, and each miss for a person to read."""

    records: int = 0
    arms: int = 0
    gold_doses: int = 0
    kg_doses: int = 0
    matched_doses: int = 0
    gold_schedules: int = 0
    right_schedules: int = 0
    extra_schedules: int = 0  # kg gives one where the gold has none
    unmatched_arms: int = 0  # kg arms with no gold arm of that label (their doses count as wrong)
    by_unit: Counter[str] = field(default_factory=Counter)  # gold doses per unit
    found_by_unit: Counter[str] = field(default_factory=Counter)
    misses: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.matched_doses / self.kg_doses if self.kg_doses else 1.0

    @property
    def recall(self) -> float:
        return self.matched_doses / self.gold_doses if self.gold_doses else 1.0

    @property
    def schedule_accuracy(self) -> float:
        return self.right_schedules / self.gold_schedules if self.gold_schedules else 1.0

    def to_json(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "arms": self.arms,
            "doses": {
                "gold": self.gold_doses,
                "kg": self.kg_doses,
                "matched": self.matched_doses,
                "precision": round(self.precision, 4),
                "recall": round(self.recall, 4),
            },
            "schedules": {
                "gold": self.gold_schedules,
                "right": self.right_schedules,
                "accuracy": round(self.schedule_accuracy, 4),
                "given_where_gold_has_none": self.extra_schedules,
            },
            "recall_by_unit": {
                unit: {"gold": count, "found": self.found_by_unit[unit]} for unit, count in sorted(self.by_unit.items())
            },
            "kg_arms_not_in_gold": self.unmatched_arms,
        }

    def lines(self) -> list[str]:
        out = [
            f"records {self.records}, arms scored {self.arms}",
            "",
            "| measure | value | counts |",
            "|---|---:|---|",
            f"| dose precision | {self.precision:.3f} | {self.matched_doses} of {self.kg_doses} kg doses |",
            f"| dose recall | {self.recall:.3f} | {self.matched_doses} of {self.gold_doses} gold doses |",
            f"| schedule accuracy | {self.schedule_accuracy:.3f} | {self.right_schedules} of {self.gold_schedules} |",
            f"| schedules where the gold has none | {self.extra_schedules} | |",
            "",
            "| unit | gold doses | found |",
            "|---|---:|---:|",
        ]
        out += [f"| {unit} | {count} | {self.found_by_unit[unit]} |" for unit, count in sorted(self.by_unit.items())]
        return out


def score_doses(gold_file: Path, half: str = "all", base: Path | None = None) -> DoseScores:
    """Score kg's parse of every gold record (in `half`) against the gold. Records are found relative to
    `base`, by default the nearest folder above the gold file that holds `shared/`."""
    scores = DoseScores()
    for entry, parsed in gold_entries(gold_file, "trials", "dose", half, base):
        scores.records += 1
        _score_record(entry, parsed["arms"] if parsed else [], scores)
    return scores


def _score_record(entry: dict[str, Any], kg_arms: list[dict[str, Any]], scores: DoseScores) -> None:
    name = entry.get("nct_id") or entry["record"]
    by_label = {normalized_label(a["label"]): a for a in kg_arms}
    uncertain = {normalized_label(a["label"]) for a in entry["arms"] if a.get("uncertain")}
    for gold_arm in entry["arms"]:
        label = normalized_label(gold_arm["label"])
        if label in uncertain:
            continue
        scores.arms += 1
        kg_arm = by_label.get(label) or {"doses": [], "schedule": None}
        _score_doses(name, gold_arm, kg_arm["doses"], scores)
        _score_schedule(name, gold_arm, kg_arm["schedule"], scores)
    gold_labels = {normalized_label(a["label"]) for a in entry["arms"]}
    for label, kg_arm in by_label.items():
        if label not in gold_labels:
            scores.unmatched_arms += 1
            scores.kg_doses += len(kg_arm["doses"])
            for dose in kg_arm["doses"]:
                scores.misses.append(f"{name} [{kg_arm['label']}] arm not in gold: {_shown(dose)}")


def _same_dose(kg: dict[str, Any], gold: dict[str, Any]) -> bool:
    def per(value: str | None) -> str | None:
        return None if value in (None, "dose") else value

    return (
        kg["unit"] == gold["unit"]
        and per(kg["per"]) == per(gold["per"])
        and _close(kg["low"], gold["low"])
        and _close(kg["high"], gold["high"])
    )


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= _TOLERANCE * max(abs(a), abs(b))


def _score_doses(name: str, gold_arm: dict[str, Any], kg_doses: list[dict[str, Any]], scores: DoseScores) -> None:
    remaining = list(gold_arm["doses"])
    scores.gold_doses += len(remaining)
    scores.kg_doses += len(kg_doses)
    for gold in remaining:
        scores.by_unit[gold["unit"]] += 1
    for dose in kg_doses:
        match = next((g for g in remaining if _same_dose(dose, g)), None)
        if match is None:
            scores.misses.append(f"{name} [{gold_arm['label']}] wrong: {_shown(dose)}")
            continue
        remaining.remove(match)
        scores.matched_doses += 1
        scores.found_by_unit[match["unit"]] += 1
    for gold in remaining:
        scores.misses.append(f"{name} [{gold_arm['label']}] missed: {_shown(gold)}")


def _shown(dose: dict[str, Any]) -> str:
    return f"{dose['low']:g}-{dose['high']:g} {dose['unit']} per {dose['per']} ({dose.get('text')!r})"


def _score_schedule(name: str, gold_arm: dict[str, Any], kg: dict[str, Any] | None, scores: DoseScores) -> None:
    gold = gold_arm.get("schedule")
    if gold is None:
        if kg is not None:
            scores.extra_schedules += 1
            scores.misses.append(f"{name} [{gold_arm['label']}] schedule where gold has none: {kg}")
        return
    scores.gold_schedules += 1
    if kg is not None and _same_schedule(kg, gold):
        scores.right_schedules += 1
    else:
        scores.misses.append(f"{name} [{gold_arm['label']}] schedule: kg {kg}, gold {gold}")


def _same_schedule(kg: dict[str, Any], gold: dict[str, Any]) -> bool:
    if kg.get("times") != gold.get("administrations"):
        return False
    for kg_key, gold_key in (("days", "days"), ("weeks", "weeks")):
        if gold.get(gold_key) is not None and _numbers(kg.get(kg_key)) != _numbers(gold[gold_key]):
            return False
    interval = gold.get("interval_weeks")
    return interval is None or (kg.get("interval_weeks") is not None and _close(kg["interval_weeks"], interval))


def _numbers(values: Iterable[float] | None) -> list[float]:
    return [float(v) for v in values or ()]


__all__ = ["HALVES", "DoseScores", "half_of", "normalized_label", "score_doses"]
