"""What a fetch is asked for, checked before any request: the settings, the search's API parameters,
and the one origin the fetch may contact.

Separate because every flag the user gives is validated here, so a wrong one fails before the
network is touched.
"""

from __future__ import annotations

import datetime
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from kg.errors import FetchError
from kg.model import codes
from kg.sources.fetch.shown import printable

DEFAULT_BASE_URL = "https://clinicaltrials.gov/api/v2"
DEFAULT_MAX_BYTES = 64 * 1024 * 1024  # one page of 1,000 studies is typically 20-40 MB
DEFAULT_TIMEOUT = 120.0  # seconds for a whole request: connecting, headers and body


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
        if not codes.DATE_PATTERN.fullmatch(config.since) or not _is_calendar_date(config.since):
            raise FetchError(f"--since {config.since!r}: give a date on the calendar as YYYY-MM-DD")
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


def _is_calendar_date(text: str) -> bool:
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return True
