"""An installed kg (a wheel, not this checkout) finds its ontology and shapes."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_ships_the_ontology_and_shapes_and_the_installed_package_finds_them(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(ROOT),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
        ],
        check=True,
    )
    (wheel,) = tmp_path.glob("kg-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "kg/ontology/kg.ttl" in names and "kg/shapes/kg.ttl" in names
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)], check=True
    )
    found = subprocess.run(
        [
            sys.executable,
            "-c",
            "from kg.rdf.resources import ontology_path, shapes_path; print(ontology_path()); print(shapes_path())",
        ],
        env={"PYTHONPATH": str(target)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert all(path.startswith(str(target)) for path in found)
