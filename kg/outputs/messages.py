"""How a failure to write or read a file is told to the user: one line, naming the path.

Separate because both the guards here and the command line word OSErrors this way.
"""

from __future__ import annotations

import errno
import os

_WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EIO}


def describe(error: OSError) -> str:
    """An OSError as one line: `cannot write PATH: No space left on device`."""
    reason = error.strerror or str(error)
    if error.filename is None:
        return f"cannot write: {reason}" if error.errno in _WRITE_ERRNOS else reason
    verb = "cannot write " if error.errno in _WRITE_ERRNOS else ""
    return f"{verb}{os.fsdecode(error.filename)}: {reason}"
