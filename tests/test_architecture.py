"""The tree keeps its promises: one owner each for IRIs, RDF formats and errors, and no import cycles.
A later change that spells an IRI, names a format or defines an exception elsewhere fails here."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from kg.rdf import iris

KG_DIR = Path(__file__).resolve().parent.parent / "kg"
MODULES = sorted(p for p in KG_DIR.rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(KG_DIR.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def strings_in(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def test_only_iris_py_spells_kg_s_and_the_registry_s_iris() -> None:
    offenders = [
        f"{path.relative_to(KG_DIR)}: {text[:60]!r}"
        for path in MODULES
        if path.name != "iris.py"
        for text in strings_in(path)
        if "w3id.org/kg-trials" in text or "clinicaltrials.gov/study" in text
    ]
    assert not offenders, offenders


def test_only_formats_py_names_rdf_formats_for_a_parser_or_writer() -> None:
    offenders = []
    for path in MODULES:
        if path.name == "formats.py":
            continue
        text = path.read_text(encoding="utf-8")
        for spelled in ("RdfFormat.", 'format="turtle"', 'format="nt"', 'format="json-ld"', 'format="xml"'):
            if spelled in text:
                offenders.append(f"{path.relative_to(KG_DIR)}: {spelled}")
    assert not offenders, offenders


def test_every_public_exception_is_defined_in_errors_py() -> None:
    offenders = []
    for path in MODULES:
        if path.name == "errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                bases = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases}
                if any(b.endswith(("Error", "Exception", "Interrupt")) or b in {"KgError"} for b in bases):
                    offenders.append(f"{path.relative_to(KG_DIR)}: {node.name}")
    assert not offenders, offenders


def _module_imports(path: Path) -> set[str]:
    """kg modules imported at module level (not inside functions, not for type checking only)."""
    found: set[str] = set()
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("kg")}
        elif isinstance(node, ast.ImportFrom) and node.module:
            base = node.module if node.level == 0 else package + "." + node.module
            if base.startswith("kg"):
                found.add(base)
                found |= {f"{base}.{a.name}" for a in node.names}
    known = {module_name(p) for p in MODULES}
    return {name for name in found if name in known and name != module_name(path)}


def test_no_module_level_import_cycles() -> None:
    graph = {module_name(p): _module_imports(p) for p in MODULES}
    for name in graph:  # a package's __init__ importing its own modules is not a cycle through them
        graph[name] = {m for m in graph[name] if not (m.startswith(name + ".") and name.count(".") < m.count("."))}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(trail[trail.index(nxt) :] + [nxt] if nxt in trail else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert not cycles, cycles


@pytest.mark.parametrize("nct_id", ["NCT01234567", "unresolved-0123456789ab"])
def test_a_trial_iri_reads_back_to_its_id(nct_id: str) -> None:
    assert iris.nct_id_of(iris.trial_iri(nct_id)) == nct_id
    assert iris.nct_id_of(iris.arm_iri(nct_id, 0)) is None
    assert iris.arm_iri(nct_id, 0).startswith(iris.trial_owned_prefix(nct_id))
    assert iris.shortened(iris.trial_iri(nct_id)) in (nct_id, f"trial/{nct_id}")


def test_docs_architecture_names_every_part_of_the_tree_and_only_what_exists() -> None:
    text = (KG_DIR.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    parts = {p.name + ("/" if p.is_dir() else "") for p in KG_DIR.iterdir() if not p.name.startswith(("_", "."))}
    parts.discard("py.typed")
    missing = sorted(p for p in parts if p not in text)
    assert not missing, f"docs/architecture.md does not mention {missing}"
    named = set(re.findall(r"`kg/([\w/]+\.py|[\w]+/)", text))
    gone = sorted(n for n in named if not (KG_DIR / n).exists())
    assert not gone, f"docs/architecture.md names what is not in the tree: {gone}"
