"""Every `kg` command the README shows works as written right after `make demo`, except those that say
they need the network, `../shared`, a file of the user's own, `make eval`'s outputs, or run until stopped."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOT_RUN_HERE = ("needs the network", "needs ../shared", "of your own", "after make eval", "runs until stopped")
DEMO_BUILD = "kg build samples/msc-liver -o out/msc-liver.ttl --store kg-store"


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip().startswith("kg ")]


def test_the_demo_builds_what_the_readme_examples_read() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "$(BIN)/" + DEMO_BUILD in makefile


def test_every_readme_command_that_can_run_here_works_after_the_demo(tmp_path: Path) -> None:
    for folder in ("samples", "examples", "gold", "queries"):
        if (ROOT / folder).exists():
            shutil.copytree(ROOT / folder, tmp_path / folder)
    (tmp_path / "tests" / "fixtures").mkdir(parents=True)
    shutil.copytree(ROOT / "tests" / "fixtures" / "mesh", tmp_path / "tests" / "fixtures" / "mesh")
    (tmp_path / "out").mkdir()
    environment = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    commands = [DEMO_BUILD, *(c for c in readme_commands() if not any(n in c for n in NOT_RUN_HERE))]
    assert len(commands) > 25
    failed = []
    for command in commands:
        done = subprocess.run(
            ["bash", "-c", command], cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=300
        )
        if done.returncode != 0:
            failed.append(f"{command}\n  exit {done.returncode}: {done.stderr.strip()[-400:]}")
    assert not failed, "\n".join(failed)


@pytest.mark.parametrize("marker", NOT_RUN_HERE)
def test_the_commands_not_run_here_say_why(marker: str) -> None:
    skipped = [c for c in readme_commands() if marker in c]
    assert all(c.partition("#")[2].strip() for c in skipped)  # the reason is in the line's comment


def test_the_readme_sample_build_summary_is_a_real_run(tmp_path: Path) -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("records read: 55 from 55 file(s)")
    shown = text[start : text.index("```", start)]
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    environment = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["bash", "-c", "kg build examples/ -o out/graph.ttl"], cwd=tmp_path, env=environment,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0 and done.stderr == shown
