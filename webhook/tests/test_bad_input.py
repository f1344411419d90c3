"""Malformed and hostile bodies, through both servers.

Every such body gets a 4xx JSON answer naming the problem, a WARNING log record and a
WebhookEvent kept for audit, and nothing else changes: no Message is created and a message
accepted before is left exactly as it was. The documented outcomes checked here:

* refused before parsing (bad JSON, wrong top level, NaN, duplicate keys, too deep, invalid
  UTF-8): 400 ``invalid_payload``, event ``rejected`` with a bounded copy of
  the body and the error;
* over the size limit: 413 ``payload_too_large``, event ``rejected`` without the body;
* a recognised family with a missing or mistyped id: 400 ``invalid_payload`` naming the field,
  event ``failed`` with the error, logged at WARNING;
* NUL characters inside strings: removed, delivery accepted;
* absurd timestamps: accepted, ``Message.timestamp_estimated`` True;
* HTML in names and texts: stored verbatim, escaped on the status page.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from webhook.models import Chat, Message, PendingUpdate, Sender, WebhookEvent
from webhook.rejections import REJECTED_BODY_LIMIT
from webhook.tests.helpers import fixture, fixture_bytes

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert('x')</script>"


def _sample(**changes: Any) -> dict[str, Any]:
    """The README sample with another message id (and any top-level changes)."""
    payload = fixture("baileys_sample", "readme_sample")
    payload["key"]["id"] = "HOSTILE-0001"
    payload.update(changes)
    return payload


def _sample_text(**changes: Any) -> str:
    return json.dumps(_sample(**changes), ensure_ascii=False)


def _with_field(raw_value: str) -> bytes:
    """The sample with an extra field whose JSON text is ``raw_value`` (verbatim)."""
    text = _sample_text()
    return (text[:-1] + f', "extra": {raw_value}}}').encode()


def _nested(depth: int) -> bytes:
    """The sample with a field nested so that the whole body is ``depth`` levels deep."""
    return _with_field("[" * (depth - 1) + "]" * (depth - 1))


@pytest.fixture
def accepted(post, auth_headers) -> list[dict[str, Any]]:
    """A good message stored first; returns its row values to compare with afterwards."""
    reply = post(fixture_bytes("baileys_sample", "readme_sample"), auth_headers)
    assert reply.status == 200, reply.body
    return _snapshot()


def _snapshot() -> list[dict[str, Any]]:
    return [
        list(Message.objects.order_by("pk").values()),
        list(Chat.objects.order_by("pk").values()),
        list(Sender.objects.order_by("pk").values()),
        list(PendingUpdate.objects.order_by("pk").values()),
    ]


def _webhook_warnings(caplog) -> list[logging.LogRecord]:
    return [
        r for r in caplog.records if r.name.startswith("webhook") and r.levelno >= logging.WARNING
    ]


def _assert_refused(
    reply, before, caplog, *, status: int, code: str, detail: str, logged: bool = True
) -> WebhookEvent:
    """The common shape of a refusal; returns the event kept for audit."""
    assert reply.status == status, reply.body
    assert isinstance(reply.body, dict), reply.body
    assert reply.body["ok"] is False
    assert reply.body["error"] == code
    assert detail in reply.body["detail"], reply.body
    if logged:
        assert any(detail in r.getMessage() for r in _webhook_warnings(caplog)), [
            r.getMessage() for r in caplog.records
        ]
    assert _snapshot() == before, "a refused body changed stored rows"
    event = WebhookEvent.objects.latest("pk")
    assert reply.body.get("event_id") == event.pk
    assert detail in event.error
    assert event.error.startswith(f"HTTP {status}: ")
    return event


# --- refused before parsing: 400, stored "rejected" with a bounded body ----------------------

TRUNCATED = fixture_bytes("baileys_sample", "readme_sample")[:-25]

REJECTED_CASES = [
    ("truncated", TRUNCATED, "invalid JSON"),
    ("garbage", b'{"instanceId": test_instance}', "invalid JSON: Expecting value"),
    ("trailing-comma", b'{"instanceId": "test_instance",}', "invalid JSON"),
    ("trailing-data", _sample_text().encode() + b" {}", "invalid JSON: Extra data"),
    ("empty", b"", "empty body"),
    ("whitespace", b" \r\n\t ", "empty body"),
    (
        "array",
        b'[{"instanceId": "test_instance"}]',
        "top-level JSON must be an object, got an array",
    ),
    ("string", b'"test_instance"', "top-level JSON must be an object, got a string"),
    ("null", b"null", "top-level JSON must be an object, got null"),
    ("number", b"42", "top-level JSON must be an object, got a scalar"),
    ("boolean", b"true", "top-level JSON must be an object, got a scalar"),
    ("nan", _with_field("NaN"), "NaN is not a valid JSON number"),
    ("infinity", _with_field("Infinity"), "Infinity is not a valid JSON number"),
    ("minus-infinity", _with_field("-Infinity"), "-Infinity is not a valid JSON number"),
    (
        "duplicate-key-id",
        _sample_text().replace('"id": "HOSTILE-0001"', '"id": "A", "id": "B"').encode(),
        "duplicate key 'id'",
    ),
    (
        "duplicate-top-level",
        _with_field('"x", "instanceId": "other"'),
        "duplicate key 'instanceId'",
    ),
    ("too-deep", _nested(65), "JSON nested deeper than 64 levels"),
    ("very-deep", _nested(100_000), "JSON nested deeper than 64 levels"),
    (
        "invalid-utf8",
        _with_field('"caf\xe9"').replace(b"caf\xc3\xa9", b"caf\xe9"),
        "not valid UTF-8",
    ),
    ("utf8-surrogate-bytes", _with_field('"ED"').replace(b'"ED"', b'"\xed\xa0\x80"'), "UTF-8"),
    ("raw-nul-byte", _with_field('"a\x00b"'), "invalid JSON: Invalid control character"),
]


@pytest.mark.parametrize(
    ("body", "detail"),
    [pytest.param(body, detail, id=name) for name, body, detail in REJECTED_CASES],
)
def test_hostile_body_is_refused_with_a_named_400(
    post, auth_headers, accepted, caplog, body, detail
):
    caplog.set_level(logging.WARNING)
    reply = post(body, auth_headers)
    event = _assert_refused(
        reply, accepted, caplog, status=400, code="invalid_payload", detail=detail
    )
    assert event.status == WebhookEvent.Status.REJECTED
    assert "\x00" not in event.body
    assert len(event.body) <= REJECTED_BODY_LIMIT * 4  # at most the bounded prefix, escaped
    if body.strip() and len(body) <= REJECTED_BODY_LIMIT and b"\xed" not in body:
        assert event.body.startswith(body[:20].decode("utf-8", "backslashreplace"))


def test_huge_integer_literal_is_refused_not_a_500(post, auth_headers, accepted, caplog):
    """5,000 digits: Python's int parser raises ValueError (not JSONDecodeError)."""
    caplog.set_level(logging.WARNING)
    reply = post(_with_field("1" * 5000), auth_headers)
    event = _assert_refused(
        reply, accepted, caplog, status=400, code="invalid_payload", detail="invalid JSON"
    )
    assert event.status == WebhookEvent.Status.REJECTED


