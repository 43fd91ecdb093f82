"""`kg serve`: a read-only SPARQL 1.1 Protocol endpoint over a store, and a query page at `/`.

Each query is checked and run in a child process of its own (kg.query.sandbox) that has no network and opens
the store read-only: a query past the time limit is killed without touching the server, the check of a
hostile query costs only its own time, and other requests keep being served. Updates, SERVICE, LOAD and
FROM are refused before anything runs; answers past the row or byte limit are refused with a clear
message; a malformed request gets a 400 and an engine crash a 500 that names the engine's error.

`GET /recommend?trial=NCT…&top=10` answers related trials as JSON, with the reasons, from the store's
recommendation index, loaded once (and again only when a build swaps the store to a new generation).
"""

from __future__ import annotations

import html
import json
import sys
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from kg.errors import ConfigError, UnknownTrial
from kg.query.catalog import canned_queries
from kg.query.engines import DEFAULT_MAX_BYTES, byte_size, rendered, run_oxigraph
from kg.query.prepare import MAX_QUERY_CHARS, prepare
from kg.query.results import MEDIA_TYPES
from kg.query.sandbox import Outcome, network_wall, run_isolated
from kg.rdf import formats, iris
from kg.similarity.recommend import METHODS, StoreRecommender, as_json
from kg.sources.values import is_nct_id
from kg.store import open_store

MAX_BODY_BYTES = 1 << 20
MAX_FIELDS = 100  # form fields in a query string or body
MAX_TOP = 1000  # recommendations in one /recommend answer


@dataclass(frozen=True)
class ServerConfig:
    store_dir: Path
    host: str = "127.0.0.1"
    port: int = 7878
    timeout: float = 10.0
    max_rows: int = 10_000
    max_concurrent: int = 4
    max_bytes: int = DEFAULT_MAX_BYTES


def _answer(config: ServerConfig, text: str, accept: str, requested: str | None) -> tuple[str, str]:
    """In the query's child process: check, run, and write the answer. Returns (media type, body)."""
    query = prepare(text)
    answer = run_oxigraph(query, open_store(config.store_dir), config.max_rows, config.max_bytes)
    fmt = negotiate(accept, answer.form, requested)
    return MEDIA_TYPES.get(fmt, "text/plain"), rendered(answer, fmt, config.max_bytes)


_STATUS_CODES = {"ok": 200, "too-large": 413, "refused": 403, "error": 400, "timeout": 503}


class QueryRunner:
    """Runs queries in child processes, at most `max_concurrent` at once, each within `timeout` seconds
    (reading and checking the query included)."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self._slots = threading.BoundedSemaphore(config.max_concurrent)
        self.recommender = StoreRecommender(config.store_dir)

    def run(
        self,
        text: str,
        accept: str = "",
        requested: str | None = None,
        deliver: Callable[[int, str, str], None] | None = None,
    ) -> tuple[int, str, str]:
        """(HTTP status, media type, body) for a query text. With `deliver`, the answer is handed to it
        while the query's slot is still held: an answer being written counts against the limit, so
        clients that do not read cannot pile answers up in the server's memory."""
        if not self._slots.acquire(timeout=self.config.timeout):
            return 503, "text/plain", f"busy: {self.config.max_concurrent} queries are running; try again shortly"
        try:
            outcome = run_isolated(_answer, (self.config, text, accept, requested), self.config.timeout)
            answer = self._answer_of(outcome)
            if deliver is not None:
                deliver(*answer)
            return answer
        finally:
            self._slots.release()

    def recommend(self, trial: str, top: int, method: str) -> tuple[int, object]:
        """(HTTP status, JSON body): computed in this process from the index loaded once (numpy only,
        no query engine, no network), within the same limit of concurrent requests as queries."""
        if not self._slots.acquire(timeout=self.config.timeout):
            return 503, {"error": f"busy: {self.config.max_concurrent} requests are running; try again shortly"}
        try:
            results = self.recommender.recommend(trial, top, method)
        except UnknownTrial as error:
            return 404, {"error": str(error)}
        finally:
            self._slots.release()
        return 200, {"trial": trial, "method": method, "top": top, "recommendations": as_json(results)}

    def _answer_of(self, outcome: Outcome) -> tuple[int, str, str]:
        if outcome.status == "ok":
            media_type, body = outcome.value
            return 200, media_type, body
        if outcome.status == "engine":
            return 500, "text/plain", f"the query engine failed: {outcome.value}"
        return _STATUS_CODES.get(outcome.status, 500), "text/plain", str(outcome.value)


class _BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def negotiate(accept: str, form: str, requested: str | None) -> str:
    """The answer format from `format=` or the Accept header; JSON / Turtle by default."""
    if requested:
        return requested
    if form in ("CONSTRUCT", "DESCRIBE"):
        return (formats.of_media_type(accept) or formats.DEFAULT).name
    accept = accept.lower()
    choices = [
        ("application/sparql-results+xml", "xml"),
        ("application/xml", "xml"),
        ("text/csv", "csv"),
        ("text/tab-separated-values", "tsv"),
        ("application/sparql-results+json", "json"),
        ("application/json", "json"),
    ]
    return next((name for media_type, name in choices if media_type in accept), "json")


