"""The queue mode's parts, each on its own: the refusal on SQLite, the tasks' idempotence,
retries ending in the dead-letter state, the sweeper's lease, the media queue, the writer's
hand-over and the publisher's bounds (a real process against a broker that never answers)."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from datetime import timedelta
from unittest import mock

import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from webhook import ingest
from webhook.models import MediaFile, Message, WebhookEvent
from webhook.queue import checks, tasks
from webhook.sample import sample_payload
from webhook.tests.live import ROOT
from webhook.tests.test_media_fetch import assert_stored, cdn_payload
from webhook.tests.test_media_fetch import env as media_env  # noqa: F401 - a fixture
from webhook.writer import writer

pytestmark = pytest.mark.django_db(transaction=True)


def _received(
    client, *, age: float = 0.0, message_id: str | None = None, payload: dict | None = None
) -> WebhookEvent:
    return WebhookEvent.objects.create(
        client=client,
        client_key=client.instance_id,
        delivery_id=uuid.uuid4().hex,
        received_at=timezone.now() - timedelta(seconds=age),
        path="/webhook",
        headers={"content-type": "application/json"},
        body=json.dumps(payload or sample_payload(message_id=message_id)),
    )


def test_queue_mode_refuses_sqlite_in_one_pt_br_line(settings):
    settings.WEBHOOK_PROCESSING = "celery"
    problem = checks.queue_mode_problem()
    if connection.vendor == "postgresql":
        assert problem is None
        return
    assert problem == (
        "O modo fila (WEBHOOK_PROCESSING=celery) exige PostgreSQL: defina "
        "DATABASE_URL=postgresql://... ou use WEBHOOK_PROCESSING=embedded."
    )
    settings.WEBHOOK_PROCESSING = "embedded"
    assert checks.queue_mode_problem() is None
    settings.WEBHOOK_PROCESSING = "fila"
    assert "desconhecido" in checks.queue_mode_problem()


def test_the_receiver_started_in_queue_mode_on_sqlite_stops_with_that_line(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "WEBHOOK_ENV_FILE": "/nonexistent",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "WEBHOOK_PROCESSING": "celery",
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "servidor_webhook_local.py", "--no-tunnel", "--port", "1"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert (
        done.stderr.strip().splitlines()[-1].startswith("O modo fila (WEBHOOK_PROCESSING=celery)")
    )


def test_apply_events_applies_each_event_once_however_often_it_runs(sample_client):
    event = _received(sample_client, message_id="fila-1")
    assert tasks.apply_events.apply(args=([event.pk],)).get() == 1
    assert tasks.apply_events.apply(args=([event.pk],)).get() == 0  # re-delivered: nothing left
    event.refresh_from_db()
    assert (event.status, event.attempts) == ("processed", 1)
    assert Message.objects.filter(external_id="fila-1").count() == 1


def test_a_task_tops_its_chunk_up_with_other_waiting_events(sample_client):
    mine, other = _received(sample_client), _received(sample_client)
    assert tasks.apply_events.apply(args=([mine.pk],)).get() == 2
    assert not WebhookEvent.objects.filter(pk=other.pk, status="received").exists()


def test_database_errors_are_retried_then_the_event_ends_failed_with_the_reason(
    sample_client, settings
):
    settings.WEBHOOK_QUEUE_MAX_ATTEMPTS = 4
    event = _received(sample_client)
    failing = mock.patch.object(
        tasks, "apply_ids", side_effect=OperationalError("server closed the connection")
    )
    with failing as apply_ids:
        tasks.apply_events.apply(args=([event.pk],))  # eager: its retries run in line
    assert apply_ids.call_count == 4
    event.refresh_from_db()
    assert event.status == "failed"  # the dead-letter state, replayable from the admin
    assert event.error == (
        "database error after 4 attempts: OperationalError: server closed the connection"
    )
    assert [tasks.backoff_seconds(n) for n in (1, 2, 3, 4, 8)] == [1, 2, 4, 8, 60]


def test_the_sweeper_republishes_only_events_older_than_the_lease(sample_client, settings):
    settings.WEBHOOK_QUEUE_LEASE_SECONDS = 30
    old, fresh = _received(sample_client, age=60), _received(sample_client, age=1)
    done = _received(sample_client, age=90)
    WebhookEvent.objects.filter(pk=done.pk).update(status="processed")
    assert tasks.stale_ids() == [old.pk]
    with (
        mock.patch.object(tasks.apply_events, "apply_async") as publish,
        mock.patch.object(tasks.media_sweep, "delay"),
    ):
        assert tasks.sweep() == 1
    publish.assert_called_once_with(([old.pk],), expires=30)
    assert fresh.pk not in tasks.stale_ids()


def test_media_fetching_has_its_own_queue():
    route = tasks.fetch_media.app.amqp.router.route({}, tasks.fetch_media.name)
    assert route["queue"].name == "media"
    route = tasks.apply_events.app.amqp.router.route({}, tasks.apply_events.name)
    assert route["queue"].name == "apply"


def test_a_media_message_is_applied_at_once_and_its_file_fetched_by_the_media_task(
    media_env,  # noqa: F811 - the media tests' fixture
):
    payload = cdn_payload(media_env, "baileys_sample", "image", where="url")
    event = _received(media_env.clients["baileys_sample"], payload=payload)
    with mock.patch.object(tasks.fetch_media, "apply_async") as publish:
        assert tasks.apply_events.apply(args=([event.pk],)).get() == 1
    media = MediaFile.objects.get()
    assert media.state == MediaFile.State.PENDING and media_env.server.seen == []
    publish.assert_called_once_with((media.pk,), expires=60)  # to the media queue
    assert tasks.fetch_media.apply(args=(media.pk,)).get() == MediaFile.State.STORED
    assert_stored(media_env)


def test_the_writer_hands_each_committed_batch_to_the_publisher(sample_client, settings):
    if connection.vendor != "postgresql":
        pytest.skip("the queue mode runs on PostgreSQL only (SQLite acks wait in the inbox)")
    settings.WEBHOOK_APPLY_MODE = "background"
    settings.WEBHOOK_PROCESSING = "celery"
    with mock.patch("webhook.queue.publisher.publish") as publish:
        response = ingest.receive(
            ingest.InboundRequest(
                body=json.dumps(sample_payload()).encode(),
                headers={"x-webhook-token": sample_client.webhook_token},
                remote_addr="127.0.0.1",
            )
        )
        writer.shutdown()
    assert response.status == 202
    publish.assert_called_once_with([response.body["event_id"]])


BLACKHOLE = """
import os, socket, threading, time
listener = socket.socket(); listener.bind(("127.0.0.1", 0)); listener.listen(16)
held = []
threading.Thread(target=lambda: [held.append(listener.accept()) for _ in iter(int, 1)],
                 daemon=True).start()
