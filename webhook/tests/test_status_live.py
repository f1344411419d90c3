"""The receiver's request counters on a real server with two worker processes: whichever
worker answers ``/status``, it reports every delivery (``webhook.server_stats``)."""

from __future__ import annotations

import json
import os
import time
import urllib.request

from webhook import server_stats
from webhook.sample import sample_payload
from webhook.tests.live import LiveReceiver, postgres_database, postgres_url

DELIVERIES = 12


def _acknowledged(summary: dict) -> int:
    """Deliveries acknowledged, over all workers (LiveReceiver.start's probe is a GET)."""
    by_status = summary["receiver"]["by_status"]
    return by_status.get("200", 0) + by_status.get("202", 0)


def _status(live: LiveReceiver) -> dict:
    url = f"http://127.0.0.1:{live.port}/status?format=json"
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
        return json.loads(response.read())


def test_two_workers_report_every_delivery(tmp_path):
    database_url, drop = None, None
    if postgres_url():  # the suite on PostgreSQL: the receiver on a database of its own there
        database_url, drop = postgres_database(f"multichat_status_{os.getpid()}")
    live = LiveReceiver(tmp_path, database_url=database_url, env={"WEBHOOK_WORKERS": "2"})
    live.prepare()
    live.start()
    try:
        deadline = time.monotonic() + 20
        while len(live.worker_pids()) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(live.worker_pids()) == 2
        while _status(live)["receiver"]["processes"] < 2 and time.monotonic() < deadline:
            time.sleep(0.2)  # both workers wrote their first heartbeat
        time.sleep(server_stats.FLUSH_SECONDS + 0.5)  # and whatever they counted before
        before = _acknowledged(_status(live))  # LiveReceiver.start's probe (GET /webhook)
        for n in range(DELIVERIES):
            status, answer = live.post(sample_payload(message_id=f"live-status-{n}"))
            assert status in (200, 202), answer
        deadline = time.monotonic() + 6  # each worker flushes every 2 s
        seen: list[tuple[int, int]] = []
        summary: dict = {}
        while time.monotonic() < deadline:
            summary = _status(live)
            receiver = summary["receiver"]
            seen.append((_acknowledged(summary), summary["this_process"]["requests_total"]))
            if _acknowledged(summary) == before + DELIVERIES and receiver["processes"] == 2:
                break
            time.sleep(0.2)
        receiver = summary["receiver"]
        assert _acknowledged(summary) == before + DELIVERIES, (before, seen)
        assert receiver["requests_total"] == sum(receiver["by_status"].values())
        total = receiver["requests_total"]
        assert receiver["online"] and receiver["processes"] == 2 and receiver["started_at"]
        # Once every worker has flushed, every answer, from either worker, says the same.
        time.sleep(server_stats.FLUSH_SECONDS + 0.5)
        for _ in range(6):
            later = _status(live)
            assert _acknowledged(later) == before + DELIVERIES
            assert later["receiver"]["requests_total"] == total
        page = urllib.request.Request(
            f"http://127.0.0.1:{live.port}/status", headers={"Accept": "text/html"}
        )
        with urllib.request.urlopen(page, timeout=10) as response:  # noqa: S310 - loopback
            html = response.read().decode()
        assert f"{total} pedidos respondidos, somando todos os processos" in html
        assert "2 processos" in html  # both workers heartbeat
    finally:
        live.kill()
        if drop is not None:
            drop()
