"""The embedded Oxigraph store.

A store path (`kg-store`) is a symbolic link to one generation directory beside it. A load builds a new
generation, then swaps the link atomically (rename over it), so a reader resolves the link once and opens
one whole generation: it never sees a half-loaded store or a mix of two. The previous generation is kept
until the next load, so a query that opened it just before a swap can finish; older ones are removed.

kg moves or removes only what it made: a generation is named `.NAME.gen-STAMP-XXXXXXXX` and holds a
`.kg-store` marker (generations of earlier kg versions have the name and Oxigraph's files, no marker),
and the store path is a link to one. A path given as a store that is anything else (a folder of the
user's, a file, another link) is refused, never moved aside. One writer at a time holds `.NAME.lock`
beside the store; when it starts, it removes what a killed writer left: generations still marked
unfinished and the temporary link.
"""

from kg.store.generations import DEFAULT_STORE, open_store, refuse_foreign, writing_store
from kg.store.loading import LINES_PER_LOAD, StoreWriter, bulk_load, load_store
from kg.store.updates import stored_updates, update_store

__all__ = [
    "DEFAULT_STORE",
    "LINES_PER_LOAD",
    "StoreWriter",
    "bulk_load",
    "load_store",
    "open_store",
    "refuse_foreign",
    "stored_updates",
    "update_store",
    "writing_store",
]