def test_depth_limit_follows_the_setting(post, auth_headers, accepted, caplog, settings):
    caplog.set_level(logging.WARNING)
    settings.WEBHOOK_MAX_JSON_DEPTH = 8
    reply = post(_nested(9), auth_headers)
    _assert_refused(
        reply,
        accepted,
        caplog,
        status=400,
        code="invalid_payload",
        detail="JSON nested deeper than 8 levels",
    )
    exactly = post(_nested(8), auth_headers)
    assert exactly.status == 200, exactly.body
    assert Message.objects.filter(external_id="HOSTILE-0001").exists()


def test_default_depth_limit_accepts_64_levels(post, auth_headers):
    reply = post(_nested(64), auth_headers)
    assert reply.status == 200, reply.body


def test_a_long_rejected_body_is_kept_bounded(post, auth_headers, accepted, caplog):
    caplog.set_level(logging.WARNING)
    body = b'{"instanceId": "test_instance", "junk": "' + b"x" * (3 * REJECTED_BODY_LIMIT)
    reply = post(body, auth_headers)
    event = _assert_refused(
        reply, accepted, caplog, status=400, code="invalid_payload", detail="invalid JSON"
    )
    assert event.status == WebhookEvent.Status.REJECTED
    assert len(event.body) == REJECTED_BODY_LIMIT
    assert event.body == body[:REJECTED_BODY_LIMIT].decode()


