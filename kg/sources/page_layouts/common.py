"""What the page layouts share: line handling, markdown escapes, display values."""

from __future__ import annotations

from dataclasses import dataclass

from kg import textpatterns
from kg.model import codes
from kg.model.doses import unescape_markdown
from kg.model.records import Arm, RegistryDate
from kg.sources import display

NCT = textpatterns.NCT_ID  # a line that is an NCT id (`fullmatch`)
AGE = textpatterns.PAGE_AGE
INTERVENTION_PREFIX = textpatterns.INTERVENTION_PREFIX
ARM_PREFIX = textpatterns.ARM_PREFIX


def clean(text: str) -> str:
    """Markdown escapes removed, white space folded."""
    return " ".join(unescape_markdown(text).split())


def lines_of(text: str) -> list[str]:
    return [line.rstrip() for line in text.split("\n")]


def date_of(text: str | None, kind: str | None = None) -> RegistryDate | None:
    iso = display.iso_date(clean(text)) if text else None
    return RegistryDate(iso, kind) if iso else None


def ages(text: str) -> tuple[str | None, str | None]:
    """`18 Years to 70 Years (Adult, Older Adult)` -> ("18 Years", "70 Years"); `18 Years and older` -> ("18 Years", None)."""
    text = textpatterns.PARENTHESIS.sub("", text).strip()
    match = textpatterns.AGE_RANGE.match(text)
    if match:
        return match.group(1).strip(), match.group(2).strip()
    match = textpatterns.AGE_AND_OLDER.match(text)
    if match:
        return match.group(1).strip(), None
    match = textpatterns.AGE_UP_TO.match(text)
    if match:
        return None, match.group(1).strip()
    return None, None


def sex_of(text: str | None) -> str | None:
    code = display.code_of(text)
    return code if code in codes.SEXES else None


@dataclass
class ArmDraft:
    """An arm being read; a repeated arm block on a page adds to the same draft."""

    label: str
    arm_type: str | None = None
    descriptions: list[str] | None = None
    interventions: list[str] | None = None

    def add_description(self, text: str) -> None:
        self.descriptions = self.descriptions or []
        if text and text not in self.descriptions:
            self.descriptions.append(text)

    def add_intervention(self, name: str) -> None:
        self.interventions = self.interventions or []
        if name not in self.interventions:
            self.interventions.append(name)


def finish_arms(drafts: list[ArmDraft]) -> tuple[Arm, ...]:
    """Drafts to arms; a label seen twice (a repeated arm block) is one arm."""
    merged: dict[str, ArmDraft] = {}
    for draft in drafts:
        existing = merged.get(draft.label)
        if existing is None:
            merged[draft.label] = draft
            continue
        existing.arm_type = existing.arm_type or draft.arm_type
        for text in draft.descriptions or []:
            existing.add_description(text)
        for name in draft.interventions or []:
            existing.add_intervention(name)
    return tuple(
        Arm(draft.label, draft.arm_type, "\n".join(draft.descriptions or []) or None, tuple(draft.interventions or ()))
        for draft in merged.values()
    )
