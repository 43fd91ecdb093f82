"""`kg fetch` against hostile registry stand-ins on 127.0.0.1: no reply makes kg contact another host or
port, loop, stall, grow without bound or crash, and one bad study costs only that study.

Each stand-in is the registry of tests/test_fetch.py with one misbehaviour. Every test is bounded in time
(an alarm fails it after TIME_LIMIT seconds, whatever kg is waiting for) and ends with a normal fetch
into the same folder, which must work."""

from __future__ import annotations

import copy
import json
import shutil
import signal
import socket
import ssl
import subprocess
import time
import tracemalloc
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli import main
from kg.errors import FetchError
from kg.sources.fetch import FetchConfig, fetch
from kg.sources.values import is_nct_id
from tests.conftest import ConnectionCounter
from tests.test_fetch import STUDIES, FakeRegistry, quick

TIME_LIMIT = 20  # seconds, for any one test
SLACK = 2.5  # seconds past a deadline for kg to notice, close and report
ALL_IDS = sorted(s["protocolSection"]["identificationModule"]["nctId"] for s in STUDIES)
MiB = 1024 * 1024


class Overran(BaseException):  # not an Exception: nothing in kg may catch it
    pass


@pytest.fixture(autouse=True)
def bounded_in_time() -> Iterator[None]:
    def overran(signum: int, frame: object) -> None:
        raise Overran(f"the test ran over {TIME_LIMIT} s")

    previous = signal.signal(signal.SIGALRM, overran)
    signal.setitimer(signal.ITIMER_REAL, TIME_LIMIT)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class Trap(ConnectionCounter):
    """A second listener on 127.0.0.1 that answers nothing and counts the connections it receives."""

    def received(self) -> int:
        time.sleep(0.3)  # a connection kg made would be accepted well within this
        return self.connections


def with_id(nct_id: object) -> dict:
    study = copy.deepcopy(STUDIES[0])
    study["protocolSection"]["identificationModule"]["nctId"] = nct_id
    return study


BAD_PAGE = [
    STUDIES[1],
    "NCT00000105",  # a study that is a string
    with_id("NCT00000105\n"),  # a trailing newline: would name a file with a newline in it
    STUDIES[2],
    with_id("NCT٠٠٠٠٠١٠٥"),  # Arabic-Indic digits  # noqa: RUF001
    17,
    None,
    {"protocolSection": ["not", "a", "section"]},
    with_id(12345678),
    with_id("NCT0000010\u202e5"),  # a bidi override: escaped on stderr
    *STUDIES[3:8],
]
GOOD_ON_BAD_PAGE = sorted(s["protocolSection"]["identificationModule"]["nctId"] for s in [STUDIES[1], *STUDIES[2:8]])


