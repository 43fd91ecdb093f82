"""The HTTP client of a fetch: one origin, no redirects, a deadline and a byte cap on every request,
the rate limit, and retries with backoff.

Only the base URL's host and port are ever contacted: kg speaks HTTP itself (`http.client`, no proxy,
no redirect handling), and a redirect is an error naming its target. Separate because it is the only
part that talks to the network; what it returns is a JSON value, for the paging to check.
"""

from __future__ import annotations

import http.client
import json
import random
import socket
import ssl
import time
import urllib.parse
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Any

from kg import __version__
from kg.errors import FetchError
from kg.sources.fetch.config import FetchConfig, Origin, parse_base_url
from kg.sources.fetch.deadline import Watchdog
from kg.sources.fetch.shown import printable

RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
REFUSAL_BYTES = 64 * 1024  # of an error reply's body, read to name what the registry objects to
CHUNK_BYTES = 64 * 1024


class _Retry(Exception):
    """A failure worth another try: what went wrong, and how long the server asked us to wait."""

    def __init__(self, problem: str, retry_after: float | None = None) -> None:
        super().__init__(problem)
        self.problem, self.retry_after = problem, retry_after


class Client:
    """One HTTP client per fetch: the rate limit, the retries, and the counts of both. It speaks HTTP to the
    base URL's host and port only (`http.client`: no proxy, no redirect followed), one connection a request."""

    def __init__(
        self,
        config: FetchConfig,
        sleep: Callable[[float], None] = time.sleep,
        notify: Callable[[str], None] | None = None,
    ) -> None:
        self.config, self._sleep = config, sleep
        self._notify = notify or (lambda message: None)
        self.origin = parse_base_url(config.base_url)
        self._tls: ssl.SSLContext | None = None
        self._next_request_at = 0.0
        self.requests = self.retries = 0

    def get_json(self, path: str, params: dict[str, str] | None = None, what: str = "request") -> Any:
        """The JSON value of `GET {base}{path}?{params}`; `what` names the request in messages ('page 3')."""
        target = self.origin.path + path
        if params:
            target += "?" + urllib.parse.urlencode(params)
        url = self.origin.url(target)
        for attempt in range(self.config.retries + 1):
            self._wait_for_rate_limit()
            self.requests += 1
            try:
                body = self._exchange(target, url, params)
                try:
                    return json.loads(body)
                except (ValueError, RecursionError) as error:  # bad syntax or UTF-8, a huge number, deep nesting
                    raise _Retry(f"a truncated or malformed JSON body ({printable(str(error), 120)})") from None
            except _Retry as retry:
                problem, delay = retry.problem, self._backoff(attempt)
                if retry.retry_after is not None:
                    delay = min(retry.retry_after, self.config.max_backoff_seconds)
                    capped = " (capped)" if retry.retry_after > delay else ""
                    problem += f", Retry-After {retry.retry_after:g} s{capped}"
                if attempt == self.config.retries:
                    raise FetchError(f"{what} ({url}): gave up after {attempt + 1} tries; last: {problem}") from None
                self.retries += 1
                self._notify(f"{what}: {problem}; retry {attempt + 1} of {self.config.retries} in {delay:.1f} s")
                self._sleep(delay)
        raise AssertionError("unreachable")

    def _exchange(self, target: str, url: str, params: dict[str, str] | None) -> bytes:
        """One GET within the deadline: the body of a 2xx reply; _Retry for what another try may mend;
        FetchError for a refusal, a redirect or a body over the cap."""
        timeout = self.config.timeout
        watchdog = Watchdog(timeout)
        sock: socket.socket | None = None
        connection: http.client.HTTPConnection | None = None
        response: http.client.HTTPResponse | None = None
        try:
            sock, connection = self._connect(watchdog)
            sock.settimeout(watchdog.remaining())
            connection.request("GET", target, headers={"Accept": "application/json", "User-Agent": f"kg/{__version__}"})
            sock.settimeout(watchdog.remaining())
            response = connection.getresponse()
            return self._reply(response, sock, watchdog, url, params)
        except ssl.SSLCertVerificationError as error:  # another try would not mend it
            raise FetchError(f"{url}: the server's certificate is not trusted ({printable(str(error), 300)})") from None
        except (OSError, http.client.HTTPException) as error:
            if watchdog.expired or isinstance(error, TimeoutError):  # each socket timeout is the time left
                raise _Retry(f"no complete reply within {timeout:g} s (--timeout)") from None
            raise _Retry(f"connection problem ({printable(str(error) or type(error).__name__, 200)})") from None
        except ValueError:  # a read on a stream the watchdog ended
            if watchdog.expired:
                raise _Retry(f"no complete reply within {timeout:g} s (--timeout)") from None
            raise
        finally:
            watchdog.stop()
            for part in (response, connection, sock):
                if part is not None:
                    part.close()

    def _connect(self, watchdog: Watchdog) -> tuple[socket.socket, http.client.HTTPConnection]:
        """A connection to the origin, made here (TLS for https) so http.client never opens another;
        on a failure the socket made is closed before the error goes on."""
        origin, timeout = self.origin, self.config.timeout
        sock = socket.create_connection((origin.host, origin.port), timeout=watchdog.remaining())
        connection: http.client.HTTPConnection
        try:
            watchdog.watch(sock)
            if origin.scheme == "https":
                self._tls = self._tls or ssl.create_default_context()
                sock = self._tls.wrap_socket(sock, server_hostname=origin.host, do_handshake_on_connect=False)
                watchdog.watch(sock)
                sock.settimeout(watchdog.remaining())
                sock.do_handshake()
                connection = http.client.HTTPSConnection(origin.host, origin.port, timeout=timeout)
            else:
                connection = http.client.HTTPConnection(origin.host, origin.port, timeout=timeout)
        except BaseException:
            sock.close()
            raise
        connection.sock = sock  # connected here, to this origin: http.client never opens another
        return sock, connection

    def _reply(
        self,
        response: http.client.HTTPResponse,
        sock: socket.socket,
        watchdog: Watchdog,
        url: str,
        params: dict[str, str] | None,
    ) -> bytes:
        """The body of a 2xx reply; _Retry for a status worth another try; FetchError for the rest."""
        status = response.status
        if 200 <= status < 300:
            return self._read_body(response, sock, watchdog, url)
        if status in RETRIED_STATUSES:
            raise _Retry(f"HTTP {status}", _retry_after(response.getheader("Retry-After")))
        if 300 <= status < 400:
            raise FetchError(_redirect(status, url, response.getheader("Location"), self.origin))
        detail = _read_some(response, sock, watchdog, REFUSAL_BYTES)
        raise FetchError(_refusal(status, response.reason, detail, params))

    def _read_body(
        self, response: http.client.HTTPResponse, sock: socket.socket, watchdog: Watchdog, url: str
    ) -> bytes:
        limit = self.config.max_bytes
        declared = response.length  # None: chunked, or up to the end of the connection
        if declared is not None and declared > limit:
            raise FetchError(_too_large(url, limit, f"it declares {declared:,} bytes"))
        body = bytearray()
        while not response.isclosed():  # http.client closes it at the end of the body
            sock.settimeout(watchdog.remaining())
            chunk = response.read(min(CHUNK_BYTES, limit + 1 - len(body)))
            if not chunk:
                break
            body += chunk
            if len(body) > limit:
                raise FetchError(_too_large(url, limit, "it goes on past that"))
        if watchdog.expired:
            raise TimeoutError("the request's deadline passed")
        if declared is not None and len(body) < declared:
            raise _Retry(f"a truncated body ({len(body):,} of {declared:,} bytes)")
        return bytes(body)

    def _wait_for_rate_limit(self) -> None:
        now = time.monotonic()
        if now < self._next_request_at:
            self._sleep(self._next_request_at - now)
        self._next_request_at = max(now, self._next_request_at) + 60.0 / self.config.requests_per_minute

    def _backoff(self, attempt: int) -> float:
        base = min(self.config.max_backoff_seconds, self.config.backoff_seconds * 2**attempt)
        return float(base / 2 + random.uniform(0, base / 2))  # noqa: S311 - jitter, not cryptography


def _read_some(response: http.client.HTTPResponse, sock: socket.socket, watchdog: Watchdog, limit: int) -> bytes:
    """Up to `limit` bytes of an error reply's body, as much as arrives in time."""
    body = bytearray()
    try:
        while len(body) < limit and not response.isclosed():
            sock.settimeout(watchdog.remaining())
            chunk = response.read(min(CHUNK_BYTES, limit - len(body)))
            if not chunk:
                break
            body += chunk
    except (OSError, http.client.HTTPException, ValueError):
        pass
    return bytes(body)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError, OverflowError, IndexError):
        return None


def _too_large(url: str, limit: int, how: str) -> str:
    return (
        f"the reply to {url} is over {limit:,} bytes (--max-bytes): {how}; "
        "ask for smaller pages (--page-size) or raise --max-bytes"
    )


def _redirect(status: int, url: str, location: str | None, origin: Origin) -> str:
    if location is None:
        to = "nowhere (no Location)"
    else:
        try:
            to = printable(urllib.parse.urljoin(url, location), 300)
        except ValueError:
            to = printable(location, 300)
    return (
        f"the registry redirected {url} to {to} (HTTP {status}); kg follows no redirect and contacts only "
        f"{origin.url('')} (--base-url)"
    )


def _refusal(status: int, reason: str, body: bytes, params: dict[str, str] | None) -> str:
    detail = printable(body.decode("utf-8", errors="replace").strip())
    sent = ", ".join(f"{k}={v}" for k, v in (params or {}).items() if k not in ("format", "pageSize", "pageToken"))
    named = [k for k in (params or {}) if k in detail]
    blame = f"; the registry objects to {', '.join(named)}" if named else ""
    return (
        f"the registry refused the request (HTTP {status}){blame}: {detail or printable(reason or '', 200)} "
        f"[sent: {printable(sent, 500) or 'no filters'}]"
    )