class Handler(BaseHTTPRequestHandler):
    server_version = "kg-sparql"
    timeout = 30  # seconds a client may take to send its request: slow or abandoned clients are dropped
    runner: QueryRunner
    _replied = False

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._guarded(self._get)

    def do_POST(self) -> None:  # noqa: N802
        self._guarded(self._post)

    def _guarded(self, handle: Callable[[], None]) -> None:
        """Every request gets an answer: a malformed one a 400, never a dropped connection."""
        self._replied = False
        try:
            handle()
        except _BadRequest as error:
            self._reply(error.status, f"{error}\n")
        except RecursionError:
            self._reply(400, "the request is nested too deeply to be read\n")
        except (ConnectionError, TimeoutError):
            self.close_connection = True  # the client went away or stalled: nobody to answer
        except Exception as error:  # noqa: BLE001 - a bug of kg's: answer it, keep serving
            self._reply(500, f"internal error: {type(error).__name__}: {error}\n")

    def _get(self) -> None:
        url = urllib.parse.urlsplit(self._ascii_path())
        fields = _fields(url.query)
        if url.path == "/":
            self._send(200, "text/html; charset=utf-8", page(fields.get("example", [""])[0]))
        elif url.path == "/sparql":
            self._answer(fields)
        elif url.path == "/recommend":
            self._recommend(fields)
        else:
            self._send(404, "text/plain; charset=utf-8", "not found: this server serves /, /sparql and /recommend\n")

    def _post(self) -> None:
        url = urllib.parse.urlsplit(self._ascii_path())
        if url.path != "/sparql":
            self._send(404, "text/plain; charset=utf-8", "not found\n")
            return
        try:
            body = self._body().decode("utf-8")
        except UnicodeDecodeError:
            raise _BadRequest(400, "the request body is not valid UTF-8") from None
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if content_type == "application/sparql-update":
            self._send(403, "text/plain; charset=utf-8", "SPARQL updates are refused: this endpoint is read-only\n")
            return
        fields = _fields(url.query)
        if content_type == "application/sparql-query":
            fields["query"] = [body]
        else:
            fields.update(_fields(body))
        self._answer(fields)

    def _ascii_path(self) -> str:
        if not self.path.isascii():
            raise _BadRequest(400, "the request's URL is not ASCII: percent-encode the query")
        return self.path

    def _body(self) -> bytes:
        """The request body, within MAX_BODY_BYTES whatever the headers claim."""
        if self.headers.get("Transfer-Encoding"):
            raise _BadRequest(411, "send the request body with a Content-Length (chunked bodies are not accepted)")
        values = {value.strip() for value in self.headers.get_all("Content-Length") or []}
        if not values:
            return b""
        if len(values) > 1:
            raise _BadRequest(400, "the request has conflicting Content-Length headers")
        value = values.pop()
        if not (value.isascii() and value.isdigit()):
            raise _BadRequest(400, f"Content-Length must be a whole number of bytes, not {value[:40]!r}")
        if len(value) > 12 or int(value) > MAX_BODY_BYTES:
            raise _BadRequest(413, f"request body over {MAX_BODY_BYTES} bytes refused")
        length = int(value)
        data = self.rfile.read(length)
        if len(data) < length:
            raise _BadRequest(400, "the request body ended before its Content-Length")
        return data

    def _answer(self, fields: dict[str, list[str]]) -> None:
        if "update" in fields:
            self._send(403, "text/plain; charset=utf-8", "SPARQL updates are refused: this endpoint is read-only\n")
            return
        text = (fields.get("query") or [""])[0]
        if not text.strip():
            self._send(400, "text/plain; charset=utf-8", "give a query: /sparql?query=...\n")
            return
        if len(text) > MAX_QUERY_CHARS:
            self._send(
                403,
                "text/plain; charset=utf-8",
                f"the query is {len(text)} characters; the limit is {MAX_QUERY_CHARS}\n",
            )
            return
        requested = (fields.get("format") or [""])[0] or None
        if requested is not None and requested not in MEDIA_TYPES:
            self._send(400, "text/plain; charset=utf-8", f"unknown format; choose from {', '.join(MEDIA_TYPES)}\n")
            return

        def deliver(status: int, media: str, body: str) -> None:
            self._send(status, f"{media}; charset=utf-8", body if status == 200 else body + "\n")

        status, media, body = self.runner.run(text, self.headers.get("Accept") or "", requested, deliver)
        if status == 503 and not self._replied:  # busy: no slot, so nothing was delivered
            deliver(status, media, body)

    def _recommend(self, fields: dict[str, list[str]]) -> None:
        """`/recommend?trial=NCT…&top=10[&method=…]`: JSON, each recommendation with its reasons."""
        trial = (fields.get("trial") or [""])[0].strip().upper()
        top = (fields.get("top") or ["10"])[0].strip()
        method = (fields.get("method") or ["hybrid"])[0].strip()
        if not is_nct_id(trial):
            raise _BadRequest(400, "give a trial by its NCT id: /recommend?trial=NCT01234567&top=10")
        if not (top.isascii() and top.isdigit() and 1 <= int(top[:6]) <= MAX_TOP and len(top) <= 6):
            raise _BadRequest(400, f"top must be a whole number from 1 to {MAX_TOP}")
        if method not in METHODS:
            raise _BadRequest(400, f"unknown method; choose from {', '.join(METHODS)}")
        status, body = self.runner.recommend(trial, int(top), method)
        self._send(status, "application/json; charset=utf-8", json.dumps(body, ensure_ascii=False, indent=1) + "\n")

    def _reply(self, status: int, message: str) -> None:
        if self._replied:
            self.close_connection = True  # a reply was under way: it cannot be replaced
            return
        try:
            self._send(status, "text/plain; charset=utf-8", message)
        except OSError:
            self.close_connection = True

    def _send(self, status: int, content_type: str, body: str) -> None:
        data = body.encode("utf-8")
        self._replied = True
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        self.wfile.write(data)


