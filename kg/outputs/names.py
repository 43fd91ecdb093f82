"""The names of the files and store generations kg itself writes, and how to recognise them.

Separate because it is the one place here that uses Python's `re` (on kg's own names, never on source
text), and because locks, leftovers and the store all read these names.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

STORE_MARKER = ".kg-store"  # in each store generation kg makes: "kg store generation", the kg version, its state
_RANDOM = r"[a-z0-9_]{8}"  # what tempfile adds to a name (mkstemp, mkdtemp)
_GENERATION = re.compile(r"\..+\.gen-.+")  # `.NAME.gen-*`: a store generation, whatever the store's name


def lock_path(path: str | Path) -> Path:
    """`out/graph.ttl` -> `out/.graph.ttl.lock`."""
    path = Path(path)
    return path.with_name(f".{path.name}.lock")


def part_name(path: str | Path) -> re.Pattern[str]:
    """The names AtomicFile gives the temporary files of `path`: `.graph.ttl.XXXXXXXX.part`."""
    return re.compile(rf"\.{re.escape(Path(path).name)}\.{_RANDOM}\.part")


def generation_name(store_name: str) -> re.Pattern[str]:
    """The names kg gives the generations of a store: `.kg-store.gen-20250101T120000-XXXXXXXX`."""
    return re.compile(rf"\.{re.escape(store_name)}\.gen-\d{{8}}T\d{{6}}-{_RANDOM}")


def is_generation_name(name: str) -> bool:
    return _GENERATION.fullmatch(name) is not None


def is_kg_store_folder(path: str | Path) -> bool:
    """A store generation (by its marker or its name) or a store link pointing at one."""
    path = Path(path)
    if path.is_symlink():
        return is_generation_name(os.readlink(path))
    return is_generation_name(path.name) or (path / STORE_MARKER).is_file()


def resolved(path: str | Path) -> str:
    return os.path.realpath(path)
