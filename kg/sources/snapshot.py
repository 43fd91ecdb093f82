"""What pass one saw of each input file, so pass two reads the same bytes or says it cannot.

A file's size, modification time and inode are noted the first time pass one meets it; pass two
checks them before handing out the file's documents. A file deleted, rewritten or replaced between
the passes is not read again: its records are rejected as `changed-during-build` (pass one counted
them), never silently lost or half-built from other bytes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

from kg.sources.documents import Document, Reject

Signature = tuple[int, int, int]


def signature(path: str) -> Signature | None:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return (status.st_size, status.st_mtime_ns, status.st_ino)


class InputSnapshot:
    def __init__(self) -> None:
        self._seen: dict[str, Signature | None] = {}
        self._checked: dict[str, bool] = {}  # pass two: path -> unchanged

    def note(self, documents: Iterator[Document | Reject]) -> Iterator[Document | Reject]:
        """Pass one: remember each file as it is first met."""
        for document in documents:
            if isinstance(document, Document) and document.path not in self._seen:
                self._seen[document.path] = signature(document.path)
            yield document

    def check(
        self, documents: Iterator[Document | Reject], on_changed: Callable[[str], None]
    ) -> Iterator[Document | Reject]:
        """Pass two: documents of unchanged files only; `on_changed(path)` once for each other file."""
        for document in documents:
            if isinstance(document, Reject):
                yield document
                continue
            unchanged = self._checked.get(document.path)
            if unchanged is None:
                unchanged = self._checked[document.path] = self._unchanged(document.path)
                if not unchanged:
                    on_changed(document.path)
            if unchanged:
                yield document
        for path in self._seen:
            if path not in self._checked:  # gone: the walk no longer finds it
                self._checked[path] = False
                on_changed(path)

    def _unchanged(self, path: str) -> bool:
        before = self._seen.get(path)
        return before is not None and before == signature(path)
