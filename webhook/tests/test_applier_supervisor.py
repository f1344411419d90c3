"""The Flask server keeps its applier process alive."""

from __future__ import annotations

import subprocess
import sys
import time

from webhook.receiver import supervision


def test_the_server_starts_a_new_applier_when_one_dies(monkeypatch, settings):
    settings.WEBHOOK_APPLY_MODE = "background"
    spawned: list[subprocess.Popen] = []

    def spawn():
        # the first one dies at once; the next ones live until stopped
        code = "raise SystemExit(3)" if not spawned else "import time; time.sleep(60)"
        spawned.append(subprocess.Popen([sys.executable, "-c", code]))
        return spawned[-1]

    monkeypatch.setattr(supervision.ApplierSupervisor, "_spawn", staticmethod(spawn))
    monkeypatch.setattr(supervision.ApplierSupervisor, "CHECK_SECONDS", 0.05)
    supervisor = supervision.ApplierSupervisor().start()
    deadline = time.monotonic() + 10
    while len(spawned) < 2:
        assert time.monotonic() < deadline, "the dead applier was not replaced"
        time.sleep(0.02)
    supervisor.stop()
    assert spawned[0].returncode == 3
    assert spawned[1].wait(10) is not None  # stopped with the server
    time.sleep(0.2)
    assert len(spawned) == 2  # and not restarted after the stop
