"""Every family's fixtures end to end, through both servers, down to the rows.

A payload of each family and kind, posted to either server (the ``post`` fixture is
parametrized over Django and Flask), ends as the right rows: Message, Chat, Sender,
WebhookEvent, PendingUpdate, ContactStats and RealTimeStats. Then the semantics that cut
across families: statuses never move backwards, updates that arrive before their message are
parked and applied on arrival, deletes/edits/reactions/replies, our own messages and response
times, @lid senders, Meta batches for two numbers, unknown payloads and timestamps.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db.models import Q

from webhook import parsers
from webhook.models import (
    Chat,
    ContactStats,
    Message,
    MessageStats,
    PendingUpdate,
    RealTimeStats,
    Sender,
    WebhookEvent,
)
from webhook.tests.fixture_rows import INSTANCES, META_SECOND
from webhook.tests.helpers import (
    META_APP_SECRET,
    all_fixtures,
    credentials_for,
    fixture,
    fixture_bytes,
)

pytestmark = pytest.mark.django_db

API_TOKEN = "a" * 40

# Fixtures whose single event is a message of the delivery kind below (the rest: the family's).
EVENT_TYPES = {
    "meta_cloud": "messages",
    "evolution": "messages.upsert",
    "zapi": "ReceivedCallback",
    "waha": "message",
    "wapi": "webhookReceived",
    "baileys_sample": "message",
    "wppconnect": "onmessage",
    "ultramsg": "message_received",
    "wuzapi": "Message",
}
EVENT_TYPE_OF = {
    ("evolution", "send_message"): "send.message",
    ("waha", "message_any_from_me"): "message.any",
    ("waha", "message_any_from_me_image"): "message.any",
    ("waha", "message_any_from_me_voice"): "message.any",
    ("wapi", "delivery"): "webhookDelivery",
    ("wapi", "delivery_document"): "webhookDelivery",
    ("wapi", "delivery_image"): "webhookDelivery",
    ("wppconnect", "self_message"): "onselfmessage",
    ("ultramsg", "from_me_text"): "message_create",
}


def at(hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(2025, 11, 29, hour, minute, second, tzinfo=UTC)


def ts_of(text: str | None) -> datetime | None:
    """The table's times: "HH:MM:SS" on 2025-11-29, an ISO datetime, or None (no usable time)."""
    if text is None:
        return None
    if len(text) == 8:
        return at(*(int(part) for part in text.split(":")))
    return datetime.fromisoformat(text)


EXPECTED_ROWS = Path(__file__).resolve().parent / "expected_rows"


def message_rows() -> list[tuple[str, str, str, dict[str, Any]]]:
    """(family, fixture, external id, expected row) of every single-message fixture.

    One file per family, ``expected_rows/<family>.json``: fixture name -> its row, plain JSON.
    Keys: external_id, then type text from_me chat is_group sender sender_alt mime url voice lat
    lng contacts quoted status ts ("HH:MM:SS" on 2025-11-29, an ISO datetime, or null for no
    usable time: see ts_of). A key left out takes the default asserted below.
    """
    rows = []
    for path in sorted(EXPECTED_ROWS.glob("*.json")):
        for name, row in json.loads(path.read_text(encoding="utf-8")).items():
            expected = dict(row)
            rows.append((path.stem, name, expected.pop("external_id"), expected))
    return rows


MESSAGE_ROWS = message_rows()


@pytest.fixture
def clients(make_client, settings) -> dict[str, Any]:
    # Meta signs with its app secret (one app for both numbers: the batch fixture spans two);
    # the other families authenticate with the client's token.
    settings.WEBHOOK_META_APP_SECRET = META_APP_SECRET
    settings.WEBHOOK_FALLBACK_CLIENT = False
    settings.WEBHOOK_API_TOKEN = API_TOKEN
    return {iid: make_client(iid) for iid in [*INSTANCES.values(), META_SECOND]}


@pytest.fixture
def send(post, clients):
    """send(family, fixture name or payload dict, expect=200) -> reply, with the client's token."""

    def go(family: str, body: str | dict[str, Any], *, expect: int = 200):
        token = clients[INSTANCES[family]].webhook_token
        payload = fixture_bytes(family, body) if isinstance(body, str) else body
        if isinstance(payload, dict):
            payload = json.dumps(payload, ensure_ascii=False).encode()
        reply = post(payload, credentials_for(family, payload, token))
        assert reply.status == expect, reply.body
        return reply

    return go


def event_of(reply) -> WebhookEvent:
    return WebhookEvent.objects.get(pk=reply.body["event_id"])


def message(family: str, external_id: str) -> Message:
    return Message.objects.select_related("chat", "sender", "client").get(
        client__instance_id=INSTANCES[family], external_id=external_id
    )


def wipe_conversation() -> None:
    """Forget every conversational row (clients and raw events stay)."""
    for model in (PendingUpdate, ContactStats, MessageStats, Message, Sender, Chat):
        model.objects.all().delete()


# --- One payload of each family and kind -> its rows ------------------------------------------