class HostileRegistry(FakeRegistry):
    """The registry stand-in, misbehaving as `behaviour` says on every request."""

    def __init__(self, behaviour: str, trap_port: int = 0, body: bytes = b"") -> None:
        self.behaviour, self.trap_port, self.body = behaviour, trap_port, body
        super().__init__()

    def misbehave(self, handler: BaseHTTPRequestHandler, path: str, params: dict[str, str]) -> bool:
        kind, _, detail = self.behaviour.partition(":")
        if kind == "redirect":
            handler.send_response(int(detail))
            handler.send_header("Location", f"http://127.0.0.1:{self.trap_port}{handler.path}")
            handler.send_header("Content-Length", "0")
            handler.end_headers()
        elif kind == "drip-body":
            handler.send_response(200)
            handler.send_header("Content-Length", "1000")
            handler.end_headers()
            drip(handler, b" ")
        elif kind == "drip-headers":
            handler.wfile.write(b"HTTP/1.0 200 OK\r\nX-Drip: ")
            drip(handler, b"x")
        elif kind in ("endless", "endless-chunked", "endless-declared"):
            handler.send_response(200)
            if kind == "endless-chunked":
                handler.send_header("Transfer-Encoding", "chunked")
            elif kind == "endless-declared":
                handler.send_header("Content-Length", str(10 * 1024**3))
            handler.end_headers()
            piece = b" " * 65536  # JSON white space, for ever
            pour(handler, b"%x\r\n%s\r\n" % (len(piece), piece) if kind == "endless-chunked" else piece)
        elif kind == "endless-refusal":
            handler.send_response(400)
            handler.end_headers()
            pour(handler, b"filter.overallStatus is wrong " * 2000)
        elif kind == "retry-after-a-day" and len(self.requests) == 1:
            handler.send_response(429)
            handler.send_header("Retry-After", "86400")
            handler.send_header("Content-Length", "0")
            handler.end_headers()
        else:
            return False  # answered by `answer`, below: a reply of the right form, with the wrong content
        handler.close_connection = True
        return True

    def answer(self, path: str, params: dict[str, str]) -> bytes:
        kind, _, detail = self.behaviour.partition(":")
        token = params.get("pageToken", "")
        if kind == "body":
            return self.body
        if kind == "page":
            return json.dumps(json.loads(self.body)).encode()
        if kind == "bad-studies":
            return json.dumps({"studies": BAD_PAGE, "totalCount": len(BAD_PAGE)}).encode()
        if kind == "loop-token":  # A -> B -> A -> ...
            start, following = {"": (0, "A"), "A": (10, "B"), "B": (20, "A")}[token]
            return json.dumps({"studies": STUDIES[start : start + 10], "nextPageToken": following}).encode()
        if kind == "same-studies-new-tokens":
            return json.dumps({"studies": STUDIES[:10], "nextPageToken": str(int(token or "0") + 1)}).encode()
        if kind == "sneaky-token":
            if token == "":
                return json.dumps({"studies": STUDIES[:10], "nextPageToken": detail}).encode()
            return json.dumps({"studies": STUDIES[10:20], "echo": token}).encode()
        if kind == "single":  # the first study asked for is a string, the second is another study
            asked = path.rsplit("/", 1)[1]
            if asked == "NCT04267848":
                return b'"NCT04267848"'
            if asked == "NCT02663973":
                return json.dumps(STUDIES[0]).encode()
        return super().answer(path, params)


def drip(handler: BaseHTTPRequestHandler, byte: bytes) -> None:
    """One byte a second, for up to a minute or until the client hangs up."""
    try:
        for _ in range(60):
            handler.wfile.write(byte)
            handler.wfile.flush()
            time.sleep(1)
    except OSError:
        pass


def pour(handler: BaseHTTPRequestHandler, piece: bytes) -> None:
    """`piece` again and again, up to 10 GB or until the client hangs up."""
    try:
        for _ in range(10 * 1024**3 // len(piece)):
            handler.wfile.write(piece)
    except OSError:
        pass


@pytest.fixture
def stand_ins() -> Iterator[dict]:
    """`make(behaviour, **options)` starts a hostile registry; `trap` is the listener nothing may reach."""
    made: list[FakeRegistry] = []
    trap = Trap()

    def make(behaviour: str = "", body: bytes = b"") -> FakeRegistry:
        made.append(HostileRegistry(behaviour, trap.port, body) if behaviour else FakeRegistry())
        return made[-1]

    yield {"make": make, "trap": trap}
    for registry in made:
        registry.close()
    trap.close()


def assert_a_normal_fetch_works(stand_ins: dict, out: Path) -> None:
    """Right after the hostile registry, a well-behaved one fills the same folder."""
    result = fetch(quick(out, stand_ins["make"]().url))
    assert result.fetched == len(STUDIES) and result.skipped == 0
    assert {p.stem for p in out.glob("NCT*.json")} >= set(ALL_IDS)
    assert stand_ins["trap"].received() == 0


def run_cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["fetch", *args, "--rate", "60000", "--page-size", "10"], catch_exceptions=False)
    return result.exit_code, result.stderr


