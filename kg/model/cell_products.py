"""Cell products read from intervention and arm text: cell type, tissue source, donor and route.

A cell therapy's record says what cells are given (mesenchymal stromal cells from umbilical cord, the
patient's own bone marrow cells, …) and how (a peripheral vein, the hepatic artery, …) in free text. Each
field is the first value of a small vocabulary the text states (`kg.textpatterns`), looked for in the
intervention's name, description and other names, then in the text of the arms that receive it; the
trial's titles are read for cell type, source and donor (never route) only when the trial has a single
cell-therapy intervention, which the titles must then be about. Unstated fields stay None.
"""

from __future__ import annotations

from dataclasses import replace

from kg import textpatterns
from kg.model.records import Arm, CellProduct, Intervention, TrialRecord


def add_cell_products(record: TrialRecord) -> TrialRecord:
    """Each cell-therapy intervention with its `cell_product`; other interventions unchanged."""
    if not record.interventions:
        return record
    cell_therapies = [i for i in record.interventions if is_cell_therapy(i)]
    single = len({i.name.casefold() for i in cell_therapies}) == 1
    texts = [_own_text(i, record.arms, single and i in cell_therapies) for i in record.interventions]
    titles = " \n".join(t for t in (record.title, record.official_title) if t)
    updated = []
    for intervention, text in zip(record.interventions, texts, strict=True):
        if intervention not in cell_therapies:
            updated.append(intervention)
            continue
        product = read_cell_product(text, titles if single else "")
        updated.append(replace(intervention, cell_product=product))
    return replace(record, interventions=tuple(updated))


def _own_text(intervention: Intervention, arms: tuple[Arm, ...], only_cell_therapy: bool) -> str:
    """The intervention's own text first, then that of the arms that list it; where no arm lists any
    intervention (API v1 often drops the links), the arms that speak of cells, if this is the trial's
    only cell therapy."""
    name = intervention.name.casefold()
    receiving = [a for a in arms if any(n.split(": ", 1)[-1].casefold() == name for n in a.interventions)]
    if not receiving and only_cell_therapy and not any(a.interventions for a in arms):
        receiving = [a for a in arms if textpatterns.CELL_THERAPY.search(f"{a.label} {a.description or ''}")]
    parts = [intervention.name, intervention.description, *intervention.other_names]
    parts += [text for arm in receiving for text in (arm.label, arm.description)]
    return " \n".join(p for p in parts if p)


_LEAD = 80  # a description names its product first: cells mentioned later are something else's


def is_cell_therapy(intervention: Intervention) -> bool:
    """Cells given to a patient: the name (or another name, or the start of the description) speaks of
    cells, and the product is not a cell-free one (exosomes, secretome, conditioned medium) or a placebo."""
    if textpatterns.CELL_FREE.search(intervention.name):
        return False
    names = " \n".join((intervention.name, *intervention.other_names))
    description = intervention.description or ""
    named_at = description.casefold().find(intervention.name.casefold())
    after_name = description[named_at : named_at + len(intervention.name) + _LEAD] if named_at > 0 else ""
    for text in (names, description[:_LEAD], after_name):  # `CARTISTEM®(Human Umbilical Cord Blood-derived …`
        found = textpatterns.CELL_THERAPY.search(text)
        if found is not None:
            cell_free = textpatterns.CELL_FREE.search(text)
            return cell_free is None or found.start() < cell_free.start()
    return False


def read_cell_product(text: str, titles: str = "") -> CellProduct:
    cell_type = _first(textpatterns.CELL_TYPES, text) or _first(textpatterns.CELL_TYPES, titles)
    return CellProduct(
        cell_type=cell_type or "other",
        tissue_source=_tissue(text) or _tissue(titles),
        donor=_donor(text) or _donor(titles),
        route=_first(textpatterns.ROUTES, text),
    )


def _first(
    patterns: dict[str, textpatterns.TextPattern], text: str, unless_after: textpatterns.TextPattern | None = None
) -> str | None:
    """The vocabulary value whose pattern matches earliest in the text (the first one stated); with
    `unless_after`, a match that the next 40 characters show to be about something else is passed over."""
    best: tuple[int, str] | None = None
    for value, pattern in patterns.items():
        for match in pattern.finditer(text) if text else ():
            if unless_after is not None and unless_after.search(text[match.end() : match.end() + 40]):
                continue
            if best is None or match.start() < best[0]:
                best = (match.start(), value)
            break
    return best[1] if best else None


def _donor(text: str) -> str | None:
    """The first donor stated, leaving out one said of a transplant the patients had (`after allo-HSCT`)."""
    return _first(textpatterns.DONORS, text, unless_after=textpatterns.PRIOR_TRANSPLANT)


def _tissue(text: str) -> str | None:
    value = _first(textpatterns.TISSUE_SOURCES, text)
    if value == "umbilical cord":
        match = textpatterns.TISSUE_SOURCES["umbilical cord"].search(text)
        if match is not None and match.group("blood"):
            return "cord blood"  # `umbilical cord blood`
    return value


__all__ = ["add_cell_products", "is_cell_therapy", "read_cell_product"]
