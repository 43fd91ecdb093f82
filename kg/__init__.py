"""kg: a clinical-trials knowledge graph builder."""

__version__ = "0.1.0"
