"""The admin, rendered for a logged-in superuser (pytest-django's ``admin_client``)."""

from __future__ import annotations

import json
import uuid

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse
from django.utils import timezone

from webhook.ingest import InboundRequest, receive
from webhook.models import (
    Chat,
    Client,
    ContactStats,
    Message,
    MessageStats,
    PendingUpdate,
    RealTimeStats,
    Sender,
    WebhookEvent,
)
from webhook.sample import sample_payload
from webhook.tests.helpers import all_fixtures, fixture_bytes

pytestmark = pytest.mark.django_db
EVOLUTION_KEY = "EVO-FAKE-APIKEY-0000"
SCRIPT = "<script>alert(1)</script>"
MODELS = [
    Client,
    WebhookEvent,
    Chat,
    Sender,
    Message,
    PendingUpdate,
    MessageStats,
    ContactStats,
    RealTimeStats,
]


def _url(model, view: str, *args) -> str:
    return reverse(f"admin:webhook_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def workload(make_client) -> Client:
    """Every Evolution fixture received for real: rows in every table."""
    client = make_client("loja-centro", name="Loja Centro", webhook_token=EVOLUTION_KEY)
    for family, name in all_fixtures("evolution"):
        reply = receive(
            InboundRequest(body=fixture_bytes(family, name), headers={"apikey": EVOLUTION_KEY})
        )
        assert reply.body["status"] in ("processed", "ignored", "duplicate"), (name, reply.body)
    for model in MODELS:
        assert model.objects.exists(), model
    return client


def _failed_event(client: Client, message_id: str = "admin_replay") -> WebhookEvent:
    """A valid README sample stored as an old parser bug left it: failed."""
    return WebhookEvent.objects.create(
        delivery_id=uuid.uuid4().hex,
        received_at=timezone.now(),
        path="/webhook/",
        body=json.dumps(sample_payload(message_id=message_id, text="Replay pelo admin")),
        family="baileys_sample",
        client=client,
        client_key=client.instance_id,
        status=WebhookEvent.Status.FAILED,
        error="KeyError: 'msgContent'",
    )


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_changelist_and_change_page_render(admin_client, workload, model):
    changelist = admin_client.get(_url(model, "changelist"))
    assert changelist.status_code == 200
    obj = model.objects.order_by("pk").first()
    page = admin_client.get(_url(model, "change", obj.pk))
    assert page.status_code == 200
    html = page.content.decode()
    assert str(model._meta.verbose_name) in html.lower()
    # the row itself is listed and shown (str() is escaped like any text)
    assert f"/{obj.pk}/change/" in changelist.content.decode()
    assert "errornote" not in html


def test_changelists_show_the_data(admin_client, workload):
    message = Message.objects.get(external_id="3EB0C7D2A91F4E6B8D21")
    html = admin_client.get(_url(Message, "changelist")).content.decode()
    assert "Olá! Quero saber o preço" in html
    assert "Maria Souza" in html
    html = admin_client.get(
        _url(Message, "changelist"), {"q": message.external_id}
    ).content.decode()
    assert html.count("/change/") >= 1 and "Olá! Quero saber o preço" in html
    html = admin_client.get(_url(Message, "changelist"), {"type__exact": "image"}).content.decode()
    assert "Olá! Quero saber o preço" not in html
    html = admin_client.get(
        _url(WebhookEvent, "changelist"), {"status__exact": "ignored"}
    ).content.decode()
    assert "groups.upsert" in html and "messages.upsert" not in html
    html = admin_client.get(_url(Chat, "changelist")).content.decode()
    assert "5511987654321@s.whatsapp.net" in html


def test_event_page_escapes_raw_body_and_headers(admin_client, sample_client):
    payload = sample_payload(message_id="xss_1")
    payload["pushName"] = SCRIPT
    body = json.dumps(payload, ensure_ascii=False).encode()
    headers = {"x-webhook-token": sample_client.webhook_token, "user-agent": SCRIPT}
    reply = receive(InboundRequest(body=body, headers=headers))
    assert reply.body["status"] == "processed"

    html = admin_client.get(_url(WebhookEvent, "change", reply.body["event_id"])).content.decode()

    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert SCRIPT not in html
    assert "&quot;pushName&quot;: &quot;&lt;script&gt;" in html  # pretty-printed: "key": value
    assert '"pushName"' not in html  # (only ever escaped)
    assert sample_client.webhook_token not in html  # stored masked
    message = Message.objects.get(external_id="xss_1")
    for page in (_url(Message, "change", message.pk), _url(Sender, "changelist")):
        html = admin_client.get(page).content.decode()
        assert "&lt;script&gt;" in html and SCRIPT not in html


def test_event_page_shows_non_json_body_as_text(admin_client, sample_client):
    event = WebhookEvent.objects.create(
        delivery_id=uuid.uuid4().hex,
        received_at=timezone.now(),
        body='{"broken": <b>',
        status=WebhookEvent.Status.REJECTED,
        client=sample_client,
    )
    html = admin_client.get(_url(WebhookEvent, "change", event.pk)).content.decode()
    assert "{&quot;broken&quot;: &lt;b&gt;</pre>" in html


def test_reprocess_action_applies_a_failed_event_once(admin_client, sample_client):
    event = _failed_event(sample_client)
    data = {"action": "reprocess", "_selected_action": [event.pk]}

    response = admin_client.post(_url(WebhookEvent, "changelist"), data, follow=True)

    assert response.status_code == 200
    html = response.content.decode()
    assert "1 evento(s) reprocessado(s)" in html and "processado: 1" in html
    event.refresh_from_db()
    assert (event.status, event.error) == ("processed", "")
    message = Message.objects.get(external_id="admin_replay")
    assert (message.text, message.webhook_event_id) == ("Replay pelo admin", event.pk)

    response = admin_client.post(_url(WebhookEvent, "changelist"), data, follow=True)
    assert "duplicado: 1" in response.content.decode()
    assert Message.objects.filter(external_id="admin_replay").count() == 1
    assert Chat.objects.get().message_count == 1


def test_reprocess_action_skips_rejected_events(admin_client, sample_client):
    event = _failed_event(sample_client)
    WebhookEvent.objects.filter(pk=event.pk).update(status=WebhookEvent.Status.REJECTED)
    data = {"action": "reprocess", "_selected_action": [event.pk]}

    html = admin_client.post(_url(WebhookEvent, "changelist"), data, follow=True).content.decode()

    assert "rejeitado, não reprocessado" in html
    assert not Message.objects.exists()


def test_read_only_models_cannot_be_added_or_changed(admin_client, workload):
    for model in (WebhookEvent, PendingUpdate, MessageStats, ContactStats, RealTimeStats):
        assert admin_client.get(_url(model, "add")).status_code == 403
        obj = model.objects.first()
        html = admin_client.get(_url(model, "change", obj.pk)).content.decode()
        assert 'name="_save"' not in html


def test_only_superusers_delete_events(client, workload):
    staff = User.objects.create_user("equipe", password="x", is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label="webhook"))
    client.force_login(staff)
    event = WebhookEvent.objects.exclude(client=None).first()
    event.client.members.add(staff)  # staff users see the clients they are members of
    assert client.get(_url(WebhookEvent, "delete", event.pk)).status_code == 403
    assert client.get(_url(WebhookEvent, "change", event.pk)).status_code == 200


def test_client_token_is_masked_in_list_and_can_be_regenerated(admin_client, sample_client):
    old = sample_client.webhook_token
    html = admin_client.get(_url(Client, "changelist")).content.decode()
    assert old[:4] + "…" in html and old not in html
    html = admin_client.get(_url(Client, "change", sample_client.pk)).content.decode()
    assert f'value="{old}"' in html  # editable in the form

    data = {"action": "regenerate_token", "_selected_action": [sample_client.pk]}
    html = admin_client.post(_url(Client, "changelist"), data, follow=True).content.decode()

    assert "Novo token gerado para 1 cliente(s)" in html
    sample_client.refresh_from_db()
    assert sample_client.webhook_token != old and len(sample_client.webhook_token) >= 40
    body = json.dumps(sample_payload(message_id="after_rotation")).encode()
    refused = receive(InboundRequest(body=body, headers={"x-webhook-token": old}))
    accepted = receive(
        InboundRequest(body=body, headers={"x-webhook-token": sample_client.webhook_token})
    )
    assert (refused.status, accepted.status) == (401, 200)
