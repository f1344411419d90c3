"""The webhook_* management commands, through call_command against the real database."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from webhook import parsers, spool
from webhook.credentials import token_proof
from webhook.ingest import InboundRequest, receive
from webhook.models import Chat, ContactStats, Message, MessageStats, WebhookEvent
from webhook.sample import sample_payload
from webhook.services.replay import SKIPPED_REJECTED, chat_counters_rebuild, events_reprocess
from webhook.tests.helpers import all_fixtures, fixture_bytes

pytestmark = pytest.mark.django_db
EVOLUTION_KEY = "EVO-FAKE-APIKEY-0000"


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def stored_event(
    *,
    status: str,
    client=None,
    client_key: str = "test_instance",
    received_at: datetime | None = None,
    **payload_fields,
) -> WebhookEvent:
    """A delivery as ingest stores it, left in ``status`` (e.g. failed by an old parser bug)."""
    payload = sample_payload(instance_id=client_key, **payload_fields)
    return WebhookEvent.objects.create(
        delivery_id=uuid.uuid4().hex,
        received_at=received_at or timezone.now(),
        path="/webhook/",
        headers={"content-type": "application/json", "x-webhook-token": "***"},
        body=json.dumps(payload, ensure_ascii=False),
        family="baileys_sample",
        client=client,
        client_key=client_key,
        status=status,
        error="KeyError: 'msgContent'" if status == WebhookEvent.Status.FAILED else "",
    )


# --- webhook_reprocess -------------------------------------------------------------------


def test_reprocess_failed_replays_and_is_idempotent(sample_client):
    event = stored_event(status="failed", client=sample_client, message_id="replay_1", text="Oi")

    out, err = run("webhook_reprocess", "--failed")

    event.refresh_from_db()
    assert event.status == "processed"
    assert event.error == ""
    assert event.attempts == 1
    message = Message.objects.get(external_id="replay_1")
    assert (message.text, message.webhook_event_id, message.client_id) == (
        "Oi",
        event.pk,
        sample_client.pk,
    )
    assert "processado" in out and "1" in out
    assert "Reprocessando" in err  # the progress bar goes to stderr

    out, _err = run("webhook_reprocess", "--failed")  # nothing failed any more
    assert "Nenhum evento" in out
    run("webhook_reprocess", "--ids", str(event.pk))  # replay the processed one anyway
    assert Message.objects.filter(external_id="replay_1").count() == 1
    assert Chat.objects.get().message_count == 1
    assert MessageStats.objects.get().total == 1
    event.refresh_from_db()
    assert event.status == "duplicate"


def test_reprocess_ids_selects_only_those(sample_client):
    chosen = stored_event(status="failed", client=sample_client, message_id="chosen")
    other = stored_event(status="failed", client=sample_client, message_id="other")

    run("webhook_reprocess", "--ids", str(chosen.pk))

    assert list(Message.objects.values_list("external_id", flat=True)) == ["chosen"]
    other.refresh_from_db()
    assert other.status == "failed"


def test_reprocess_since_selects_recent_events(sample_client):
    old = stored_event(
        status="failed",
        client=sample_client,
        message_id="old",
        received_at=datetime(2024, 1, 1, tzinfo=UTC),
    )
    recent = stored_event(
        status="failed",
        client=sample_client,
        message_id="recent",
        received_at=datetime(2025, 6, 1, tzinfo=UTC),
    )

    run("webhook_reprocess", "--since", "2025-01-01T00:00:00-03:00")

    assert list(Message.objects.values_list("external_id", flat=True)) == ["recent"]
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.status, recent.status) == ("failed", "processed")


def test_reprocess_since_accepts_a_date_and_combines_with_status(sample_client):
    stored_event(
        status="failed",
        client=sample_client,
        message_id="f",
        received_at=datetime(2025, 6, 1, tzinfo=UTC),
    )
    stored_event(
        status="ignored",
        client=sample_client,
        message_id="i",
        received_at=datetime(2025, 6, 1, tzinfo=UTC),
    )

    run("webhook_reprocess", "--failed", "--since", "2025-05-31")

    assert list(Message.objects.values_list("external_id", flat=True)) == ["f"]


def test_reprocess_unassigned_once_the_client_exists_only_with_its_credential(make_client):
    """Deliveries that arrived before their client are applied to it only if they carried
    that client's token (a keyed hash of what was presented is kept, never the token)."""
    token = "late-token-" + uuid.uuid4().hex
    carried = stored_event(status="unassigned", client_key="late_instance", message_id="late")
    carried.credential_proofs = [token_proof(token)]
    carried.save(update_fields=["credential_proofs"])
    anonymous = stored_event(status="unassigned", client_key="late_instance", message_id="seed")

    client = make_client("late_instance", webhook_token=token)
    run("webhook_reprocess", "--unassigned")

    carried.refresh_from_db()
    anonymous.refresh_from_db()
    assert (carried.status, carried.client_id) == ("processed", client.pk)
    assert Message.objects.get(external_id="late").client == client
    assert (anonymous.status, anonymous.client_id) == ("unassigned", None)
    assert "operator releases it in the admin" in anonymous.error
    assert not Message.objects.filter(external_id="seed").exists()


