"""SQLite's inbox: acks commit to a file of their own; the applier moves them in, once."""

from __future__ import annotations

import json

import pytest
from django.db import OperationalError, connection, connections
from django.utils import timezone

from webhook import applier, inbox, ingest
from webhook.models import Message, WebhookEvent
from webhook.processor import WhatsAppWebhookProcessor
from webhook.sample import sample_payload
from webhook.writer import writer

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _sqlite_only():
    if connection.vendor != "sqlite":
        pytest.skip("the inbox is SQLite's; PostgreSQL takes the acks' writes directly")


@pytest.fixture
def acked(sample_client, settings):
    """Five deliveries acknowledged in background mode (so: sitting in the inbox)."""
    settings.WEBHOOK_APPLY_MODE = "background"
    responses = []
    for i in range(5):
        body = json.dumps(sample_payload(message_id=f"inbox-{i}")).encode()
        responses.append(
            ingest.receive(
                ingest.InboundRequest(
                    body=body, headers={"x-webhook-token": sample_client.webhook_token}
                )
            )
        )
    writer.shutdown()
    assert [r.status for r in responses] == [202] * 5
    assert inbox.pending_count() == 5
    yield [r.body["delivery_id"] for r in responses]
    connections.close_all()


def test_a_crash_between_the_two_commits_stores_and_applies_once(acked, monkeypatch):
    """The WebhookEvents and their messages are committed, then the process dies before the
    inbox rows are deleted: the next round finds the delivery ids taken and only deletes."""
    real_remove = inbox.remove

    def die(path, ids):
        raise OSError("killed before the inbox was cleaned")

    monkeypatch.setattr(inbox, "remove", die)
    with pytest.raises(OSError):
        applier.apply_pending()
    assert WebhookEvent.objects.filter(delivery_id__in=acked, status="processed").count() == 5
    assert inbox.pending_count() == 5

    monkeypatch.setattr(inbox, "remove", real_remove)
    assert applier.run(once=True) == 0  # nothing new to apply
    assert inbox.pending_count() == 0
    assert WebhookEvent.objects.filter(delivery_id__in=acked).count() == 5
    assert Message.objects.filter(external_id__startswith="inbox-").count() == 5


def test_a_database_error_while_applying_keeps_them_in_the_inbox(acked, monkeypatch):
    calls = {"n": 0}
    real = WhatsAppWebhookProcessor.process_batch

    def flaky(self, batch):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OperationalError("disk I/O error (simulated)")
        return real(self, batch)

    monkeypatch.setattr(WhatsAppWebhookProcessor, "process_batch", flaky)
    with pytest.raises(OperationalError):
        applier.apply_pending()
    assert not WebhookEvent.objects.exists()  # rolled back with the failed apply
    assert inbox.pending_count() == 5  # still safe in the inbox

    assert applier.run(once=True) == 5
    assert WebhookEvent.objects.filter(delivery_id__in=acked, status="processed").count() == 5
    assert inbox.pending_count() == 0


def test_moved_in_the_order_they_were_acknowledged(acked):
    applier.run(once=True)
    moved = list(WebhookEvent.objects.order_by("pk").values_list("delivery_id", flat=True))
    assert moved == acked


def test_an_unwritable_inbox_is_an_unavailable_database(sample_client, settings, tmp_path):
    """The writer's caller spools on OperationalError; the inbox raises exactly that."""
    with pytest.raises(OperationalError):
        inbox.append(str(tmp_path / "missing-folder" / "inbox"), [{"delivery_id": "x"}])


def test_several_receivers_inboxes_move_oldest_first_and_abandoned_ones_go(acked):
    """Each receiver process has its own inbox; the applier merges them by time of receipt and
    deletes the empty inbox of a process that is gone (a restarted worker)."""
    own = inbox.inbox_path()
    row_id, fields = inbox.oldest(own, 1)[0]
    inbox.remove(own, [row_id])
    gone = f"{own.rsplit('.', 1)[0]}.999999"  # no such process
    earlier = dict(fields, received_at="2020-01-01T00:00:00+00:00")
    inbox.append(gone, [earlier])
    assert sorted(inbox.paths()) == sorted([own, gone])

    assert applier.run(once=True) == 5
    first = WebhookEvent.objects.order_by("pk").first()
    assert first.delivery_id == fields["delivery_id"]  # the oldest receipt went in first
    assert inbox.paths() == [own]  # the abandoned, now empty inbox was removed
    assert inbox.pending_count() == 0


def test_empty_inboxes_of_gone_processes_are_cleaned_up_while_idle(sample_client, monkeypatch):
    """A worker that died after its last delivery was moved leaves an empty inbox behind; the
    applier's periodic housekeeping deletes it (and never the inbox of a live process)."""
    own = inbox.inbox_path()
    gone = f"{own.rsplit('.', 1)[0]}.999999"
    inbox.append(own, [{"delivery_id": "placeholder"}])
    inbox.remove(own, [row_id for row_id, _ in inbox.oldest(own, 10)])
    inbox.append(gone, [{"delivery_id": "moved-long-ago"}])
    inbox.remove(gone, [row_id for row_id, _ in inbox.oldest(gone, 10)])
    assert sorted(inbox.paths()) == sorted([own, gone])

    applier._drain_spool_now_and_then(0.0)
    assert inbox.paths() == [own]
    assert inbox.pending_count() == 0


def test_events_waiting_in_the_table_are_applied_beside_the_inbox_rows(acked, sample_client):
    """An event stored straight into the table (a spool drain that crashed before applying,
    say) does not wait for the inboxes to run dry: one round takes both, each once."""
    body = json.dumps(sample_payload(message_id="from-the-table"))
    waiting = WebhookEvent.objects.create(
        delivery_id="table-1",
        received_at=timezone.now(),
        body=body,
        family="baileys_sample",
        client=sample_client,
        status=WebhookEvent.Status.RECEIVED,
    )
    assert applier.apply_pending() == 6
    waiting.refresh_from_db()
    assert waiting.status == WebhookEvent.Status.PROCESSED
    assert WebhookEvent.objects.filter(delivery_id__in=acked, status="processed").count() == 5
    assert Message.objects.filter(external_id="from-the-table").count() == 1
    assert inbox.pending_count() == 0
