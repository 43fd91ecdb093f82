"""`kg ontology check`: reason over kg's OWL ontology."""

from __future__ import annotations

import sys

import click

from kg.cli.app import main


@main.group()
def ontology() -> None:
    """Work with kg's OWL ontology."""


@ontology.command("check")
def ontology_check() -> None:
    """Load the ontology with owlready2 and run the HermiT reasoner: consistent, no unsatisfiable class.

    Example:

        kg ontology check
    """
    from kg.rdf.ontology import check_ontology

    result = check_ontology()
    for line in result.lines():
        click.echo(line, err=True)
    sys.exit(0 if result.ok else 1)
