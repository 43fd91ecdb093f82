"""The embedded Oxigraph store: load a graph file into a new store, then swap it into place, so a
reader never sees a half-loaded store and a re-load replaces rather than duplicates."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pyoxigraph

from kg.errors import KgError
from kg.rdfio import rdf_format_of

DEFAULT_STORE = Path("kg-store")


class StoreError(KgError):
    """A store that cannot be opened or written."""


def load_store(graph: Path, store_dir: Path) -> int:
    """Bulk-load `graph` into a fresh store at `store_dir` (replacing any store there); returns triples."""
    store_dir = store_dir.resolve()
    store_dir.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{store_dir.name}.", suffix=".loading", dir=store_dir.parent))
    try:
        store = pyoxigraph.Store(str(building))
        store.bulk_load(path=str(graph), format=rdf_format_of(graph))
        store.flush()
        count = len(store)
        del store
        _swap(building, store_dir)
    except (OSError, SyntaxError, ValueError) as error:
        shutil.rmtree(building, ignore_errors=True)
        raise StoreError(f"cannot load {graph} into {store_dir}: {error}") from error
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    return count


def _swap(new: Path, target: Path) -> None:
    """Rename the new store into place; the old one is removed only after the new one is there."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        target.rename(old)
    new.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def open_store(store_dir: Path) -> pyoxigraph.Store:
    """Open a store read-only (several readers may share it)."""
    if not (store_dir / "CURRENT").exists():
        raise StoreError(
            f"{store_dir} is not a kg store; build one with `kg build ... --store {store_dir}` or `kg load`"
        )
    try:
        return pyoxigraph.Store.read_only(str(store_dir))
    except OSError as error:
        raise StoreError(f"cannot open the store {store_dir}: {error}") from error
