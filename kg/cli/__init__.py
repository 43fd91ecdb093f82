"""The `kg` command line (`kg.cli:main`): the group in `app`, its commands one module per stage."""

from kg.cli import asking, building, fetching, ontology, reporting, scoring, similar  # noqa: F401 - each registers its commands
from kg.cli.app import main

__all__ = ["main"]
