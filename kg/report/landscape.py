"""The landscape of a set of trials, in numbers: what `kg report` draws.

Each trial is read once by walking the graph from it (as `kg table` reads it); the figures are counted
here and nowhere else, so the page's charts and the tables beside them say the same thing. Past a few
thousand trials the charts stay readable because they are aggregates (counts per phase and status, per
year, per sponsor) or capped (the top sponsors and countries, the doses and thresholds of at most
`MAX_POINTS` trials, the network of at most `MAX_NETWORK` trials); the trial table is paged.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypeVar

import pyoxigraph

from kg.rdf import iris
from kg.report.selection import Selection
from kg.report.table import row_of
from kg.similarity.walk import Walk

T = TypeVar("T")
MAX_POINTS = 400  # dose and threshold marks drawn (each labelled with its NCT id)
MAX_NETWORK = 150  # trials in the related-trial picture
TOP = 15  # sponsors and countries shown
THRESHOLD_VARIABLES = ("total_bilirubin", "inr", "meld", "child_pugh_score", "platelets", "creatinine", "alt", "age")
ENROLLMENT_BINS = (0, 10, 30, 100, 300, 1000, 3000, 10000)

K, S = iris.KG, iris.SCHEMA
_DOSES = (str(K.hasArm), str(K.hasDose))
_THRESHOLDS = (str(K.hasEligibility), str(K.hasThreshold))
_SIMILAR = str(K.similarTo)


@dataclass
class Landscape:
    """Everything the report shows, counted from the selected trials."""

    selection: str
    rows: list[dict[str, str]] = field(default_factory=list)  # the trial table (`kg table`'s rows)
    phase_status: Counter[tuple[str, str]] = field(default_factory=Counter)
    start_years: Counter[str] = field(default_factory=Counter)
    enrollment: Counter[str] = field(default_factory=Counter)  # bin label -> trials
    sponsors: Counter[tuple[str, str]] = field(default_factory=Counter)  # (sponsor, class) -> trials
    countries: Counter[str] = field(default_factory=Counter)
    doses: list[dict[str, object]] = field(default_factory=list)  # nct, group, unit, low, high, per_kg
    thresholds: list[dict[str, object]] = field(default_factory=list)  # nct, variable, side, low, high, unit, text
    edges: list[tuple[str, str, str]] = field(default_factory=list)  # (nct, nct, "registry" | "computed")

    @property
    def trials(self) -> int:
        return len(self.rows)


def landscape(store: pyoxigraph.Store, selection: Selection | None = None) -> Landscape:
    """Count the selected trials of a store."""
    selection = selection or Selection()
    found = Landscape(selection.describe())
    for nct, walk in selection.trials(store):
        _add_trial(found, nct, walk)
    chosen = {row["nct_id"] for row in found.rows}
    found.edges = [edge for edge in found.edges if edge[1] in chosen]
    return found


def _add_trial(found: Landscape, nct: str, walk: Walk) -> None:
    row = row_of(nct, walk)
    found.rows.append(row)
    for phase in row["phases"].split("; ") if row["phases"] else ["(none)"]:
        found.phase_status[(phase, row["status"] or "(none)")] += 1
    found.start_years[row["start_date"][:4] or "(none)"] += 1
    found.enrollment[enrollment_bin(row["enrollment"])] += 1
    found.sponsors[(row["sponsor"] or "(none)", row["sponsor_class"] or "(none)")] += 1
    for country in row["countries"].split("; ") if row["countries"] else []:
        found.countries[country] += 1
    group = _dose_group(row)
    for dose in walk.nodes(*_DOSES):
        units = walk.values(str(S.unitText), start=dose)
        amounts = [float(v) for key in (S.minValue, S.maxValue) for v in walk.values(str(key), start=dose)]
        if units and amounts and min(amounts) > 0:
            unit = units[0]
            found.doses.append(
                {"nct": nct, "group": group, "unit": unit, "low": min(amounts), "high": max(amounts),
                 "per_kg": unit.endswith("/kg")}
            )  # fmt: skip
    for threshold in walk.nodes(*_THRESHOLDS):
        variable = (walk.values(str(K.thresholdVariable), start=threshold) or [""])[0]
        if variable not in THRESHOLD_VARIABLES:
            continue
        interval = _interval(walk, threshold)
        if interval is not None:
            found.thresholds.append(
                {"nct": nct, "variable": variable,
                 "side": (walk.values(str(K.criterionSide), start=threshold) or [""])[0],
                 "low": interval[0], "high": interval[1],
                 "unit": (walk.values(str(K.normalizedUnit), start=threshold) or [""])[0],
                 "text": (walk.values(str(K.criterionText), start=threshold) or [""])[0][:160]}
            )  # fmt: skip
    for related in row["related_trials"].split("; ") if row["related_trials"] else []:
        found.edges.append((nct, related, "registry"))
    for other in walk.values(_SIMILAR):
        other_nct = iris.nct_id_of(other)
        if other_nct:
            found.edges.append((nct, other_nct, "computed"))


def enrollment_bin(enrollment: str) -> str:
    if not enrollment:
        return "(not given)"
    value = int(enrollment)
    for low, high in zip(ENROLLMENT_BINS, ENROLLMENT_BINS[1:], strict=False):
        if value < high:
            return f"{low}–{high - 1}"
    return f"{ENROLLMENT_BINS[-1]}+"


def _dose_group(row: dict[str, str]) -> str:
    """What a trial's doses are shown against: its cell product's type, else its first MeSH term or condition."""
    if row["cell_product"]:
        return row["cell_product"].split(", ")[0]
    for column in ("mesh_terms", "conditions"):
        if row[column]:
            return row[column].split("; ")[0]
    return "(none)"


def _interval(walk: Walk, threshold: object) -> tuple[float | None, float | None] | None:
    """The values a threshold admits (inclusion) or names (exclusion) as [low, high], in its normalized
    unit; None open. Class letters are not drawn."""
    comparator = (walk.values(str(K.comparator), start=threshold) or [""])[0]

    def number(predicate: object) -> float | None:
        values = walk.values(str(predicate), start=threshold)
        try:
            return float(values[0]) if values else None
        except ValueError:
            return None

    if comparator == "between":
        low, high = number(K.normalizedLow), number(K.normalizedHigh)
        return (low, high) if low is not None or high is not None else None
    value = number(K.normalizedValue)
    if value is None:
        return None
    if comparator in (">", ">="):
        return value, None
    if comparator in ("<", "<="):
        return None, value
    return value, value


def top(counter: Counter[T], count: int = TOP) -> list[tuple[T, int]]:
    """The most frequent first, ties in name order: the same page for the same graph."""
    return sorted(counter.items(), key=lambda item: (-item[1], str(item[0])))[:count]


def network_nodes(found: Landscape) -> list[str]:
    """The trials the network picture shows: those with an edge, the best connected first, capped."""
    degree: Counter[str] = Counter()
    for source, target, _ in found.edges:
        degree[source] += 1
        degree[target] += 1
    return [nct for nct, _ in top(degree, MAX_NETWORK)]


def capped(items: Iterable[dict[str, object]], limit: int = MAX_POINTS) -> list[dict[str, object]]:
    return list(items)[:limit]