# --- over the size limit: 413 ----------------------------------------------------------------


def test_oversize_body_is_413_and_rejected(post, auth_headers, accepted, caplog, settings):
    caplog.set_level(logging.WARNING)
    body = _sample_text().encode()
    settings.WEBHOOK_MAX_BODY_BYTES = len(body) - 1
    reply = post(body, auth_headers)
    event = _assert_refused(
        reply,
        accepted,
        caplog,
        status=413,
        code="payload_too_large",
        detail=f"body of {len(body)} bytes exceeds the limit of {len(body) - 1} bytes",
    )
    assert event.status == WebhookEvent.Status.REJECTED
    assert "WEBHOOK_MAX_BODY_BYTES" in reply.body["detail"]
    assert len(event.body) <= REJECTED_BODY_LIMIT


def test_oversize_body_is_stored_without_its_body(post, auth_headers, settings):
    body = _sample_text().encode()
    settings.WEBHOOK_MAX_BODY_BYTES = len(body) - 1
    assert post(body, auth_headers).status == 413
    assert WebhookEvent.objects.get().body == ""


def test_body_at_the_size_limit_is_accepted(post, auth_headers, settings):
    body = _sample_text().encode()
    settings.WEBHOOK_MAX_BODY_BYTES = len(body)
    reply = post(body, auth_headers)
    assert reply.status == 200, reply.body
    assert Message.objects.filter(external_id="HOSTILE-0001").exists()


def test_oversize_garbage_is_413_before_parsing(post, auth_headers, accepted, caplog, settings):
    caplog.set_level(logging.WARNING)
    settings.WEBHOOK_MAX_BODY_BYTES = 1000
    reply = post(b"\xff\x00[[[" * 1000, auth_headers)
    event = _assert_refused(
        reply, accepted, caplog, status=413, code="payload_too_large", detail="exceeds the limit"
    )
    assert event.status == WebhookEvent.Status.REJECTED


# --- a recognised family with a missing or mistyped id: 400, stored "failed" ------------------


def _without(payload: dict[str, Any], path: str) -> dict[str, Any]:
    *parents, last = path.split(".")
    node: Any = payload
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    del node[last]
    return payload


