"""What validation finds: one result per focus node and broken rule, gathered over many batches.
Both engines (`kg.validation.core`, pyshacl via `kg.validation.shacl`) return these."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from rdflib import URIRef
from rdflib.term import Node

from kg.rdf.iris import SH


def local_name(node: Node | None) -> str:
    """`…/shapes#TrialShape-title` -> `TrialShape-title`."""
    text = str(node) if node is not None else ""
    return text.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


@dataclass(frozen=True)
class ValidationResult:
    focus: Node
    severity: URIRef
    shape: Node
    constraint: URIRef
    message: str
    path: Node | None = None
    value: Node | None = None

    @property
    def is_violation(self) -> bool:
        return self.severity == SH.Violation


@dataclass
class ValidationOutcome:
    """Results gathered over one or many validated batches, deduplicated."""

    results: set[ValidationResult] = field(default_factory=set)

    @property
    def violations(self) -> int:
        return sum(1 for r in self.results if r.is_violation)

    @property
    def warnings(self) -> int:
        return sum(1 for r in self.results if r.severity == SH.Warning)

    @property
    def conforms(self) -> bool:
        return self.violations == 0

    def add(self, results: Iterable[ValidationResult]) -> None:
        self.results.update(results)
