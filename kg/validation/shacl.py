"""SHACL validation and a report a person can act on.

Two engines read the same shapes: pyshacl, the reference (no inference: the shapes need none), and
`kg.validation.core`, a compiled SHACL Core evaluator ~100x faster that builds use by default; tests prove
they report the same results.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path

import pyshacl
from pyshacl.errors import ReportableRuntimeError
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF
from rdflib.term import Node

from kg.errors import ValidationError
from kg.rdf import formats, iris
from kg.rdf.iris import KGSH, PREFIXES, SH
from kg.rdf.resources import shapes_path
from kg.rdf.terms import TextTriple, Triple, rdflib_triples, text_triples, turtle_term
from kg.validation import ENGINES
from kg.validation.core import CoreShapes, compile_shapes
from kg.validation.results import ValidationOutcome, ValidationResult, local_name


@lru_cache(maxsize=1)
def load_shapes() -> Graph:
    """The shapes graph, with property shapes given IRIs so report results name the rule they broke."""
    try:
        shapes = Graph().parse(shapes_path(), format=formats.of_file(shapes_path()).rdflib)
    except (OSError, SyntaxError, ValueError) as error:
        raise ValidationError(f"cannot load the SHACL shapes ({shapes_path()}): {error}") from error
    return name_property_shapes(shapes)


def name_property_shapes(shapes: Graph) -> Graph:
    """Replace each blank property shape by `kgsh:<NodeShape>-<path>[-warning]`, the same in every run."""
    renames: dict[BNode, URIRef] = {}
    pairs = [(n, p) for n, p in shapes.subject_objects(SH.property) if isinstance(n, URIRef) and isinstance(p, BNode)]
    for node_shape, property_shape in sorted(pairs, key=lambda pair: _shape_signature(shapes, *pair)):
        path = shapes.value(property_shape, SH.path)
        base = f"{local_name(node_shape)}-{local_name(path) if path is not None else 'path'}"
        if shapes.value(property_shape, SH.severity) == SH.Warning:
            base += "-warning"
        name, suffix = KGSH[base], 2
        while name in renames.values():
            name, suffix = KGSH[f"{base}-{suffix}"], suffix + 1
        renames[property_shape] = name
    if not renames:
        return shapes
    renamed = Graph()
    for prefix, namespace in shapes.namespaces():
        renamed.bind(prefix, namespace)
    lookup: dict[Node, Node] = {blank: name for blank, name in renames.items()}
    for s, p, o in shapes:
        renamed.add((lookup.get(s, s), p, lookup.get(o, o)))
    return renamed


def _shape_signature(shapes: Graph, node_shape: URIRef, property_shape: BNode) -> tuple[str, ...]:
    """Blank-node ids differ per parse; a shape's own non-blank triples do not."""
    own = sorted(f"{p.n3()} {o.n3()}" for p, o in shapes.predicate_objects(property_shape) if not isinstance(o, BNode))
    return (str(node_shape), *own)


@lru_cache(maxsize=1)
def core_shapes() -> CoreShapes:
    return compile_shapes(load_shapes())


def validate_triples(triples: Iterable[Triple], engine: str = "core") -> list[ValidationResult]:
    """All SHACL results for these rdflib triples (warnings included) from the chosen engine."""
    if engine == "core":
        return core_shapes().validate(text_triples(triples))
    if engine == "pyshacl":
        graph = Graph()
        for triple in triples:
            graph.add(triple)
        return validate_graph(graph)
    raise ValidationError(f"unknown SHACL engine {engine!r} (choose from {', '.join(ENGINES)})")


def validate_text(triples: list[TextTriple], engine: str = "core") -> list[ValidationResult]:
    """`validate_triples` for triples as N-Triples text, as the build maps them."""
    if engine == "core":
        return core_shapes().validate(triples)
    return validate_triples(rdflib_triples(triples), engine)


def validate_graph(data: Graph, engine: str = "pyshacl") -> list[ValidationResult]:
    """All SHACL results for `data` (warnings included); pyshacl is the reference engine."""
    if engine != "pyshacl":
        return validate_triples(data, engine)  # type: ignore[arg-type]
    try:
        _conforms, report, _text = pyshacl.validate(
            data,
            shacl_graph=load_shapes(),
            inference="none",
            allow_warnings=True,
            advanced=False,
            meta_shacl=False,
        )
    except ReportableRuntimeError as error:  # e.g. a blank node where sh:lessThanOrEquals needs a value
        raise ValidationError(f"pyshacl cannot evaluate the shapes on this data: {error.message}") from error
    assert isinstance(report, Graph)
    return list(read_report(report))


