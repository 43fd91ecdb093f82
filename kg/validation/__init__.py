"""Validation against kg's SHACL shapes: kg's compiled SHACL Core engine and pyshacl, the reference."""

ENGINES = ("core", "pyshacl")  # the first is the default: kg's compiled engine; pyshacl, the reference
