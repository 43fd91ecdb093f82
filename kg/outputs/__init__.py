"""What keeps kg from harming the user's files: locks, leftovers, signals, modes.

- An output (and a store) is written under a lock beside it (`out/.graph.ttl.lock`, `fcntl.flock`): a
  second kg writing the same path fails at once instead of interleaving its files with the first's.
  The kernel drops the lock when its process dies, however it dies.
- Every temporary file or folder kg makes is recorded while it lives, and a temporary file holds a lock
  of its own: a run killed outright (SIGKILL) leaves them, and the next run on the same output or store
  removes those that match kg's own name patterns and that no live process holds, and nothing else.
- SIGTERM and SIGINT raise `Interrupted` in the main thread, so the abort paths that already clean up
  after a failure run; forked workers neither handle them nor inherit the parent's records.
- Files and folders get the modes the umask gives (mkstemp and mkdtemp make 0600 and 0700).

One module per concern: `names` (kg's own file names), `modes`, `messages` (OSErrors in one line),
`locks` (and leftovers), `owned` (temporary files), `signals`, `guards` (the checks before a build).
Each piece of process state lives in its module alone, and each module forgets its own in a forked
worker; this package only re-exports what the rest of kg uses.
"""

from __future__ import annotations

from kg.outputs.guards import build_guard, refuse_non_file
from kg.outputs.locks import claim, hold
from kg.outputs.messages import describe
from kg.outputs.modes import dir_mode, file_mode
from kg.outputs.names import STORE_MARKER, generation_name, is_kg_store_folder
from kg.outputs.owned import disown, is_owned, own, remove_owned
from kg.outputs.signals import install_signal_handlers, signals_deferred, stop_if_interrupted, stop_workers

__all__ = [
    "STORE_MARKER",
    "build_guard",
    "claim",
    "describe",
    "dir_mode",
    "disown",
    "file_mode",
    "generation_name",
    "hold",
    "install_signal_handlers",
    "is_kg_store_folder",
    "is_owned",
    "own",
    "refuse_non_file",
    "remove_owned",
    "signals_deferred",
    "stop_if_interrupted",
    "stop_workers",
]
