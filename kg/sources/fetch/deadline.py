"""A request's overall deadline, enforced by cutting the connection rather than by per-read timeouts.

Separate because it is a thread of its own racing the request, with its own lock: the client only
asks it how long is left and hands it each socket to watch.
"""

from __future__ import annotations

import socket
import threading
import time


class Watchdog:
    """A request's overall deadline: when it passes, the connection is shut down under whatever read or
    write is waiting on it (a server dripping a byte a second, or stalling its headers, cannot hold it)."""

    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds
        self.expired = False
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._cut)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sock, expired = sock, self.expired
        if expired:
            _shut_down(sock)

    def remaining(self) -> float:
        """Seconds left (the timeout for the next socket operation); TimeoutError when none are."""
        left = self.deadline - time.monotonic()
        if left <= 0 or self.expired:
            self.expired = True
            raise TimeoutError("the request's deadline passed")
        return left

    def stop(self) -> None:
        self._timer.cancel()
        self._timer.join()

    def _cut(self) -> None:
        with self._lock:
            self.expired, sock = True, self._sock
        if sock is not None:
            _shut_down(sock)


def _shut_down(sock: socket.socket) -> None:
    try:  # the plain socket's shutdown, also under TLS: it only wakes the reader, which then sees the end
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass
