"""`kg fetch`: studies straight from the registry's API v2, politely and resumably.

Searches call `GET {base}/studies` with `query.*` / `filter.*` parameters and follow `nextPageToken` to
the end; single studies call `GET {base}/studies/{nctId}`. Each study is written as `NCT….json` (the
form `kg build` reads), atomically. Progress (the next page token and counts) is saved in the output
folder after every page, so an interrupted fetch resumes where it stopped without duplicates. Requests
are rate-limited; 429, 5xx, dropped connections, truncated bodies and requests over their deadline are
retried with exponential backoff and jitter, honouring `Retry-After` (up to the longest backoff).

No reply can lead the fetch astray. Only the base URL's host and port are ever contacted: kg speaks HTTP
itself (`http.client`, no proxy, no redirect handling), and a redirect is an error naming its target. Each
request has an overall deadline (`timeout`, for connecting, headers and body together: a watchdog cuts
the connection, so a server that drips a byte a second cannot stall it) and a body cap (`max_bytes`: an
endless body is cut there). Replies are shape-checked: a page that is not a JSON object, `studies` that
is not a list or a `nextPageToken` that is not a string is an error; a repeated page token, or a page
that brings no new study yet names a next one, stops the fetch (its pages loop); a study that is not an
object or whose NCT id is not `NCT` and 8 ASCII digits is reported (page and position) and skipped, and
the rest of the page is written.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import random
import reprlib
import socket
import ssl
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from kg import __version__
from kg.errors import FetchError
from kg.model import codes
from kg.rdf.sinks import write_atomically
from kg.sources.values import is_nct_id

DEFAULT_BASE_URL = "https://clinicaltrials.gov/api/v2"
STATE_FILE = ".kg-fetch-state.json"
RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
DEFAULT_MAX_BYTES = 64 * 1024 * 1024  # one page of 1,000 studies is typically 20-40 MB
DEFAULT_TIMEOUT = 120.0  # seconds for a whole request: connecting, headers and body
REFUSAL_BYTES = 64 * 1024  # of an error reply's body, read to name what the registry objects to
CHUNK_BYTES = 64 * 1024


class _Retry(Exception):
    """A failure worth another try: what went wrong, and how long the server asked us to wait."""

    def __init__(self, problem: str, retry_after: float | None = None) -> None:
        super().__init__(problem)
        self.problem, self.retry_after = problem, retry_after


_SHOWN = reprlib.Repr()
_SHOWN.maxstring, _SHOWN.maxother, _SHOWN.maxlevel = 120, 120, 2


def shown(value: object) -> str:
    """A reply's value as it may be printed: short, quoted, control and bidi characters escaped."""
    return _SHOWN.repr(value)


def printable(text: str, limit: int = 500) -> str:
    """`text` cut to `limit` characters, each non-printable one escaped (no terminal escapes reach stderr)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text[:limit])


def _kind(value: object) -> str:
    """What a JSON value is, in words: 'a JSON list', 'a string', ..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a JSON list"
    return "a JSON object"


@dataclass(frozen=True)
class FetchConfig:
    out_dir: Path
    base_url: str = DEFAULT_BASE_URL
    condition: str | None = None
    term: str | None = None
    intervention: str | None = None
    statuses: tuple[str, ...] = ()
    since: str | None = None  # studies last updated on or after this date (YYYY-MM-DD)
    max_studies: int | None = None
    nct_ids: tuple[str, ...] = ()
    page_size: int = 1000
    requests_per_minute: float = 50.0
    timeout: float = DEFAULT_TIMEOUT  # seconds for each request as a whole, not per read
    retries: int = 6
    backoff_seconds: float = 1.0
    max_backoff_seconds: float = 60.0  # also the longest Retry-After honoured
    max_bytes: int = DEFAULT_MAX_BYTES  # of one reply's body


@dataclass
class FetchState:
    """What is saved between runs: enough to resume a search where it stopped."""

    search: str
    next_page_token: str | None = None
    fetched: int = 0
    total: int | None = None
    done: bool = False
    nct_ids: list[str] = field(default_factory=list)
    pages: int = 0


@dataclass
class FetchResult:
    fetched: int
    total: int | None
    resumed: bool
    requests: int
    retries: int
    skipped: int = 0  # studies reported and left out (not an object, no valid NCT id)