def _fields(text: str) -> dict[str, list[str]]:
    """Form fields, strictly: invalid UTF-8 in a percent-escape or too many fields is a bad request."""
    try:
        return urllib.parse.parse_qs(text, errors="strict", max_num_fields=MAX_FIELDS)
    except UnicodeDecodeError:
        raise _BadRequest(400, "the request's form data is not valid UTF-8") from None
    except ValueError as error:
        raise _BadRequest(400, f"the request's form data cannot be read: {error}") from None


def page(example: str = "") -> str:
    """The query page: a form, and the canned queries as examples. Everything echoed is escaped."""
    queries = canned_queries()
    chosen = queries.get(example)
    default = (
        chosen.text
        if chosen
        else iris.sparql("SELECT ?trial ?title WHERE { ?trial a kg:Trial ; rdfs:label ?title } LIMIT 20")
    )
    items = "".join(
        f'<li><a href="/?example={html.escape(urllib.parse.quote(q.name))}">{html.escape(q.title)}</a>'
        f" — {html.escape(q.answers)}"
        + (
            " (parameters: " + ", ".join(html.escape(p.name) for p in q.params) + " — bind them in the text)"
            if q.params
            else ""
        )
        + "</li>"
        for q in queries.values()
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>kg SPARQL endpoint</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}textarea{{width:100%;height:18em;font-family:monospace}}</style>
</head><body>
<h1>kg SPARQL endpoint</h1>
<p>Read-only: updates, SERVICE, LOAD and FROM are refused. Answers are JSON, XML, CSV or TSV (SELECT) and Turtle,
N-Triples or JSON-LD (CONSTRUCT), by the Accept header or the format field.</p>
<form action="/sparql" method="get">
<textarea name="query">{html.escape(default)}</textarea>
<p><select name="format"><option>json</option><option>xml</option><option>csv</option><option>tsv</option>
<option>table</option>{"".join(f"<option>{name}</option>" for name in formats.WRITTEN)}</select>
<button type="submit">Run</button></p>
</form>
<h2>Canned queries</h2><ul>{items}</ul>
</body></html>
"""


def make_server(config: ServerConfig) -> ThreadingHTTPServer:
    open_store(config.store_dir)  # fail now, with a clear message, if the store is missing
    runner = QueryRunner(config)
    runner.recommender.index()  # load the recommendation index once, before the first request
    handler = type("KgHandler", (Handler,), {"runner": runner})
    try:
        server = ThreadingHTTPServer((config.host, config.port), handler)
    except OSError as error:  # the port is taken, the host is not this machine's, ...
        raise ConfigError(
            f"cannot serve at {config.host}:{config.port}: {error.strerror or error}; choose another --port or --host"
        ) from error
    server.daemon_threads = True
    return server


def serve_forever(config: ServerConfig) -> None:
    server = make_server(config)
    host, port = str(server.server_address[0]), server.server_address[1]
    print(
        f"kg: serving {config.store_dir} at http://{host}:{port}/sparql and /recommend (Ctrl-C stops)",
        file=sys.stderr,
        flush=True,
    )
    why_not = network_wall()
    wall = (
        "each query runs in a process with no network"
        if why_not is None
        else f"queries cannot be cut off from the network here ({why_not}); SERVICE, LOAD and FROM are still refused"
    )
    limits = f"{config.timeout:g} s, {config.max_rows} rows and {byte_size(config.max_bytes)} per answer"
    print(f"kg: {wall}; limits: {limits}", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
