"""Lone UTF-16 surrogates (issue 13, defect 1): Node-based gateways cut an emoji in half in a
push name or a truncated preview and send ``"\\ud83d"`` with no pair. The delivery is applied
like any other: the raw body stays byte-exact, stored texts have U+FFFD where the lone
surrogate was. Through both servers and for every family's text message; failed before (400,
``rejected``)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webhook.models import Message, WebhookEvent
from webhook.tests.helpers import META_APP_SECRET, credentials_for, fixture_bytes
from webhook.validators import WebhookValidator, mask_credentials

pytestmark = pytest.mark.django_db


def _cases() -> list[tuple[str, str, bytes, str]]:
    """(family, instance, body with a lone surrogate in the message text, external id) for each
    family's plain-text fixture: the first JSON string that reaches the message text."""
    from webhook.parsers import detect, parse

    cases = []
    for family, name in (
        ("baileys_sample", "readme_sample"),
        ("evolution", "text"),
        ("meta_cloud", "text"),
        ("waha", "message_text"),
        ("wapi", "text"),
        ("zapi", "text"),
        ("wppconnect", "message_text"),
        ("ultramsg", "text"),
        ("wuzapi", "text"),
    ):
        try:
            raw = fixture_bytes(family, name)
        except FileNotFoundError:
            continue
        payload = json.loads(raw)
        module = detect(payload)
        message = next(e for e in parse(payload).events if getattr(e, "text", ""))
        needle = json.dumps(message.text)[1:-1].encode()  # as the fixture spells it (ASCII)
        if needle not in raw:
            needle = message.text.encode()
        assert needle in raw, (family, name)
        body = raw.replace(needle, needle + b"\\ud83d", 1)
        cases.append((family, module.client_key(payload), body, message.message_id))
    return cases


CASES = _cases()


@pytest.mark.parametrize(
    ("family", "instance", "body", "external_id"), CASES, ids=[c[0] for c in CASES]
)
def test_a_lone_surrogate_is_applied_with_a_replacement_character(
    post, make_client, settings, family, instance, body, external_id
):
    settings.WEBHOOK_META_APP_SECRET = META_APP_SECRET
    client = make_client(instance)
    reply = post(body, credentials_for(family, body, client.webhook_token))
    assert reply.status in (200, 202), reply.body
    message = Message.objects.get(client=client, external_id=external_id)
    assert message.text.endswith("\ufffd")
    event = WebhookEvent.objects.get()
    assert event.status == "processed"
    # byte-exact but for masked credentials: the escape is plain ASCII
    assert event.body.encode() == mask_credentials(body.decode()).encode()


def test_a_lone_surrogate_in_a_push_name_and_a_key(post, auth_headers):
    payload = json.loads(fixture_bytes("baileys_sample", "readme_sample"))
    text = json.dumps(payload)
    text = text.replace('"Usu\\u00e1rio Teste"', '"Ana \\ud83d"').replace(
        '"messageTimestamp"', '"\\udc00x": 1, "messageTimestamp"'
    )
    reply = post(text.encode(), auth_headers)
    assert reply.status == 200, reply.body
    assert Message.objects.get().sender.name == "Ana \ufffd"


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0xD700, max_codepoint=0xE0FF)))
def test_decode_never_refuses_surrogates_and_never_returns_them(value):
    body = json.dumps({"instanceId": "x", "text": value}).encode()  # lone ones as \uXXXX
    decoded = WebhookValidator(max_body_bytes=10**6, max_depth=64).decode(body)
    decoded["text"].encode("utf-8")  # no surrogate left: PostgreSQL takes it
    # pairs are one character (an emoji), each lone half is U+FFFD
    expected = value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    assert decoded["text"] == expected
