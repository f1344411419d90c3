"""Several workers applying the same clients' events at once leave exactly the rows that one
applier leaves (statistics included, equal to ``webhook_rebuild_stats``).

PostgreSQL only (SQLite has one writer: nothing runs concurrently there); CI runs this file in
its PostgreSQL pass. The stored events are applied twice: once by one applier in id order
followed by a statistics rebuild, once as a shuffled set of ``apply_events`` task bodies of
random sizes (some published twice, as the sweeper does; some topped up with other waiting
events, as ``apply_events`` does) from several threads, each with its
own database connection. Every table is compared.
"""

from __future__ import annotations

import json
import queue
import random
import threading

import pytest
from django.db import connection, connections

from webhook import applier, ingest
from webhook.models import (
    Chat,
    ContactStats,
    MediaFile,
    Message,
    MessageStats,
    PendingUpdate,
    RealTimeStats,
    Sender,
    UnrecognisedItem,
    WebhookEvent,
)
from webhook.queue import tasks
from webhook.tests import queue_support
from webhook.writer import writer

pytestmark = pytest.mark.django_db(transaction=True)
DELIVERIES = 1200
THREADS = 4


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgresql://...): SQLite has one writer")


def _store(deliveries, tokens, settings) -> list[int]:
    settings.WEBHOOK_APPLY_MODE = "background"  # stored as 'received' by the group commit
    try:
        for payload in deliveries:
            response = ingest.receive(
                ingest.InboundRequest(
                    body=json.dumps(payload).encode(),
                    headers={"x-webhook-token": tokens[payload["instanceId"]]},
                    remote_addr="127.0.0.1",
                )
            )
            assert response.status == 202, response.body
    finally:
        writer.shutdown()
    return list(WebhookEvent.objects.order_by("pk").values_list("pk", flat=True))


def _reset() -> None:
    """Back to 'every event received, nothing applied'."""
    for model in (
        MediaFile,
        PendingUpdate,
        Message,
        ContactStats,
        Chat,
        Sender,
        MessageStats,
        RealTimeStats,
        UnrecognisedItem,
    ):
        model.objects.all().delete()
    WebhookEvent.objects.update(
        status=WebhookEvent.Status.RECEIVED, error="", traceback="", processed_at=None, attempts=0
    )


def _apply_concurrently(ids: list[int], seed: int) -> list[BaseException]:
    rng = random.Random(seed)
    shuffled = ids[:]
    rng.shuffle(shuffled)
    chunks, start = [], 0
    while start < len(shuffled):
        size = rng.randint(1, 48)
        chunks.append(shuffled[start : start + size])
        start += size
    chunks += rng.sample(chunks, len(chunks) // 10)  # re-published: applied once all the same
    rng.shuffle(chunks)
    work: queue.SimpleQueue[tuple[list[int], bool]] = queue.SimpleQueue()
    for chunk in chunks:  # a third top their chunk up with other waiting events, as tasks do
        work.put((chunk, rng.random() < 0.33))
    errors: list[BaseException] = []
    barrier = threading.Barrier(THREADS)

    def worker() -> None:
        barrier.wait(timeout=30)
        try:
            while True:
                try:
                    chunk, fill = work.get_nowait()
                except queue.Empty:
                    return
                tasks.apply_ids(chunk, fill=fill)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return errors


def test_concurrent_workers_leave_what_one_sequential_apply_and_a_rebuild_leave(
    make_client, settings
):
    clients = [make_client("test_instance"), make_client("outra_instancia")]
    tokens = {c.instance_id: c.webhook_token for c in clients}
    deliveries = queue_support.workload(DELIVERIES, instances=tuple(tokens), chats=12)
    ids = _store(deliveries, tokens, settings)
    assert len(ids) == DELIVERIES

    assert applier.run(once=True) == DELIVERIES  # one applier, in id order
    queue_support.rebuild_all()
    sequential = queue_support.snapshot()
    assert len(sequential["messages"]) == queue_support.distinct_messages(deliveries)
    assert sequential["event_statuses"].get("failed") is None, sequential["event_statuses"]

    _reset()
    assert _apply_concurrently(ids, seed=11) == []
    assert not WebhookEvent.objects.filter(status=WebhookEvent.Status.RECEIVED).exists()
    concurrent = queue_support.snapshot()
    for table in sequential:
        assert concurrent[table] == sequential[table], table
    live_statistics = queue_support.statistics()
    queue_support.rebuild_all()
    assert queue_support.statistics() == live_statistics
