"""SPARQL: an embedded store, `kg query` with canned questions, and a read-only endpoint."""

from __future__ import annotations

import json
import re
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from rdflib import Graph
from SPARQLWrapper import JSON, TURTLE, XML, SPARQLWrapper

from kg.errors import QueryRefused
from kg.query.catalog import canned_queries
from kg.query.endpoint import ServerConfig, make_server
from kg.query.engines import run_query, run_rdflib
from kg.query.prepare import prepare
from kg.query.results import cell_of, comparable_cell
from kg.rdf.rdfio import load_graph, rdf_format_of
from tests.conftest import EXAMPLES, FIXTURES
from tests.conftest import run_kg as run

PARAMS = {"trials-by-condition": {"term": "Liver Diseases"}, "related-trials": {"trial": "NCT03945487"},
          "trial-record": {"trial": "NCT03945487"}, "recruiting-by-country": {}, "trials-by-threshold": {"total_bilirubin": "12mg/dL", "inr": "1.8", "meld": "24"}}  # fmt: skip


@pytest.fixture(scope="module")
def built(real_build) -> tuple[Path, Path]:
    return real_build


@pytest.fixture(scope="module")
def rdflib_graph(built) -> Graph:
    """The graph file as the rdflib engine reads it (`run_query(..., "rdflib", graph_file=...)` parses it
    on every call), parsed once for the module."""
    return load_graph(built[0])


def _comparable(answer) -> object:
    """Rows compared by value; GROUP_CONCAT's order is unspecified in SPARQL, so its parts (joined by `, `
    or `; `) are sorted."""
    if answer.select is None:
        return sorted((tuple(comparable_cell(cell_of(t)) for t in triple) for triple in answer.triples), key=repr)
    rows = []
    for row in answer.select.as_multiset():
        rows.append(
            tuple(
                ("literal", ", ".join(sorted(re.split(", |; ", c[1]))), *c[2:]) if c and c[0] == "literal" else c
                for c in row
            )
        )
    return sorted(rows, key=repr)


@pytest.mark.parametrize("name", sorted(canned_queries()))
def test_each_canned_query_gives_the_same_answer_in_rdflib_and_oxigraph(name: str, built, rdflib_graph) -> None:
    canned = canned_queries()[name]
    query = prepare(canned.text, PARAMS.get(name, {}), canned.params)
    from_store = run_query(query, "oxigraph", store_dir=built[1])
    from_rdflib = run_rdflib(query, rdflib_graph)
    assert _comparable(from_store) == _comparable(from_rdflib)
    assert from_store.select.rows if from_store.select else from_store.triples, f"{name} found nothing"


def test_every_canned_query_says_what_it_answers() -> None:
    for canned in canned_queries().values():
        assert canned.title and canned.answers and canned.text.lstrip().startswith("#")


def test_trials_by_condition_follows_mesh_ancestors(built) -> None:
    _, store = built
    result = run(
        "query",
        "--store",
        str(store),
        "--name",
        "trials-by-condition",
        "--param",
        "term=Liver Diseases",
        "--format",
        "json",
    )
    bindings = json.loads(result.stdout)["results"]["bindings"]
    ncts = {b["nct"]["value"] for b in bindings}
    assert {"NCT03945487", "NCT01220492", "NCT03668171"} <= ncts  # cirrhosis and liver failure trials, via ancestors


def test_related_trials_lists_the_registry_edges_both_ways(built) -> None:
    _, store = built
    result = run(
        "query", "--store", str(store), "--name", "related-trials", "--param", "trial=NCT03668171", "--format", "csv"
    )
    lines = result.stdout.splitlines()
    assert lines[0] == "trial,nct,title,direction,score,method,hasRecord"
    assert any("NCT06884904" in line and "registry: lists this trial" in line for line in lines)


def test_trial_record_is_a_construct_in_turtle(built) -> None:
    _, store = built
    result = run("query", "--store", str(store), "--name", "trial-record", "--param", "trial=NCT03945487")
    graph = Graph().parse(data=result.stdout, format="turtle")
    assert len(graph) > 50


