"""The receiver under each WSGI server it offers (``--server`` / WEBHOOK_SERVER).

Granian is the default on Linux and macOS; gunicorn stays available. Both must ack a delivery
only once it is stored and get it applied, and both must replace a worker that dies.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from pathlib import Path

import pytest

from webhook.sample import sample_payload
from webhook.tests.live import LiveReceiver

pytestmark = pytest.mark.skipif(os.name == "nt", reason="granian and gunicorn: POSIX only")


@pytest.fixture(params=["granian", "gunicorn"])
def receiver(request, tmp_path):
    live = LiveReceiver(tmp_path, env={"WEBHOOK_SERVER": request.param, "WEBHOOK_WORKERS": "2"})
    live.prepare()
    live.start()
    yield live
    live.kill()


def test_acks_and_applies_under_each_server(receiver):
    message_id = f"srv-{uuid.uuid4().hex[:8]}"
    status, body = receiver.post(sample_payload(message_id=message_id))
    assert status == 202 and body["status"] == "received", body
    assert body["delivery_id"]
    applied = receiver.wait_for(
        f"SELECT count(*) FROM webhook_message WHERE external_id = '{message_id}'",  # noqa: S608
        1,
    )
    assert applied == 1, receiver.log()[-3000:]
    status, body = receiver.post(sample_payload(message_id=message_id))
    assert status == 202  # the duplicate is stored too, and applied as a duplicate
    assert receiver.wait_for(
        "SELECT count(*) FROM webhook_webhookevent WHERE status = 'duplicate'", 1
    ), receiver.log()[-3000:]


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds the workers through /proc")
def test_a_dead_worker_is_replaced(receiver):
    deadline = time.monotonic() + 20  # the first worker answers while the second still boots
    while len(workers := receiver.worker_pids()) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(workers) == 2, (workers, receiver.log()[-3000:])
    victim = min(workers)
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        current = receiver.worker_pids()
        if len(current) == 2 and victim not in current:
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"no new worker after killing {victim}: {receiver.log()[-3000:]}")
    assert receiver.process is not None and receiver.process.poll() is None
    for n in range(10):  # whichever worker takes them, deliveries are acked again
        status, body = receiver.post(sample_payload(message_id=f"after-{n}-{uuid.uuid4().hex[:6]}"))
        assert status == 202, (status, body, receiver.log()[-3000:])


def test_ctrl_c_in_make_run_stops_every_process(receiver):
    """Ctrl+C in `make run` signals the whole process group (SIGINT from the terminal, then
    SIGTERM from the Makefile's trap): the server, its workers and the applier all exit, and
    none hangs on the second signal."""
    assert receiver.process is not None
    deadline = time.monotonic() + 20
    while len(receiver.worker_pids()) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    group = receiver.process.pid
    everyone = {group, *receiver.children()}
    for _ in range(3):  # the race needs the signals close together: try it a few times over
        os.killpg(group, signal.SIGINT)
        os.killpg(group, signal.SIGTERM)
        time.sleep(0.05)
        if receiver.process.poll() is not None:
            break
    try:
        receiver.process.wait(timeout=30)
    except Exception:  # noqa: BLE001 - reported below with what is left
        pass
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(_alive(pid) for pid in everyone):
        time.sleep(0.1)
    left = sorted(pid for pid in everyone if _alive(pid))
    assert not left, (left, receiver.log()[-3000:])
    # A worker stopped by the group's signal is not reported as a crash (nor started again).
    assert "Unexpected exit" not in receiver.log(), receiver.log()[-3000:]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


class _FakeProcess:
    def __init__(self, exitcode: int) -> None:
        self.exitcode = exitcode

    def join(self) -> None:
        return None


class _FakeWorker:
    """What granian's watcher touches on a worker: its process, its index, the parent's flag."""

    def __init__(self, exitcode: int) -> None:
        self.inner = _FakeProcess(exitcode)
        self.interrupt_by_parent = False
        self.idx = 0

    def _watcher(self) -> None:  # granian's: reports and asks for a new worker unless stopped
        if not self.interrupt_by_parent:
            self.reported = True


def _watch(worker: _FakeWorker, server: object, grace: float) -> bool:
    from webhook.serving import _watch_worker

    worker.reported = False
    _watch_worker(worker, server, grace=grace)
    return worker.reported


def test_a_clean_exit_followed_by_our_stop_is_not_a_crash():
    """The race the group's Ctrl+C causes: the worker is gone before this process's handler
    ran. Its stop arriving within the grace makes the exit ours, not a crash."""
    import threading
    from types import SimpleNamespace

    server = SimpleNamespace(interrupt_signal=False)
    threading.Timer(0.1, lambda: setattr(server, "interrupt_signal", True)).start()
    assert _watch(_FakeWorker(0), server, grace=5) is False


def test_a_killed_worker_is_reported_at_once_and_a_lone_clean_exit_after_the_grace():
    from types import SimpleNamespace

    server = SimpleNamespace(interrupt_signal=False)
    started = time.monotonic()
    assert _watch(_FakeWorker(-signal.SIGKILL), server, grace=30) is True
    assert time.monotonic() - started < 1  # a crash does not wait for the grace
    assert _watch(_FakeWorker(0), server, grace=0.2) is True  # no stop came: replaced