@pytest.mark.parametrize(
    ("family", "name", "external_id", "expected"),
    MESSAGE_ROWS,
    ids=[f"{family}/{name}" for family, name, _, _ in MESSAGE_ROWS],
)
def test_message_fixture_becomes_its_rows(send, family, name, external_id, expected):
    reply = send(family, name)
    assert reply.body["status"] == "processed"
    event = event_of(reply)
    assert (event.family, event.status, event.error) == (family, "processed", "")
    assert event.event_type == EVENT_TYPE_OF.get((family, name), EVENT_TYPES[family])
    assert event.client.instance_id == INSTANCES[family]

    row = message(family, external_id)
    assert row.external_id == external_id
    assert row.webhook_event_id == event.pk
    assert (row.type, row.text, row.from_me, row.status) == (
        expected["type"],
        expected["text"],
        expected["from_me"],
        expected["status"],
    )
    assert (row.chat.chat_id, row.chat.is_group) == (
        expected["chat"],
        expected.get("is_group", False),
    )
    assert (row.media_mimetype, row.media_url, row.is_voice) == (
        expected.get("mime", ""),
        expected.get("url", ""),
        expected.get("voice", False),
    )
    assert (row.latitude, row.longitude) == (expected.get("lat"), expected.get("lng"))
    assert [c["display_name"] for c in row.contacts] == expected.get("contacts", [])
    assert row.quoted_id == expected.get("quoted", "")
    _assert_sender(row, expected)
    _assert_timestamp(row, event, ts_of(expected["ts"]))
    _assert_counted_once(row)


def _assert_sender(row: Message, expected: dict[str, Any]) -> None:
    if expected["sender"] is None:
        assert row.sender is None
        return
    sender, alt = expected["sender"], expected.get("sender_alt", "")
    if sender.endswith("@lid") and alt and not alt.endswith("@lid"):
        sender, alt = alt, sender  # a contact's phone is its primary id, the LID its alternate
    assert (row.sender.sender_id, row.sender.alt_id) == (sender, alt)
    assert row.sender.is_me is expected["from_me"]
    assert Sender.objects.count() == 1


def _assert_timestamp(row: Message, event: WebhookEvent, expected: datetime | None) -> None:
    assert row.timestamp.utcoffset() == timedelta(0)
    if expected is None:  # no usable time in the payload: the time of receipt, flagged
        assert row.timestamp_estimated is True
        assert row.timestamp == event.received_at
    else:
        assert row.timestamp_estimated is False
        assert row.timestamp == expected


def _assert_counted_once(row: Message) -> None:
    chat = Chat.objects.get(pk=row.chat_id)
    assert (chat.message_count, chat.last_message_at, chat.last_message_from_me) == (
        1,
        row.timestamp,
        row.from_me,
    )
    stats = ContactStats.objects.get(chat=chat)
    assert (stats.total, stats.sent, stats.received) == (1, int(row.from_me), int(not row.from_me))
    bucket = MessageStats.objects.get(client=row.client)
    assert (bucket.total, bucket.sent, bucket.received) == (
        1,
        int(row.from_me),
        int(not row.from_me),
    )


def test_every_message_fixture_is_in_the_table():
    """A new message fixture must get a row in expected_rows/<family>.json (or be a batch
    handled below)."""
    from webhook import parsers
    from webhook.events import MessageEvent

    single = set()
    for family, name in all_fixtures():
        events = parsers.parse(fixture(family, name)).events
        if len(events) == 1 and isinstance(events[0], MessageEvent):
            single.add((family, name))
    assert single == {(family, name) for family, name, _, _ in MESSAGE_ROWS}


# Connection and QR code -> RealTimeStats.
CONNECTION_CASES = [
    ("evolution", "connection_open", "open", "5511912345678@s.whatsapp.net", at(6, 50)),
    ("evolution", "connection_close", "closed", "5511912345678@s.whatsapp.net", at(9, 20)),
    ("evolution", "status_instance", "closed", "", datetime(2025, 11, 29, 12, 10, tzinfo=UTC)),
    ("evolution", "qrcode_updated", "qr_required", "", at(6, 48, 20)),
    ("waha", "session_status_working", "open", "5511912345678@c.us", at(7, 1, 40)),
    ("waha", "session_status_scan_qr", "qr_required", "", at(7, 0, 15)),
    ("waha", "session_status_stopped", "closed", "", at(7, 23, 20)),
    ("zapi", "connected", "open", "5511912345678", at(6, 50)),
    ("zapi", "disconnected", "closed", "", datetime(2025, 11, 30, 8, 6, 40, tzinfo=UTC)),
    ("wapi", "connected", "open", "5511912345678", at(6, 50)),
    ("wapi", "disconnected", "closed", "5511912345678", at(7, 40)),
    ("wapi", "qrcode", "qr_required", "", at(6, 48, 20)),
    # No time in the payload (None): the time of receipt.
    ("wppconnect", "status_find_logged", "open", "", None),
    ("wppconnect", "status_find_not_logged", "qr_required", "", None),
    ("wppconnect", "status_find_closed", "closed", "", None),
    ("wppconnect", "qrcode", "qr_required", "", None),
    ("wuzapi", "connected", "open", "", None),
    ("wuzapi", "pair_success", "open", "5511912345678@s.whatsapp.net", None),
    ("wuzapi", "logged_out", "closed", "", None),
    ("wuzapi", "qr", "qr_required", "", None),
    ("wuzapi", "qr_timeout", "closed", "", None),
    ("wuzapi", "connect_failure", "closed", "", None),
]


@pytest.mark.parametrize(
    ("family", "name", "state", "phone", "changed_at"),
    CONNECTION_CASES,
    ids=[f"{c[0]}/{c[1]}" for c in CONNECTION_CASES],
)
def test_connection_and_qrcode_update_realtime_stats(send, family, name, state, phone, changed_at):
    reply = send(family, name)
    assert (reply.body["status"], event_of(reply).family) == ("processed", family)
    changed_at = changed_at or event_of(reply).received_at
    row = RealTimeStats.objects.get(client__instance_id=INSTANCES[family])
    assert (row.connection_state, row.connected_phone, row.connection_changed_at) == (
        state,
        phone,
        changed_at,
    )
    if name.startswith("qr") and name != "qr_timeout":
        if family != "wuzapi":  # Wuzapi sends the image only
            assert row.last_qr_code.startswith("2@")
        assert row.last_qr_image.startswith("data:image/png;base64,")
        assert row.last_qr_at == changed_at
    assert Message.objects.count() == 0


