"""The modes kg's files and folders get: what the umask gives (mkstemp and mkdtemp make 0600 and 0700).

Separate because reading the umask has its own caveat (it cannot be read without setting it, outside
Linux), which nothing else here shares.
"""

from __future__ import annotations

import os
from functools import cache


def current_umask() -> int:
    """The process's umask, read without changing it (Linux reports it in /proc; elsewhere it is read
    once, by setting it and putting it back, which is not safe while other threads create files)."""
    try:
        with open("/proc/self/status", "rb") as status:
            for line in status:
                if line.startswith(b"Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return _umask_set_and_restored()


@cache
def _umask_set_and_restored() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def file_mode() -> int:
    return 0o666 & ~current_umask()


def dir_mode() -> int:
    return 0o777 & ~current_umask()
