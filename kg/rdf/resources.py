"""Find the ontology, shapes and canned queries, in an installed wheel or a source checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent  # kg/


def resource_path(folder: str, name: str) -> Path:
    """`kg/<folder>/<name>` in a wheel (copied there at build time), else `<checkout>/<folder>/<name>`."""
    for candidate in (_PACKAGE / folder / name, _PACKAGE.parent / folder / name):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"kg resource {folder}/{name} is missing from the installation ({_PACKAGE})")


def ontology_path() -> Path:
    return resource_path("ontology", "kg.ttl")


def shapes_path() -> Path:
    return resource_path("shapes", "kg.ttl")