# Statuses for a message never stored -> parked in PendingUpdate.
UNKNOWN_TARGET_CASES = [
    pytest.param(
        "meta_cloud",
        "status_unknown_message",
        "wamid.HBgNNTUyMTk5ODc2NTQzMhUCABEYFDNFQjBDOUQ4RTdGNkE1QjRDMzk5AA==",
        id="meta_cloud",
    ),
    pytest.param("evolution", "update_unknown_message", "3EB0FFEE00DDCCBBAA99", id="evolution"),
    pytest.param(
        "waha", "ack_unknown_message", "true_5511987654321@c.us_3EB0A1B2C3D4E5F60799", id="waha"
    ),
    pytest.param("zapi", "status_unknown_message", "3EB0C4F1A2B3D4E5F699", id="zapi"),
    pytest.param(
        "zapi",
        "delivery_error",
        "3EB0C4F1A2B3D4E5F604",
        id="zapi-timeless",
    ),
    pytest.param("wapi", "status_unknown_message", "3EB0A7C4D2F19E8B5C99", id="wapi"),
    pytest.param(
        "wppconnect",
        "ack_unknown_message",
        "true_5511987654321@c.us_3EB0B1C2D3E4F5A6B799",
        id="wppconnect-timeless",
    ),
    pytest.param(
        "ultramsg",
        "ack_unknown_message",
        "true_5511987654321@c.us_3EB0D1E2F3A4B5C6D799",
        id="ultramsg-timeless",
    ),
    pytest.param("wuzapi", "receipt_unknown_message", "3EB0F1A2B3C4D5E6F799", id="wuzapi"),
]


@pytest.mark.parametrize(("family", "name", "target"), UNKNOWN_TARGET_CASES)
def test_status_for_an_absent_message_is_parked(send, family, name, target):
    reply = send(family, name)
    assert reply.body["status"] == "processed"
    pending = PendingUpdate.objects.get()
    assert (pending.client.instance_id, pending.target_id, pending.kind) == (
        INSTANCES[family],
        target,
        "status",
    )
    assert Message.objects.count() == 0
    assert send(family, name).body["status"] == "duplicate"
    assert PendingUpdate.objects.count() == 1


# Understood payloads that carry nothing to apply -> ignored, with the reason.
IGNORED_CASES = [
    ("evolution", "unhandled_event", "groups.upsert", "groups.upsert"),
    ("evolution", "qrcode_limit", "qrcode.updated", "limit"),
    ("waha", "unhandled_event", "call.received", "call.received"),
    ("wapi", "unhandled_event", "webhookSomethingNew", "webhookSomethingNew"),
    ("meta_cloud", "errors_only", "errors", "130429"),
    ("wppconnect", "unhandled_event", "incomingcall", "incomingcall"),
    ("ultramsg", "unhandled_event", "message_reaction", "message_reaction"),
    ("wuzapi", "history_sync", "HistorySync", "HistorySync"),
]


@pytest.mark.parametrize(
    ("family", "name", "event_type", "reason"),
    IGNORED_CASES,
    ids=[f"{c[0]}/{c[1]}" for c in IGNORED_CASES],
)
def test_unhandled_event_kind_is_ignored_with_reason(send, family, name, event_type, reason):
    reply = send(family, name)
    event = event_of(reply)
    assert (reply.body["status"], event.status) == ("ignored", "ignored")
    assert (event.family, event.event_type, event.client.instance_id) == (
        family,
        event_type,
        INSTANCES[family],
    )
    assert reason in event.error
    assert json.loads(event.body) == {**fixture(family, name), **_masked_fields(event)}
    assert Message.objects.count() == 0


def _masked_fields(event: WebhookEvent) -> dict[str, Any]:
    """Credentials in the body are masked when stored; compare everything else verbatim."""
    stored = json.loads(event.body)
    return {key: stored[key] for key in ("apikey",) if key in stored}


def test_meta_field_without_a_phone_number_id_is_kept_and_ignored(send):
    """message_template_status_update belongs to the WhatsApp Business Account, not a number:
    nothing to apply, so it is ignored (with the reason) whoever it belongs to."""
    reply = send("meta_cloud", "unhandled_field")
    event = event_of(reply)
    assert (event.family, event.event_type, event.status) == (
        "meta_cloud",
        "message_template_status_update",
        "ignored",
    )
    assert event.client is None
    assert event.error


def test_unknown_payload_is_stored_raw_and_listed(send, post, clients, client):
    token = clients[INSTANCES["evolution"]].webhook_token
    reply = post({"foo": "bar"}, {"x-webhook-token": token})
    assert reply.status == 200, reply.body
    event = event_of(reply)
    # No instance in the body: the token says whose delivery it is.
    owner = clients[INSTANCES["evolution"]].pk
    assert (event.family, event.status, event.client_id) == ("unknown", "ignored", owner)
    assert "not recognised" in event.error
    assert json.loads(event.body) == {"foo": "bar"}
    assert event.error  # why it was not applied
    assert event.headers["x-webhook-token"] != token  # the credential is not kept in clear

    listed = client.get(
        "/webhook/events/", {"family": "unknown"}, HTTP_AUTHORIZATION=f"Bearer {API_TOKEN}"
    )
    assert listed.status_code == 200
    items = listed.json()["results"]
    assert [(i["id"], i["family"], i["status"]) for i in items] == [
        (event.pk, "unknown", "ignored")
    ]
    assert items[0]["error"] == event.error
    assert client.get("/webhook/events/").status_code in (401, 403)