# --- kg contacts only the base URL --------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_to_another_port_is_not_followed_and_its_target_is_named(
    stand_ins: dict, tmp_path: Path, status: int
) -> None:
    registry, trap = stand_ins["make"](f"redirect:{status}"), stand_ins["trap"]
    with pytest.raises(
        FetchError, match=rf"redirected .* to http://127\.0\.0\.1:{trap.port}/api/v2/studies\?.*HTTP {status}"
    ):
        fetch(quick(tmp_path, registry.url, term="x"))
    assert trap.received() == 0
    assert len(registry.requests) == 1  # not retried either
    assert_a_normal_fetch_works(stand_ins, tmp_path)


@pytest.mark.parametrize("what", [["--term", "x"], ["NCT04267848"]], ids=["search", "single study"])
def test_a_redirect_ends_the_command_with_exit_2_naming_the_target(
    stand_ins: dict, tmp_path: Path, what: list[str]
) -> None:
    registry, trap = stand_ins["make"]("redirect:302"), stand_ins["trap"]
    code, stderr = run_cli(*what, "--out", str(tmp_path), "--base-url", registry.url)
    assert code == 2 and stderr.startswith("kg: error: the registry redirected")
    assert f"to http://127.0.0.1:{trap.port}/api/v2/studies" in stderr and "follows no redirect" in stderr
    assert trap.received() == 0
    assert_a_normal_fetch_works(stand_ins, tmp_path)


def test_a_page_token_naming_another_address_is_only_sent_back_as_a_query_parameter(
    stand_ins: dict, tmp_path: Path
) -> None:
    trap = stand_ins["trap"]
    sneaky = f"http://127.0.0.1:{trap.port}/api/v2/studies?x=1&pageSize=1#\r\nHost: elsewhere"
    registry = stand_ins["make"](f"sneaky-token:{sneaky}")
    result = fetch(quick(tmp_path, registry.url))
    assert result.fetched == 20
    assert registry.requests[1]["path"] == "/api/v2/studies" and registry.requests[1]["pageToken"] == sneaky
    assert registry.requests[1]["pageSize"] == "10"
    assert trap.received() == 0
    assert_a_normal_fetch_works(stand_ins, tmp_path)


@pytest.mark.parametrize(
    "base_url",
    ["file:///etc/passwd", "ftp://127.0.0.1/api", "http://user:secret@127.0.0.1/api", "http://127.0.0.1:99999/",
     "http:///api", "http://127.0.0.1/api?x=1", "127.0.0.1/api"],
)  # fmt: skip
def test_a_base_url_that_is_not_plain_http_or_https_is_refused_before_any_request(
    stand_ins: dict, tmp_path: Path, base_url: str
) -> None:
    with pytest.raises(FetchError, match="--base-url"):
        fetch(FetchConfig(tmp_path / "out", base_url, term="x"))
    assert not (tmp_path / "out").exists()
    assert_a_normal_fetch_works(stand_ins, tmp_path)


# --- nothing loops ----------------------------------------------------------------------------------------


def test_a_repeated_page_token_stops_the_fetch_with_a_clear_error(stand_ins: dict, tmp_path: Path) -> None:
    registry = stand_ins["make"]("loop-token")
    with pytest.raises(FetchError, match=r"page 3: the registry sent the page token 'A' again \(it came with page 1\)"):
        fetch(quick(tmp_path, registry.url))
    assert len(registry.requests) == 3
    assert len(list(tmp_path.glob("NCT*.json"))) == 30  # what the three pages brought is kept
    assert_a_normal_fetch_works(stand_ins, tmp_path)


def test_a_repeated_page_token_is_exit_2_on_the_command_line(stand_ins: dict, tmp_path: Path) -> None:
    registry = stand_ins["make"]("loop-token")
    code, stderr = run_cli("--term", "x", "--out", str(tmp_path), "--base-url", registry.url)
    assert code == 2 and stderr.startswith("kg: error: page 3: the registry sent the page token 'A' again")
    assert_a_normal_fetch_works(stand_ins, tmp_path)


