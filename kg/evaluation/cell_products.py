"""Cell products scored against hand-labelled gold (`gold/cell-products-dev.json`).

Each gold intervention is matched to kg's intervention of the same record by name, in order. Whether an
intervention is a cell therapy is scored as precision and recall over cell-therapy interventions; each
field (cell type, tissue source, donor, route) as precision (of the values kg gives, how many are the
gold's) and recall (of the values the gold gives, how many kg gives). Records are split in halves by a
hash of the NCT id, as for doses.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg.evaluation import gold_entries

FIELDS = ("cell_type", "tissue_source", "donor", "route")


@dataclass
class CellProductScores:
    records: int = 0
    interventions: int = 0
    counts: Counter[str] = field(default_factory=Counter)  # `<field>:given|gold|right`
    misses: list[str] = field(default_factory=list)

    def precision(self, name: str) -> float:
        given = self.counts[f"{name}:given"]
        return self.counts[f"{name}:right"] / given if given else 1.0

    def recall(self, name: str) -> float:
        gold = self.counts[f"{name}:gold"]
        return self.counts[f"{name}:right"] / gold if gold else 1.0

    def to_json(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "interventions": self.interventions,
            "fields": {
                name: {
                    "precision": round(self.precision(name), 4),
                    "recall": round(self.recall(name), 4),
                    "given": self.counts[f"{name}:given"],
                    "gold": self.counts[f"{name}:gold"],
                    "right": self.counts[f"{name}:right"],
                }
                for name in ("is_cell_product", *FIELDS)
            },
        }

    def lines(self) -> list[str]:
        out = [
            f"records {self.records}, interventions {self.interventions}",
            "",
            "| field | precision | recall | right / kg gives / gold gives |",
            "|---|---:|---:|---|",
        ]
        for name in ("is_cell_product", *FIELDS):
            right, given, gold = (self.counts[f"{name}:{k}"] for k in ("right", "given", "gold"))
            out.append(
                f"| {name} | {self.precision(name):.3f} | {self.recall(name):.3f} | {right} / {given} / {gold} |"
            )
        return out


def score_cell_products(gold_file: Path, half: str = "all", base: Path | None = None) -> CellProductScores:
    scores = CellProductScores()
    for entry, parsed in gold_entries(gold_file, "records", "cell-product", half, base):
        scores.records += 1
        _score_record(entry, parsed["interventions"] if parsed else [], scores)
    return scores


def _score_record(entry: dict[str, Any], found: list[dict[str, Any]], scores: CellProductScores) -> None:
    remaining = list(found)
    for gold in entry["interventions"]:
        scores.interventions += 1
        match = next((i for i in remaining if i["name"].strip() == gold["name"].strip()), None)
        if match is not None:
            remaining.remove(match)
        product = (match or {}).get("cell_product") or None
        _count(scores, "is_cell_product", True if product else None, True if gold["is_cell_product"] else None)
        for name in FIELDS:
            _count(scores, name, (product or {}).get(name), gold.get(name) if gold["is_cell_product"] else None)
            if (product or {}).get(name) != (gold.get(name) if gold["is_cell_product"] else None):
                scores.misses.append(
                    f"{entry['nct_id']} [{gold['name']}] {name}: kg {(product or {}).get(name)!r}, gold {gold.get(name)!r}"
                )


def _count(scores: CellProductScores, name: str, given: object, gold: object) -> None:
    scores.counts[f"{name}:given"] += given is not None
    scores.counts[f"{name}:gold"] += gold is not None
    scores.counts[f"{name}:right"] += given is not None and given == gold


__all__ = ["FIELDS", "CellProductScores", "score_cell_products"]
