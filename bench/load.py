"""A bounded local load on `kg serve`: N clients on loopback send canned queries for a fixed time and
check every answer. Used by the benchmark (60 s) and by a short test."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

QUERIES = (
    "PREFIX kg: <https://w3id.org/kg-trials/ontology#> SELECT ?status (COUNT(?t) AS ?n) WHERE { ?t kg:overallStatus ?status } GROUP BY ?status",
    "PREFIX kg: <https://w3id.org/kg-trials/ontology#> SELECT ?nct WHERE { ?t kg:nctId ?nct } ORDER BY ?nct LIMIT 20",
    'PREFIX kg: <https://w3id.org/kg-trials/ontology#> ASK { ?t kg:phase "PHASE2" }',
)


@dataclass
class LoadResult:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else float("nan")


def run_load(
    endpoint: str, clients: int = 8, seconds: float = 60.0, max_requests_per_client: int = 100_000
) -> LoadResult:
    result = LoadResult()
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(number: int) -> None:
        sent = 0
        while time.monotonic() < deadline and sent < max_requests_per_client:
            query = QUERIES[(number + sent) % len(QUERIES)]
            url = f"{endpoint}/sparql?query={urllib.parse.quote(query)}"
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(url, timeout=30) as response:
                    answer = json.loads(response.read())
                ok = "boolean" in answer or bool(answer["results"]["bindings"])
                problem = None if ok else "empty answer"
            except (urllib.error.URLError, OSError, ValueError, KeyError) as error:
                problem = repr(error)
            elapsed = time.perf_counter() - started
            with lock:
                result.latencies.append(elapsed)
                if problem:
                    result.errors.append(problem)
            sent += 1

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.monotonic() - started
    return result