def test_new_page_tokens_that_bring_no_new_study_stop_the_fetch(stand_ins: dict, tmp_path: Path) -> None:
    registry = stand_ins["make"]("same-studies-new-tokens")
    with pytest.raises(FetchError, match="page 2 brought no study not already fetched, yet names a next page"):
        fetch(quick(tmp_path, registry.url))
    assert len(registry.requests) == 2
    assert_a_normal_fetch_works(stand_ins, tmp_path)


# --- nothing stalls ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("behaviour", ["drip-body", "drip-headers"])
def test_a_reply_dripped_a_byte_a_second_ends_at_the_overall_deadline(
    stand_ins: dict, tmp_path: Path, behaviour: str
) -> None:
    registry = stand_ins["make"](behaviour)
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"gave up after 1 tries; last: no complete reply within 1\.5 s \(--timeout\)"):
        fetch(FetchConfig(tmp_path, registry.url, term="x", timeout=1.5, retries=0, requests_per_minute=60_000))
    assert time.monotonic() - started < 1.5 + SLACK
    assert_a_normal_fetch_works(stand_ins, tmp_path)


def test_each_retry_is_shown_on_stderr_as_it_happens_with_its_reason_and_wait(stand_ins: dict, tmp_path: Path) -> None:
    registry = stand_ins["make"]("drip-body")
    started = time.monotonic()
    code, stderr = run_cli("--term", "x", "--out", str(tmp_path), "--base-url", registry.url,
                           "--timeout", "1", "--retries", "2")  # fmt: skip
    elapsed = time.monotonic() - started
    lines = stderr.splitlines()
    assert code == 2 and len(registry.requests) == 3
    assert lines[0].startswith("kg: page 1: no complete reply within 1 s (--timeout); retry 1 of 2 in ")
    assert lines[1].startswith("kg: page 1: no complete reply within 1 s (--timeout); retry 2 of 2 in ")
    assert (
        lines[0].endswith(" s") and lines[2].startswith("kg: error: page 1 (") and "gave up after 3 tries" in lines[2]
    )
    assert elapsed < 3 * 1 + 1 + 2 + SLACK  # three deadlines and two backoffs (0.5-1 s, then 1-2 s)
    assert_a_normal_fetch_works(stand_ins, tmp_path)


def test_a_retry_after_of_a_day_waits_no_longer_than_the_longest_backoff(stand_ins: dict, tmp_path: Path) -> None:
    registry, notices = stand_ins["make"]("retry-after-a-day"), []
    config = FetchConfig(tmp_path, registry.url, page_size=10, requests_per_minute=60_000, max_backoff_seconds=0.2)
    result = fetch(config, notify=notices.append)
    assert result.fetched == len(STUDIES) and result.retries == 1
    assert notices == ["page 1: HTTP 429, Retry-After 86400 s (capped); retry 1 of 6 in 0.2 s"]
    assert_a_normal_fetch_works(stand_ins, tmp_path)


# --- nothing grows without bound --------------------------------------------------------------------------


@pytest.mark.parametrize("behaviour", ["endless", "endless-chunked"])
def test_an_endless_body_is_cut_at_the_byte_cap_and_memory_stays_bounded(
    stand_ins: dict, tmp_path: Path, behaviour: str
) -> None:
    registry = stand_ins["make"](behaviour)
    tracemalloc.start()
    try:
        with pytest.raises(FetchError, match=r"is over 4,194,304 bytes \(--max-bytes\): it goes on past that"):
            fetch(quick(tmp_path, registry.url, max_bytes=4 * MiB))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * MiB
    assert len(registry.requests) == 1  # a body over the cap is not asked for again
    assert_a_normal_fetch_works(stand_ins, tmp_path)


def test_a_body_declared_over_the_cap_is_refused_before_it_is_read(stand_ins: dict, tmp_path: Path) -> None:
    registry = stand_ins["make"]("endless-declared")
    with pytest.raises(FetchError, match=r"over 67,108,864 bytes \(--max-bytes\): it declares 10,737,418,240 bytes"):
        fetch(quick(tmp_path, registry.url))
    assert_a_normal_fetch_works(stand_ins, tmp_path)