def test_unknown_payload_with_the_fallback_client_is_ignored_with_reason(post, clients, settings):
    settings.WEBHOOK_FALLBACK_CLIENT = True
    first = min(clients.values(), key=lambda c: c.pk)
    reply = post({"foo": "bar"}, {"x-webhook-token": first.webhook_token})
    assert reply.status == 200, reply.body
    event = event_of(reply)
    assert (event.family, event.status, event.client_id) == ("unknown", "ignored", first.pk)
    assert "not recognised" in event.error
    assert json.loads(event.body) == {"foo": "bar"}


# --- Statuses only move forward ---------------------------------------------------------------

WAHA_DEVICE_0702 = copy.deepcopy(fixture("waha", "ack_read_before_device"))
WAHA_DEVICE_0702["timestamp"] = 1764400795000  # 07:19:55, before the read (07:20:00)
WAHA_DEVICE_0702["payload"] |= {"ack": 2, "ackName": "DEVICE"}

# (family, message fixture, target, statuses posted read-first, delivered_at, read_at)
FORWARD_CASES = [
    (
        "meta_cloud",
        "message_echo",
        "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYFDNFQjBBMUIyQzNENEU1RjYwNzE4AA==",
        ["status_read", "status_delivered"],
        at(7, 8, 43),
        at(7, 10),
    ),
    (
        "waha",
        "message_any_from_me",
        "true_5511987654321@c.us_3EB0A1B2C3D4E5F60701",
        ["ack_read", "ack_device"],
        at(7, 7, 45),
        at(7, 8, 30),
    ),
    (
        "waha",
        "message_any_from_me_voice",
        "true_5511987654321@c.us_3EB0A1B2C3D4E5F60702",
        ["ack_read_before_device", WAHA_DEVICE_0702],
        at(7, 19, 55),
        at(7, 20),
    ),
    (
        "evolution",
        "from_me_phone",
        "3AD1F3B5C7E9A0B2C4D6",
        ["update_read_before_delivered", "v1_update"],
        at(8, 37, 30),
        at(8, 37, 40),
    ),
    (
        "evolution",
        "send_message",
        "3EB05A7C9E1B2D4F6A80",
        ["update_read", "update_delivered"],
        at(7, 8, 45),
        at(7, 11, 30),
    ),
    (
        "zapi",
        "from_me_text",
        "3EB0C4F1A2B3D4E5F601",
        ["status_read", "status_received"],
        at(7, 9, 43),
        at(7, 10, 40),
    ),
    (
        "wapi",
        "delivery",
        "3EB0A7C4D2F19E8B5C01",
        ["status_read", "status_delivered"],
        at(7, 6, 52),
        at(7, 8, 15),
    ),
    (
        "wuzapi",
        "from_me_text",
        "3EB0F1A2B3C4D5E6F702",
        ["receipt_read", "receipt_delivered"],
        at(9, 3, 10),
        at(9, 3, 50),
    ),
]


@pytest.mark.parametrize(
    ("family", "origin", "target", "statuses", "delivered_at", "read_at"),
    FORWARD_CASES,
    ids=[f"{c[0]}/{c[1]}" for c in FORWARD_CASES],
)
def test_status_never_moves_backwards(
    send, family, origin, target, statuses, delivered_at, read_at
):
    send(family, origin)
    for status in statuses:
        assert send(family, status).body["status"] == "processed"
    row = message(family, target)
    assert row.status == "read"
    assert (row.delivered_at, row.read_at) == (delivered_at, read_at)
    assert row.sent_at is not None and row.sent_at <= delivered_at
    assert row.played_at is None
    bucket = MessageStats.objects.get(
        client=row.client, period_start=row.timestamp.replace(minute=0, second=0)
    )
    assert (bucket.delivered, bucket.read) == (1, 1)
    stale = {"waha": "ack_server", "zapi": "status_sent"}.get(family)
    if stale and target.endswith(("0701", "F601")):  # "sent" after "read", later than sent_at
        sent_at = row.sent_at
        assert send(family, stale).body["status"] == "duplicate"
        assert (message(family, target).status, message(family, target).sent_at) == (
            "read",
            sent_at,
        )
    for status in (statuses[-1], statuses[0]):  # the same status again: nothing to do
        reply = send(family, status)
        assert (reply.body["status"], event_of(reply).status) == ("duplicate", "duplicate")
    assert message(family, target).status == "read"


def test_terminal_failed_status_sticks(send):
    send("waha", "message_any_from_me_image")
    assert send("waha", "ack_error").body["status"] == "processed"
    fake_read = copy.deepcopy(fixture("waha", "ack_read"))
    fake_read["payload"]["id"] = "true_5511987654321@c.us_3EB0A1B2C3D4E5F60703"
    send("waha", fake_read)
    row = message("waha", "true_5511987654321@c.us_3EB0A1B2C3D4E5F60703")
    assert (row.status, row.failed_at) == ("failed", at(7, 20, 45))


# --- Updates that arrive before their message --------------------------------------------------

