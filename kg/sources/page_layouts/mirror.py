"""A mirror's condensed page (`About this trial`, `Arms of the Study`): no NCT id, a one-paragraph
eligibility text, and the arms table flattened column by column (all `Arm k` lines, then all types,
then all labels, then all descriptions)."""

from __future__ import annotations

from kg import textpatterns
from kg.model import codes
from kg.model.records import Arm, Eligibility, Location, Provenance, TrialRecord
from kg.sources import display
from kg.sources.page_layouts.common import ArmDraft, clean, finish_arms, lines_of

_ABOUT = textpatterns.ABOUT
_ARM_TYPES = ("Experimental", "Active Comparator", "Placebo Comparator", "Sham Comparator", "No Intervention", "Other")


def parse(text: str, source: Provenance, tabular: bool = False) -> TrialRecord:
    lines = [line.strip() for line in lines_of(text)]
    content = [line for line in lines if line]
    about = next((m for line in content if (m := _ABOUT.match(line))), None)
    study_type = purpose = None
    conditions: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    if about:
        study_type = display.code_of(about.group(1))
        purpose = display.code_of(about.group(2))
        conditions = tuple(c.strip() for c in textpatterns.COMMA.split(about.group(3)) if c.strip())
        keywords = tuple(k.strip() for k in textpatterns.COMMA.split(about.group(4) or "") if k.strip())
    elif len(content) > 1:
        conditions = (content[1],)
    nct = textpatterns.NCT_IN_TEXT.search(text)
    return TrialRecord(
        nct_id=nct.group(1) if nct else "",
        provenance=source,
        title=clean(content[0]) if content else None,
        study_type=study_type if study_type in codes.STUDY_TYPES else None,
        primary_purpose=purpose if purpose in codes.PRIMARY_PURPOSES else None,
        conditions=conditions,
        keywords=keywords,
        eligibility=_eligibility(_after(content, "Eligibility Criteria")),
        locations=tuple(
            Location(clean(line[2:])) for line in _section(content, "Sites / Locations") if line.startswith("- ")
        ),
        arms=_arms(_section(content, "Arms of the Study")),
    )


def _after(lines: list[str], heading: str) -> str | None:
    section = _section(lines, heading)
    return " ".join(section) if section else None


def _section(lines: list[str], heading: str) -> list[str]:
    if heading not in lines:
        return []
    start = lines.index(heading) + 1
    end = next(
        (
            i
            for i in range(start, len(lines))
            if lines[i] in ("Eligibility Criteria", "Sites / Locations", "Arms of the Study")
        ),
        len(lines),
    )
    return lines[start:end]


def _eligibility(text: str | None) -> Eligibility | None:
    """`Inclusion Criteria: a. b. Exclusion Criteria: c; d; e.`: sentences split inclusion, semicolons exclusion."""
    if not text:
        return None
    match = textpatterns.MIRROR_ELIGIBILITY.match(text)
    if not match:
        return Eligibility(criteria_text=text)
    sentences = textpatterns.split_at_gaps(textpatterns.SENTENCE_BREAK, match.group(1))
    inclusion = [s.strip() for s in sentences if s.strip()]
    exclusion = [s.strip() for s in textpatterns.SEMICOLON.split(match.group(2) or "") if s.strip()]
    ages = textpatterns.MIRROR_AGES.search(match.group(1))
    return Eligibility(
        min_age=f"{ages.group(1)} Years" if ages else None,
        max_age=f"{ages.group(2)} Years" if ages else None,
        inclusion=tuple(inclusion),
        exclusion=tuple(exclusion),
        criteria_text=text,
    )


def _arms(lines: list[str]) -> tuple[Arm, ...]:
    count = sum(1 for line in lines if textpatterns.ARM_NUMBER.fullmatch(line))
    if count == 0 or len(lines) < count * 3:
        return ()
    types = lines[count : 2 * count]
    labels = lines[2 * count : 3 * count]
    descriptions = lines[3 * count : 4 * count]
    drafts = []
    for index in range(count):
        arm_type = display.code_of(types[index]) if types[index] in _ARM_TYPES else None
        draft = ArmDraft(clean(labels[index]), arm_type)
        if index < len(descriptions):
            draft.add_description(clean(descriptions[index]))
        drafts.append(draft)
    return finish_arms(drafts)
