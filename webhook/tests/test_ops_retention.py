"""Retention (webhook.retention, ``manage.py webhook_prune``, the beat task): raw bodies of old
settled events are blanked in batches; protected states and every normalised row stay; a
pruned event is not replayed."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from webhook.models import Chat, Message, WebhookEvent
from webhook.retention import raw_bodies_prune
from webhook.sample import sample_payload
from webhook.services.replay import SKIPPED_NO_BODY, events_reprocess, summary_rows

Status = WebhookEvent.Status
HEADERS = {"content-type": "application/json", "user-agent": "gateway/1.0"}


@pytest.fixture
def events(db):
    """One event of every status received 100 days ago, and the same 10 days ago."""
    now = timezone.now()
    made = {}
    for age in (100, 10):
        for status in Status.values:
            made[status, age] = WebhookEvent.objects.create(
                delivery_id=f"{status}-{age}",
                received_at=now - timedelta(days=age),
                status=status,
                body=json.dumps({"status": status, "age": age}),
                headers=HEADERS,
                family="evolution",
            )
    return made


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("webhook_prune", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_prune_blanks_only_old_settled_events(events):
    output = run("--raw-older-than", "90d")
    for (status, age), event in events.items():
        event.refresh_from_db()
        pruned = age == 100 and status in ("processed", "duplicate", "ignored")
        assert (event.body == "") is pruned, (status, age)
        assert (event.headers == {}) is pruned, (status, age)
        assert event.status == status  # the row and its status stay
    assert WebhookEvent.objects.count() == len(events)
    assert "Corpos brutos apagados: 3 eventos recebidos antes de " in output
    assert "processado" in output and "duplicado" in output and "ignorado" in output
    assert "não foram tocados" in output


@pytest.mark.parametrize("status", ["failed", "unassigned", "rejected", "received"])
def test_protected_states_are_never_blanked_however_old(events, status):
    run("--raw-older-than", "1h")
    for age in (100, 10):
        event = events[status, age]
        event.refresh_from_db()
        assert event.body and event.headers == HEADERS


def test_dry_run_changes_nothing(events):
    output = run("--raw-older-than", "90d", "--dry-run")
    assert "Simulação: 3 eventos recebidos antes de " in output and "Nada foi alterado" in output
    assert not WebhookEvent.objects.filter(body="").exists()


def test_work_goes_in_batches_and_a_second_run_finds_nothing(events):
    cutoff = timezone.now() - timedelta(days=5)
    summary = raw_bodies_prune(older_than=cutoff, batch_size=2)
    assert summary.events == 6 and summary.batches == 3
    assert summary.by_status == {"processed": 2, "duplicate": 2, "ignored": 2}
    assert summary.characters == sum(
        len(e.body) for (s, _), e in events.items() if s in ("processed", "duplicate", "ignored")
    )
    assert raw_bodies_prune(older_than=cutoff).events == 0
    assert "Nada a apagar" in run("--raw-older-than", "5d")


def test_normalised_rows_stay_and_a_pruned_event_is_not_replayed(post, sample_client, auth_headers):
    payload = sample_payload(instance_id=sample_client.instance_id, text="guardar a mensagem")
    reply = post(payload, auth_headers)
    assert reply.status == 200
    event = WebhookEvent.objects.get(pk=reply.body["event_id"])
    WebhookEvent.objects.filter(pk=event.pk).update(
        received_at=timezone.now() - timedelta(days=120)
    )
    message = Message.objects.get(webhook_event=event)
    run("--raw-older-than", "90d")
    event.refresh_from_db()
    assert event.body == "" and event.status == Status.PROCESSED
    assert Message.objects.filter(pk=message.pk, text="guardar a mensagem").exists()
    assert Chat.objects.filter(pk=message.chat_id).exists()

    summary = events_reprocess(queryset=WebhookEvent.objects.filter(pk=event.pk))
    assert summary == {SKIPPED_NO_BODY: 1}
    assert summary_rows(summary) == [
        ("sem corpo bruto (apagado pela retenção), não reprocessado", 1)
    ]
    event.refresh_from_db()
    assert event.status == Status.PROCESSED and event.error == ""  # not turned into a failure
    out = io.StringIO()
    call_command("webhook_reprocess", "--ids", str(event.pk), stdout=out, stderr=io.StringIO())
    assert "sem corpo bruto (apagado pela retenção), não reprocessado" in out.getvalue()


@pytest.mark.parametrize("age", ["90x", "0d", "-3d", "d", "noventa"])
def test_a_bad_age_is_a_clear_error(db, age):
    with pytest.raises(CommandError, match="Idade inválida"):
        run(f"--raw-older-than={age}")


def test_default_age_comes_from_the_setting(events, settings):
    settings.WEBHOOK_RETENTION_RAW_DAYS = 50
    assert "3 eventos" in run()
    settings.WEBHOOK_RETENTION_RAW_DAYS = 0
    with pytest.raises(CommandError, match="retenção está desligada"):
        run()


def test_the_beat_task_prunes_by_the_setting(events, settings):
    from webhook.tasks import prune_raw_bodies

    assert prune_raw_bodies.name == "webhook.tasks.prune_raw_bodies"
    settings.WEBHOOK_RETENTION_RAW_DAYS = 90
    result = prune_raw_bodies.apply().get()
    assert result["events"] == 3 and result["dry_run"] is False
    assert WebhookEvent.objects.filter(body="").count() == 3
    settings.WEBHOOK_RETENTION_RAW_DAYS = 0
    assert prune_raw_bodies.apply().get() == {"events": 0, "retention": "off"}
