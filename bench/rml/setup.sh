#!/usr/bin/env bash
# Creates bench/.venv-rml, an isolated venv holding morph-kgc for bench/bench_peers.py; adds nothing to
# the project's own .venv or dependencies. Idempotent: does nothing when the pinned version is there.
# Usage: bash bench/rml/setup.sh   (PYTHON=python3.11 to choose the interpreter, MORPH_KGC_VERSION to pin another)
set -euo pipefail
venv="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.venv-rml"
version="${MORPH_KGC_VERSION:-2.10.0}"
installed() {
    "$venv/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('morph-kgc') != '$version')" 2>/dev/null
}
if [ -x "$venv/bin/python" ] && installed; then
    exit 0
fi
echo "bench/rml/setup.sh: installing morph-kgc $version into $venv" >&2
"${PYTHON:-python3}" -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "morph-kgc==$version"
installed || { echo "bench/rml/setup.sh: morph-kgc $version did not install" >&2; exit 1; }
