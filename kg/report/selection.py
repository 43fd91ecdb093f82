"""Which trials a table or report covers: `--condition`, `--intervention`, `--term`, combined with AND.

`--condition` is the canned `trials-by-condition` query (MeSH names and entry terms in any case, everything
below them in the hierarchy, conditions and keywords containing the text), so a table and a query
agree; `--intervention` matches intervention names, other names and types; `--term` free text over
titles, summaries, conditions, keywords and interventions. Text matches ignore case.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pyoxigraph

from kg.query.catalog import canned_query
from kg.query.engines import run_oxigraph
from kg.query.prepare import prepare
from kg.rdf import iris
from kg.similarity.walk import Walk, trials

_INTERVENTION = str(iris.KG.hasIntervention)
_INTERVENTION_TEXTS = [(str(iris.RDFS.label),), (str(iris.KG.otherName),), (str(iris.KG.interventionType),)]
_TERM_PATHS = [
    (str(iris.RDFS.label),),
    (str(iris.KG.officialTitle),),
    (str(iris.KG.acronym),),
    (str(iris.KG.briefSummary),),
    (str(iris.KG.detailedDescription),),
    (str(iris.KG.condition), str(iris.RDFS.label)),
    (str(iris.KG.keyword),),
    (str(iris.KG.hasIntervention), str(iris.RDFS.label)),
    (str(iris.KG.hasIntervention), str(iris.KG.otherName)),
]


@dataclass(frozen=True)
class Selection:
    """The filters a user gave (None: no filter of that kind)."""

    condition: str | None = None
    intervention: str | None = None
    term: str | None = None

    def describe(self) -> str:
        given = [f"{name} {value!r}" for name, value in vars(self).items() if value]
        return " and ".join(given) if given else "every trial"

    def trials(self, store: pyoxigraph.Store) -> Iterator[tuple[str, Walk]]:
        """(NCT id, walk) of each selected trial with a record, in NCT id order."""
        for nct, walk in trials(store, self.condition_trials(store)):
            if self.admits(walk):
                yield nct, walk

    def condition_trials(self, store: pyoxigraph.Store) -> set[str] | None:
        """NCT ids `trials-by-condition` finds for `--condition` (None without one)."""
        if not self.condition:
            return None
        canned = canned_query("trials-by-condition")
        answer = run_oxigraph(prepare(canned.text, {"term": self.condition}, canned.params), store)
        assert answer.select is not None
        return {cell[1] for row in answer.select.rows if (cell := row.get("nct"))}

    def admits(self, walk: Walk) -> bool:
        """The `--intervention` and `--term` filters, on one trial's walk."""
        if self.intervention:
            wanted = self.intervention.casefold()
            texts = [
                v for i in walk.nodes(_INTERVENTION) for p in _INTERVENTION_TEXTS for v in walk.values(*p, start=i)
            ]
            if not any(wanted in text.casefold() for text in texts):
                return False
        if self.term:
            wanted = self.term.casefold()
            if not any(wanted in value.casefold() for path in _TERM_PATHS for value in walk.values(*path)):
                return False
        return True