def test_reprocess_never_replays_rejected_events(sample_client):
    rejected = stored_event(status="rejected", client=sample_client, message_id="forged")

    out, _err = run("webhook_reprocess", "--all")

    assert not Message.objects.exists()
    rejected.refresh_from_db()
    assert rejected.status == "rejected"
    assert "rejeitado, não reprocessado" in out


def test_replay_service_summary_and_progress(sample_client):
    stored_event(status="failed", client=sample_client, message_id="a")
    stored_event(status="rejected", client=sample_client, message_id="b")
    stored_event(status="failed", client=sample_client, message_id="a")  # same message again
    seen: list[int] = []

    summary = events_reprocess(queryset=WebhookEvent.objects.all(), progress=seen.append)

    assert summary == {"processed": 1, "duplicate": 1, SKIPPED_REJECTED: 1}
    assert seen == [3]  # progress is reported after each applied chunk


def test_reprocess_without_selector_is_an_error(sample_client):
    with pytest.raises(CommandError, match="--failed"):
        run("webhook_reprocess")


def test_reprocess_bad_since_is_an_error(sample_client):
    with pytest.raises(CommandError, match="--since inválido"):
        run("webhook_reprocess", "--since", "ontem")
    with pytest.raises(CommandError, match="--since inválido"):
        run("webhook_reprocess", "--since", "2025-13-45T99:00")


# --- webhook_rebuild_stats ---------------------------------------------------------------


def _mixed_workload(make_client):
    """Every Evolution fixture (messages in and out, statuses, edits, early updates) plus README
    samples in and out, in an order that is not the messages' time order."""
    evolution = make_client("loja-centro", webhook_token=EVOLUTION_KEY)
    sample = make_client("test_instance")
    for family, name in reversed(all_fixtures("evolution")):
        reply = receive(
            InboundRequest(body=fixture_bytes(family, name), headers={"apikey": EVOLUTION_KEY})
        )
        assert reply.status == 200, (name, reply.body)
        assert reply.body["status"] in ("processed", "ignored", "duplicate"), (name, reply.body)
    moments = [1_700_000_000, 1_700_000_300, 1_700_007_200, 1_700_000_100, 1_700_090_000]
    for number, moment in enumerate(moments):
        payload = sample_payload(message_id=f"s{number}", text=f"texto {number}")
        payload["messageTimestamp"] = str(moment)
        payload["key"]["fromMe"] = number % 2 == 1
        body = json.dumps(payload).encode()
        reply = receive(
            InboundRequest(body=body, headers={"x-webhook-token": sample.webhook_token})
        )
        assert (reply.status, reply.body["status"]) == (200, "processed"), reply.body
    return evolution, sample