# (family, message fixtures, update fixtures, target, kinds parked)
PARKED_CASES = [
    (
        "meta_cloud",
        ["message_echo"],
        ["status_read", "status_delivered"],
        "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYFDNFQjBBMUIyQzNENEU1RjYwNzE4AA==",
        {"status"},
    ),
    (
        "meta_cloud",
        ["message_echo"],
        ["reaction"],
        "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYFDNFQjBBMUIyQzNENEU1RjYwNzE5AA==",
        {"reaction"},
    ),
    # Edits that say their chat create their message instead (issue 13, defect 2): see
    # test_edit_paths.py; an edit without its chat is still parked there.
    ("evolution", ["image"], ["delete_revoke"], "3EB0D4E5F6A7B8C9D0E1", {"delete"}),
    (
        "evolution",
        ["send_message"],
        ["update_read", "update_delivered", "reaction"],
        "3EB05A7C9E1B2D4F6A80",
        {"status", "reaction"},
    ),
    (
        "waha",
        ["message_any_from_me"],
        ["reaction", "ack_read", "ack_device"],
        "true_5511987654321@c.us_3EB0A1B2C3D4E5F60701",
        {"status", "reaction"},
    ),
    (
        "waha",
        ["message_video"],
        ["revoked"],
        "false_5511987654321@c.us_3A1B2C3D4E5F60718296",
        {"delete"},
    ),
    (
        "zapi",
        ["from_me_text"],
        ["status_read", "status_received", "reaction"],
        "3EB0C4F1A2B3D4E5F601",
        {"status", "reaction"},
    ),
    ("zapi", ["image"], ["revoke"], "3AF1C2E9B7D4A6E8C0D3", {"delete"}),
    (
        "wapi",
        ["delivery"],
        ["status_read", "status_delivered", "reaction"],
        "3EB0A7C4D2F19E8B5C01",
        {"status", "reaction"},
    ),
    # WPPConnect's acks carry no time (their receipt time differs between the two runs).
    (
        "wppconnect",
        ["self_message"],
        ["reaction"],
        "true_5511987654321@c.us_3EB0B1C2D3E4F5A6B702",
        {"reaction"},
    ),
    (
        "ultramsg",
        ["image"],
        ["revoked"],
        "false_5511987654321@c.us_3EB0D1E2F3A4B5C6D704",
        {"delete"},
    ),
    (
        "wuzapi",
        ["from_me_text"],
        ["receipt_read", "receipt_delivered", "reaction"],
        "3EB0F1A2B3C4D5E6F702",
        {"status", "reaction"},
    ),
    ("wuzapi", ["image"], ["revoke"], "3EB0F1A2B3C4D5E6F704", {"delete"}),
]

UPDATE_FIELDS = (
    "status",
    "sent_at",
    "delivered_at",
    "read_at",
    "played_at",
    "deleted_at",
    "is_deleted",
    "text",
    "edit_history",
    "reactions",
    "type",
    "timestamp",
)


def _state(family: str, target: str) -> dict[str, Any]:
    row = message(family, target)
    client = row.client
    stats = list(
        MessageStats.objects.filter(client=client)
        .order_by("period_start")
        .values("period_start", "total", "sent", "received", "delivered", "read", "failed")
    )
    return {"message": {f: getattr(row, f) for f in UPDATE_FIELDS}, "stats": stats}


@pytest.mark.parametrize(
    ("family", "messages", "updates", "target", "kinds"),
    PARKED_CASES,
    ids=[f"{c[0]}/{'+'.join(c[2])}" for c in PARKED_CASES],
)
def test_update_before_its_message_is_parked_then_applied(
    send, family, messages, updates, target, kinds
):
    for name in [*messages, *updates]:
        send(family, name)
    in_order = _state(family, target)
    assert PendingUpdate.objects.count() == 0

    wipe_conversation()
    for name in updates:
        assert send(family, name).body["status"] == "processed"
    parked = set(PendingUpdate.objects.filter(target_id=target).values_list("kind", flat=True))
    assert parked == kinds
    for name in messages:
        send(family, name)
    assert PendingUpdate.objects.filter(target_id=target).count() == 0
    assert _state(family, target) == in_order


def test_a_wuzapi_edit_whose_original_never_arrived_creates_the_message(send):
    """As Z-API's: whatsmeow's edit names its target; the message is created with the new text."""
    target = "3EB0F1A2B3C4D5E6F701"
    assert send("wuzapi", "edit").body["status"] == "processed"
    assert PendingUpdate.objects.count() == 0
    row = message("wuzapi", target)
    assert row.text == "Bom dia! O pedido #4521 já saiu para entrega? Moro no apto 52 📦"
    assert row.edit_history == []
    assert MessageStats.objects.get(client=row.client).received == 1
    # The late original completes the row (its time; its text first in the history).
    original_text = parsers.parse(fixture("wuzapi", "text")).events[0].text
    assert send("wuzapi", "text").body["status"] == "processed"
    late = message("wuzapi", target)
    assert late.text == row.text
    assert late.edit_history == [{"text": original_text, "replaced_at": row.timestamp.isoformat()}]
    assert late.timestamp < row.timestamp and not late.created_by_edit
    assert MessageStats.objects.get(client=row.client).received == 1


@pytest.mark.parametrize(
    ("family", "origin", "target"),
    [
        ("wppconnect", "self_message", "true_5511987654321@c.us_3EB0B1C2D3E4F5A6B702"),
        ("ultramsg", "from_me_text", "true_5511987654321@c.us_3EB0D1E2F3A4B5C6D702"),
    ],
)
def test_timeless_acks_never_move_backwards(send, family, origin, target):
    """WPPConnect's and UltraMsg's acks carry the message's time, not theirs: each is applied
    at its time of receipt, and a late lower ack changes nothing."""
    send(family, origin)
    read = send(family, "ack_read")
    assert read.body["status"] == "processed"
    for stale in ("ack_device", "ack_server"):
        assert send(family, stale).body["status"] == "duplicate"
    row = message(family, target)
    assert (row.status, row.read_at) == ("read", event_of(read).received_at)


def test_a_zapi_edit_whose_original_never_arrived_creates_the_message(send):
    """Issue 13, defect 2: the edit carries the whole message; it used to be parked forever."""
    target = "3AF1C2E9B7D4A6E8C0D1"
    assert send("zapi", "edit").body["status"] == "processed"
    assert PendingUpdate.objects.count() == 0
    row = message("zapi", target)
    assert row.text == "Olá! Quero saber o preço e o prazo de entrega 😊"
    assert row.edit_history == []  # there was no earlier text to keep
    assert MessageStats.objects.get(client=row.client).received == 1
    # The original, arriving late, does not bring the old text back or count twice: it
    # completes the row (its own time; its text first in the history), as if it came first.
    assert send("zapi", "text").body["status"] == "processed"
    late = message("zapi", target)
    assert late.text == row.text
    assert late.edit_history == [
        {"text": "Olá! Quero saber o preço 😊", "replaced_at": row.timestamp.isoformat()}
    ]
    assert late.timestamp < row.timestamp and not late.created_by_edit
    assert MessageStats.objects.get(client=row.client).received == 1