os.environ["CELERY_BROKER_URL"] = {url!r}.format(port=listener.getsockname()[1])
import django; django.setup()
from webhook.queue import publisher
started = time.monotonic()
for i in range(3):
    publisher.publish([i + 1])
queued = time.monotonic() - started
flushed = publisher.flush(timeout=30)
print(queued, flushed, time.monotonic() - started, publisher.stats()["given_up_batches"])
"""


@pytest.mark.parametrize(
    "url", ["amqp://guest:guest@127.0.0.1:{port}//", "redis://127.0.0.1:{port}/7"]
)
def test_a_broker_that_never_answers_costs_the_ack_nothing_and_each_publish_a_bounded_time(url):
    env = {
        "PATH": "/usr/bin:/bin",
        "WEBHOOK_ENV_FILE": "/nonexistent",
        "DJANGO_SETTINGS_MODULE": "django_project.settings",
        "PYTHONPATH": str(ROOT),
        "WEBHOOK_QUEUE_PUBLISH_TIMEOUT": "1",
        "WEBHOOK_LOG_LEVEL": "ERROR",
    }
    done = subprocess.run(
        [sys.executable, "-c", BLACKHOLE.format(url=url)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    queued, flushed, elapsed, given_up = done.stdout.split()
    assert float(queued) < 0.1  # what the request thread pays: nothing
    assert flushed == "True" and given_up == "3"
    assert float(elapsed) < 3 * 3  # each give-up within a few timeouts, never forever