def _stats_snapshot() -> tuple[list, list, list]:
    message_stats = list(MessageStats.objects.order_by("client_id", "period_start").values())
    contact_stats = list(ContactStats.objects.order_by("chat_id").values())
    chats = list(
        Chat.objects.order_by("pk").values(
            "pk", "message_count", "last_message_at", "last_message_from_me"
        )
    )
    for row in message_stats + contact_stats:
        row.pop("id")
    return message_stats, contact_stats, chats


def test_rebuild_stats_equals_running_counters(make_client):
    _mixed_workload(make_client)
    before = _stats_snapshot()
    assert len(before[0]) > 2 and len(before[1]) > 2 and Message.objects.count() > 20

    out, err = run("webhook_rebuild_stats")

    assert _stats_snapshot() == before
    assert "loja-centro" in out and "test_instance" in out
    assert "Recalculando" in err


def test_rebuild_stats_repairs_wrong_values_of_one_client(make_client):
    evolution, sample = _mixed_workload(make_client)
    before = _stats_snapshot()
    MessageStats.objects.filter(client=sample).update(total=999)
    ContactStats.objects.filter(client=sample).delete()
    Chat.objects.filter(client=sample).update(
        message_count=0, last_message_at=None, last_message_from_me=True
    )
    MessageStats.objects.filter(client=evolution).update(total=555)  # not rebuilt below

    run("webhook_rebuild_stats", "--client", "test_instance")

    assert MessageStats.objects.filter(client=evolution, total=555).exists()
    MessageStats.objects.filter(client=evolution).delete()
    message_stats, contact_stats, chats = _stats_snapshot()
    assert message_stats == [row for row in before[0] if row["client_id"] == sample.pk]
    assert contact_stats == before[1]
    assert chats == before[2]


def test_chat_counters_rebuild_reports_corrections(make_client):
    _evolution, sample = _mixed_workload(make_client)
    assert chat_counters_rebuild(client=sample) == 0
    Chat.objects.filter(client=sample).update(message_count=7)
    assert chat_counters_rebuild(client=sample) == 1
    assert Chat.objects.get(client=sample).message_count == 5


def test_rebuild_stats_unknown_client_is_an_error(db):
    with pytest.raises(CommandError, match="nao-existe"):
        run("webhook_rebuild_stats", "--client", "nao-existe")


# --- webhook_drain_spool -----------------------------------------------------------------


def _spooled_fields(client) -> dict:
    """What ingest._event_fields prepares before the database refuses the write."""
    payload = sample_payload(message_id="spooled_1", text="Durante a queda")
    return {
        "delivery_id": uuid.uuid4().hex,
        "received_at": timezone.now(),
        "path": "/webhook/",
        "source_ip": "203.0.113.7",
        "headers": {"content-type": "application/json", "x-webhook-token": "***"},
        "body": json.dumps(payload, ensure_ascii=False),
        "family": "baileys_sample",
        "event_type": "message",
        "client_id": client.pk,
        "client_key": client.instance_id,
        "status": WebhookEvent.Status.RECEIVED,
        "error": "",
        "parser_version": parsers.PARSER_VERSION,
    }


def test_drain_spool_moves_and_applies_once(sample_client):
    fields = _spooled_fields(sample_client)
    spool.append(fields)

    out, _err = run("webhook_drain_spool", "--check")
    assert out.strip() == "1"
    assert not WebhookEvent.objects.exists()

    out, _err = run("webhook_drain_spool")
    assert "1 entrega(s) movida(s)" in out
    event = WebhookEvent.objects.get(delivery_id=fields["delivery_id"])
    assert event.status == "processed"
    assert event.source_ip == "203.0.113.7"
    assert Message.objects.get(external_id="spooled_1").text == "Durante a queda"
    assert run("webhook_drain_spool", "--check")[0].strip() == "0"

    # A drain that stored the line but died before removing it: the line comes back.
    spool.append(fields)
    out, _err = run("webhook_drain_spool")
    assert "Nenhuma entrega" in out
    assert WebhookEvent.objects.count() == 1
    assert Message.objects.count() == 1
    assert spool.pending_count() == 0


def test_drain_spool_with_empty_spool(db):
    out, _err = run("webhook_drain_spool")
    assert "Nenhuma entrega no spool" in out
