"""Eligibility thresholds scored against hand-labelled gold (`gold/eligibility-dev.json`).

What `kg parse` reads into `eligibility.thresholds` is matched one to one with the gold thresholds of the
same record: variable, side and comparator equal, and the value within 1 % (as written, or kg's normalized
value against the gold's; a Child-Pugh class letter equal; for `between`, low and high). Gold entries
marked `uncertain` are left out, and a kg threshold that matches only one of them is not counted against
precision. Only the variables the gold file lists (its `variables`) are scored: a gold file labelled for
some of kg's variables says nothing of kg's thresholds on the others. Precision and recall are given overall, for the criteria text alone (source `criteria`: what
the reader does, without the structured age fields) and per variable. Records are split into halves by
a hash of their NCT id, so rules can be tuned on one half and reported on the other.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg.evaluation import HALVES, gold_entries, half_of

_TOLERANCE = 0.01
_SCOPES = ("all", "criteria")


@dataclass
class ThresholdScores:
    """Counts per scope (`all`, `criteria`) and per variable, and each miss for a person to read."""

    records: int = 0
    uncertain_left_out: int = 0  # gold entries marked uncertain
    matched_uncertain: int = 0  # kg thresholds that match only an uncertain entry (not counted)
    counts: Counter[str] = field(default_factory=Counter)  # `<scope>:gold|kg|matched`
    by_variable: Counter[str] = field(default_factory=Counter)  # `<variable>:gold|kg|matched`
    misses: list[str] = field(default_factory=list)

    def precision(self, scope: str = "all") -> float:
        kg = self.counts[f"{scope}:kg"]
        return self.counts[f"{scope}:matched"] / kg if kg else 1.0

    def recall(self, scope: str = "all") -> float:
        gold = self.counts[f"{scope}:gold"]
        return self.counts[f"{scope}:matched"] / gold if gold else 1.0

    def variables(self) -> list[str]:
        return sorted({key.split(":", 1)[0] for key in self.by_variable})

    def to_json(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "uncertain_gold_left_out": self.uncertain_left_out,
            "kg_matching_only_uncertain_gold": self.matched_uncertain,
            **{
                scope: {
                    "gold": self.counts[f"{scope}:gold"],
                    "kg": self.counts[f"{scope}:kg"],
                    "matched": self.counts[f"{scope}:matched"],
                    "precision": round(self.precision(scope), 4),
                    "recall": round(self.recall(scope), 4),
                }
                for scope in _SCOPES
            },
            "by_variable": {
                name: {k: self.by_variable[f"{name}:{k}"] for k in ("gold", "kg", "matched")}
                for name in self.variables()
            },
        }

    def lines(self) -> list[str]:
        out = [
            f"records {self.records}, uncertain gold entries left out {self.uncertain_left_out}, "
            f"kg thresholds matching only those {self.matched_uncertain}",
            "",
            "| thresholds | precision | recall | matched / kg / gold |",
            "|---|---:|---:|---|",
        ]
        for scope, label in (("all", "all (with structured ages)"), ("criteria", "criteria text alone")):
            matched, kg, gold = (self.counts[f"{scope}:{k}"] for k in ("matched", "kg", "gold"))
            out.append(
                f"| {label} | {self.precision(scope):.3f} | {self.recall(scope):.3f} | {matched} / {kg} / {gold} |"
            )
        out += ["", "| variable | gold | kg | matched |", "|---|---:|---:|---:|"]
        for name in self.variables():
            gold, kg, matched = (self.by_variable[f"{name}:{k}"] for k in ("gold", "kg", "matched"))
            out.append(f"| {name} | {gold} | {kg} | {matched} |")
        return out


def score_thresholds(gold_file: Path, half: str = "all", base: Path | None = None) -> ThresholdScores:
    """Score kg's thresholds of every gold record (in `half`) against the gold. Records are found relative
    to `base`, by default the nearest folder above the gold file that holds `shared/`."""
    scores = ThresholdScores()
    labelled = _labelled_variables(gold_file)
    for entry, parsed in gold_entries(gold_file, "trials", "threshold", half, base):
        scores.records += 1
        found = ((parsed or {}).get("eligibility") or {}).get("thresholds") or []
        _score_record(entry, [t for t in found if labelled is None or t["variable"] in labelled], scores)
    return scores


def _labelled_variables(gold_file: Path) -> set[str] | None:
    """The variables the gold file was labelled for (None: it does not say, every variable is scored)."""
    try:
        listed = json.loads(gold_file.read_text(encoding="utf-8")).get("variables")
    except (OSError, ValueError, AttributeError):
        return None  # gold_entries names the file's fault
    return set(listed) if isinstance(listed, list) and listed else None


def _score_record(entry: dict[str, Any], found: list[dict[str, Any]], scores: ThresholdScores) -> None:
    name = entry.get("nct_id") or entry["record"]
    certain = [g for g in entry["thresholds"] if not g.get("uncertain")]
    uncertain = [g for g in entry["thresholds"] if g.get("uncertain")]
    scores.uncertain_left_out += len(uncertain)
    for gold in certain:
        _count(scores, gold, "gold")
    remaining = list(certain)
    for threshold in found:
        match = next((g for g in remaining if _same(threshold, g)), None)
        if match is None:
            loose = next((g for g in uncertain if _same(threshold, g)), None)
            if loose is not None:
                uncertain.remove(loose)
                scores.matched_uncertain += 1
                continue
            _count(scores, threshold, "kg")
            scores.misses.append(f"{name} wrong: {_shown(threshold)}")
            continue
        remaining.remove(match)
        _count(scores, threshold, "kg")
        _count(scores, threshold, "matched")
    for gold in remaining:
        scores.misses.append(f"{name} missed: {_shown(gold)}")


def _count(scores: ThresholdScores, threshold: dict[str, Any], kind: str) -> None:
    scores.counts[f"all:{kind}"] += 1
    if threshold.get("source", "criteria") == "criteria":
        scores.counts[f"criteria:{kind}"] += 1
    scores.by_variable[f"{threshold['variable']}:{kind}"] += 1


def _same(kg: dict[str, Any], gold: dict[str, Any]) -> bool:
    if (kg["variable"], kg["side"], kg["comparator"]) != (gold["variable"], gold["side"], gold["comparator"]):
        return False
    if kg.get("source", "criteria") != gold.get("source", "criteria"):
        return False
    if gold["comparator"] == "between":
        return _one_of(kg.get("low"), kg.get("low_normalized"), gold.get("low")) and _one_of(
            kg.get("high"), kg.get("high_normalized"), gold.get("high")
        )
    return _one_of(kg.get("value"), kg.get("value_normalized"), gold.get("value"))


def _one_of(written: object, normalized: object, gold: object) -> bool:
    """The gold value is kg's as written or as normalized (within 1 %); a class letter is equal."""
    if isinstance(gold, str) or isinstance(written, str):
        return isinstance(written, str) and isinstance(gold, str) and written.strip().upper() == gold.strip().upper()
    return any(_close(candidate, gold) for candidate in (written, normalized))


def _close(a: object, b: object) -> bool:
    if not isinstance(a, int | float) or not isinstance(b, int | float):
        return False
    return abs(a - b) <= _TOLERANCE * max(abs(a), abs(b))


def _shown(threshold: dict[str, Any]) -> str:
    if threshold["comparator"] == "between":
        amount = f"{threshold.get('low')}–{threshold.get('high')}"
    else:
        amount = f"{threshold.get('value')}"
    source = "" if threshold.get("source", "criteria") == "criteria" else f" [{threshold['source']}]"
    return (
        f"{threshold['variable']} {threshold['side']} {threshold['comparator']} {amount} {threshold.get('unit') or ''}"
        f"{source} ({str(threshold.get('text', ''))[:160]!r})"
    )


__all__ = ["HALVES", "ThresholdScores", "half_of", "score_thresholds"]
