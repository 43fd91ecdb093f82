"""`kg serve`: a read-only SPARQL 1.1 Protocol endpoint over a store, and a query page at `/`.

Each query runs in a child process that opens the store read-only, so a query past the time limit is
killed without touching the server, and other requests keep being served. Updates, SERVICE and FROM are
refused before anything runs; answers past the row limit are refused with a clear message.
"""

from __future__ import annotations

import html
import multiprocessing
import sys
import threading
import urllib.parse
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection
from pathlib import Path

from kg.answers import render
from kg.errors import KgError
from kg.query import run_oxigraph
from kg.results import MEDIA_TYPES
from kg.sparql import PreparedQuery, QueryRefused, canned_queries, prepare
from kg.store import open_store

MAX_BODY_BYTES = 1 << 20


@dataclass(frozen=True)
class ServerConfig:
    store_dir: Path
    host: str = "127.0.0.1"
    port: int = 7878
    timeout: float = 10.0
    max_rows: int = 10_000
    max_concurrent: int = 4


def _run_in_child(connection: Connection, store_dir: Path, query: PreparedQuery, max_rows: int, fmt: str) -> None:
    try:
        answer = run_oxigraph(query, open_store(store_dir), max_rows)
        connection.send(("ok", render(answer, fmt)))
    except KgError as error:
        connection.send(("refused" if isinstance(error, QueryRefused) else "error", str(error)))
    finally:
        connection.close()