def test_the_byte_cap_is_an_option_and_its_error_exit_2(stand_ins: dict, tmp_path: Path) -> None:
    registry = stand_ins["make"]("endless")
    code, stderr = run_cli("--term", "x", "--out", str(tmp_path), "--base-url", registry.url, "--max-bytes", "100000")
    assert code == 2 and stderr.startswith("kg: error: the reply to ") and "over 100,000 bytes (--max-bytes)" in stderr
    assert_a_normal_fetch_works(stand_ins, tmp_path)


def test_a_refusal_with_an_endless_body_is_read_only_as_far_as_needed(stand_ins: dict, tmp_path: Path) -> None:
    registry = stand_ins["make"]("endless-refusal")
    with pytest.raises(FetchError, match=r"HTTP 400\); the registry objects to filter.overallStatus") as raised:
        fetch(quick(tmp_path, registry.url, statuses=("RECRUITING",)))
    assert len(str(raised.value)) < 1000
    assert_a_normal_fetch_works(stand_ins, tmp_path)


# --- replies are shape-checked ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "kind"),
    [(b'[{"studies": []}]', "a JSON list"), (b'"studies"', "a string"), (b"42", "a number"), (b"null", "null")],
)
def test_a_page_that_is_not_an_object_is_a_clear_error_with_exit_2(
    stand_ins: dict, tmp_path: Path, body: bytes, kind: str
) -> None:
    registry = stand_ins["make"]("page", body=body)
    code, stderr = run_cli("--term", "x", "--out", str(tmp_path), "--base-url", registry.url)
    assert code == 2 and stderr.startswith(f"kg: error: page 1: the registry's reply is {kind}, not a JSON object")
    assert "Traceback" not in stderr and len(registry.requests) == 1
    assert_a_normal_fetch_works(stand_ins, tmp_path)


@pytest.mark.parametrize(
    ("page", "error"),
    [({"studies": {"NCT00000105": {}}}, "page 1: 'studies' is a JSON object, not a list"),
     ({"studies": [], "nextPageToken": 5}, "page 1: 'nextPageToken' is a number, not a string"),
     ({"studies": [], "nextPageToken": ["A"]}, "page 1: 'nextPageToken' is a JSON list, not a string")],
)  # fmt: skip
def test_a_page_whose_studies_or_token_have_the_wrong_shape_is_a_clear_error(
    stand_ins: dict, tmp_path: Path, page: dict, error: str
) -> None:
    registry = stand_ins["make"]("page", body=json.dumps(page).encode())
    with pytest.raises(FetchError, match=error):
        fetch(quick(tmp_path, registry.url))
    assert_a_normal_fetch_works(stand_ins, tmp_path)


@pytest.mark.parametrize(
    "body", [b"<html><body>Service moved</body></html>", b"\xff\xfe\x00garbage", b"[" * 100_000, b"1" * 5000]
)
def test_a_garbage_page_is_retried_then_a_clear_error_with_exit_2(stand_ins: dict, tmp_path: Path, body: bytes) -> None:
    registry = stand_ins["make"]("body", body=body)
    code, stderr = run_cli("--term", "x", "--out", str(tmp_path), "--base-url", registry.url, "--retries", "1")
    lines = stderr.splitlines()
    assert code == 2 and len(registry.requests) == 2
    assert lines[0].startswith("kg: page 1: a truncated or malformed JSON body (") and "retry 1 of 1 in" in lines[0]
    assert lines[1].startswith("kg: error: page 1 (") and "gave up after 2 tries" in lines[1]
    assert_a_normal_fetch_works(stand_ins, tmp_path)


