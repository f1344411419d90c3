"""Nothing twice: the database decides duplicates, even under concurrent deliveries.

These run on whatever database the suite runs on; CI runs the suite on SQLite and again on
PostgreSQL, where the races are real (row locks, one connection per thread).
"""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from webhook import ingest
from webhook.models import Message, WebhookEvent
from webhook.sample import sample_payload

pytestmark = pytest.mark.django_db(transaction=True)
DELIVERIES = 50


def _deliver_concurrently(bodies: list[bytes], token: str) -> list[ingest.IngestResponse]:
    barrier = threading.Barrier(len(bodies))

    def deliver(body: bytes) -> ingest.IngestResponse:
        try:
            barrier.wait(timeout=30)
            return ingest.receive(
                ingest.InboundRequest(
                    body=body, headers={"x-webhook-token": token}, remote_addr="127.0.0.1"
                )
            )
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(deliver, bodies))


def _status_update(message_id: str, status: str) -> bytes:
    return json.dumps(
        {
            "event": "webhookStatus",
            "instanceId": "test_instance",
            "messageId": message_id,
            "status": status,
            "moment": 1764400000,
            "chat": {"id": "5511999999999"},
        }
    ).encode()


@pytest.fixture
def memory_db_is_shared():
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        # Threads of an in-memory SQLite test database share one cache: still a real test of
        # the unique constraint, not of concurrent connections.
        return True
    return False


def test_fifty_concurrent_deliveries_store_one_message(sample_client, memory_db_is_shared):
    body = json.dumps(sample_payload(message_id="concorrente-1")).encode()
    responses = _deliver_concurrently([body] * DELIVERIES, sample_client.webhook_token)

    assert all(200 <= r.status < 300 for r in responses), [
        r.body for r in responses if r.status >= 300
    ]
    assert Message.objects.filter(external_id="concorrente-1").count() == 1
    statuses = list(WebhookEvent.objects.values_list("status", flat=True))
    assert len(statuses) == DELIVERIES
    assert statuses.count("processed") == 1
    assert statuses.count("duplicate") == DELIVERIES - 1
    message = Message.objects.get()
    assert message.chat.message_count == 1
    assert message.chat.stats.total == 1


def test_concurrent_identical_statuses_apply_once(make_client):
    client = make_client("test_instance")
    sent = sample_payload(message_id="nossa-1")
    sent["key"]["fromMe"] = True
    ingest.receive(
        ingest.InboundRequest(
            body=json.dumps(sent).encode(), headers={"x-webhook-token": client.webhook_token}
        )
    )
    bodies = [_status_update("nossa-1", "READ")] * 20 + [_status_update("nossa-1", "DELIVERY")] * 20
    _deliver_concurrently(bodies, client.webhook_token)

    message = Message.objects.get(external_id="nossa-1")
    assert message.status == "read"
    assert message.delivered_at is not None and message.read_at is not None
    statuses = list(
        WebhookEvent.objects.exclude(event_type="message").values_list("status", flat=True)
    )
    # Whichever order they ran in: the first READ and possibly the first DELIVERY (filling in
    # delivered_at) changed something; every other copy was a duplicate.
    assert 1 <= statuses.count("processed") <= 2
    assert statuses.count("duplicate") == len(bodies) - statuses.count("processed")
    from webhook.models import MessageStats

    stats = MessageStats.objects.get()
    assert (stats.delivered, stats.read) == (1, 1)
