"""The Flask server keeps its applier process alive."""

from __future__ import annotations

import subprocess
import sys
import time

import servidor_webhook_local


def test_the_server_starts_a_new_applier_when_one_dies(monkeypatch, settings):
    settings.WEBHOOK_APPLY_MODE = "background"
    spawned: list[subprocess.Popen] = []

    def spawn():
        # the first one dies at once; the next ones live until stopped
        code = "raise SystemExit(3)" if not spawned else "import time; time.sleep(60)"
        spawned.append(subprocess.Popen([sys.executable, "-c", code]))
        return spawned[-1]

    monkeypatch.setattr(servidor_webhook_local.ApplierSupervisor, "_spawn", staticmethod(spawn))
    monkeypatch.setattr(servidor_webhook_local.ApplierSupervisor, "CHECK_SECONDS", 0.05)
    supervisor = servidor_webhook_local.ApplierSupervisor().start()
    deadline = time.monotonic() + 10
    while len(spawned) < 2:
        assert time.monotonic() < deadline, "the dead applier was not replaced"
        time.sleep(0.02)
    supervisor.stop()
    assert spawned[0].returncode == 3
    assert spawned[1].wait(10) is not None  # stopped with the server
    time.sleep(0.2)
    assert len(spawned) == 2  # and not restarted after the stop