def read_report(report: Graph) -> Iterable[ValidationResult]:
    for result in report.subjects(RDF.type, SH.ValidationResult):
        message = report.value(result, SH.resultMessage)
        severity = report.value(result, SH.resultSeverity)
        constraint = report.value(result, SH.sourceConstraintComponent)
        yield ValidationResult(
            focus=report.value(result, SH.focusNode, any=False) or result,
            severity=severity if isinstance(severity, URIRef) else SH.Violation,
            shape=report.value(result, SH.sourceShape) or result,
            constraint=constraint if isinstance(constraint, URIRef) else SH.ConstraintComponent,
            message=str(message) if message is not None else "",
            path=report.value(result, SH.resultPath),
            value=report.value(result, SH.value),
        )


def report_graph(outcome: ValidationOutcome) -> Graph:
    """A standard sh:ValidationReport for the gathered results, sorted so reruns give the same file."""
    graph = Graph()
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    graph.bind("kgsh", KGSH)
    for triple in _report_triples(outcome):
        graph.add(triple)
    return graph


_REPORT = URIRef("urn:kg:validation-report")


def _report_triples(outcome: ValidationOutcome) -> Iterator[tuple[Node, Node, Node]]:
    """The report's triples: the report node, then each result's, in a stable order."""
    yield _REPORT, RDF.type, SH.ValidationReport
    yield _REPORT, SH.conforms, Literal(outcome.conforms)
    for index, result in enumerate(sorted(outcome.results, key=_sort_key)):
        node = URIRef(f"urn:kg:validation-report:result-{index + 1}")
        yield _REPORT, SH.result, node
        yield node, RDF.type, SH.ValidationResult
        yield node, SH.focusNode, result.focus
        yield node, SH.resultSeverity, result.severity
        yield node, SH.sourceShape, result.shape
        yield node, SH.sourceConstraintComponent, result.constraint
        yield node, SH.resultMessage, Literal(result.message)
        if result.path is not None:
            yield node, SH.resultPath, result.path
        if result.value is not None:
            yield node, SH.value, result.value


def digest(outcome: ValidationOutcome, examples: int = 3) -> list[str]:
    """Readable lines: verdict, then one line per (severity, shape, message) with example nodes."""
    verdict = "conforms" if outcome.conforms else "does NOT conform"
    lines = [f"SHACL: {verdict} ({outcome.violations} violations, {outcome.warnings} warnings)"]
    grouped: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for result in sorted(outcome.results, key=_sort_key):
        key = (local_name(result.severity), local_name(result.shape), result.message)
        grouped[key].append(_short(result.focus))
    for (severity, shape, message), nodes in sorted(
        grouped.items(), key=lambda kv: (kv[0][0] != "Violation", -len(kv[1]))
    ):
        shown = ", ".join(nodes[:examples]) + (f", ... (+{len(nodes) - examples})" if len(nodes) > examples else "")
        lines.append(f"  {severity:<9} {len(nodes):>6} x {shape}: {message} e.g. {shown}")
    return lines


def _sort_key(result: ValidationResult) -> tuple[str, str, str, str]:
    return (str(result.severity), str(result.shape), str(result.focus), str(result.value))


def _short(node: Node) -> str:
    return iris.shortened(node)


def validate_file(path: Path, report_path: Path | None = None, engine: str = "core") -> ValidationOutcome:
    """Validate an RDF file as a whole; optionally write the report atomically."""
    from kg.rdf.rdfio import load_graph

    outcome = ValidationOutcome()
    outcome.add(validate_graph(load_graph(path), engine))
    if report_path is not None:
        write_report(report_path, outcome)
    return outcome


def write_report(path: Path, outcome: ValidationOutcome) -> None:
    """The SHACL report as Turtle, written atomically (kg build writes it beside the graph): the triples of
    `report_graph`, written one at a time as text. The rdflib graph and its serializer took ~80 MiB
    and most of the end of a build with 12,000 warnings (50,000 cloned trials)."""
    from kg.rdf.sinks import AtomicFile

    output = AtomicFile(path)
    try:
        output.write(formats.turtle_prefixes() + f"@prefix kgsh: <{KGSH}> .\n\n")
        for s, p, o in _report_triples(outcome):
            output.write(f"{_report_term(s)} {'a' if p == RDF.type else _report_term(p)} {_report_term(o)} .\n")
        output.commit()
    except BaseException:
        output.abort()
        raise


def _report_term(term: Node) -> str:
    """A term as Turtle; kg's shapes as `kgsh:` names (the report's own prefix)."""
    local = term[len(KGSH) :] if isinstance(term, URIRef) and term.startswith(KGSH) else ""
    if local[:1].isascii() and local[:1].isalpha() and all(c.isascii() and (c.isalnum() or c in "_-") for c in local):
        return f"kgsh:{local}"
    return turtle_term(term)  # type: ignore[arg-type]
