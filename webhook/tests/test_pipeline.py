"""The raw event is committed before anything is applied; a failure leaves evidence, not halves."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.management import call_command
from django.db import connections

from webhook import applier, inbox, ingest
from webhook.models import Chat, ContactStats, Message, MessageStats, Sender, WebhookEvent
from webhook.sample import sample_payload
from webhook.services import stats
from webhook.writer import writer


def _receive(body: bytes, token: str) -> ingest.IngestResponse:
    return ingest.receive(ingest.InboundRequest(body=body, headers={"x-webhook-token": token}))


@pytest.mark.django_db
def test_crash_while_applying_leaves_the_event_failed_with_traceback_and_nothing_half_applied(
    sample_client, monkeypatch
):
    def explode(self):
        raise RuntimeError("disco cheio simulado")

    monkeypatch.setattr(stats.StatsAccumulator, "flush", explode)
    body = json.dumps(sample_payload(message_id="crash-1")).encode()
    response = _receive(body, sample_client.webhook_token)

    assert response.status == 200  # stored durably: the sender must not resend
    event = WebhookEvent.objects.get()
    assert event.status == "failed"
    assert "RuntimeError: disco cheio simulado" in event.error
    assert "Traceback" in event.traceback and "explode" in event.traceback
    assert event.body == body.decode()
    # the message insert happened before the crash and was rolled back with it
    for model in (Message, Chat, Sender, MessageStats, ContactStats):
        assert not model.objects.exists(), model

    monkeypatch.undo()
    call_command("webhook_reprocess", "--failed", verbosity=0)
    event.refresh_from_db()
    assert event.status == "processed"
    assert Message.objects.get().external_id == "crash-1"


@pytest.mark.django_db(transaction=True)
def test_background_mode_acks_once_committed_and_the_applier_applies(sample_client, settings):
    settings.WEBHOOK_APPLY_MODE = "background"
    bodies = [json.dumps(sample_payload(message_id=f"bg-{i}")).encode() for i in range(40)]

    def deliver(body: bytes) -> ingest.IngestResponse:
        try:
            return _receive(body, sample_client.webhook_token)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=8) as pool:  # many requests share the writer's commits
        responses = list(pool.map(deliver, bodies))
    writer.shutdown()  # closes its connection, so the test database can be dropped

    assert [r.status for r in responses] == [202] * 40
    assert {r.body["status"] for r in responses} == {"received"}
    deliveries = [r.body["delivery_id"] for r in responses]
    assert len(set(deliveries)) == 40
    # committed before the answer: in the inbox (SQLite) or as WebhookEvents (PostgreSQL)
    if (path := inbox.inbox_path()) is not None:
        assert inbox.paths() == [path]  # this process's own inbox
        assert {f["delivery_id"] for _, f in inbox.oldest(path, 100)} == set(deliveries)
        assert not WebhookEvent.objects.exists()
    else:
        assert WebhookEvent.objects.filter(delivery_id__in=deliveries).count() == 40
    assert not Message.objects.exists()  # nothing applied on the request path

    assert applier.run(once=True) == 40
    processed = WebhookEvent.objects.filter(delivery_id__in=deliveries, status="processed")
    assert processed.count() == 40
    assert inbox.pending_count() == 0
    assert Message.objects.count() == 40
    # applying again finds nothing to do
    assert applier.run(once=True) == 0


@pytest.mark.django_db
def test_applying_events_keeps_the_live_figures_fresh(
    sample_client, django_capture_on_commit_callbacks
):
    """The real-time figures (active and waiting chats, messages per minute) follow the applied
    events (throttled per client), not only ``webhook_rebuild_stats``."""
    from webhook.models import RealTimeStats

    stats._realtime_done.clear()
    body = json.dumps(sample_payload(message_id="live-figures-1")).encode()
    with django_capture_on_commit_callbacks(execute=True):
        assert _receive(body, sample_client.webhook_token).status == 200
    row = RealTimeStats.objects.get(client=sample_client)
    assert row.active_chats == 1 and row.waiting_chats == 1