def _replace(payload: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    *parents, last = path.split(".")
    node: Any = payload
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[last] = value
    return payload


META_MESSAGE = "entry.0.changes.0.value.messages.0"
FAMILY_IDS = [
    ("baileys_sample", "readme_sample", "test_instance", "key.id", "key.id"),
    ("baileys_sample", "readme_sample", "test_instance", "key.remoteJid", "key.remoteJid"),
    ("wapi", "text", "LITE-7XK2P9-QW3R8T", "messageId", "messageId"),
    ("wapi", "text", "LITE-7XK2P9-QW3R8T", "chat", "chat.id"),
    ("evolution", "text", "loja-centro", "data.key.id", "data.key.id"),
    ("zapi", "text", "3D2B1A0C9E8F7A6B5C4D", "messageId", "messageId"),
    ("zapi", "text", "3D2B1A0C9E8F7A6B5C4D", "phone", "phone"),
    ("waha", "message_text", "atendimento", "payload.id", "payload.id"),
    ("meta_cloud", "text", "106540352242922", f"{META_MESSAGE}.id", "messages[].id"),
    ("meta_cloud", "text", "106540352242922", f"{META_MESSAGE}.from", "messages[].from"),
]


def _family_setup(make_client, family: str, instance: str, settings) -> dict[str, str]:
    client = make_client(instance)
    if family == "meta_cloud":
        settings.WEBHOOK_META_APP_SECRET = ""
    return {"x-webhook-token": client.webhook_token}


@pytest.mark.parametrize(
    ("family", "name", "instance", "path", "named"),
    [pytest.param(*case, id=f"{case[0]}-{case[3]}") for case in FAMILY_IDS],
)
def test_missing_id_is_a_failed_400_naming_the_field(
    post, make_client, accepted, caplog, settings, family, name, instance, path, named
):
    caplog.set_level(logging.WARNING)
    headers = _family_setup(make_client, family, instance, settings)
    before = _snapshot()
    reply = post(_without(fixture(family, name), path), headers)
    event = _assert_refused(
        reply,
        before,
        caplog,
        status=400,
        code="invalid_payload",
        detail=f"missing or invalid '{named}'",
        logged=False,
    )
    assert reply.body["field"] == named
    assert event.status == WebhookEvent.Status.FAILED
    assert event.family == family
    assert event.client.instance_id == instance
    assert json.loads(event.body)  # the whole parsed body is kept for replay
    assert before[0] == accepted[0]


@pytest.mark.parametrize(
    ("name", "path", "value"),
    [
        ("message_text", "payload.from", None),
        ("message_text", "payload.from", "   "),
        ("message_any_from_me", "payload.to", None),
    ],
    ids=["from-missing", "from-blank", "fromMe-to-missing"],
)
def test_waha_message_without_its_chat_is_a_failed_400(post, make_client, name, path, value):
    client = make_client("atendimento")
    payload = fixture("waha", name)
    payload = _without(payload, path) if value is None else _replace(payload, path, value)
    reply = post(payload, {"x-webhook-token": client.webhook_token})
    assert Chat.objects.filter(chat_id__regex=r"^\s*$").count() == 0
    assert reply.status == 400, reply.body
    assert reply.body["field"] == path


@pytest.mark.parametrize(
    ("family", "name", "instance", "path", "named"),
    [pytest.param(*FAMILY_IDS[0], id="baileys_sample"), pytest.param(*FAMILY_IDS[8], id="meta")],
)
def test_missing_id_is_logged_at_warning(
    post, make_client, caplog, settings, family, name, instance, path, named
):
    caplog.set_level(logging.WARNING)
    headers = _family_setup(make_client, family, instance, settings)
    reply = post(_without(fixture(family, name), path), headers)
    assert reply.status == 400
    messages = [r.getMessage() for r in _webhook_warnings(caplog)]
    assert any(f"missing or invalid '{named}'" in m for m in messages), messages


@pytest.mark.parametrize("value", [None, {}, [], True, "", "   ", {"id": "x"}], ids=repr)
@pytest.mark.parametrize(
    ("family", "name", "instance", "path", "named"),
    [
        pytest.param(*FAMILY_IDS[0], id="baileys_sample"),
        pytest.param(*FAMILY_IDS[2], id="wapi"),
        pytest.param(*FAMILY_IDS[4], id="evolution"),
        pytest.param(*FAMILY_IDS[5], id="zapi"),
        pytest.param(*FAMILY_IDS[7], id="waha"),
        pytest.param(*FAMILY_IDS[8], id="meta_cloud"),
    ],
)
def test_mistyped_id_is_a_failed_400(
    post, make_client, caplog, settings, family, name, instance, path, named, value
):
    caplog.set_level(logging.WARNING)
    headers = _family_setup(make_client, family, instance, settings)
    before = _snapshot()
    reply = post(_replace(fixture(family, name), path, value), headers)
    event = _assert_refused(
        reply,
        before,
        caplog,
        status=400,
        code="invalid_payload",
        detail=f"missing or invalid '{named}'",
        logged=False,
    )
    assert event.status == WebhookEvent.Status.FAILED


@pytest.mark.parametrize(
    "changes",
    [
        {"pushName": ["x"]},
        {"pushName": {"name": "x"}},
        {"messageTimestamp": {"a": 1}},
        {"messageTimestamp": [1640995200]},
        {"message": "texto", "msgContent": 5},
        {"message": None, "msgContent": None},
        {"key": {"remoteJid": 5511999999999, "id": "HOSTILE-0001", "fromMe": "talvez"}},
    ],
    ids=lambda c: json.dumps(c)[:40],
)
def test_wrong_types_in_optional_fields_never_crash(post, auth_headers, accepted, changes):
    """Documented: optional fields of the wrong type are read as absent; ids stay mandatory."""
    reply = post(_sample(**changes), auth_headers)
    assert reply.status == 200, reply.body
    assert reply.body["status"] == "processed"
    message = Message.objects.get(external_id="HOSTILE-0001")
    assert isinstance(message.text, str)
    assert _snapshot()[0][0] == accepted[0][0]


# --- sanitised and accepted ------------------------------------------------------------------


def test_nul_characters_in_strings_are_removed_and_the_delivery_accepted(post, auth_headers):
    payload = _sample(pushName="Ana\u0000 Maria")
    payload["key"]["id"] = "NUL\u0000-ID"
    payload["message"] = {"conversation": "oi\u0000 tudo bem"}
    payload["msgContent"] = {"conversation": "oi\u0000 tudo bem"}
    body = json.dumps(payload).encode()
    assert b"\\u0000" in body
    reply = post(body, auth_headers)
    assert reply.status == 200, reply.body
    message = Message.objects.select_related("sender", "chat").get(external_id="NUL-ID")
    assert message.text == "oi tudo bem"
    assert message.sender.name == "Ana Maria"
    assert message.chat.name == "Ana Maria"
    for row in _snapshot():
        assert "\x00" not in repr(row)


def test_paired_surrogate_escapes_are_fine(post, auth_headers):
    body = _sample_text(pushName="\\ud83d\\ude0a Ana").replace("\\\\", "\\").encode()
    reply = post(body, auth_headers)
    assert reply.status == 200, reply.body
    assert Message.objects.get(external_id="HOSTILE-0001").sender.name == "\U0001f60a Ana"


FUTURE_2200 = 7_258_118_400


@pytest.mark.parametrize(
    "stamp",
    [
        FUTURE_2200,
        str(FUTURE_2200),
        FUTURE_2200 * 1000,
        -1,
        "-1640995200",
        0,
        2**70,
        str(2**70),
        -(2**70),
        10**300,
        1e308,
        "1e400",
        "abc",
        "",
        {"low": -1, "high": 2**40, "unsigned": False},
        1.5,
    ],
    ids=repr,
)
def test_absurd_timestamps_are_accepted_as_estimated(post, auth_headers, stamp):
    reply = post(_sample(messageTimestamp=stamp), auth_headers)
    assert reply.status == 200, reply.body
    message = Message.objects.get(external_id="HOSTILE-0001")
    assert message.timestamp_estimated is True
    assert abs(message.timestamp - timezone.now()) < timedelta(hours=1)


def test_overflowing_float_literal_timestamp_is_accepted_as_estimated(post, auth_headers):
    body = _sample_text(messageTimestamp="PLACEHOLDER").replace('"PLACEHOLDER"', "1e400")
    reply = post(body.encode(), auth_headers)
    assert reply.status == 200, reply.body
    assert Message.objects.get(external_id="HOSTILE-0001").timestamp_estimated is True


def test_the_future_timestamp_fixture_is_estimated(post, auth_headers):
    reply = post(fixture_bytes("baileys_sample", "future_timestamp"), auth_headers)
    assert reply.status == 200, reply.body
    assert Message.objects.get(external_id="BAE5C81D2F6A4E0F").timestamp_estimated is True


# --- HTML is data: stored verbatim, escaped on display ----------------------------------------


def test_html_in_names_and_texts_is_stored_verbatim(post, auth_headers):
    html_text = '<b>oi</b><img src=x onerror=alert(1)> & "aspas"'
    payload = _sample(pushName=SCRIPT)
    payload["message"] = {"conversation": html_text}
    payload["msgContent"] = {"conversation": html_text}
    reply = post(payload, auth_headers)
    assert reply.status == 200, reply.body
    message = Message.objects.select_related("sender", "chat").get(external_id="HOSTILE-0001")
    assert message.text == html_text
    assert message.sender.name == SCRIPT
    assert message.chat.name == SCRIPT


def test_status_page_escapes_a_script_in_the_client_name(client, make_client, post):
    hostile = make_client("script-client", name=SCRIPT)
    payload = _sample(instanceId="script-client", pushName=SCRIPT)
    assert post(payload, {"x-webhook-token": hostile.webhook_token}).status == 200
    from django.contrib.auth import get_user_model

    staff = get_user_model().objects.create_user("equipe", password=None, is_staff=True)
    hostile.members.add(staff)  # staff see the names of their own clients (webhook.access)
    client.force_login(staff)  # client names are listed for the staff only
    response = client.get("/webhook/status/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert SCRIPT not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