# --- Deletes, edits, reactions, replies --------------------------------------------------------

# (family, message fixture, delete fixture, target, text kept, deleted_at)
DELETE_CASES = [
    (
        "evolution",
        "image",
        "delete_revoke",
        "3EB0D4E5F6A7B8C9D0E1",
        "Esse modelo ainda está disponível? 👟",
        at(7, 20),
    ),
    (
        "evolution",
        "video",
        "upsert_revoke",
        "3A7D2F9B1C4E6A8B0D12",
        "Vídeo da embalagem 📦",
        at(9, 1, 40),
    ),
    (
        "evolution",
        "document_with_caption",
        "edited_revoke",
        "3EB0DE45F06712B9DEAB",
        "Segue a nota fiscal do pedido #4521 ✅",
        at(7, 45),
    ),
    (
        "evolution",
        "from_me_phone",
        "delete_api",
        "3AD1F3B5C7E9A0B2C4D6",
        "Oi João, seu pedido saiu para entrega 🚚",
        at(8, 45),
    ),
    (
        "waha",
        "message_video",
        "revoked",
        "false_5511987654321@c.us_3A1B2C3D4E5F60718296",
        "Vídeo do defeito no pé do sofá 🎬",
        at(7, 10, 50),
    ),
    (
        "zapi",
        "image",
        "revoke",
        "3AF1C2E9B7D4A6E8C0D3",
        "Foto da sala onde vai o sofá 📷",
        at(7, 38, 20),
    ),
    (
        "wppconnect",  # onrevokedmessage carries no time: deleted at the time of receipt
        "message_image",
        "revoked",
        "false_5511987654321@c.us_3EB0B1C2D3E4F5A6B704",
        "Foto da sala onde vai ficar o sofá 📷",
        None,
    ),
    (
        "ultramsg",
        "image",
        "revoked",
        "false_5511987654321@c.us_3EB0D1E2F3A4B5C6D704",
        "Ela combina com esse tapete? 🤔",
        at(8, 17),
    ),
    (
        "wuzapi",
        "image",
        "revoke",
        "3EB0F1A2B3C4D5E6F704",
        "A caixa chegou amassada 😕",
        at(9, 7, 30),
    ),
]


@pytest.mark.parametrize(
    ("family", "origin", "delete", "target", "text", "deleted_at"),
    DELETE_CASES,
    ids=[f"{c[0]}/{c[2]}" for c in DELETE_CASES],
)
def test_delete_marks_the_message_and_keeps_its_text(
    send, family, origin, delete, target, text, deleted_at
):
    send(family, origin)
    reply = send(family, delete)
    assert reply.body["status"] == "processed"
    deleted_at = deleted_at or event_of(reply).received_at
    row = message(family, target)
    assert (row.is_deleted, row.status, row.text, row.deleted_at) == (
        True,
        "deleted",
        text,
        deleted_at,
    )
    assert Message.objects.count() == 1  # the row stays; nothing new is created
    assert send(family, delete).body["status"] == "duplicate"


# (family, message fixture, edit fixture, target, old text, new text, edited at)
EDIT_CASES = [
    (
        "evolution",
        "text",
        "edited",
        "3EB0C7D2A91F4E6B8D21",
        "Olá! Quero saber o preço 😊",
        "Olá! Quero saber o preço do tênis azul, tamanho 38 😊",
        at(7, 10),
    ),
    (
        "evolution",
        "group_text",
        "upsert_edit",
        "3EB089F0A178CD648967",
        "Bom dia, pessoal! Alguém sabe o horário de funcionamento no sábado? ☀️",
        "Bom dia, pessoal! Alguém sabe o horário de funcionamento no sábado e no domingo? ☀️",
        at(9, 6, 40),
    ),
    (
        "waha",
        "message_text",
        "edited",
        "false_5511987654321@c.us_3A1B2C3D4E5F60718293",
        "Olá! Quero saber o preço 😊",
        "Olá! Quero saber o preço do sofá retrátil cinza 😊",
        at(7, 9, 10),
    ),
    (
        "zapi",
        "text",
        "edit",
        "3AF1C2E9B7D4A6E8C0D1",
        "Olá! Quero saber o preço 😊",
        "Olá! Quero saber o preço e o prazo de entrega 😊",
        at(7, 33, 20),
    ),
    (
        "wuzapi",
        "text",
        "edit",
        "3EB0F1A2B3C4D5E6F701",
        "Bom dia! O pedido #4521 já saiu para entrega? 📦",
        "Bom dia! O pedido #4521 já saiu para entrega? Moro no apto 52 📦",
        at(9, 2),
    ),
]


@pytest.mark.parametrize(
    ("family", "origin", "edit", "target", "old", "new", "edited_at"),
    EDIT_CASES,
    ids=[f"{c[0]}/{c[2]}" for c in EDIT_CASES],
)
def test_edit_replaces_text_and_keeps_history(
    send, family, origin, edit, target, old, new, edited_at
):
    send(family, origin)
    assert send(family, edit).body["status"] == "processed"
    row = message(family, target)
    assert row.text == new
    assert row.edit_history == [{"text": old, "replaced_at": edited_at.isoformat()}]
    assert row.is_deleted is False
    assert send(family, edit).body["status"] == "duplicate"
    assert message(family, target).edit_history == row.edit_history


