"""Wuzapi's form posts and its authentication, through both servers.

Wuzapi posts ``application/x-www-form-urlencoded`` by default (``multipart/form-data`` when a
file is attached) with the event JSON in ``jsonData`` and, in older versions, the user
``token`` (docs/formats.md §13). The fixtures are the JSON-mode payloads; ``helpers.wuzapi_form``
encodes them the way Wuzapi does. Secrets are made at run time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from urllib.parse import urlencode

import pytest

from webhook.forms import form_fields
from webhook.models import Message, WebhookEvent
from webhook.parsers import wuzapi
from webhook.processor import WhatsAppWebhookProcessor
from webhook.tests.helpers import fixture, fixture_bytes, wuzapi_form

pytestmark = pytest.mark.django_db

INSTANCE = "suporte"
TEXT_ID = "3EB0F1A2B3C4D5E6F701"


@pytest.fixture
def wuzapi_client(make_client, settings):
    settings.WEBHOOK_FALLBACK_CLIENT = False
    return make_client(INSTANCE, webhook_token=secrets.token_urlsafe(32))


def _event(reply) -> WebhookEvent:
    return WebhookEvent.objects.get(pk=reply.body["event_id"])


def _sign(data: bytes, key: str) -> str:
    return hmac.new(key.encode(), data, hashlib.sha256).hexdigest()


def test_a_urlencoded_form_with_the_user_token_is_applied_and_stored_as_received(
    post, wuzapi_client
):
    body, content_type = wuzapi_form(fixture("wuzapi", "text"), token=wuzapi_client.webhook_token)
    reply = post(body, {"content-type": content_type})
    assert (reply.status, reply.body["status"]) == (200, "processed"), reply.body
    event = _event(reply)
    assert (event.family, event.event_type, event.client_id) == (
        "wuzapi",
        "Message",
        wuzapi_client.pk,
    )
    # byte-exact but for the masked credential
    assert event.body == body.decode().replace(f"token={wuzapi_client.webhook_token}", "token=***")
    assert wuzapi_client.webhook_token not in event.body
    assert event.headers["content-type"] == content_type
    row = Message.objects.get(external_id=TEXT_ID)
    assert (row.client_id, row.text) == (
        wuzapi_client.pk,
        "Bom dia! O pedido #4521 já saiu para entrega? 📦",
    )
    # a replay decodes the stored form again
    assert WhatsAppWebhookProcessor().parse(event).events[0].message_id == TEXT_ID


def test_an_old_form_without_instance_belongs_to_the_client_whose_token_it_carries(
    post, wuzapi_client
):
    body, content_type = wuzapi_form(
        fixture("wuzapi", "text"), token=wuzapi_client.webhook_token, legacy=True
    )
    reply = post(body, {"content-type": content_type})
    assert reply.body["status"] == "processed", reply.body
    assert Message.objects.get().client_id == wuzapi_client.pk


def test_an_old_form_with_an_unknown_token_is_kept_unassigned(post, wuzapi_client):
    body, content_type = wuzapi_form(fixture("wuzapi", "text"), token="x" * 43, legacy=True)
    reply = post(body, {"content-type": content_type})
    assert (reply.status, reply.body["status"]) == (202, "unassigned"), reply.body
    assert Message.objects.count() == 0
    assert "x" * 43 not in _event(reply).body


def test_a_wrong_user_token_for_a_named_instance_is_401(post, wuzapi_client):
    body, content_type = wuzapi_form(fixture("wuzapi", "text"), token=secrets.token_hex(16))
    reply = post(body, {"content-type": content_type})
    assert reply.status == 401, reply.body
    assert Message.objects.count() == 0
    assert WebhookEvent.objects.get().status == "rejected"
    assert "token=***" in WebhookEvent.objects.get().body


def test_the_url_token_works_for_forms_too(post, wuzapi_client):
    body, content_type = wuzapi_form(fixture("wuzapi", "image"))
    reply = post(
        body, {"content-type": content_type}, path=f"/webhook/k/{wuzapi_client.webhook_token}/"
    )
    assert reply.body["status"] == "processed", reply.body
    assert Message.objects.get().type == "image"


def test_a_multipart_post_with_a_binary_file_is_applied_and_stored_without_the_binary(
    post, wuzapi_client
):
    picture = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256))
    body, content_type = wuzapi_form(
        fixture("wuzapi", "image"),
        token=wuzapi_client.webhook_token,
        multipart=True,
        file=picture,
    )
    reply = post(body, {"content-type": content_type})
    assert reply.body["status"] == "processed", reply.body
    event = _event(reply)
    assert "\x00" not in event.body and wuzapi_client.webhook_token not in event.body
    assert hashlib.sha256(picture).hexdigest() in event.body
    assert Message.objects.get().media_mimetype == "image/jpeg"
    events = WhatsAppWebhookProcessor().parse(event).events
    assert [e.message_id for e in events] == ["3EB0F1A2B3C4D5E6F704"]


def test_a_lone_surrogate_inside_json_data_is_applied_with_a_replacement_character(
    post, wuzapi_client
):
    payload = fixture("wuzapi", "text")
    payload["event"]["Message"]["conversation"] = "Oi \ud83d"
    event = {k: v for k, v in payload.items() if k not in ("instanceName", "userID", "_source")}
    body = urlencode(
        {
            "jsonData": json.dumps(event),
            "instanceName": INSTANCE,
            "token": wuzapi_client.webhook_token,
        }
    ).encode()
    reply = post(body, {"content-type": "application/x-www-form-urlencoded"})
    assert reply.body["status"] == "processed", reply.body
    assert Message.objects.get().text == "Oi \ufffd"


# --- x-hmac-signature with Client.signing_secret ---------------------------------------------


@pytest.fixture
def signed_client(wuzapi_client):
    wuzapi_client.signing_secret = secrets.token_hex(16)
    wuzapi_client.save()
    return wuzapi_client


def test_a_signed_json_body_is_accepted_without_a_token(post, signed_client):
    body = fixture_bytes("wuzapi", "text")
    reply = post(body, {"x-hmac-signature": _sign(body, signed_client.signing_secret)})
    assert reply.body["status"] == "processed", reply.body
    assert _event(reply).headers["x-hmac-signature"] == "***"


@pytest.mark.parametrize("case", ["wrong", "missing", "tampered"])
def test_a_bad_signature_is_401_even_with_the_right_token(post, signed_client, case):
    body = fixture_bytes("wuzapi", "text")
    headers = {"x-webhook-token": signed_client.webhook_token}
    if case == "wrong":
        headers["x-hmac-signature"] = _sign(body, signed_client.signing_secret + "x")
    elif case == "tampered":
        headers["x-hmac-signature"] = _sign(body, signed_client.signing_secret)
        body = body.replace(b"Bom dia", b"Boa tarde")
    reply = post(body, headers)
    assert reply.status == 401, reply.body
    assert "x-hmac-signature" in reply.body["detail"]
    assert Message.objects.count() == 0


@pytest.mark.parametrize("signed", ["go-json-of-fields", "raw-form"])
def test_a_signed_form_is_accepted(post, signed_client, signed):
    body, content_type = wuzapi_form(fixture("wuzapi", "text"), token="")
    data = wuzapi.go_json(form_fields(body, content_type)) if signed != "raw-form" else body
    headers = {
        "content-type": content_type,
        "x-hmac-signature": _sign(data, signed_client.signing_secret),
    }
    reply = post(body, headers)
    assert reply.body["status"] == "processed", reply.body
