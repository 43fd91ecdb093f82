"""The temporary files and folders this process made and has not finished, recorded while they live.

Separate because the record is this process's own state: the last line of defence removes what is in
it, and a forked worker must not inherit (and so remove) its parent's.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

_owned: dict[str, bool] = {}  # temporary path -> is a folder


def own(path: str | Path, folder: bool = False) -> None:
    _owned[os.path.abspath(path)] = folder


def disown(path: str | Path) -> None:
    _owned.pop(os.path.abspath(path), None)


def is_owned(path: str | Path) -> bool:
    return os.path.abspath(path) in _owned


def remove_owned() -> None:
    """Remove the temporary files and folders this process made and did not finish (the last line of
    defence: the abort paths normally remove them first)."""
    while _owned:
        path, folder = _owned.popitem()
        if folder:
            shutil.rmtree(path, ignore_errors=True)
        else:
            try:
                os.unlink(path)
            except OSError:
                pass


# A forked worker: the parent's temporary files are not its own.
os.register_at_fork(after_in_child=_owned.clear)