# (family, message fixture, target, reacting sender, emoji)
REACTION_CASES = [
    (
        "meta_cloud",
        "message_echo",
        "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYFDNFQjBBMUIyQzNENEU1RjYwNzE5AA==",
        "5511987654321",
        "😍",
    ),
    ("evolution", "send_message", "3EB05A7C9E1B2D4F6A80", "5511987654321@s.whatsapp.net", "❤️"),
    (
        "waha",
        "message_any_from_me",
        "true_5511987654321@c.us_3EB0A1B2C3D4E5F60701",
        "5511987654321@c.us",
        "❤️",
    ),
    ("zapi", "from_me_text", "3EB0C4F1A2B3D4E5F601", "5511987654321", "❤️"),
    ("wapi", "delivery", "3EB0A7C4D2F19E8B5C01", "5511987654321", "❤️"),
    (
        "wppconnect",
        "self_message",
        "true_5511987654321@c.us_3EB0B1C2D3E4F5A6B702",
        "5511987654321@c.us",
        "❤️",
    ),
    (
        "wuzapi",
        "from_me_text",
        "3EB0F1A2B3C4D5E6F702",
        "5511987654321@s.whatsapp.net",
        "❤️",
    ),
]


@pytest.mark.parametrize(
    ("family", "origin", "target", "who", "emoji"),
    REACTION_CASES,
    ids=[c[0] for c in REACTION_CASES],
)
def test_reaction_is_set_and_its_removal_clears_it(send, family, origin, target, who, emoji):
    send(family, origin)
    assert send(family, "reaction").body["status"] == "processed"
    assert message(family, target).reactions == {who: emoji}
    assert send(family, "reaction").body["status"] == "duplicate"
    assert send(family, "reaction_removed").body["status"] == "processed"
    assert message(family, target).reactions == {}
    # Replaying the older reaction after its removal does not bring it back.
    assert send(family, "reaction").body["status"] == "duplicate"
    assert message(family, target).reactions == {}
    assert not Message.objects.filter(type="reaction").exists()


# (family, quoted fixture, reply fixture, quoted id)
REPLY_CASES = [
    (
        "meta_cloud",
        "message_echo",
        "text_reply",
        "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYFDNFQjBBMUIyQzNENEU1RjYwNzE4AA==",
    ),
    ("evolution", "send_message", "text_extended_reply", "3EB05A7C9E1B2D4F6A80"),
    (
        "waha",
        "message_any_from_me",
        "message_reply",
        "true_5511987654321@c.us_3EB0A1B2C3D4E5F60701",
    ),
    ("zapi", "from_me_text", "text_reply", "3EB0C4F1A2B3D4E5F601"),
    ("wapi", "delivery", "extended_text_reply", "3EB0A7C4D2F19E8B5C01"),
    ("baileys_sample", "from_me_text", "reply", "BAE5C81D2F6A4E09"),
    ("wppconnect", "self_message", "message_reply", "true_5511987654321@c.us_3EB0B1C2D3E4F5A6B702"),
    ("ultramsg", "from_me_text", "reply", "true_5511987654321@c.us_3EB0D1E2F3A4B5C6D702"),
    ("wuzapi", "from_me_text", "extended_text_reply", "3EB0F1A2B3C4D5E6F702"),
]


@pytest.mark.parametrize(
    ("family", "quoted", "reply_name", "quoted_id"), REPLY_CASES, ids=[c[0] for c in REPLY_CASES]
)
def test_reply_points_at_the_quoted_message(send, family, quoted, reply_name, quoted_id):
    send(family, quoted)
    reply = send(family, reply_name)
    answer = Message.objects.get(webhook_event_id=reply.body["event_id"])
    assert answer.quoted_id == quoted_id
    original = message(family, answer.quoted_id)
    assert (original.chat_id, original.from_me, answer.from_me) == (answer.chat_id, True, False)


# --- Our own messages and response times -------------------------------------------------------

# (family, inbound fixture, our reply fixture, reply id, seconds to answer)
RESPONSE_CASES = [
    (
        "meta_cloud",
        "text",
        "message_echo",
        "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYFDNFQjBBMUIyQzNENEU1RjYwNzE4AA==",
        120,
    ),
    ("evolution", "text", "send_message", "3EB05A7C9E1B2D4F6A80", 120),
    ("evolution", "audio", "from_me_phone", "3AD1F3B5C7E9A0B2C4D6", 3900),
    (
        "waha",
        "message_text",
        "message_any_from_me",
        "true_5511987654321@c.us_3EB0A1B2C3D4E5F60701",
        60,
    ),
    ("zapi", "text", "from_me_text", "3EB0C4F1A2B3D4E5F601", 180),
    ("wapi", "text", "delivery_image", "3AB7E21C94D05F6A8E02", 1300),
    ("baileys_sample", "text", "from_me_text", "BAE5C81D2F6A4E09", 480),
    (
        "wppconnect",
        "message_text",
        "self_message",
        "true_5511987654321@c.us_3EB0B1C2D3E4F5A6B702",
        120,
    ),
    ("ultramsg", "text", "from_me_text", "true_5511987654321@c.us_3EB0D1E2F3A4B5C6D702", 120),
    ("wuzapi", "text", "from_me_text", "3EB0F1A2B3C4D5E6F702", 120),
]


