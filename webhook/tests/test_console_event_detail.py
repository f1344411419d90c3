"""One event in the console (/painel/eventos/<pk>/): masked and escaped evidence, produced
messages, and its replay (POST with CSRF, permission, idempotent, tenant rules)."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client as HttpClient
from django.urls import reverse

from webhook import ingest
from webhook.models import Message, WebhookEvent
from webhook.sample import sample_payload
from webhook.services import stats
from webhook.tests.test_console_events import (
    event_url,
    many,
    other,
    replay_url,
    shop,
    staff,
    stored,
)

pytestmark = pytest.mark.django_db
__all__ = ["other", "shop", "staff"]  # fixtures shared with the list's tests
SECRET = "tok-SUPER-SECRET-1234567890"


def login(user: User, *, csrf: bool = False) -> HttpClient:
    http = HttpClient(enforce_csrf_checks=csrf)
    http.force_login(user)
    return http


@pytest.fixture
def admin(db) -> User:
    return User.objects.create_superuser("chefe", "chefe@example.com", "x")


def receive(client, text: str = "Olá") -> WebhookEvent:
    body = json.dumps(sample_payload(instance_id=client.instance_id, text=text)).encode()
    response = ingest.receive(
        ingest.InboundRequest(body=body, headers={"x-webhook-token": client.webhook_token})
    )
    assert response.status == 200
    return WebhookEvent.objects.latest("pk")


def csrf_post(http: HttpClient, event: WebhookEvent):
    page = http.get(event_url(event)).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    return http.post(replay_url(event), {"csrfmiddlewaretoken": token})


# --- what the page shows -------------------------------------------------------------------


def test_credentials_never_show_in_headers_body_path_or_error(admin_client, shop):
    shop.webhook_token = SECRET
    shop.save()
    body = {
        "instanceId": shop.instance_id,
        "apikey": "EVO-KEY-fake-abcdef123456",
        "data": {"token": "nested-fake-token-987654321", "text": "oi"},
        "webhookUrl": f"https://example.com/webhook/k/{SECRET}/?token=q-token-5555",
    }
    event = stored(
        shop,
        path=f"/webhook/k/{SECRET}/",
        headers={
            "authorization": "Bearer bearer-secret-42424242",
            "x-api-key": "xapikey-31313131",
            "x-hub-signature-256": "sha256=abcdef0123456789",
            "user-agent": "Evolution/2.1",
        },
        body=json.dumps(body),
        status="failed",
        error=f"ValueError: bad url /webhook/k/{SECRET}/ apikey=EVO-KEY-fake-abcdef123456",
    )
    html = admin_client.get(event_url(event)).content.decode()
    for secret in (
        SECRET,
        "EVO-KEY-fake-abcdef123456",
        "nested-fake-token-987654321",
        "q-token-5555",
        "bearer-secret-42424242",
        "xapikey-31313131",
        "abcdef0123456789",
    ):
        assert secret not in html, secret
    assert "Evolution/2.1" in html and "&quot;text&quot;: &quot;oi&quot;" in html
    assert "&quot;apikey&quot;: &quot;***&quot;" in html  # pretty-printed, masked
    assert "/webhook/k/***/" in html


def test_a_body_that_is_not_json_is_shown_as_masked_text(admin_client, shop):
    event = stored(shop, body="token=form-secret-777777&text=<b>oi</b>", status="ignored")
    html = admin_client.get(event_url(event)).content.decode()
    assert "form-secret-777777" not in html and "token=***" in html
    assert "&lt;b&gt;oi&lt;/b&gt;" in html and "Corpo (texto)" in html


def test_script_in_body_and_error_is_escaped(admin_client, shop):
    event = stored(
        shop,
        body=json.dumps({"text": "<script>alert(1)</script>"}),
        status="failed",
        error="<script>alert(2)</script>",
        traceback="Traceback ...\n<script>alert(3)</script>",
    )
    html = admin_client.get(event_url(event)).content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in html
    listing = admin_client.get(reverse("console:events")).content.decode()
    assert "<script>alert" not in listing and "&lt;script&gt;alert(2)" in listing


def test_produced_messages_link_to_their_conversation(admin_client, shop):
    event = receive(shop, text="Quero um orçamento <já>")
    message = Message.objects.get(webhook_event=event)
    html = admin_client.get(event_url(event)).content.decode()
    assert f'href="{reverse("console:chat", args=[message.chat_id])}"' in html
    assert "Quero um orçamento &lt;já&gt;" in html
    assert "1 mensagem gerada" in html and "texto" in html


@pytest.mark.parametrize("count", [10, 300])
def test_detail_query_count_is_fixed(admin_client, shop, count, django_assert_num_queries):
    event = receive(shop)
    message = Message.objects.get(webhook_event=event)
    for i in range(count - 1):
        message.pk, message.external_id = None, f"extra-{i}"
        message.save()
    many(shop, count)
    # session, user, event + client, messages shown, their count
    with django_assert_num_queries(5):
        response = admin_client.get(event_url(event))
    assert response.status_code == 200
    links = re.findall(r'href="/painel/conversas/\d+/"', response.content.decode())
    assert len(links) == min(count, 50)


# --- replay --------------------------------------------------------------------------------


def test_replay_needs_a_post_with_the_csrf_token(admin, shop):
    event = stored(shop, status="failed", error="KeyError: 'msgContent'")
    http = login(admin, csrf=True)
    assert http.get(replay_url(event)).status_code == 405
    assert http.post(replay_url(event)).status_code == 403  # no CSRF token
    event.refresh_from_db()
    assert (event.status, event.attempts) == ("failed", 0)

    response = csrf_post(http, event)
    assert response.status_code == 302 and response["Location"] == event_url(event)
    page = http.get(event_url(event)).content.decode()
    assert "Evento reprocessado: Processado." in page
    assert '<span class="badge big-badge processed" id="event-status">Processado</span>' in page


def test_replay_twice_creates_nothing_twice(admin_client, shop):
    event = stored(shop, status="failed", message_id="once-only")
    first = admin_client.post(replay_url(event), follow=True).content.decode()
    second = admin_client.post(replay_url(event), follow=True).content.decode()
    assert "Evento reprocessado: Processado." in first
    assert "Evento reprocessado: Duplicado." in second  # the message was there already
    assert Message.objects.filter(external_id="once-only").count() == 1
    event.refresh_from_db()
    assert (event.status, event.attempts) == ("duplicate", 2)


def test_a_failed_event_replayed_after_the_cause_is_fixed_is_processed(
    admin_client, shop, monkeypatch
):
    def explode(self):
        raise RuntimeError("disco cheio simulado")

    monkeypatch.setattr(stats.StatsAccumulator, "flush", explode)
    event = receive(shop, text="depois do conserto")
    event.refresh_from_db()
    assert event.status == "failed" and not Message.objects.exists()
    page = admin_client.get(event_url(event)).content.decode()
    assert "RuntimeError: disco cheio simulado" in page and "Traceback" in page

    monkeypatch.undo()  # the cause is fixed
    response = admin_client.post(replay_url(event), follow=True)
    assert "Evento reprocessado: Processado." in response.content.decode()
    event.refresh_from_db()
    assert (event.status, event.error) == ("processed", "")
    assert Message.objects.get(webhook_event=event).text == "depois do conserto"


def test_a_replay_that_fails_again_says_so(admin_client, shop, monkeypatch):
    event = stored(shop, status="failed")
    monkeypatch.setattr(stats.StatsAccumulator, "flush", lambda self: 1 / 0)
    response = admin_client.post(replay_url(event), follow=True)
    assert "Evento reprocessado: Falhou (ZeroDivisionError" in response.content.decode()


def test_staff_without_the_permission_sees_no_button_and_gets_403(shop, staff):
    event = stored(shop, status="failed")
    http = login(staff)
    page = http.get(event_url(event)).content.decode()
    assert "Reprocessar" not in page and "não reprocessá-lo" in page
    response = http.post(replay_url(event))
    assert response.status_code == 403
    assert "Você não tem permissão para reprocessar eventos." in response.content.decode()

    staff.user_permissions.add(Permission.objects.get(codename="change_webhookevent"))
    http = login(User.objects.get(pk=staff.pk))
    assert "Reprocessar</button>" in http.get(event_url(event)).content.decode()
    assert http.post(replay_url(event)).status_code == 302


def test_staff_cannot_replay_another_clients_event(shop, other, staff):
    staff.user_permissions.add(Permission.objects.get(codename="change_webhookevent"))
    event = stored(other, status="failed")
    assert login(staff).post(replay_url(event)).status_code == 404
    event.refresh_from_db()
    assert event.attempts == 0


def test_unassigned_events_point_to_the_admin_release_instead(admin_client):
    event = stored(
        None,
        status="unassigned",
        client_key="later_instance",
        error="received before client 'later_instance' existed",
    )
    page = admin_client.get(event_url(event)).content.decode()
    assert "Reprocessar</button>" not in page
    assert f"/admin/webhook/webhookevent/?id__exact={event.pk}" in page
    assert "Liberar entregas sem cliente" in page
    assert "received before client &#x27;later_instance&#x27; existed" in page
    response = admin_client.post(replay_url(event))
    assert response.status_code == 409
    event.refresh_from_db()
    assert (event.status, event.attempts, event.approved_at) == ("unassigned", 0, None)


def test_rejected_events_are_never_replayed(admin_client):
    event = stored(None, status="rejected", client_key="intruder")
    assert "Reprocessar</button>" not in admin_client.get(event_url(event)).content.decode()
    assert admin_client.post(replay_url(event)).status_code == 409
    event.refresh_from_db()
    assert (event.status, event.attempts) == ("rejected", 0)
