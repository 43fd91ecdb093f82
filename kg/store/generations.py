"""Store generations: how a store path (a link) points at one whole generation directory, who may
write it, and how a finished generation is swapped in. See the package docstring for the scheme."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph

from kg import __version__, outputs
from kg.errors import StoreError

DEFAULT_STORE = Path("kg-store")


def _generations(store_dir: Path) -> list[Path]:
    """The generations kg made for this store: its name pattern, a folder, and its marker (or, made by
    an earlier kg, Oxigraph's files). A `.NAME.gen-0-legacy` folder (a store folder an earlier kg moved
    aside, perhaps the user's) is never one."""
    pattern = outputs.generation_name(store_dir.name)
    found = []
    for path in store_dir.parent.glob(f".{store_dir.name}.gen-*"):
        if pattern.fullmatch(path.name) and not path.is_symlink() and path.is_dir():
            if (path / outputs.STORE_MARKER).is_file() or (path / "CURRENT").is_file():
                found.append(path)
    return sorted(found, key=lambda p: p.name)


def _current(store_dir: Path) -> Path | None:
    """The generation the store link points at (None for no store)."""
    if not store_dir.is_symlink():
        return None
    target = os.readlink(store_dir)
    return store_dir.parent / target if _is_generation_link(store_dir, target) else None


def _is_generation_link(store_dir: Path, target: str) -> bool:
    return "/" not in target and target.startswith(f".{store_dir.name}.gen-")


def refuse_foreign(store_dir: Path) -> None:
    """A store path kg may write: nothing there, an empty folder, or a store link kg made (any version)."""
    if not os.path.lexists(store_dir):
        return
    if store_dir.is_symlink():
        target = os.readlink(store_dir)
        if _is_generation_link(store_dir, target):
            return
        raise StoreError(
            f"{store_dir} is a link to {target}, not a kg store; kg will not replace it: choose another --store path"
        )
    if store_dir.is_dir():
        if not any(store_dir.iterdir()):
            return  # an empty folder: nothing in it to lose
        if (store_dir / outputs.STORE_MARKER).is_file():
            raise StoreError(f"{store_dir} is one generation of a kg store; give the store's own path (the link)")
        raise StoreError(
            f"{store_dir} exists and is not a kg store; kg will not move, replace or delete it: "
            "choose another --store path"
        )
    raise StoreError(f"{store_dir} is a file, not a kg store; kg will not replace it: choose another --store path")


@contextmanager
def writing_store(store_dir: Path) -> Iterator[Path]:
    """Be the store's one writer: refuse a path that is not kg's, hold `.NAME.lock` beside it, and (the
    first time in this process) remove what a killed writer left. Reentrant within a process."""
    refuse_foreign(Path(store_dir))
    store_dir = Path(os.path.abspath(store_dir))
    with outputs.hold(store_dir, f"the store {store_dir}") as first:
        if first:
            _remove_dead_writers_leftovers(store_dir)
        yield store_dir


def _remove_dead_writers_leftovers(store_dir: Path) -> None:
    """Under the store's lock no live kg is writing it: a generation still marked unfinished (other than
    one this process is filling) and a temporary link are a killed writer's."""
    current = _current(store_dir)
    for generation in _generations(store_dir):
        if generation != current and _state(generation) == "building" and not outputs.is_owned(generation):
            shutil.rmtree(generation, ignore_errors=True)
    pattern = outputs.generation_name(store_dir.name)
    for path in store_dir.parent.glob(f".{store_dir.name}.gen-*"):
        if pattern.fullmatch(path.name) and path.is_dir() and not path.is_symlink() and not outputs.is_owned(path):
            _remove_if_unmarked_and_empty(path)
    link = re.compile(rf"\.{re.escape(store_dir.name)}\.link-\d+")
    for path in store_dir.parent.glob(f".{store_dir.name}.link-*"):
        if link.fullmatch(path.name) and path.is_symlink() and not outputs.is_owned(path):
            path.unlink(missing_ok=True)


def _remove_if_unmarked_and_empty(path: Path) -> None:
    """A writer killed between creating its generation and marking it leaves an empty folder of kg's
    name (or one holding just the marker's temporary file): nothing in it to lose, so it goes too."""
    try:
        left = {entry.name for entry in path.iterdir()}
    except OSError:
        return
    if left <= {f"{outputs.STORE_MARKER}.part"}:
        (path / f"{outputs.STORE_MARKER}.part").unlink(missing_ok=True)
        try:
            path.rmdir()  # fails, and keeps it, if anything appeared meanwhile
        except OSError:
            pass


def _state(generation: Path) -> str | None:
    """ "building" or "complete" (a kg generation's marker), None (an earlier kg's generation)."""
    try:
        text = (generation / outputs.STORE_MARKER).read_text(encoding="utf-8")
    except OSError:
        return None
    return "complete" if "state: complete" in text else "building"


def _mark(generation: Path, state: str) -> None:
    """Write the marker that says the generation is kg's (and whether it was finished)."""
    marker = generation / outputs.STORE_MARKER
    temp = generation / f"{outputs.STORE_MARKER}.part"
    temp.write_text(f"kg store generation\nkg-version: {__version__}\nstate: {state}\n", encoding="utf-8")
    os.replace(temp, marker)


def new_generation(store_dir: Path, mark: bool = True) -> Path:
    """An empty, uniquely named generation directory beside the store link, marked as kg's and
    unfinished (with `mark=False`, the caller marks it once it has filled it)."""
    try:
        store_dir.parent.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%dT%H%M%S")
        with outputs.signals_deferred():
            generation = Path(tempfile.mkdtemp(prefix=f".{store_dir.name}.gen-{stamp}-", dir=store_dir.parent))
            outputs.own(generation, folder=True)
        if mark:
            prepare(generation)
    except OSError as error:
        raise StoreError(f"cannot write {store_dir.parent}: {error.strerror or error}") from error
    return generation


def prepare(generation: Path) -> None:
    os.chmod(generation, outputs.dir_mode())  # mkdtemp makes 0700
    _mark(generation, "building")


def discard(generation: Path) -> None:
    shutil.rmtree(generation, ignore_errors=True)
    outputs.disown(generation)


def swap_in(store_dir: Path, generation: Path) -> None:
    """Point the store at `generation`; keep the previous one for running readers, drop older ones."""
    previous = _current(store_dir)
    _mark(generation, "complete")
    with outputs.signals_deferred():
        _point_at(store_dir, generation)
        outputs.disown(generation)
    for old in _generations(store_dir):
        if old not in (generation, previous):
            shutil.rmtree(old, ignore_errors=True)


def _point_at(store_dir: Path, generation: Path) -> None:
    """Swap the link in one rename. Only a store link kg made, or an empty folder, is replaced."""
    refuse_foreign(store_dir)
    if store_dir.is_dir() and not store_dir.is_symlink():
        store_dir.rmdir()  # empty (checked): fails rather than lose anything that appeared since
    link = store_dir.with_name(f".{store_dir.name}.link-{os.getpid()}")
    if link.is_symlink():
        link.unlink()
    elif os.path.lexists(link):
        raise StoreError(f"{link} is in the way and is not kg's; kg will not replace it")
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
