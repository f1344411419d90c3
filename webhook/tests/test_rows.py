"""The lean row writers store exactly what the ORM would, on either database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.forms.models import model_to_dict

from webhook.models import Chat, WebhookEvent
from webhook.services.rows import insert_ignoring_conflicts, insert_returning_keys, update_rows

pytestmark = pytest.mark.django_db

# Columns the database fills or the ORM sets at save time: compared separately.
VOLATILE = {"id"}


def _event(client, **extra) -> WebhookEvent:
    fields = {
        "delivery_id": uuid.uuid4().hex,
        "received_at": datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=UTC),
        "path": "/webhook/",
        "source_ip": "203.0.113.9",
        "headers": {"content-type": "application/json", "x-webhook-token": "***", "n": [1, 2.5]},
        "body": '{"ok": "olá 😊"}',
        "family": "evolution",
        "event_type": "messages.upsert",
        "client_id": client.pk,
        "client_key": client.instance_id,
        "status": WebhookEvent.Status.RECEIVED,
        "error": "",
        "parser_version": "1",
    }
    fields.update(extra)
    return WebhookEvent(**fields)


def _stored(delivery_ids: list[str]) -> dict[str, dict]:
    return {
        e.delivery_id: {k: v for k, v in model_to_dict(e).items() if k not in VOLATILE}
        for e in WebhookEvent.objects.filter(delivery_id__in=delivery_ids)
    }


def test_insert_returning_keys_stores_what_bulk_create_stores_and_sets_the_keys(sample_client):
    ours = [_event(sample_client, processing_ms=1.5), _event(sample_client, source_ip=None)]
    reference = [_event(sample_client, processing_ms=1.5), _event(sample_client, source_ip=None)]
    insert_returning_keys(WebhookEvent, ours)
    WebhookEvent.objects.bulk_create(reference)

    by_delivery = {e.delivery_id: e.pk for e in WebhookEvent.objects.all()}
    assert [e.pk for e in ours] == [by_delivery[e.delivery_id] for e in ours]
    assert all(not e._state.adding for e in ours)
    mine = _stored([e.delivery_id for e in ours])
    theirs = _stored([e.delivery_id for e in reference])
    for a, b in zip(ours, reference, strict=True):
        assert mine[a.delivery_id] | {"delivery_id": ""} == theirs[b.delivery_id] | {
            "delivery_id": ""
        }
    assert mine[ours[0].delivery_id]["received_at"] == ours[0].received_at
    assert mine[ours[0].delivery_id]["headers"]["n"] == [1, 2.5]


def test_insert_ignoring_conflicts_skips_existing_keys_and_keeps_the_first(sample_client):
    first = _event(sample_client, body="first")
    insert_ignoring_conflicts(WebhookEvent, [first])
    again = _event(sample_client, delivery_id=first.delivery_id, body="second")
    other = _event(sample_client)
    insert_ignoring_conflicts(WebhookEvent, [again, other])
    assert WebhookEvent.objects.get(delivery_id=first.delivery_id).body == "first"
    assert WebhookEvent.objects.filter(delivery_id=other.delivery_id).exists()


def test_auto_now_add_columns_get_one_now_per_statement(sample_client):
    before = datetime.now(UTC)
    chats = [Chat(client_id=sample_client.pk, chat_id=f"55119{i}@s.whatsapp.net") for i in range(3)]
    insert_ignoring_conflicts(Chat, chats)
    stored = list(Chat.objects.filter(client=sample_client).values_list("created_at", flat=True))
    assert len(stored) == 3 and len(set(stored)) == 1
    assert before - timedelta(seconds=1) <= stored[0] <= datetime.now(UTC) + timedelta(seconds=1)
    assert chats[0].created_at == stored[0]  # set on the objects too, as save() would


def test_update_rows_writes_only_the_named_columns(sample_client):
    chat = Chat.objects.create(client=sample_client, chat_id="5511900000001@s.whatsapp.net")
    moment = datetime(2026, 5, 4, 3, 2, 1, tzinfo=UTC)
    chat.message_count, chat.last_message_at, chat.name = 7, moment, "not written"
    update_rows(Chat, [chat], ["message_count", "last_message_at"])
    chat.refresh_from_db()
    assert (chat.message_count, chat.last_message_at, chat.name) == (7, moment, "")
