"""`kg fetch`: studies straight from the registry's API v2, politely and resumably.

Searches call `GET {base}/studies` with `query.*` / `filter.*` parameters and follow `nextPageToken` to
the end; single studies call `GET {base}/studies/{nctId}`. Each study is written as `NCT….json` (the
form `kg build` reads), atomically. Progress (the next page token and counts) is saved in the output
folder after every page, so an interrupted fetch resumes where it stopped without duplicates. Requests
are rate-limited; 429, 5xx, dropped connections and truncated bodies are retried with exponential
backoff and jitter, honouring `Retry-After`. Only the base URL given is ever contacted.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import random
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path

from kg import codes
from kg.errors import KgError
from kg.sinks import write_atomically

DEFAULT_BASE_URL = "https://clinicaltrials.gov/api/v2"
STATE_FILE = ".kg-fetch-state.json"
RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})


class FetchError(KgError):
    """The registry refused the request (a 4xx naming what is wrong) or kept failing after retries."""


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
    timeout: float = 30.0
    retries: int = 6
    backoff_seconds: float = 1.0
    max_backoff_seconds: float = 60.0


@dataclass
class FetchState:
    """What is saved between runs: enough to resume a search where it stopped."""

    search: str
    next_page_token: str | None = None
    fetched: int = 0
    total: int | None = None
    done: bool = False
    nct_ids: list[str] = field(default_factory=list)


@dataclass
class FetchResult:
    fetched: int
    total: int | None
    resumed: bool
    requests: int
    retries: int


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
        if not codes.DATE_PATTERN.match(config.since):
            raise FetchError(f"--since {config.since!r}: give a date as YYYY-MM-DD")
        params["filter.advanced"] = f"AREA[LastUpdatePostDate]RANGE[{config.since},MAX]"
    return params


class Client:
    """One HTTP client per fetch: the rate limit, the retries, and the counts of both."""

    def __init__(self, config: FetchConfig, sleep: Callable[[float], None] = time.sleep) -> None:
        self.config, self._sleep = config, sleep
        self._next_request_at = 0.0
        self.requests = self.retries = 0

    def get_json(self, path: str, params: dict[str, str] | None = None) -> dict:
        url = self.config.base_url.rstrip("/") + path
        if params:
            url += "?" + urllib.parse.urlencode(params)
        for attempt in range(self.config.retries + 1):
            self._wait_for_rate_limit()
            self.requests += 1
            try:
                with urllib.request.urlopen(url, timeout=self.config.timeout) as response:  # noqa: S310 - base URL is the user's
                    body = response.read()
                return json.loads(body)
            except urllib.error.HTTPError as error:
                if error.code not in RETRIED_STATUSES:
                    raise FetchError(_refusal(error, params)) from None
                delay = _retry_after(error.headers.get("Retry-After")) or self._backoff(attempt)
                problem = f"HTTP {error.code}"
            except (urllib.error.URLError, http.client.HTTPException, ConnectionError, TimeoutError) as error:
                delay, problem = self._backoff(attempt), f"connection problem ({error})"
            except json.JSONDecodeError:
                delay, problem = self._backoff(attempt), "a truncated or malformed JSON body"
            if attempt == self.config.retries:
                raise FetchError(f"{url}: gave up after {attempt + 1} tries; last: {problem}")
            self.retries += 1
            self._sleep(delay)
        raise AssertionError("unreachable")

    def _wait_for_rate_limit(self) -> None:
        now = time.monotonic()
        if now < self._next_request_at:
            self._sleep(self._next_request_at - now)
        self._next_request_at = max(now, self._next_request_at) + 60.0 / self.config.requests_per_minute

    def _backoff(self, attempt: int) -> float:
        base = min(self.config.max_backoff_seconds, self.config.backoff_seconds * 2**attempt)
        return base / 2 + random.uniform(0, base / 2)  # noqa: S311 - jitter, not cryptography


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _refusal(error: urllib.error.HTTPError, params: dict[str, str] | None) -> str:
    detail = error.read().decode("utf-8", errors="replace").strip()[:500]
    sent = ", ".join(f"{k}={v}" for k, v in (params or {}).items() if k not in ("format", "pageSize", "pageToken"))
    named = [k for k in (params or {}) if k in detail]
    blame = f"; the registry objects to {', '.join(named)}" if named else ""
    return f"the registry refused the request (HTTP {error.code}){blame}: {detail or error.reason} [sent: {sent or 'no filters'}]"


def _write_study(out_dir: Path, study: dict) -> str:
    nct_id = study.get("protocolSection", {}).get("identificationModule", {}).get("nctId")
    if not isinstance(nct_id, str) or not codes.NCT_ID_PATTERN.match(nct_id):
        raise FetchError(f"the registry sent a study without a valid NCT id: {str(study)[:200]}")
    write_atomically(out_dir / f"{nct_id}.json", json.dumps(study, ensure_ascii=False, indent=2))
    return nct_id


def _load_state(path: Path, search: str) -> FetchState | None:
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return FetchState(**saved) if saved.get("search") == search else None


def fetch(config: FetchConfig, progress: Callable[[int, int | None], None] | None = None) -> FetchResult:
    config.out_dir.mkdir(parents=True, exist_ok=True)
    client = Client(config)
    if config.nct_ids:
        wanted = [nct_id.strip().upper() for nct_id in config.nct_ids]
        for nct_id in wanted:
            if not codes.NCT_ID_PATTERN.match(nct_id):
                raise FetchError(f"{nct_id!r} is not an NCT id (NCT and 8 digits)")
        for done, nct_id in enumerate(wanted, 1):
            _write_study(config.out_dir, client.get_json(f"/studies/{nct_id}", {"format": "json"}))
            if progress:
                progress(done, len(wanted))
        return FetchResult(len(config.nct_ids), len(config.nct_ids), False, client.requests, client.retries)
    params = search_parameters(config)
    search = hashlib.sha256(json.dumps([config.base_url, params], sort_keys=True).encode()).hexdigest()
    state_path = config.out_dir / STATE_FILE
    state = _load_state(state_path, search)
    resumed = state is not None and not state.done
    if state is None or state.done:
        state = FetchState(search)
    seen = set(state.nct_ids)
    while not state.done:
        page_params = dict(params)
        if state.next_page_token:
            page_params["pageToken"] = state.next_page_token
        else:
            page_params["countTotal"] = "true"
        page = client.get_json("/studies", page_params)
        if isinstance(page.get("totalCount"), int):
            state.total = page["totalCount"]
        for study in page.get("studies") or []:
            if config.max_studies is not None and len(seen) >= config.max_studies:
                break
            nct_id = _write_study(config.out_dir, study)
            if nct_id not in seen:
                seen.add(nct_id)
                state.nct_ids.append(nct_id)
        state.fetched = len(seen)
        state.next_page_token = page.get("nextPageToken")
        state.done = not state.next_page_token or (config.max_studies is not None and len(seen) >= config.max_studies)
        write_atomically(state_path, json.dumps(asdict(state)))
        if progress:
            progress(state.fetched, state.total)
    return FetchResult(state.fetched, state.total, resumed, client.requests, client.retries)