def search_parameters(config: FetchConfig) -> dict[str, str]:
    """The API's query.* and filter.* parameters for the search asked for."""
    params: dict[str, str] = {"format": "json", "pageSize": str(min(max(config.page_size, 1), 1000))}
    if config.condition:
        params["query.cond"] = config.condition
    if config.term:
        params["query.term"] = config.term
    if config.intervention:
        params["query.intr"] = config.intervention
    if config.statuses:
        unknown = [s for s in config.statuses if s not in codes.OVERALL_STATUSES]
        if unknown:
            raise FetchError(f"--status {', '.join(unknown)}: not an API v2 status (e.g. RECRUITING, COMPLETED)")
        params["filter.overallStatus"] = ",".join(config.statuses)
    if config.since:
        if not codes.DATE_PATTERN.fullmatch(config.since):
            raise FetchError(f"--since {config.since!r}: give a date as YYYY-MM-DD")
        params["filter.advanced"] = f"AREA[LastUpdatePostDate]RANGE[{config.since},MAX]"
    return params


@dataclass(frozen=True)
class Origin:
    """The one place a fetch may contact: the base URL's scheme, host and port, and its path."""

    scheme: str
    host: str
    port: int
    path: str

    def url(self, target: str) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}{target}"


def parse_base_url(base_url: str) -> Origin:
    """The origin of `--base-url`; anything but an http(s) URL with a host (and maybe a port and path) is refused."""
    parts = urllib.parse.urlsplit(base_url.strip())
    try:
        port = parts.port
    except ValueError:
        port = -1
    scheme = parts.scheme.lower()
    if (
        scheme not in ("http", "https") or not parts.hostname or port == -1 or parts.username is not None
        or parts.password is not None or parts.query or parts.fragment
    ):  # fmt: skip
        raise FetchError(
            f"--base-url {printable(base_url, 200)}: give an http:// or https:// URL with a host (a port and a "
            "path if needed), without user, query or fragment"
        )
    port = port or (443 if scheme == "https" else 80)
    path = urllib.parse.quote(parts.path.rstrip("/"), safe="/%:@!$&'()*+,;=-._~")
    return Origin(scheme, parts.hostname, port, path)


