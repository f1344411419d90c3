"""The README's curl sample, end to end through both servers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from webhook.models import Chat, Message, Sender, WebhookEvent
from webhook.tests.helpers import fixture_bytes

pytestmark = pytest.mark.django_db


def test_readme_sample_is_stored_as_a_message(post, auth_headers):
    reply = post(fixture_bytes("baileys_sample", "readme_sample"), auth_headers)
    assert reply.status == 200, reply.body
    assert reply.body["status"] == "processed"
    message = Message.objects.get(external_id="test_message_123")
    assert message.text == "Mensagem de teste"
    assert message.type == "text"
    assert message.from_me is False
    assert message.timestamp == datetime(2022, 1, 1, tzinfo=UTC)
    assert message.chat.chat_id == "5511999999999@s.whatsapp.net"
    assert message.sender.name == "Usuário Teste"
    assert message.client.instance_id == "test_instance"
    event = WebhookEvent.objects.get(pk=reply.body["event_id"])
    assert event.family == "baileys_sample"
    assert event.status == "processed"
    assert event.body.startswith("{")


def test_posting_twice_stores_one_message(post, auth_headers):
    body = fixture_bytes("baileys_sample", "readme_sample")
    first, second = post(body, auth_headers), post(body, auth_headers)
    assert (first.body["status"], second.body["status"]) == ("processed", "duplicate")
    assert Message.objects.count() == 1
    assert Chat.objects.count() == 1
    assert Sender.objects.count() == 1
    assert WebhookEvent.objects.count() == 2


def test_malformed_body_gets_400_json(post, auth_headers):
    reply = post(b'{"instanceId": "test_instance", ', auth_headers)
    assert reply.status == 400
    assert reply.body["error"] == "invalid_payload"
    assert "invalid JSON" in reply.body["detail"]
    assert Message.objects.count() == 0
    assert WebhookEvent.objects.get().status == "rejected"


def test_sample_appears_in_read_api(post, auth_headers, settings, client):
    settings.WEBHOOK_API_TOKEN = "t" * 40
    post(fixture_bytes("baileys_sample", "readme_sample"), auth_headers)
    response = client.get("/webhook/messages/", HTTP_AUTHORIZATION="Bearer " + "t" * 40)
    assert response.status_code == 200
    item = response.json()["results"][0]
    assert item["external_id"] == "test_message_123"
    assert item["client"] == "test_instance"
    assert item["text"] == "Mensagem de teste"
    assert item["timestamp"] == "2022-01-01T00:00:00Z"
