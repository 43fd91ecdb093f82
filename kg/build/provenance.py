"""PROV-O for a build: which kg ran, when, on which input files (checksums, records read from each)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from pathlib import Path

from rdflib import Graph, Literal
from rdflib.namespace import PROV, RDF, RDFS, XSD

from kg import __version__
from kg.build.config import BuildConfig
from kg.build.summary import BuildSummary
from kg.rdf import iris
from kg.rdf.iris import KG


def provenance_graph(config: BuildConfig, summary: BuildSummary) -> Graph:
    """PROV-O: this build, the kg version, when it ran, each input file with checksum and record count."""
    graph = Graph()
    started = datetime.now(timezone.utc).replace(microsecond=0)
    checksums = {path: checksum for path in sorted(summary.files) if (checksum := _sha256(path)) is not None}
    build_id = hashlib.sha256((started.isoformat() + "".join(sorted(checksums.values()))).encode()).hexdigest()[:16]
    build_node = iris.build_iri(build_id)
    graph.add((build_node, RDF.type, KG.Build))
    graph.add((build_node, RDFS.label, Literal(f"kg build {started.isoformat()}")))
    graph.add((build_node, KG.kgVersion, Literal(__version__)))
    graph.add((build_node, PROV.startedAtTime, Literal(started.isoformat(), datatype=XSD.dateTime)))
    for path, checksum in checksums.items():
        node = iris.input_file_iri(checksum)
        graph.add((build_node, PROV.used, node))
        graph.add((node, RDF.type, KG.InputFile))
        graph.add((node, RDFS.label, Literal(path)))
        graph.add((node, KG.sha256, Literal(checksum)))
        graph.add((node, KG.recordCount, Literal(summary.files[path], datatype=XSD.integer)))
    return graph


def _sha256(path: str) -> str | None:
    """None for what cannot be read as a file (it was rejected, or is gone)."""
    if not Path(path).is_file():
        return None
    digest_ = hashlib.sha256()
    try:
        with open(path, "rb") as stream:
            for chunk in iter(lambda: stream.read(1 << 20), b""):
                digest_.update(chunk)
    except OSError:
        return None
    return digest_.hexdigest()
