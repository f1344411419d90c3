"""/metrics on both servers (webhook.metrics, webhook.metrics_export): who may read it, the
counters hooked where things happen, what is computed at scrape time, and the multiprocess
files summed over several processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from webhook import metrics, spool
from webhook.models import WebhookEvent
from webhook.processor import WhatsAppWebhookProcessor
from webhook.sample import sample_payload
from webhook.writer import writer

ROOT = Path(__file__).resolve().parents[2]


def scrape(server: str, request, *, remote: str = "127.0.0.1", headers=None) -> tuple[int, str]:
    headers = headers or {}
    if server == "django":
        from django.test import Client

        extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
        response = Client().get("/metrics", REMOTE_ADDR=remote, **extra)
        return response.status_code, response.content.decode()
    app = request.getfixturevalue("flask_app")
    response = app.test_client().get(
        "/metrics", headers=headers, environ_base={"REMOTE_ADDR": remote}
    )
    return response.status_code, response.data.decode()


def samples(text: str) -> dict[tuple[str, tuple], float]:
    """{(sample name, sorted labels): value} of a scrape."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[sample.name, tuple(sorted(sample.labels.items()))] = sample.value
    return found


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture(params=["django", "flask"])
def server(request) -> str:
    return request.param


def test_metrics_are_open_to_loopback_and_closed_to_others(server, request, db):
    status, text = scrape(server, request)
    assert status == 200
    assert "# TYPE webhook_backlog_events gauge" in text
    assert scrape(server, request, remote="203.0.113.9")[0] == 403
    # Relayed by the local proxy (trusted): the real client is the forwarded one.
    forwarded = {"X-Forwarded-For": "203.0.113.9"}
    assert scrape(server, request, headers=forwarded)[0] == 403
    assert scrape(server, request, remote="::1")[0] == 200


def test_a_metrics_token_is_asked_of_everyone(server, request, db, settings):
    settings.WEBHOOK_METRICS_TOKEN = "m3trics-t0ken"
    status, text = scrape(server, request)
    assert status == 401 and "m3trics-t0ken" not in text
    wrong = {"Authorization": "Bearer nope"}
    assert scrape(server, request, remote="203.0.113.9", headers=wrong)[0] == 401
    good = {"Authorization": "Bearer m3trics-t0ken"}
    status, text = scrape(server, request, remote="203.0.113.9", headers=good)
    assert status == 200 and "webhook_database_up 1.0" in text


def test_a_delivery_is_counted_by_status_family_and_latency(
    server, request, post, sample_client, auth_headers, django_capture_on_commit_callbacks
):
    before = scrape(server, request)[1]
    payload = sample_payload(instance_id=sample_client.instance_id, text="oi")
    with django_capture_on_commit_callbacks(execute=True):
        reply = post(payload, auth_headers)
        refused = post(payload, {"x-webhook-token": "wrong"})
    assert reply.status == 200 and refused.status == 401
    after = scrape(server, request)[1]
    family = reply.body["family"]

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("webhook_requests_total", status="200", family=family) == 1
    # An unknown token is refused before the body is even decoded: no family yet.
    assert delta("webhook_requests_total", status="401", family="unknown") == 1
    assert delta("webhook_ack_seconds_count") == 2
    assert delta("webhook_ack_seconds_sum") > 0
    assert delta("webhook_events_applied_total", family=family, status="processed") == 1
    assert delta("webhook_apply_lag_seconds_count") == 1


def test_a_body_that_is_not_json_is_counted_as_unknown_family(server, request, post):
    before = scrape(server, request)[1]
    assert post(b"{not json").status == 400
    after = scrape(server, request)[1]
    name, labels = "webhook_requests_total", {"status": "400", "family": "unknown"}
    assert value(after, name, **labels) - value(before, name, **labels) == 1