def test_parameters_are_bound_as_terms_never_pasted(built) -> None:
    _, store = built
    hostile = 'Liver Diseases" } } SELECT * WHERE { ?s ?p ?o } #'
    result = run(
        "query", "--store", str(store), "--name", "trials-by-condition", "--param", f"term={hostile}", "--format", "csv"
    )
    assert result.exit_code == 0 and result.stdout.splitlines() == ["nct,title,status,phases,sponsor,matched,searched"]
    bad = run("query", "--store", str(store), "--name", "related-trials", "--param", "trial=NCT1 } ; DROP ALL")
    assert bad.exit_code == 2 and "is not an NCT id" in bad.stderr


def test_inline_and_file_queries_in_every_select_format(built, tmp_path: Path) -> None:
    graph, store = built
    text = "SELECT ?nct WHERE { ?t <https://w3id.org/kg-trials/ontology#nctId> ?nct } ORDER BY ?nct LIMIT 2"
    rq = tmp_path / "q.rq"
    rq.write_text(text)
    table = run("query", "--store", str(store), text).stdout
    assert table.startswith("nct") and "(2 rows)" in table
    assert run("query", "-f", str(rq), "--graph", str(graph), "--format", "tsv").stdout.count("\n") == 3
    assert json.loads(run("query", "--store", str(store), text, "--format", "json").stdout)["head"]["vars"] == ["nct"]
    assert "<sparql xmlns=" in run("query", "--store", str(store), text, "--format", "xml").stdout
    assert run("query", "--store", str(store), "ASK { ?s ?p ?o }").stdout == "true\n"


def test_a_syntax_error_is_reported_with_its_position_and_exit_2(built) -> None:
    result = run("query", "--store", str(built[1]), "SELECT * WHERE { ?s ?p }")
    assert result.exit_code == 2 and "line 1, column" in result.stderr
    assert "a variable, IRI or value" in result.stderr and "u{00B7}" not in result.stderr  # words, not grammar
    assert "  SELECT * WHERE { ?s ?p }\n" in result.stderr  # the line, with a caret under the place


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("SELECT * WHERE { ?s ex:p ?o }", "the prefix ex: is not declared (add `PREFIX ex: <…>`"),
        ("SELEC * WHERE { ?s ?p ?o }", "a query starts with SELECT, ASK, CONSTRUCT or DESCRIBE"),
        ("SELECT * WHERE { ?s ?p ?o", "found the end of the query where the query needs one of: `,`, `.`"),
    ],
)
def test_common_syntax_errors_are_named_in_words(built, text: str, says: str) -> None:
    result = run("query", "--store", str(built[1]), text)
    assert result.exit_code == 2 and says in result.stderr and "['" not in result.stderr


def test_a_canned_query_about_a_trial_the_graph_lacks_is_an_error(built) -> None:
    result = run("query", "--store", str(built[1]), "--name", "trial-record", "--param", "trial=NCT00000001")
    assert result.exit_code == 2 and "no trial NCT00000001 in this graph" in result.stderr and result.stdout == ""


@pytest.mark.parametrize(
    "text",
    [
        "INSERT DATA { <http://a/b> <http://a/c> <http://a/d> }",
        "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { ?s ?p ?o OPTIONAL { SERVICE SILENT <http://example.org/s> { ?s ?q ?z } } }",
        "SELECT * FROM <http://example.org/g.ttl> WHERE { ?s ?p ?o }",
    ],
)
def test_updates_service_and_remote_graphs_are_refused(text: str) -> None:
    with pytest.raises(QueryRefused):
        prepare(text)