@pytest.mark.parametrize(
    ("family", "inbound", "ours", "ours_id", "seconds"),
    RESPONSE_CASES,
    ids=[f"{c[0]}/{c[2]}" for c in RESPONSE_CASES],
)
def test_our_reply_is_from_me_and_answers_the_chat(send, family, inbound, ours, ours_id, seconds):
    send(family, inbound)
    waiting = ContactStats.objects.get()
    assert waiting.waiting_since is not None and waiting.responses == 0
    send(family, ours)
    reply = message(family, ours_id)
    assert reply.from_me is True
    assert reply.status in ("sent", "pending")
    stats = ContactStats.objects.get(chat=reply.chat)
    assert (stats.responses, stats.waiting_since, stats.first_response_seconds) == (
        1,
        None,
        seconds,
    )
    assert stats.sent >= 1 and stats.received == 1
    chat = reply.chat
    chat.refresh_from_db()
    assert chat.last_message_from_me is True


# --- @lid: one Sender under both ids -----------------------------------------------------------


def _from_phone(phone: str, name: str) -> dict[str, Any]:
    """Evolution's text fixture, sent by the phone JID of someone we also see as an @lid."""
    payload = copy.deepcopy(fixture("evolution", "text"))
    payload["data"]["key"] |= {"remoteJid": phone, "id": "3EB0PHONE000000000001"}
    payload["data"]["pushName"] = name
    return payload


@pytest.mark.parametrize("phone_first", [True, False], ids=["phone_first", "lid_first"])
@pytest.mark.parametrize(
    ("name", "lid", "phone", "person"),
    [
        ("lid_sender", "178292625068243@lid", "5531988776655@s.whatsapp.net", "Carla Mendes"),
        ("lid_sender_pn", "209341876543210@lid", "5541991234567@s.whatsapp.net", "Rafael Lima"),
    ],
)
def test_lid_and_phone_are_one_sender(send, name, lid, phone, person, phone_first):
    posts = [_from_phone(phone, person), name]
    for body in posts if phone_first else posts[::-1]:
        assert send("evolution", body).body["status"] == "processed"
    sender = Sender.objects.get()
    assert {sender.sender_id, sender.alt_id} == {lid, phone}
    assert (sender.sender_id, sender.alt_id) == (
        phone,
        lid,
    )  # the phone is primary, whatever came first
    assert sender.name == person
    for key in (lid, phone):
        assert Sender.objects.filter(Q(sender_id=key) | Q(alt_id=key)).get() == sender
    assert set(Message.objects.values_list("sender_id", flat=True)) == {sender.pk}


# --- Meta: one delivery, two numbers -----------------------------------------------------------


def test_meta_batch_is_split_between_two_clients(send, clients):
    reply = send("meta_cloud", "batch")
    assert reply.body["status"] == "processed"
    first, second = clients[INSTANCES["meta_cloud"]], clients[META_SECOND]
    ours = set(Message.objects.filter(client=first).values_list("external_id", flat=True))
    theirs = set(Message.objects.filter(client=second).values_list("external_id", flat=True))
    assert ours == {
        "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFDNBNEYyQzhCMUQ5RTdBNkI1QzIwAA==",
        "wamid.HBgMNTUzMTg4Nzc2NjU1FQIAEhgUM0E0RjJDOEIxRDlFN0E2QjVDMjEA",
    }
    assert theirs == {"wamid.HBgNNTUyMTk5ODc2NTQzMhUCABIYFDNBNEYyQzhCMUQ5RTdBNkI1QzIyAA=="}
    assert Chat.objects.get(client=second).chat_id == "5521998765432"
    assert set(Chat.objects.filter(client=first).values_list("chat_id", flat=True)) == {
        "5511987654321",
        "553188776655",
    }
    parked = set(PendingUpdate.objects.values_list("client_id", "target_id"))
    assert parked == {
        (first.pk, "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYFDNFQjBDOUQ4RTdGNkE1QjRDMzAxAA=="),
        (first.pk, "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYFDNFQjBDOUQ4RTdGNkE1QjRDMzAyAA=="),
        (second.pk, "wamid.HBgNNTUyMTk5ODc2NTQzMhUCABEYFDNFQjBDOUQ4RTdGNkE1QjRDMzA0AA=="),
    }
    assert event_of(reply).client_id == first.pk
    assert send("meta_cloud", "batch").body["status"] == "duplicate"


# --- Timestamps --------------------------------------------------------------------------------


@pytest.mark.parametrize("family", list(INSTANCES))
def test_every_stored_time_is_aware_utc(send, family):
    for _, name in all_fixtures(family):
        send(family, name)
    rows = list(Message.objects.filter(client__instance_id=INSTANCES[family]))
    assert rows
    for row in rows:
        for moment in (row.timestamp, row.sent_at, row.delivered_at, row.read_at, row.deleted_at):
            assert moment is None or moment.utcoffset() == timedelta(0), (row.external_id, moment)
        assert row.timestamp.tzinfo is not None
    estimated = {r.external_id for r in rows if r.timestamp_estimated}
    expected = {"BAE5C81D2F6A4E0E", "BAE5C81D2F6A4E0F"} if family == "baileys_sample" else set()
    assert estimated == expected


def test_zapi_momment_in_milliseconds_is_converted(send):
    send("zapi", "text")
    momment = fixture("zapi", "text")["momment"]
    assert momment > 1e11  # milliseconds
    row = message("zapi", "3AF1C2E9B7D4A6E8C0D1")
    assert row.timestamp == datetime.fromtimestamp(momment // 1000, tz=UTC) == at(7, 6, 40)
    assert row.timestamp_estimated is False


@pytest.mark.parametrize("name", ["bad_timestamp", "future_timestamp"])
def test_unusable_time_falls_back_to_receipt_and_is_flagged(send, name):
    reply = send("baileys_sample", name)
    row = Message.objects.get(webhook_event_id=reply.body["event_id"])
    assert row.timestamp_estimated is True
    assert row.timestamp == event_of(reply).received_at
    assert row.timestamp.utcoffset() == timedelta(0)
    assert row.timestamp.year < 2200