class _Watchdog:
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
        origin, timeout = self.origin, self.config.timeout
        watchdog = _Watchdog(timeout)
        sock: socket.socket | None = None
        connection: http.client.HTTPConnection | None = None
        response: http.client.HTTPResponse | None = None
        try:
            sock = socket.create_connection((origin.host, origin.port), timeout=watchdog.remaining())
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
            connection.sock = sock  # connected here, to this origin: http.client never opens another
            sock.settimeout(watchdog.remaining())
            connection.request("GET", target, headers={"Accept": "application/json", "User-Agent": f"kg/{__version__}"})
            sock.settimeout(watchdog.remaining())
            response = connection.getresponse()
            status = response.status
            if 200 <= status < 300:
                return self._read_body(response, sock, watchdog, url)
            if status in RETRIED_STATUSES:
                raise _Retry(f"HTTP {status}", _retry_after(response.getheader("Retry-After")))
            if 300 <= status < 400:
                raise FetchError(_redirect(status, url, response.getheader("Location"), origin))
            detail = _read_some(response, sock, watchdog, REFUSAL_BYTES)
            raise FetchError(_refusal(status, response.reason, detail, params))
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

    def _read_body(
        self, response: http.client.HTTPResponse, sock: socket.socket, watchdog: _Watchdog, url: str
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


def _read_some(response: http.client.HTTPResponse, sock: socket.socket, watchdog: _Watchdog, limit: int) -> bytes:
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


def study_id(study: object) -> tuple[str | None, str]:
    """A study's NCT id, or None and why it cannot be written (not an object, no NCT id, not a valid one)."""
    if not isinstance(study, dict):
        return None, f"{_kind(study)}, not a study object: {shown(study)}"
    section = study.get("protocolSection")
    module = section.get("identificationModule") if isinstance(section, dict) else None
    nct_id = module.get("nctId") if isinstance(module, dict) else None
    if nct_id is None:
        return None, "no protocolSection.identificationModule.nctId"
    if not is_nct_id(nct_id):
        return None, f"nctId {shown(nct_id)} is not NCT and 8 ASCII digits"
    return nct_id, ""


def _write_study(out_dir: Path, nct_id: str, study: dict[str, Any]) -> None:
    write_atomically(out_dir / f"{nct_id}.json", json.dumps(study, ensure_ascii=False, indent=2))


def _load_state(path: Path, search: str) -> FetchState | None:
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(saved, dict) or saved.get("search") != search:
        return None
    try:
        state = FetchState(**saved)
    except TypeError:  # written by another version of kg, or damaged: start afresh
        return None
    ids_ok = isinstance(state.nct_ids, list) and all(is_nct_id(nct_id) for nct_id in state.nct_ids)
    token_ok = state.next_page_token is None or isinstance(state.next_page_token, str)
    return state if ids_ok and token_ok and isinstance(state.pages, int) else None


def fetch(
    config: FetchConfig,
    progress: Callable[[int, int | None], None] | None = None,
    notify: Callable[[str], None] | None = None,
) -> FetchResult:
    """Fetch the studies `config` asks for into `config.out_dir`. `progress(fetched, total)` is called after
    each page or study; `notify(message)` with each retry (its reason and wait) and each study skipped."""
    say = notify or (lambda message: None)
    client = Client(config, notify=say)  # refuses a base URL that is not http(s)://host[:port][/path]
    if config.nct_ids:
        wanted = []
        for given in config.nct_ids:
            nct_id = given.strip().upper()
            if not is_nct_id(nct_id):
                raise FetchError(f"{shown(given)} is not an NCT id (NCT and 8 digits)")
            wanted.append(nct_id)
        config.out_dir.mkdir(parents=True, exist_ok=True)
        written = skipped = 0
        for done, nct_id in enumerate(wanted, 1):
            study = client.get_json(f"/studies/{nct_id}", {"format": "json"}, what=nct_id)
            got, problem = study_id(study)
            if got is not None and got != nct_id:
                got, problem = None, f"it is the study {got}"
            if got is None:
                say(f"skipped the registry's reply for {nct_id}: {problem}")
                skipped += 1
            else:
                _write_study(config.out_dir, got, study)
                written += 1
            if progress:
                progress(done, len(wanted))
        return FetchResult(written, len(wanted), False, client.requests, client.retries, skipped)
    params = search_parameters(config)
    config.out_dir.mkdir(parents=True, exist_ok=True)
    search = hashlib.sha256(json.dumps([config.base_url, params], sort_keys=True).encode()).hexdigest()
    state_path = config.out_dir / STATE_FILE
    state = _load_state(state_path, search)
    resumed = state is not None and not state.done
    if state is None or state.done:
        state = FetchState(search)
    seen = set(state.nct_ids)
    token_pages: dict[str, int] = {state.next_page_token: state.pages} if state.next_page_token else {}
    skipped = 0
    while not state.done:
        number = state.pages + 1
        page_params = dict(params)
        if state.next_page_token:
            page_params["pageToken"] = state.next_page_token
        else:
            page_params["countTotal"] = "true"
        page = client.get_json("/studies", page_params, what=f"page {number}")
        studies, token = _page_parts(page, number)
        if isinstance(page.get("totalCount"), int) and not isinstance(page["totalCount"], bool):
            state.total = page["totalCount"]
        new = 0
        for position, study in enumerate(studies, 1):
            if config.max_studies is not None and len(seen) >= config.max_studies:
                break
            found, problem = study_id(study)
            if found is None:
                say(f"skipped page {number} study {position}: {problem}")
                skipped += 1
                continue
            _write_study(config.out_dir, found, study)
            if found not in seen:
                seen.add(found)
                state.nct_ids.append(found)
                new += 1
        state.pages, state.fetched, state.next_page_token = number, len(seen), token
        state.done = not token or (config.max_studies is not None and len(seen) >= config.max_studies)
        write_atomically(state_path, json.dumps(asdict(state)))
        if progress:
            progress(state.fetched, state.total)
        if state.done or token is None:
            break
        if token in token_pages:
            raise FetchError(
                f"page {number}: the registry sent the page token {shown(token)} again (it came with page "
                f"{token_pages[token]}): its pages loop; stopped with {state.fetched} studies fetched"
            )
        if not new:
            raise FetchError(
                f"page {number} brought no study not already fetched, yet names a next page: stopped rather "
                f"than loop, with {state.fetched} studies fetched"
            )
        token_pages[token] = number
    return FetchResult(state.fetched, state.total, resumed, client.requests, client.retries, skipped)


def _page_parts(page: object, number: int) -> tuple[list[Any], str | None]:
    """A page's studies and next page token, or a FetchError saying why the reply is not a page."""
    if not isinstance(page, dict):
        raise FetchError(
            f"page {number}: the registry's reply is {_kind(page)}, not a JSON object ({shown(page)}): "
            "is --base-url the registry's API v2?"
        )
    studies = page.get("studies")
    if studies is None:
        studies = []
    if not isinstance(studies, list):
        raise FetchError(f"page {number}: 'studies' is {_kind(studies)}, not a list: {shown(studies)}")
    token = page.get("nextPageToken")
    if token is not None and not isinstance(token, str):
        raise FetchError(f"page {number}: 'nextPageToken' is {_kind(token)}, not a string: {shown(token)}")
    return studies, token or None