def test_failures_are_counted_by_family_and_replays_have_no_lag(
    server, request, db, django_capture_on_commit_callbacks
):
    event = WebhookEvent.objects.create(
        delivery_id="broken-1", received_at=timezone.now(), body="{broken", family="evolution"
    )
    before = scrape(server, request)[1]
    with django_capture_on_commit_callbacks(execute=True):
        assert WhatsAppWebhookProcessor().process(event) == WebhookEvent.Status.FAILED
        event.refresh_from_db()
        assert WhatsAppWebhookProcessor().process(event) == WebhookEvent.Status.FAILED  # replay
    after = scrape(server, request)[1]
    failures = "webhook_event_failures_total"
    assert (
        value(after, failures, family="evolution") - value(before, failures, family="evolution")
        == 2
    )
    lag = "webhook_apply_lag_seconds_count"
    assert value(after, lag) - value(before, lag) == 1  # the first application only


@pytest.mark.django_db(transaction=True)
def test_group_commit_batches_are_counted(server, request, sample_client, auth_headers, settings):
    """Background mode: the writer thread commits each delivery in a group (webhook.writer)."""
    from webhook.tests.conftest import _django_post

    settings.WEBHOOK_APPLY_MODE = "background"
    before = scrape(server, request)[1]
    payload = sample_payload(instance_id=sample_client.instance_id, text="lote")
    body = json.dumps(payload).encode()
    try:
        headers = {"content-type": "application/json", **auth_headers}
        reply = _django_post("/webhook/", body, headers)
    finally:
        writer.shutdown()  # commits what is queued and closes the thread's connection
    assert reply.status == 202
    after = scrape(server, request)[1]
    name = "webhook_group_commit_batch_size_count"
    assert value(after, name) - value(before, name) == 1
    assert value(after, "webhook_group_commit_batch_size_sum") >= 1


@pytest.mark.django_db(transaction=True)
def test_backlog_and_spool_are_computed_at_scrape_time(server, request, settings):
    now = timezone.now()
    for number, age in enumerate((90, 5)):
        WebhookEvent.objects.create(
            delivery_id=f"waiting-{number}", received_at=now - timedelta(seconds=age), body="{}"
        )
    WebhookEvent.objects.create(
        delivery_id="done", received_at=now - timedelta(hours=1), status="processed"
    )
    fields = {"delivery_id": "spooled-1", "received_at": now, "body": "{}", "status": "received"}
    spool.append(fields)
    status, text = scrape(server, request)
    assert status == 200
    assert value(text, "webhook_database_up") == 1
    assert value(text, "webhook_backlog_events") == 2
    assert 90 <= value(text, "webhook_backlog_oldest_age_seconds") < 120
    assert value(text, "webhook_spool_events") == 1
    assert value(text, "webhook_spool_bytes") == sum(
        p.stat().st_size for p in spool.pending_files()
    )
    assert value(text, "webhook_media_queue", state="pending") == 0
    assert ("webhook_media_queue", (("state", "fetching"),)) in samples(text)


def test_a_scrape_during_a_database_outage_still_answers(
    server, request, db, monkeypatch, tmp_path
):
    if connection.vendor == "sqlite":
        monkeypatch.setitem(connection.settings_dict, "NAME", str(tmp_path / "no" / "db"))
    else:
        monkeypatch.setitem(connection.settings_dict, "PORT", "1")
    status, text = scrape(server, request)
    assert status == 200
    assert value(text, "webhook_database_up") == 0
    assert "webhook_backlog_events" not in text
    assert "webhook_spool_bytes" in text and "webhook_requests" in text


RECORDER = textwrap.dedent(
    """
    import sys
    from webhook import metrics
    metrics.delivery_answered(202, "evolution", 0.002)
    metrics.batch_committed(int(sys.argv[1]))
    metrics.process_started("receiver")
    print("ready", flush=True)
    sys.stdin.readline()  # stays alive until told to stop
    """
)


