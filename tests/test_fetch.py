"""`kg fetch` against a registry stand-in on 127.0.0.1 that serves real records the way API v2 does,
with the faults a real network has: 429 with Retry-After, 503, dropped connections, truncated bodies."""

from __future__ import annotations

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli import main
from kg.errors import FetchError
from kg.sources.fetch import FetchConfig, fetch
from tests.conftest import example_paths, load_json

STUDIES = [load_json(p) for p in example_paths()]


class FakeRegistry:
    """Pages of `page_size` studies; `faults` maps a request number to what goes wrong on it."""

    def __init__(self, faults: dict[int, str] | None = None) -> None:
        self.faults = faults or {}
        self.requests: list[dict[str, str]] = []
        registry = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                url = urllib.parse.urlsplit(self.path)
                params = {k: v[0] for k, v in urllib.parse.parse_qs(url.query).items()}
                registry.requests.append({"path": url.path, **params})
                fault = registry.faults.get(len(registry.requests))
                if registry.misbehave(self, url.path, params):
                    return
                if fault == "429":
                    self._reply(429, b"slow down", {"Retry-After": "0"})
                elif fault == "503":
                    self._reply(503, b"unavailable")
                elif fault == "400":
                    self._reply(400, b"filter.overallStatus: unknown value")
                elif fault == "drop":
                    self.close_connection = True
                    self.wfile.flush()
                    self.connection.shutdown(2)
                else:
                    body = registry.answer(url.path, params)
                    if fault == "truncate":
                        self.send_response(200)
                        self.send_header("Content-Length", str(len(body)))
                        self.end_headers()
                        self.wfile.write(body[: len(body) // 2])
                        self.close_connection = True
                        return
                    self._reply(200, body)

            def _reply(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # Polled often, so `close` returns at once (serve_forever checks for shutdown every poll_interval).
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/v2"

    def misbehave(self, handler: BaseHTTPRequestHandler, path: str, params: dict[str, str]) -> bool:
        """A hook for hostile stand-ins (tests/test_fetch_hostile.py): True when it has answered itself."""
        return False

    def answer(self, path: str, params: dict[str, str]) -> bytes:
        if path.startswith("/api/v2/studies/"):
            nct_id = path.rsplit("/", 1)[1]
            study = next(s for s in STUDIES if s["protocolSection"]["identificationModule"]["nctId"] == nct_id)
            return json.dumps(study).encode()
        size = int(params.get("pageSize", "1000"))
        start = int(params.get("pageToken", "0"))
        page: dict[str, object] = {"studies": STUDIES[start : start + size]}
        if start + size < len(STUDIES):
            page["nextPageToken"] = str(start + size)
        if params.get("countTotal") == "true":
            page["totalCount"] = len(STUDIES)
        return json.dumps(page).encode()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def registry_factory():
    made: list[FakeRegistry] = []

    def make(faults: dict[int, str] | None = None) -> FakeRegistry:
        made.append(FakeRegistry(faults))
        return made[-1]

    yield make
    for registry in made:
        registry.close()


def quick(out: Path, url: str, **options) -> FetchConfig:
    return FetchConfig(out, url, page_size=10, requests_per_minute=60_000, backoff_seconds=0.01, timeout=5, **options)


def fetched_ids(out: Path) -> list[str]:
    return sorted(p.stem for p in out.glob("NCT*.json"))


def test_every_study_arrives_exactly_once_through_429_503_drops_and_truncation(
    registry_factory, tmp_path: Path
) -> None:
    registry = registry_factory({1: "429", 3: "503", 5: "drop", 7: "truncate"})
    result = fetch(quick(tmp_path, registry.url, condition="liver failure", statuses=("RECRUITING",)))
    assert result.fetched == len(STUDIES) and result.total == len(STUDIES) and result.retries == 4
    assert fetched_ids(tmp_path) == sorted(s["protocolSection"]["identificationModule"]["nctId"] for s in STUDIES)
    first = registry.requests[0]
    assert first["query.cond"] == "liver failure" and first["filter.overallStatus"] == "RECRUITING"
    assert first["countTotal"] == "true" and first["pageSize"] == "10"
    assert json.loads((tmp_path / fetched_ids(tmp_path)[0]).with_suffix(".json").read_text())["protocolSection"]


def test_a_different_search_in_the_same_folder_starts_afresh_without_duplicates(
    registry_factory, tmp_path: Path
) -> None:
    failing = registry_factory({3: "400"})
    with pytest.raises(FetchError, match="filter.overallStatus"):
        fetch(quick(tmp_path, failing.url, statuses=("RECRUITING",)))
    assert len(fetched_ids(tmp_path)) == 20
    other = registry_factory()
    result = fetch(quick(tmp_path, other.url, statuses=("RECRUITING",)))  # another server: another search
    assert not result.resumed and result.fetched == len(STUDIES)
    assert len(fetched_ids(tmp_path)) == len(STUDIES)


def test_resuming_the_same_search_asks_only_for_the_pages_not_yet_fetched(registry_factory, tmp_path: Path) -> None:
    registry = registry_factory({3: "400"})
    config = quick(tmp_path, registry.url, term="stem cells")
    with pytest.raises(FetchError):
        fetch(config)
    registry.faults.clear()
    before = len(registry.requests)
    result = fetch(config)
    assert result.resumed and result.fetched == len(STUDIES)
    resumed_requests = registry.requests[before:]
    assert resumed_requests[0]["pageToken"] == "20" and "countTotal" not in resumed_requests[0]
    assert len(resumed_requests) == 4  # pages 20, 30, 40, 50 of 55
    assert len(fetched_ids(tmp_path)) == len(STUDIES)


def test_since_uses_the_last_update_range_filter_and_max_stops_early(registry_factory, tmp_path: Path) -> None:
    registry = registry_factory()
    result = fetch(quick(tmp_path, registry.url, since="2024-01-01", max_studies=15))
    assert result.fetched == 15 and len(fetched_ids(tmp_path)) == 15
    assert registry.requests[0]["filter.advanced"] == "AREA[LastUpdatePostDate]RANGE[2024-01-01,MAX]"


def test_single_studies_by_nct_id(registry_factory, tmp_path: Path) -> None:
    registry = registry_factory({1: "503"})
    wanted = ("NCT04267848", "NCT02663973")
    result = fetch(quick(tmp_path, registry.url, nct_ids=wanted))
    assert result.fetched == 2 and fetched_ids(tmp_path) == sorted(wanted)
    assert registry.requests[-1]["path"] == "/api/v2/studies/NCT02663973"


def test_a_client_error_names_the_parameter_at_fault(registry_factory, tmp_path: Path) -> None:
    registry = registry_factory({1: "400"})
    with pytest.raises(FetchError, match=r"HTTP 400\); the registry objects to filter.overallStatus"):
        fetch(quick(tmp_path, registry.url, statuses=("RECRUITING",)))


def test_bad_arguments_are_refused_before_any_request(tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="not an API v2 status"):
        fetch(FetchConfig(tmp_path, "http://127.0.0.1:9/api/v2", statuses=("SORT_OF",)))
    with pytest.raises(FetchError, match="YYYY-MM-DD"):
        fetch(FetchConfig(tmp_path, "http://127.0.0.1:9/api/v2", since="last week"))


def test_the_fetched_folder_builds(registry_factory, tmp_path: Path) -> None:
    registry = registry_factory()
    result = CliRunner().invoke(
        main, ["fetch", "--term", "anything", "--out", str(tmp_path / "in"), "--base-url", registry.url, "--rate", "60000", "--page-size", "20"],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0 and f"fetched {len(STUDIES)} of {len(STUDIES)} studies" in result.stderr
    built = CliRunner().invoke(
        main, ["build", str(tmp_path / "in"), "-o", str(tmp_path / "g.ttl")], catch_exceptions=False
    )
    assert built.exit_code == 0 and f"trials: {len(STUDIES)}" in built.stderr and "rejected: 0" in built.stderr