class QueryRunner:
    """Runs queries in child processes, at most `max_concurrent` at once, each within `timeout` seconds."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self._slots = threading.BoundedSemaphore(config.max_concurrent)
        self._context = multiprocessing.get_context("fork")

    def run(self, query: PreparedQuery, fmt: str) -> tuple[int, str]:
        if not self._slots.acquire(timeout=self.config.timeout):
            return 503, f"busy: {self.config.max_concurrent} queries are running; try again shortly"
        try:
            receiver, sender = self._context.Pipe(duplex=False)
            child = self._context.Process(
                target=_run_in_child,
                args=(sender, self.config.store_dir, query, self.config.max_rows, fmt),
                daemon=True,
            )
            child.start()
            sender.close()
            if not receiver.poll(self.config.timeout):
                child.kill()
                child.join()
                return 503, f"the query ran past the time limit ({self.config.timeout:g} s) and was stopped"
            try:
                status, body = receiver.recv()
            except EOFError:
                child.join()
                return 500, "the query process ended without an answer"
            child.join()
            return {"ok": 200, "refused": 413, "error": 400}[status], body
        finally:
            self._slots.release()


def negotiate(accept: str, form: str, requested: str | None) -> str:
    """The answer format from `format=` or the Accept header; JSON / Turtle by default."""
    graph = form in ("CONSTRUCT", "DESCRIBE")
    if requested:
        return requested
    accept = accept.lower()
    choices = (
        [("application/n-triples", "nt"), ("application/ld+json", "jsonld"), ("text/turtle", "turtle")]
        if graph
        else [
            ("application/sparql-results+xml", "xml"),
            ("application/xml", "xml"),
            ("text/csv", "csv"),
            ("text/tab-separated-values", "tsv"),
            ("application/sparql-results+json", "json"),
            ("application/json", "json"),
        ]
    )
    for media_type, name in choices:
        if media_type in accept:
            return name
    return "turtle" if graph else "json"


class Handler(BaseHTTPRequestHandler):
    server_version = "kg-sparql"
    timeout = 30  # seconds a client may take to send its request: slow or abandoned clients are dropped
    runner: QueryRunner

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        url = urllib.parse.urlsplit(self.path)
        fields = urllib.parse.parse_qs(url.query)
        if url.path == "/":
            self._send(200, "text/html; charset=utf-8", page(fields.get("example", [""])[0]))
        elif url.path == "/sparql":
            self._answer(fields)
        else:
            self._send(404, "text/plain; charset=utf-8", "not found: this endpoint serves / and /sparql only\n")

    def do_POST(self) -> None:  # noqa: N802
        url = urllib.parse.urlsplit(self.path)
        if url.path != "/sparql":
            self._send(404, "text/plain; charset=utf-8", "not found\n")
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self._send(413, "text/plain; charset=utf-8", f"request body over {MAX_BODY_BYTES} bytes refused\n")
            return
        body = self.rfile.read(length).decode("utf-8", errors="replace")
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if content_type == "application/sparql-update":
            self._send(403, "text/plain; charset=utf-8", "SPARQL updates are refused: this endpoint is read-only\n")
            return
        fields = urllib.parse.parse_qs(url.query)
        if content_type == "application/sparql-query":
            fields["query"] = [body]
        else:
            fields.update(urllib.parse.parse_qs(body))
        self._answer(fields)

    def _answer(self, fields: dict[str, list[str]]) -> None:
        if "update" in fields:
            self._send(403, "text/plain; charset=utf-8", "SPARQL updates are refused: this endpoint is read-only\n")
            return
        text = (fields.get("query") or [""])[0]
        if not text.strip():
            self._send(400, "text/plain; charset=utf-8", "give a query: /sparql?query=...\n")
            return
        try:
            query = prepare(text)
        except QueryRefused as error:
            self._send(403, "text/plain; charset=utf-8", f"{error}\n")
            return
        except KgError as error:
            self._send(400, "text/plain; charset=utf-8", f"{error}\n")
            return
        requested = (fields.get("format") or [""])[0] or None
        if requested is not None and requested not in MEDIA_TYPES:
            self._send(400, "text/plain; charset=utf-8", f"unknown format; choose from {', '.join(MEDIA_TYPES)}\n")
            return
        fmt = negotiate(self.headers.get("Accept") or "", query.form, requested)
        status, body = self.runner.run(query, fmt)
        media = MEDIA_TYPES.get(fmt, "text/plain") if status == 200 else "text/plain"
        self._send(status, f"{media}; charset=utf-8", body if status == 200 else body + "\n")

    def _send(self, status: int, content_type: str, body: str) -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        self.wfile.write(data)


def page(example: str = "") -> str:
    """The query page: a form, and the canned queries as examples. Everything echoed is escaped."""
    queries = canned_queries()
    chosen = queries.get(example)
    default = (
        chosen.text
        if chosen
        else "SELECT ?trial ?title WHERE { ?trial a <https://w3id.org/kg-trials/ontology#Trial> ; <http://www.w3.org/2000/01/rdf-schema#label> ?title } LIMIT 20"
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
<p>Read-only: updates, SERVICE and FROM are refused. Answers are JSON, XML, CSV or TSV (SELECT) and Turtle,
N-Triples or JSON-LD (CONSTRUCT), by the Accept header or the format field.</p>
<form action="/sparql" method="get">
<textarea name="query">{html.escape(default)}</textarea>
<p><select name="format"><option>json</option><option>xml</option><option>csv</option><option>tsv</option>
<option>table</option><option>turtle</option><option>nt</option><option>jsonld</option></select>
<button type="submit">Run</button></p>
</form>
<h2>Canned queries</h2><ul>{items}</ul>
</body></html>
"""


def make_server(config: ServerConfig) -> ThreadingHTTPServer:
    open_store(config.store_dir)  # fail now, with a clear message, if the store is missing
    handler = type("KgHandler", (Handler,), {"runner": QueryRunner(config)})
    server = ThreadingHTTPServer((config.host, config.port), handler)
    server.daemon_threads = True
    return server


def serve_forever(config: ServerConfig) -> None:
    server = make_server(config)
    host, port = str(server.server_address[0]), server.server_address[1]
    print(f"kg: serving {config.store_dir} at http://{host}:{port}/sparql (Ctrl-C stops)", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
