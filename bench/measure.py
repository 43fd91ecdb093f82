"""What a benchmark measures of a process tree (a build's parent and its workers), shared by the benchmarks."""

from __future__ import annotations

import os


def tree_memory_kib(root: int) -> tuple[int, int]:
    """(summed PSS, summed RSS) of `root` and every descendant, in KiB. PSS counts pages forked workers
    share with the parent once, not once per process as summed RSS would."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                children.setdefault(int(stat.read().rsplit(")", 1)[1].split()[1]), []).append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    pss = rss = 0
    stack = [root]
    while stack:
        pid = stack.pop()
        try:
            with open(f"/proc/{pid}/smaps_rollup") as rollup:
                for line in rollup:
                    if line.startswith("Pss:"):
                        pss += int(line.split()[1])
                    elif line.startswith("Rss:"):
                        rss += int(line.split()[1])
        except OSError:
            pass
        stack.extend(children.get(pid, []))
    return pss, rss
