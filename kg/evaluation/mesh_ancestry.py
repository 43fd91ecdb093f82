"""The learned MeSH ancestry checked honestly: learned from one half of the records, tested on the other.

Records whose NCT id hashes to the learning half teach the ancestors (`kg.model.mesh.AncestryLearner`);
each record of the other half that lists ancestors is a test: the ancestors learned for its condition
terms are compared with the ones its record lists. A record is predicted only when every one of its
terms was learned (coverage says how many); precision and recall count ancestors over those records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kg.evaluation import half_of
from kg.model.mesh import AncestryLearner, learned_ancestor_sets, term_key
from kg.model.records import TrialRecord
from kg.sources import iter_records


@dataclass
class AncestryScores:
    learned_from: int = 0  # records of the learning half with an ancestor list
    tested: int = 0  # records of the test half with an ancestor list
    predicted: int = 0  # … whose terms were all learned
    listed: int = 0  # ancestors those records list
    given: int = 0  # ancestors kg predicted for them
    right: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.right / self.given if self.given else 1.0

    @property
    def recall(self) -> float:
        return self.right / self.listed if self.listed else 1.0

    @property
    def coverage(self) -> float:
        return self.predicted / self.tested if self.tested else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "learned_from": self.learned_from,
            "tested": self.tested,
            "predicted": self.predicted,
            "coverage": round(self.coverage, 3),
            "precision": round(self.precision, 3),
            "recall": round(self.recall, 3),
            "ancestors_listed": self.listed,
            "ancestors_given": self.given,
            "ancestors_right": self.right,
        }

    def lines(self) -> list[str]:
        return [
            f"learned from {self.learned_from} records; tested on {self.tested} records of the other half",
            f"records whose terms were all learned: {self.predicted} (coverage {self.coverage:.3f})",
            f"ancestors: precision {self.precision:.3f} ({self.right}/{self.given}), "
            f"recall {self.recall:.3f} ({self.right}/{self.listed})",
        ]


def score_mesh_ancestry(inputs: list[str], tested_half: str = "held-out") -> AncestryScores:
    """Test on `tested_half`'s records of `inputs`, having learned from the other half's."""
    learn_half = "tune" if tested_half == "held-out" else "held-out"
    learner = AncestryLearner()
    tests: list[TrialRecord] = []
    scores = AncestryScores()
    for record in iter_records(inputs):
        if not isinstance(record, TrialRecord) or not record.mesh_ancestors or not record.mesh_terms:
            continue
        if half_of(record.nct_id or record.title or "") == learn_half:
            learner.observe(record.mesh_terms, record.mesh_ancestors)
            scores.learned_from += 1
        else:
            tests.append(record)
    learned = learned_ancestor_sets(learner.learned())
    for record in tests:
        scores.tested += 1
        keys = [term_key(t) for t in record.mesh_terms]
        if any(k not in learned for k in keys):
            continue
        scores.predicted += 1
        given = set().union(*(learned[k] for k in keys)) - set(keys)
        listed = {term_key(a) for a in record.mesh_ancestors}
        scores.given += len(given)
        scores.listed += len(listed)
        scores.right += len(given & listed)
        if given != listed:
            scores.misses.append(f"{record.nct_id}: extra {sorted(given - listed)}, missed {sorted(listed - given)}")
    return scores
