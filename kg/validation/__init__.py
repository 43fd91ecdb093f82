"""Validation against kg's SHACL shapes: kg's compiled SHACL Core engine and pyshacl, the reference."""
