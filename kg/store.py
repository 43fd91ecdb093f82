"""The embedded Oxigraph store.

A store path (`kg-store`) is a symbolic link to one generation directory beside it. A load builds a new
generation, then swaps the link atomically (rename over it), so a reader resolves the link once and opens
one whole generation: it never sees a half-loaded store or a mix of two. The previous generation is kept
until the next load, so a query that opened it just before a swap can finish; older ones are removed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import pyoxigraph

from kg.errors import KgError
from kg.rdfio import rdf_format_of

DEFAULT_STORE = Path("kg-store")
KEEP_GENERATIONS = 2


class StoreError(KgError):
    """A store that cannot be opened or written."""


def _generations(store_dir: Path) -> list[Path]:
    return sorted(store_dir.parent.glob(f".{store_dir.name}.gen-*"), key=lambda p: p.name)


def load_store(graph: Path, store_dir: Path) -> int:
    """Bulk-load `graph` into a new generation and point `store_dir` at it; returns the triple count."""
    store_dir = Path(os.path.abspath(store_dir))
    store_dir.parent.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    generation = Path(tempfile.mkdtemp(prefix=f".{store_dir.name}.gen-{stamp}-", dir=store_dir.parent))
    try:
        store = pyoxigraph.Store(str(generation))
        store.bulk_load(path=str(graph), format=rdf_format_of(graph))
        store.flush()
        count = len(store)
        del store
    except (OSError, SyntaxError, ValueError) as error:
        shutil.rmtree(generation, ignore_errors=True)
        raise StoreError(f"cannot load {graph} into {store_dir}: {error}") from error
    except BaseException:
        shutil.rmtree(generation, ignore_errors=True)
        raise
    _point_at(store_dir, generation)
    for old in _generations(store_dir)[:-KEEP_GENERATIONS]:
        if old != generation:
            shutil.rmtree(old, ignore_errors=True)
    return count


def _point_at(store_dir: Path, generation: Path) -> None:
    """Swap the link in one rename; a plain directory left by an older kg is moved aside first."""
    if store_dir.exists() and not store_dir.is_symlink():
        legacy = store_dir.with_name(f".{store_dir.name}.gen-0-legacy")
        shutil.rmtree(legacy, ignore_errors=True)
        store_dir.rename(legacy)
    link = store_dir.with_name(f".{store_dir.name}.link-{os.getpid()}")
    link.unlink(missing_ok=True)
    link.symlink_to(generation.name)
    os.replace(link, store_dir)


def open_store(store_dir: Path) -> pyoxigraph.Store:
    """Open the store's current generation read-only (several readers may share it)."""
    for attempt in range(2):
        resolved = Path(os.path.realpath(store_dir))
        if not (resolved / "CURRENT").exists():
            raise StoreError(
                f"{store_dir} is not a kg store; build one with `kg build ... --store {store_dir}` or `kg load`"
            )
        try:
            return pyoxigraph.Store.read_only(str(resolved))
        except (OSError, RuntimeError) as error:  # the generation was removed while opening: look again
            if attempt == 1:
                raise StoreError(f"cannot open the store {store_dir}: {error}") from error
    raise AssertionError("unreachable")


_STORED_UPDATES = """PREFIX kg: <https://w3id.org/kg-trials/ontology#>
PREFIX prov: <http://www.w3.org/ns/prov#>
SELECT ?nct (MAX(STR(?updated)) AS ?latest) WHERE {
  ?trial prov:wasDerivedFrom ?record ; kg:nctId ?nct . OPTIONAL { ?trial kg:lastUpdated ?updated }
} GROUP BY ?nct"""


def stored_updates(store_dir: Path) -> dict[str, str]:
    """NCT id -> the last-update date the store holds for it ("" when it holds none); empty if no store."""
    if not (Path(os.path.realpath(store_dir)) / "CURRENT").exists():
        return {}
    store = open_store(store_dir)
    return {row["nct"].value: (row["latest"].value if row["latest"] else "") for row in store.query(_STORED_UPDATES)}  # type: ignore[union-attr]


def update_store(delta: Path, store_dir: Path, trials: set[str]) -> int:
    """A new generation: a copy of the current one, minus what it said about `trials` (each trial node
    and the nodes it owns), plus `delta`; swapped in like a load. Returns the triple count."""
    store_dir = Path(os.path.abspath(store_dir))
    if not (Path(os.path.realpath(store_dir)) / "CURRENT").exists():
        return load_store(delta, store_dir)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    generation = Path(tempfile.mkdtemp(prefix=f".{store_dir.name}.gen-{stamp}-", dir=store_dir.parent))
    generation.rmdir()  # backup() creates the directory itself
    try:
        open_store(store_dir).backup(str(generation))
        store = pyoxigraph.Store(str(generation))
        for nct_id in sorted(trials):
            trial = f"https://clinicaltrials.gov/study/{nct_id}"
            owned = f"https://w3id.org/kg-trials/resource/trial/{nct_id}/"
            store.update(
                f'DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o . FILTER(?s = <{trial}> || STRSTARTS(STR(?s), "{owned}")) }}'
            )
        store.bulk_load(path=str(delta), format=rdf_format_of(delta))
        store.flush()
        count = len(store)
        del store
    except (OSError, SyntaxError, ValueError, RuntimeError) as error:
        shutil.rmtree(generation, ignore_errors=True)
        raise StoreError(f"cannot update {store_dir} with {delta}: {error}") from error
    except BaseException:
        shutil.rmtree(generation, ignore_errors=True)
        raise
    _point_at(store_dir, generation)
    for old in _generations(store_dir)[:-KEEP_GENERATIONS]:
        if old != generation:
            shutil.rmtree(old, ignore_errors=True)
    return count