def test_reloading_a_store_replaces_rather_than_duplicates(built, tmp_path: Path) -> None:
    graph, _ = built
    store = tmp_path / "store"
    first = run("load", str(graph), "--store", str(store)).stderr
    second = run("load", str(graph), "--store", str(store)).stderr
    assert first == second and "triples)" in first
    count = run("query", "--store", str(store), "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "--format", "csv").stdout
    assert count.splitlines()[1] == first.split("(")[1].split()[0]


@pytest.mark.parametrize("suffix", [".ttl", ".nt"])
def test_a_big_file_loads_in_parts_into_the_same_store(built, tmp_path: Path, monkeypatch, suffix: str) -> None:
    """Memory stays bounded because big files load a part at a time; the parts add up to the whole."""
    import pyoxigraph

    from kg.store import loading as store_module

    graph = tmp_path / f"graph{suffix}"
    assert run("build", str(EXAMPLES), str(FIXTURES / "seeds"), "-o", str(graph)).exit_code == 0
    whole = pyoxigraph.Store()
    whole.bulk_load(path=str(graph), format=rdf_format_of(graph))
    loads: list[int] = []
    monkeypatch.setattr(store_module, "LINES_PER_LOAD", 40)
    in_parts = pyoxigraph.Store()
    store_module.bulk_load(_CountingStore(in_parts, loads), graph, kg_written=True)
    assert len(loads) > 10
    assert set(in_parts) == set(whole)


class _CountingStore:
    def __init__(self, store, loads: list[int]) -> None:
        self.store, self.loads = store, loads

    def bulk_load(self, **kwargs) -> None:
        self.loads.append(1)
        self.store.bulk_load(**kwargs)


def test_a_syntax_error_in_a_later_part_names_the_file_and_line(tmp_path: Path, monkeypatch) -> None:
    from kg.store import loading as store_module

    graph = tmp_path / "broken.nt"
    lines = [f'<https://example.org/s{i}> <https://example.org/p> "{i}" .\n' for i in range(100)]
    lines[73] = "<https://example.org/s73> <https://example.org/p> oops .\n"
    graph.write_text("".join(lines))
    monkeypatch.setattr(store_module, "LINES_PER_LOAD", 20)
    result = run("load", str(graph), "--store", str(tmp_path / "store"))
    assert result.exit_code == 2
    assert "broken.nt" in result.stderr and "from line 61" in result.stderr
    assert not (tmp_path / "store").exists()


def test_a_missing_store_is_a_clear_error(tmp_path: Path) -> None:
    result = run("query", "--store", str(tmp_path / "nowhere"), "ASK { ?s ?p ?o }")
    assert result.exit_code == 2 and "is not a kg store" in result.stderr


@pytest.fixture(scope="module")
def endpoint(built):
    server = make_server(ServerConfig(built[1], port=0, timeout=2.0, max_rows=500))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_sparqlwrapper_runs_select_ask_and_construct_with_json_and_xml(endpoint) -> None:
    client = SPARQLWrapper(f"{endpoint}/sparql")
    client.setQuery("SELECT ?nct WHERE { ?t <https://w3id.org/kg-trials/ontology#nctId> ?nct } ORDER BY ?nct LIMIT 3")
    client.setReturnFormat(JSON)
    assert len(client.query().convert()["results"]["bindings"]) == 3
    client.setReturnFormat(XML)
    assert len(client.query().convert().getElementsByTagName("result")) == 3
    client.setQuery("ASK { ?s a <https://w3id.org/kg-trials/ontology#Trial> }")
    client.setReturnFormat(JSON)
    assert client.query().convert()["boolean"] is True
    client.setReturnFormat(XML)
    assert client.query().convert().getElementsByTagName("boolean")[0].firstChild.data == "true"
    client.setQuery("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 5")
    client.setReturnFormat(TURTLE)
    assert len(Graph().parse(data=client.query().convert(), format="turtle")) == 5


def _status(request: urllib.request.Request | str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_update_service_and_timeouts_are_refused_and_the_next_query_is_answered(endpoint) -> None:
    update = urllib.request.Request(f"{endpoint}/sparql", data=b"INSERT DATA { <a:b> <a:c> <a:d> }",
                                    headers={"Content-Type": "application/sparql-update"})  # fmt: skip
    assert _status(update)[0] == 403
    form = urllib.request.Request(f"{endpoint}/sparql", data=b"update=DELETE+WHERE+%7B+%3Fs+%3Fp+%3Fo+%7D")
    assert _status(form)[0] == 403
    service = urllib.parse.quote("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")
    code, body = _status(f"{endpoint}/sparql?query={service}")
    assert code == 403 and "SERVICE is refused" in body
    slow = urllib.parse.quote("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }")
    code, body = _status(f"{endpoint}/sparql?query={slow}")
    assert code == 503 and "time limit" in body
    too_many = urllib.parse.quote("SELECT * WHERE { ?s ?p ?o }")
    code, body = _status(f"{endpoint}/sparql?query={too_many}")
    assert code == 413 and "row limit" in body
    code, body = _status(f"{endpoint}/sparql?query={urllib.parse.quote('ASK { ?s ?p ?o }')}")
    assert code == 200 and json.loads(body)["boolean"] is True


def test_post_forms_and_content_negotiation(endpoint) -> None:
    text = "SELECT ?nct WHERE { ?t <https://w3id.org/kg-trials/ontology#nctId> ?nct } LIMIT 2"
    direct = urllib.request.Request(f"{endpoint}/sparql", data=text.encode(),
                                    headers={"Content-Type": "application/sparql-query", "Accept": "text/csv"})  # fmt: skip
    code, body = _status(direct)
    assert code == 200 and body.splitlines()[0] == "nct"
    form = urllib.request.Request(f"{endpoint}/sparql", data=urllib.parse.urlencode({"query": text}).encode(),
                                  headers={"Accept": "application/sparql-results+xml"})  # fmt: skip
    code, body = _status(form)
    assert code == 200 and "<sparql" in body


def test_the_query_page_escapes_what_it_echoes_and_serves_nothing_else(endpoint) -> None:
    code, body = _status(f"{endpoint}/?example={urllib.parse.quote('<script>alert(1)</script>')}")
    assert code == 200 and "<script>alert" not in body and "Canned queries" in body
    code, body = _status(f"{endpoint}/?example=sponsor-landscape")
    assert "Sponsor landscape" in body and "GROUP BY ?sponsor ?class" in body
    assert _status(f"{endpoint}/../../etc/passwd")[0] == 404
    assert _status(f"{endpoint}/static/kg.ttl")[0] == 404


def test_eight_concurrent_clients_are_all_answered_correctly(endpoint) -> None:
    """A short bounded load on loopback (the benchmark runs 60 s): every answer arrives and checks out.
    Found a real bug: rdflib's SPARQL parser is not thread-safe, so parsing is now serialized."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    from load import run_load

    result = run_load(endpoint, clients=8, seconds=3.0)
    assert result.errors == [] and len(result.latencies) >= 8


def test_an_abandoned_client_does_not_block_others(endpoint) -> None:
    import socket

    host, port = endpoint.removeprefix("http://").split(":")
    idle = socket.create_connection((host, int(port)))
    idle.sendall(b"GET /sparql?query=ASK")  # and never finishes the request
    try:
        code, body = _status(f"{endpoint}/sparql?query={urllib.parse.quote('ASK { ?s ?p ?o }')}")
        assert code == 200 and json.loads(body)["boolean"] is True
    finally:
        idle.close()


def test_an_oversized_query_or_body_is_refused(endpoint) -> None:
    huge = "ASK { ?s ?p ?o } #" + "x" * 200_000
    request = urllib.request.Request(
        f"{endpoint}/sparql", data=huge.encode(), headers={"Content-Type": "application/sparql-query"}
    )
    code, body = _status(request)
    assert code == 403 and "limit is 100000" in body
    import socket

    host, port = endpoint.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as client:
        # Announce a 2 MiB body and send none of it: the server refuses from the header alone.
        client.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                       b"Content-Length: 2097152\r\n\r\n")  # fmt: skip
        assert client.recv(200).startswith(b"HTTP/1.0 413")


def test_a_query_waits_for_a_free_slot_and_is_told_busy_if_none_frees(built) -> None:
    import time

    from kg.query.endpoint import QueryRunner

    runner = QueryRunner(ServerConfig(built[1], timeout=0.5, max_concurrent=1))
    runner._slots.acquire()  # every slot taken by a query that does not finish
    started = time.monotonic()
    code, _, body = runner.run("ASK { ?s ?p ?o }", requested="json")
    assert code == 503 and "busy" in body and time.monotonic() - started >= 0.5
    runner._slots.release()
    assert runner.run("ASK { ?s ?p ?o }", requested="json") == (
        200,
        "application/sparql-results+json",
        '{"head": {}, "boolean": true}',
    )


def test_an_answer_being_delivered_still_holds_its_query_slot(built) -> None:
    """A client that does not read its answer keeps its slot busy, so answers cannot pile up in memory."""
    import threading

    from kg.query.endpoint import QueryRunner

    runner = QueryRunner(ServerConfig(built[1], timeout=0.5, max_concurrent=1))
    delivering, release = threading.Event(), threading.Event()

    def slow_reader(status: int, media: str, body: str) -> None:
        delivering.set()
        release.wait(10)

    first = threading.Thread(target=runner.run, args=("ASK { ?s ?p ?o }", "", "json", slow_reader))
    first.start()
    assert delivering.wait(10)
    code, _, body = runner.run("ASK { ?s ?p ?o }", requested="json")
    assert code == 503 and "busy" in body
    release.set()
    first.join(10)
    assert runner.run("ASK { ?s ?p ?o }", requested="json")[0] == 200