def test_studies_that_are_not_objects_or_lack_a_valid_nct_id_are_reported_and_skipped_and_the_rest_written(
    stand_ins: dict, tmp_path: Path
) -> None:
    registry = stand_ins["make"]("bad-studies")
    code, stderr = run_cli("--term", "x", "--out", str(tmp_path), "--base-url", registry.url)
    assert code == 0, stderr
    skipped = [line for line in stderr.splitlines() if line.startswith("kg: skipped")]
    assert skipped == [
        "kg: skipped page 1 study 2: a string, not a study object: 'NCT00000105'",
        "kg: skipped page 1 study 3: nctId 'NCT00000105\\n' is not NCT and 8 ASCII digits",
        "kg: skipped page 1 study 5: nctId 'NCT٠٠٠٠٠١٠٥' is not NCT and 8 ASCII digits",  # noqa: RUF001
        "kg: skipped page 1 study 6: a number, not a study object: 17",
        "kg: skipped page 1 study 7: null, not a study object: None",
        "kg: skipped page 1 study 8: no protocolSection.identificationModule.nctId",
        "kg: skipped page 1 study 9: nctId 12345678 is not NCT and 8 ASCII digits",
        "kg: skipped page 1 study 10: nctId 'NCT0000010\\u202e5' is not NCT and 8 ASCII digits",
    ]
    assert f"fetched {len(GOOD_ON_BAD_PAGE)} of {len(BAD_PAGE)} studies" in stderr and "8 skipped" in stderr
    written = sorted(p.name for p in tmp_path.iterdir() if p.name != ".kg-fetch-state.json")
    assert written == [f"{nct_id}.json" for nct_id in GOOD_ON_BAD_PAGE]
    assert all(is_nct_id(name.removesuffix(".json")) for name in written)
    assert_a_normal_fetch_works(stand_ins, tmp_path)


def test_a_single_study_reply_that_is_not_the_study_asked_for_is_reported_and_skipped(
    stand_ins: dict, tmp_path: Path
) -> None:
    registry, notices = stand_ins["make"]("single"), []
    wanted = ("NCT04267848", "NCT02663973", ALL_IDS[-1])
    result = fetch(quick(tmp_path, registry.url, nct_ids=wanted), notify=notices.append)
    assert result.fetched == 1 and result.skipped == 2
    assert notices == [
        "skipped the registry's reply for NCT04267848: a string, not a study object: 'NCT04267848'",
        f"skipped the registry's reply for NCT02663973: it is the study {ALL_IDS[0]}",
    ]
    assert sorted(p.stem for p in tmp_path.glob("NCT*.json")) == [ALL_IDS[-1]]
    assert_a_normal_fetch_works(stand_ins, tmp_path)


# --- https: the certificate is checked, and the handshake is under the deadline too -----------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if not shutil.which("openssl"):
        pytest.skip("openssl is needed to make a certificate for 127.0.0.1")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


def test_an_https_registry_is_fetched_only_with_a_certificate_kg_trusts(
    stand_ins: dict, tmp_path: Path, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = stand_ins["make"]()
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(*certificate)
    registry.server.socket = tls.wrap_socket(registry.server.socket, server_side=True)
    url = registry.url.replace("http://", "https://")
    with pytest.raises(FetchError, match="certificate is not trusted .*CERTIFICATE_VERIFY_FAILED"):
        fetch(quick(tmp_path, url))
    assert len(registry.requests) == 0  # not retried: another try would not mend it
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))  # trusted, as a corporate CA would be
    result = fetch(quick(tmp_path, url))
    assert result.fetched == len(STUDIES) and registry.requests[-1]["pageToken"] == "50"
    assert_a_normal_fetch_works(stand_ins, tmp_path)


def test_an_https_handshake_that_never_comes_ends_at_the_overall_deadline(stand_ins: dict, tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:  # connections wait in its backlog, unanswered
        started = time.monotonic()
        with pytest.raises(FetchError, match=r"no complete reply within 1\.5 s \(--timeout\)"):
            base_url = f"https://127.0.0.1:{silent.getsockname()[1]}/api/v2"
            fetch(FetchConfig(tmp_path, base_url, term="x", timeout=1.5, retries=0))
        assert time.monotonic() - started < 1.5 + SLACK
    assert_a_normal_fetch_works(stand_ins, tmp_path)
