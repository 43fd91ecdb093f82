"""Extraction quality measured on hand-labelled gold: what `kg parse` reads from free text."""
