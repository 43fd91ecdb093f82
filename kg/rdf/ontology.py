"""`kg ontology check`: load the ontology with owlready2 and reason over it with HermiT.

owlready2 reads RDF/XML or N-Triples, not Turtle, so rdflib converts it first. HermiT needs Java:
a missing Java is an error, never a silent skip.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph

from kg.errors import OntologyError
from kg.rdf import formats
from kg.rdf.resources import ontology_path


@dataclass
class OntologyCheck:
    classes: int = 0
    object_properties: int = 0
    data_properties: int = 0
    consistent: bool = False
    unsatisfiable: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.consistent and not self.unsatisfiable

    def lines(self) -> list[str]:
        verdict = "consistent" if self.consistent else "INCONSISTENT"
        lines = [
            f"ontology: {self.classes} classes, {self.object_properties} object properties, "
            f"{self.data_properties} datatype properties",
            f"HermiT: {verdict}; unsatisfiable classes: {len(self.unsatisfiable)}",
        ]
        lines += [f"  unsatisfiable: {name}" for name in self.unsatisfiable]
        return lines


def find_java() -> str:
    java = shutil.which("java")
    if java is None:
        raise OntologyError(
            "Java is needed for the HermiT reasoner but none is on PATH; install a JRE "
            "(e.g. apt-get install default-jre-headless) and try again"
        )
    try:
        subprocess.run([java, "-version"], capture_output=True, check=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as error:
        raise OntologyError(f"Java at {java} does not run: {error}") from error
    return java


def check_ontology(path: Path | None = None) -> OntologyCheck:
    import owlready2

    source = path or ontology_path()
    java = find_java()
    owlready2.JAVA_EXE = java
    try:
        graph = Graph().parse(source, format=formats.of_file(source).rdflib)
    except (OSError, SyntaxError, ValueError) as error:
        raise OntologyError(f"{source}: cannot parse the ontology: {error}") from error
    with tempfile.TemporaryDirectory() as folder:
        ntriples = Path(folder) / "kg.nt"
        graph.serialize(ntriples, format=formats.BY_NAME["nt"].rdflib, encoding="utf-8")
        world = owlready2.World()
        onto = world.get_ontology(ntriples.as_uri()).load()
        result = OntologyCheck(
            classes=len(list(onto.classes())),
            object_properties=len(list(onto.object_properties())),
            data_properties=len(list(onto.data_properties())),
        )
        try:
            with onto:
                owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
        except owlready2.OwlReadyInconsistentOntologyError:
            return result
        except (OSError, subprocess.SubprocessError, owlready2.OwlReadyJavaError) as error:
            raise OntologyError(f"the HermiT reasoner failed: {error}") from error
        result.consistent = True
        result.unsatisfiable = sorted(str(c.iri) for c in world.inconsistent_classes() if c is not owlready2.Nothing)
        return result
