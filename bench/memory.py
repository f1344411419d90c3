"""Memory of a server's process tree (Linux /proc), sampled while it is measured."""

from __future__ import annotations

import threading
from pathlib import Path


def tree_memory_mb(pid: int) -> tuple[float, float]:
    """Resident memory of a process and all its descendants (Linux /proc): the sum of their
    RSS, which counts each page shared after fork once per process, and the sum of their PSS,
    which shares such pages out (the memory the tree really holds)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    rss = pss = 0
    stack = [pid]
    while stack:
        current = stack.pop()
        stack.extend(children.get(current, []))
        rss += _proc_kb(f"/proc/{current}/status", "VmRSS:")
        pss += _proc_kb(f"/proc/{current}/smaps_rollup", "Pss:")
    return rss / 1024, pss / 1024


def _proc_kb(path: str, key: str) -> int:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class RssSampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self._done = pid, threading.Event()
        self.peak_rss = self.peak_pss = 0.0

    def _sample(self) -> None:
        rss, pss = tree_memory_mb(self.pid)
        self.peak_rss, self.peak_pss = max(self.peak_rss, rss), max(self.peak_pss, pss)

    def run(self) -> None:
        while not self._done.wait(0.2):
            self._sample()

    def finish(self) -> tuple[float, float]:
        self._done.set()
        self.join()
        self._sample()
        return self.peak_rss, self.peak_pss
