"""Benchmark `kg serve` under a bounded local load: 8 clients on 127.0.0.1 for 60 s of canned queries
over the bundled examples; requests/s and latency percentiles, every answer checked.

Usage: python bench/bench_serve.py [--clients 8] [--seconds 60]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from load import run_load  # noqa: E402

from kg.build import BuildConfig, build  # noqa: E402
from kg.query.endpoint import ServerConfig, make_server  # noqa: E402
from kg.store import load_store  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        build(BuildConfig(inputs=[str(ROOT / "examples")], output=folder / "g.nt", rdf_format="nt"))
        load_store(folder / "g.nt", folder / "store")
        server = make_server(ServerConfig(folder / "store", port=0))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        result = run_load(f"http://127.0.0.1:{server.server_address[1]}", args.clients, args.seconds)
        server.shutdown()
    print(f"\nkg serve under load: {args.clients} clients on loopback for {args.seconds:g} s (bundled examples)\n")
    print("| requests | errors | requests/s | p50 (ms) | p95 (ms) | p99 (ms) |")
    print("|---:|---:|---:|---:|---:|---:|")
    print(f"| {len(result.latencies)} | {len(result.errors)} | {len(result.latencies) / result.seconds:.1f} | "
          f"{result.percentile(50) * 1000:.0f} | {result.percentile(95) * 1000:.0f} | {result.percentile(99) * 1000:.0f} |")  # fmt: skip


if __name__ == "__main__":
    main()