def test_counters_of_several_processes_are_summed(server, request, db, settings, tmp_path):
    folder = tmp_path / "metrics"
    folder.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder), "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", RECORDER, str(size)],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for size in (3, 5)
    ]
    try:
        assert [p.stdout.readline().strip() for p in procs] == ["ready", "ready"]
        settings.WEBHOOK_METRICS_DIR = str(folder)
        text = scrape(server, request)[1]
        assert value(text, "webhook_requests_total", status="202", family="evolution") == 2
        assert value(text, "webhook_group_commit_batch_size_count") == 2
        assert value(text, "webhook_group_commit_batch_size_sum") == 8
        assert value(text, "webhook_processes", kind="receiver") == 2
        procs[0].communicate("stop\n", timeout=10)
        metrics.mark_dead(procs[0].pid)  # what the server does when a worker exits
        text = scrape(server, request)[1]
        assert value(text, "webhook_processes", kind="receiver") == 1
        assert value(text, "webhook_requests_total", status="202", family="evolution") == 2
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.communicate("stop\n", timeout=10)


PREPARE = textwrap.dedent(
    """
    import os, sys
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_project.settings")
    import django
    django.setup()
    from webhook import metrics
    path = metrics.prepare_run_dir("receiver-5999")
    metrics.delivery_answered(200, "waha", 0.001)
    print(path, os.environ["PROMETHEUS_MULTIPROC_DIR"], sorted(p.name for p in path.iterdir()))
    sys.stdout.flush()
    if sys.argv[1] == "hold":
        sys.stdin.readline()
    """
)


def test_each_run_gets_its_folder_under_the_spool_emptied_at_start(tmp_path):
    spool_dir = tmp_path / "spool"
    env = {**os.environ, "WEBHOOK_SPOOL_DIR": str(spool_dir), "PYTHONPATH": str(ROOT)}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    folder = spool_dir / "metrics" / "receiver-5999"
    folder.mkdir(parents=True)
    (folder / "counter_1.db").write_bytes(b"left by the last run")

    def run(mode: str, **kwargs):
        return subprocess.Popen(
            [sys.executable, "-c", PREPARE, mode],
            env=env,
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            **kwargs,
        )

    holder = run("hold")
    line = holder.stdout.readline().split(" ", 2)
    assert line[0] == line[1] == str(folder)
    assert "counter_1.db" not in line[2] and f"counter_{holder.pid}.db" in line[2]
    try:
        # A second start while the first still runs shares the folder, emptying nothing.
        second = run("exit")
        out = second.communicate(timeout=60)[0]
        assert f"counter_{holder.pid}.db" in out
    finally:
        holder.communicate("stop\n", timeout=10)
    third = run("exit")
    out = third.communicate(timeout=60)[0]
    assert f"counter_{holder.pid}.db" not in out and f"counter_{third.pid}.db" in out


def test_the_django_server_also_shows_the_celery_workers(db, settings, tmp_path, monkeypatch):
    from webhook import metrics_export

    settings.WEBHOOK_SPOOL_DIR = str(tmp_path)
    shared = tmp_path / "metrics"
    for name in ("django-8000", "worker-apply", "worker-media", "receiver-5000"):
        (shared / name).mkdir(parents=True)
    monkeypatch.setattr(metrics, "_run_dir", shared / "django-8000")
    assert metrics_export.folders(with_workers=True) == [
        shared / "django-8000",
        shared / "worker-apply",
        shared / "worker-media",
    ]
    assert metrics_export.folders(with_workers=False) == [shared / "django-8000"]


def test_the_server_marks_an_exited_worker_dead(tmp_path, monkeypatch):
    """granian's watcher (webhook.serving) drops a dead worker from the live-process gauge."""
    from types import SimpleNamespace

    from webhook.serving import _watch_worker

    folder = tmp_path / "receiver-5000"
    folder.mkdir()
    for pid in (4242, 4343):
        (folder / f"gauge_livesum_{pid}.db").write_bytes(b"")
        (folder / f"counter_{pid}.db").write_bytes(b"")
    monkeypatch.setattr(metrics, "_run_dir", folder)

    class Worker:
        inner = SimpleNamespace(pid=4242, exitcode=1, join=lambda: None)
        interrupt_by_parent = False

        def _watcher(self) -> None:
            self.replaced = True

    worker = Worker()
    _watch_worker(worker, SimpleNamespace(interrupt_signal=False), grace=0)
    assert worker.replaced
    assert sorted(p.name for p in folder.iterdir()) == [
        "counter_4242.db",  # its counts stay in the sums
        "counter_4343.db",
        "gauge_livesum_4343.db",
    ]
