"""Wuzapi parser: every fixture, every normalised field, form decoding, HMAC and detection.

Fixtures follow docs/formats.md §13 and are stored as the JSON-mode payload (the whatsmeow event as
Go marshals it, plus ``instanceName`` and ``userID``); the default form mode is the same JSON
in a ``jsonData`` form field, which these tests encode with ``helpers.wuzapi_form`` and decode
through ``WebhookValidator.decode`` exactly as both servers do.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from webhook.events import (
    ConnectionEvent,
    ConnectionState,
    Contact,
    DeleteEvent,
    DeliveryStatus,
    EditEvent,
    Event,
    Location,
    Media,
    MessageEvent,
    MessageType,
    PresenceEvent,
    QrCodeEvent,
    ReactionEvent,
    StatusEvent,
)
from webhook.exceptions import PayloadError
from webhook.forms import form_fields
from webhook.parsers import detect, parse, wuzapi
from webhook.tests.helpers import all_fixtures, fixture, fixture_bytes, wuzapi_form
from webhook.validators import WebhookValidator, stored_body

FAMILY = "wuzapi"
INSTANCE = "suporte"
ME = "5511912345678@s.whatsapp.net"
JOAO, JOAO_NAME = "5511987654321@s.whatsapp.net", "João Araújo"
GROUP = "120363041234567890@g.us"
ANA_LID, ANA_PN = "163829475610273@lid", "5521976543210@s.whatsapp.net"
T0 = datetime(2025, 11, 29, 9, 0, tzinfo=UTC)
MMG = "https://mmg.whatsapp.net/v/"
KEY = "Kq3Wm8Vb2Nc5Xz7Lk9Jh1Gf3Ds5Aa7Po9Iu1Yt3Re5="
ENC = "Zt9rWq2E8yU1iO3pA5sD7fG9hJ1kL3zX5cV7bN9mQwE="
OURS = "3EB0F1A2B3C4D5E6F702"
VCARD = (
    "BEGIN:VCARD\nVERSION:3.0\nN:Pereira;José Antônio;;;\nFN:José Antônio Pereira\n"
    "TEL;type=CELL;type=VOICE;waid=5511976543210:+55 11 97654-3210\nEND:VCARD"
)
VALIDATOR = WebhookValidator(max_body_bytes=10**7, max_depth=64)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def inbound(wa_id: str, seconds: int, **fields: Any) -> MessageEvent:
    values: dict[str, Any] = {
        "client_key": INSTANCE,
        "timestamp": at(seconds),
        "message_id": wa_id,
        "chat_id": JOAO,
        "chat_name": JOAO_NAME,
        "sender_id": JOAO,
        "sender_name": JOAO_NAME,
        "type": MessageType.TEXT,
        "subtype": "conversation",
    }
    return MessageEvent(**{**values, **fields})


def proto_media(path: str, mimetype: str, sha: str, size: int, **fields: Any) -> Media:
    return Media(
        url=f"{MMG}{path}&mms3=true",
        mimetype=mimetype,
        sha256=sha,
        size=size,
        media_key=KEY,
        direct_path=f"/v/{path}",
        file_enc_sha256=ENC,
        **fields,
    )


def receipt(wa_id: str, status: DeliveryStatus, seconds: int, recipient: str = JOAO):
    return StatusEvent(
        client_key=INSTANCE,
        timestamp=at(seconds),
        message_id=wa_id,
        status=status,
        chat_id=JOAO,
        recipient_id=recipient,
    )


def connection(state: ConnectionState, reason: str, phone: str = "") -> ConnectionEvent:
    return ConnectionEvent(client_key=INSTANCE, state=state, phone=phone, reason=reason)


EDITED = "Bom dia! O pedido #4521 já saiu para entrega? Moro no apto 52 📦"
EXPECTED: dict[str, tuple[str, tuple[Event, ...]]] = {
    "text": (
        "Message",
        (
            inbound(
                "3EB0F1A2B3C4D5E6F701", 60, text="Bom dia! O pedido #4521 já saiu para entrega? 📦"
            ),
        ),
    ),
    "from_me_text": (
        "Message",
        (
            inbound(
                OURS,
                180,
                chat_name="",
                sender_id=ME,
                sender_name="",
                from_me=True,
                text="Bom dia, João! Saiu hoje cedo, chega até as 18h 🚚",
            ),
        ),
    ),
    "extended_text_reply": (
        "Message",
        (
            inbound(
                "3EB0F1A2B3C4D5E6F703",
                300,
                subtype="extendedTextMessage",
                text="Obrigado! Vou ficar de olho 👀",
                quoted_id=OURS,  # contextInfo.stanzaID, Go's spelling
            ),
        ),
    ),
    "image": (
        "Message",
        (
            inbound(
                "3EB0F1A2B3C4D5E6F704",
                420,
                type=MessageType.IMAGE,
                subtype="imageMessage",
                text="A caixa chegou amassada 😕",
                media=proto_media(
                    "t62.7118-24/91234567_1111111111111111_1111111111111111111_n.enc"
                    "?ccb=11-4&oh=01_Q5AaW1&oe=6951F0A2&_nc_sid=5e03e0",
                    "image/jpeg",
                    "d4Mt1fZp4Yt3AeBzS6cN2iW8jK5gO0qU7vH9xL3rSbf=",
                    154321,
                    width=960,
                    height=1280,
                    has_inline_data=True,  # base64 in the delivery, kept in the raw event
                ),
            ),
        ),
    ),
    "video": (
        "Message",
        (
            inbound(
                "3EB0F1A2B3C4D5E6F705",
                480,
                type=MessageType.VIDEO,
                subtype="videoMessage",
                text="Vídeo abrindo a caixa 🎥",
                media=Media(
                    url="https://wuzapi-media.s3.sa-east-1.amazonaws.com/users/a81b3c5d7e9f/"
                    "inbox/5511987654321/3EB0F1A2B3C4D5E6F705.mp4",  # s3.url first
                    mimetype="video/mp4",
                    sha256="e5Nu2gAq5Zu4BfCaT7dO3jX9kL6hP1rV8wI0yM4sTcg=",
                    size=3145728,
                    duration=21,
                    width=720,
                    height=1280,
                ),
            ),
        ),
    ),
    "voice": (
        "Message",
        (
            inbound(
                "3EB0F1A2B3C4D5E6F706",
                540,
                type=MessageType.AUDIO,
                subtype="audioMessage",
                media=proto_media(
                    "t62.7117-24/93234567_3333333333333333_3333333333333333333_n.enc"
                    "?ccb=11-4&oh=01_Q5AaW3&oe=6951F0A2&_nc_sid=5e03e0",
                    "audio/ogg; codecs=opus",
                    "f6Ov3hBr6Av5CgDbU8eP4kY0lM7iQ2sW9xJ1zN5tUdh=",
                    24576,
                    duration=9,
                    voice=True,  # PTT
                ),
            ),
        ),
    ),
    "audio": (
        "Message",
        (
            inbound(
                "3EB0F1A2B3C4D5E6F707",
                600,
                type=MessageType.AUDIO,
                subtype="audioMessage",
                media=proto_media(
                    "t62.7114-24/94234567_4444444444444444_4444444444444444444_n.enc"
                    "?ccb=11-4&oh=01_Q5AaW4&oe=6951F0A2&_nc_sid=5e03e0",
                    "audio/mpeg",
                    "g7Pw4iCs7Bw6DhEcV9fQ5lZ1mN8jR3tX0yK2aO6uVei=",
                    512000,
                    duration=32,
                ),
            ),
        ),
    ),
    "document": (
        "Message",
        (
            inbound(
                "3EB0F1A2B3C4D5E6F708",
                660,
                type=MessageType.DOCUMENT,
                subtype="documentMessage",
                text="Segue a nota fiscal do pedido ✅",  # the caption, not the name
                media=proto_media(
                    "t62.7119-24/95234567_5555555555555555_5555555555555555555_n.enc"
                    "?ccb=11-4&oh=01_Q5AaW5&oe=6951F0A2&_nc_sid=5e03e0",
                    "application/pdf",
                    "h8Qx5jDt8Cx7EiFdW0gR6mA2nO9kS4uY1zL3bP7vWfj=",
                    98304,
                    file_name="Nota_Fiscal_4521.pdf",  # not Wuzapi's "<ID>.pdf"
                    has_inline_data=True,
                ),
            ),
        ),
    ),
    "sticker": (
        "Message",
        (
            inbound(
                "3EB0F1A2B3C4D5E6F709",
                720,
                type=MessageType.STICKER,
                subtype="stickerMessage",
                media=proto_media(
                    "t62.15575-24/96234567_6666666666666666_6666666666666666666_n.enc"
                    "?ccb=11-4&oh=01_Q5AaW6&oe=6951F0A2&_nc_sid=5e03e0",
                    "image/webp",
                    "i9Ry6kEu9Dy8FjGeX1hS7nB3oP0lT5vZ2aM4cQ8wXgk=",
                    18944,
                    width=512,
                    height=512,
                ),
            ),
        ),
    ),
    "location": (
        "Message",
        (
            inbound(
                "3EB0F1A2B3C4D5E6F70A",
                780,
                type=MessageType.LOCATION,
                subtype="locationMessage",
                text="Centro de Distribuição",
                location=Location(
                    latitude=-23.5505199,
                    longitude=-46.6333094,
                    name="Centro de Distribuição",
                    address="Rua da Consolação, 2000 - São Paulo - SP",
                ),
            ),
        ),
    ),
    "contact": (
        "Message",
        (
            inbound(
                "3EB0F1A2B3C4D5E6F70B",
                840,
                type=MessageType.CONTACT,
                subtype="contactMessage",
                text="José Antônio Pereira",
                contacts=(Contact(display_name="José Antônio Pereira", vcard=VCARD),),
            ),
        ),
    ),
    "group_lid_text": (
        "Message",
        (
            inbound(
                "3EB0F1A2B3C4D5E6F70C",
                900,
                chat_id=GROUP,
                chat_name="",
                is_group=True,
                sender_id=ANA_LID,
                sender_name="Ana Beatriz",
                sender_alt_id=ANA_PN,
                text="Alguém mais recebeu o pedido hoje? 🙋\u200d♀️",
            ),
        ),
    ),
    "unknown_message": (
        "Message",
        (inbound("3EB0F1A2B3C4D5E6F70D", 960, type=MessageType.UNKNOWN, subtype="eventMessage"),),
    ),
    "reaction": (
        "Message",
        (
            ReactionEvent(
                client_key=INSTANCE,
                timestamp=at(240),
                target_id=OURS,
                emoji="❤️",
                chat_id=JOAO,
                sender_id=JOAO,
            ),
        ),
    ),
    "reaction_removed": (
        "Message",
        (
            ReactionEvent(
                client_key=INSTANCE,
                timestamp=at(360),
                target_id=OURS,
                emoji="",
                chat_id=JOAO,
                sender_id=JOAO,
            ),
        ),
    ),
    "edit": (
        "Message",
        (
            # the message itself, for when the original never arrived
            inbound("3EB0F1A2B3C4D5E6F701", 120, text=EDITED, from_edit=True),
            EditEvent(
                client_key=INSTANCE,
                timestamp=at(120),
                target_id="3EB0F1A2B3C4D5E6F701",
                new_text=EDITED,
                chat_id=JOAO,
            ),
        ),
    ),
    "revoke": (
        "Message",
        (
            DeleteEvent(
                client_key=INSTANCE,
                timestamp=at(450),
                target_id="3EB0F1A2B3C4D5E6F704",
                chat_id=JOAO,
            ),
        ),
    ),
    "receipt_delivered": ("ReadReceipt", (receipt(OURS, DeliveryStatus.DELIVERED, 190),)),
    "receipt_read": ("ReadReceipt", (receipt(OURS, DeliveryStatus.READ, 230),)),
    "receipt_read_self": (
        "ReadReceipt",
        (receipt("3EB0F1A2B3C4D5E6F701", DeliveryStatus.READ, 100, recipient=""),),
    ),
    "receipt_unknown_message": (
        "ReadReceipt",
        (receipt("3EB0F1A2B3C4D5E6F799", DeliveryStatus.READ, 1000),),
    ),
    "presence": (
        "Presence",
        (PresenceEvent(client_key=INSTANCE, chat_id=JOAO, presence="available"),),
    ),
    "presence_offline": (
        "Presence",
        (
            PresenceEvent(
                client_key=INSTANCE, timestamp=at(1100), chat_id=JOAO, presence="unavailable"
            ),
        ),
    ),
    "chat_presence": (
        "ChatPresence",
        (PresenceEvent(client_key=INSTANCE, chat_id=JOAO, presence="recording"),),
    ),
    "connected": ("Connected", (connection(ConnectionState.OPEN, "Connected"),)),
    "pair_success": (
        "PairSuccess",
        (connection(ConnectionState.OPEN, "PairSuccess", phone=ME),),
    ),
    "logged_out": ("LoggedOut", (connection(ConnectionState.CLOSED, "LoggedOut"),)),
    "qr": (
        "QR",
        (QrCodeEvent(client_key=INSTANCE, image=fixture(FAMILY, "qr")["qrCodeBase64"]),),
    ),
    "qr_timeout": ("QRTimeout", (connection(ConnectionState.CLOSED, "QRTimeout"),)),
    "connect_failure": (
        "ConnectFailure",
        (connection(ConnectionState.CLOSED, "websocket: bad handshake"),),
    ),
    "history_sync": ("HistorySync", ()),
}


def test_every_fixture_has_an_expectation() -> None:
    assert {name for _, name in all_fixtures(FAMILY)} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_parses_to_expected_events(name: str) -> None:
    event_type, events = EXPECTED[name]
    result = wuzapi.parse(fixture(FAMILY, name))
    assert (result.family, result.event_type, result.client_key) == (FAMILY, event_type, INSTANCE)
    assert result.events == events
    assert all(e.raw is not None for e in result.events)
    if events:
        assert result.ignored_reason == ""
    else:
        assert result.ignored_reason == f"Wuzapi event '{event_type}' is not handled"


# --- form mode: the same events through the shared decode path -------------------------------


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("multipart", [False, True], ids=["urlencoded", "multipart"])
def test_a_form_post_gives_the_events_of_its_json(name: str, multipart: bool) -> None:
    body, content_type = wuzapi_form(fixture(FAMILY, name), token="t0k3n", multipart=multipart)
    payload = VALIDATOR.decode(body, content_type)
    assert payload["token"] == "t0k3n"
    assert parse(payload).events == EXPECTED[name][1]
    assert detect(payload) is wuzapi


def test_the_form_payload_is_the_json_payload_plus_the_token() -> None:
    json_payload = VALIDATOR.decode(fixture_bytes(FAMILY, "text"))
    del json_payload["_source"]
    body, content_type = wuzapi_form(fixture(FAMILY, "text"), token="t0k3n")
    assert VALIDATOR.decode(body, content_type) == {**json_payload, "token": "t0k3n"}


def test_an_old_form_names_no_instance() -> None:
    body, content_type = wuzapi_form(fixture(FAMILY, "text"), token="t0k3n", legacy=True)
    payload = VALIDATOR.decode(body, content_type)
    assert wuzapi.client_key(payload) == ""
    assert parse(payload).events[0].message_id == "3EB0F1A2B3C4D5E6F701"


def test_user_id_is_the_client_without_instance_name() -> None:
    payload = fixture(FAMILY, "text")
    del payload["instanceName"]
    assert wuzapi.client_key(payload) == "a81b3c5d7e9f"


def test_a_multipart_file_is_skipped_and_not_stored_as_binary() -> None:
    picture = bytes(range(256)) * 4  # not UTF-8, with NUL bytes
    body, content_type = wuzapi_form(
        fixture(FAMILY, "image"), token="t0k3n", multipart=True, file=picture
    )
    payload = VALIDATOR.decode(body, content_type)
    assert payload["file"] == "/tmp/user_a81b3c5d7e9f/3EB0F1A2B3C4D5E6F704.jpg"  # the text field
    stored = stored_body(body, content_type)
    assert "t0k3n" not in stored and "\x00" not in stored
    assert f"[binary part not stored: {len(picture)} bytes, sha256 " in stored
    assert hashlib.sha256(picture).hexdigest() in stored
    # the stored text decodes to the same payload, but for the masked token (replays)
    replayed = VALIDATOR.decode(stored.encode(), content_type)
    assert replayed == {**payload, "token": "***"}


def test_the_stored_urlencoded_body_is_the_received_one_with_the_token_masked() -> None:
    body, content_type = wuzapi_form(fixture(FAMILY, "text"), token="t0k3n")
    stored = stored_body(body, content_type)
    assert stored == body.decode().replace("token=t0k3n", "token=***")


def test_a_token_inside_json_data_is_masked_too() -> None:
    payload = fixture(FAMILY, "text") | {"token": "t0k3n"}
    event = {k: v for k, v in payload.items() if k not in ("_source",)}
    body = urlencode({"jsonData": json.dumps(event, ensure_ascii=False)}).encode()
    stored = stored_body(body, "application/x-www-form-urlencoded")
    assert "t0k3n" not in stored
    assert VALIDATOR.decode(stored.encode(), "application/x-www-form-urlencoded")["token"] == "***"


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"jsonData=%7Bnope", "application/x-www-form-urlencoded", "form field 'jsonData'"),
        (b"jsonData=%5B1%5D", "application/x-www-form-urlencoded", "got an array"),
        (b"a=1&a=2", "application/x-www-form-urlencoded", "repeated"),
        (b"jsonData=%FF", "application/x-www-form-urlencoded", "UTF-8"),
        (b"--x\r\nbroken", "multipart/form-data; boundary=x", "multipart"),
        (b"--x--\r\n", "multipart/form-data", "boundary"),
        (
            "&".join(f"f{i}=1" for i in range(200)).encode(),
            "application/x-www-form-urlencoded",
            "fields",
        ),
    ],
)
def test_bad_forms_are_payload_errors(body: bytes, content_type: str, message: str) -> None:
    with pytest.raises(PayloadError, match=message):
        VALIDATOR.decode(body, content_type)


def test_json_labelled_as_a_form_is_json() -> None:
    body = fixture_bytes(FAMILY, "text")
    assert VALIDATOR.decode(body, "application/x-www-form-urlencoded") == VALIDATOR.decode(body)


def test_a_lone_surrogate_in_json_data_becomes_a_replacement_character() -> None:
    payload = fixture(FAMILY, "text")
    payload["event"]["Message"]["conversation"] = "Oi \ud83d"
    event = {k: v for k, v in payload.items() if k not in ("instanceName", "userID", "_source")}
    json_data = json.dumps(event)  # ASCII: the lone half travels as \ud83d
    body = urlencode({"jsonData": json_data, "instanceName": INSTANCE}).encode()
    (message,) = parse(VALIDATOR.decode(body, "application/x-www-form-urlencoded")).events
    assert message.text == "Oi \ufffd"


# --- x-hmac-signature --------------------------------------------------------------------------

SECRET = "k" * 32  # made up for the test (Wuzapi wants 32+ characters)


def _sign(data: bytes, key: str = SECRET) -> str:
    return hmac.new(key.encode(), data, hashlib.sha256).hexdigest()


def test_signature_over_the_raw_json_body() -> None:
    body = fixture_bytes(FAMILY, "text")
    assert wuzapi.verify_signature(body, _sign(body), SECRET, None)
    assert not wuzapi.verify_signature(body, _sign(body, SECRET + "x"), SECRET, None)
    assert not wuzapi.verify_signature(body + b" ", _sign(body), SECRET, None)
    assert not wuzapi.verify_signature(body, "", SECRET, None)
    assert not wuzapi.verify_signature(body, _sign(body), "", None)


def test_signature_of_a_form_over_the_raw_body_or_go_json_of_its_fields() -> None:
    body, content_type = wuzapi_form(fixture(FAMILY, "text"), token="t0k3n")
    fields = form_fields(body, content_type)
    assert wuzapi.verify_signature(body, _sign(body), SECRET, fields)  # docs/formats.md §13
    assert wuzapi.verify_signature(body, _sign(wuzapi.go_json(fields)), SECRET, fields)
    assert not wuzapi.verify_signature(body, _sign(wuzapi.go_json(fields)), SECRET, None)


def test_go_json_escapes_like_go() -> None:
    fields = {"b": "<a & b>", "a": "olá\u2028"}
    assert wuzapi.go_json(fields) == '{"a":"olá\\u2028","b":"\\u003ca \\u0026 b\\u003e"}'.encode()


# --- details ---------------------------------------------------------------------------------


def test_receipts_give_one_status_per_message_id() -> None:
    payload = fixture(FAMILY, "receipt_read")
    payload["event"]["MessageIDs"] = [OURS, "3EB0F1A2B3C4D5E6F7FF", "", 7]
    ids = [e.message_id for e in wuzapi.parse(payload).events]
    assert ids == [OURS, "3EB0F1A2B3C4D5E6F7FF", "7"]


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("Delivered", DeliveryStatus.DELIVERED),
        ("Played", DeliveryStatus.PLAYED),
        ("X", DeliveryStatus.UNKNOWN),
    ],
)
def test_receipt_states(state: str, expected: DeliveryStatus) -> None:
    payload = fixture(FAMILY, "receipt_read") | {"state": state}
    assert wuzapi.parse(payload).events[0].status is expected


def test_other_protocol_messages_carry_nothing() -> None:
    payload = fixture(FAMILY, "revoke")
    payload["event"]["Message"]["protocolMessage"]["type"] = 3  # EPHEMERAL_SETTING
    result = wuzapi.parse(payload)
    assert result.events == ()
    assert result.ignored_reason == "no usable item in the 'Message' payload"


def test_edit_of_a_caption() -> None:
    payload = fixture(FAMILY, "edit")
    proto = payload["event"]["Message"]["protocolMessage"]
    proto["editedMessage"] = {"imageMessage": {"caption": "Nova legenda ✏️"}}
    message, edit = wuzapi.parse(payload).events
    assert (message.type, message.text, edit.new_text) == (
        MessageType.IMAGE,
        "Nova legenda ✏️",
        "Nova legenda ✏️",
    )


def test_reaction_without_target_is_a_payload_error() -> None:
    payload = fixture(FAMILY, "reaction")
    del payload["event"]["Message"]["reactionMessage"]["key"]
    with pytest.raises(PayloadError):
        wuzapi.parse(payload)


@pytest.mark.parametrize("field", ["ID", "Chat"])
def test_missing_ids_raise_payload_error(field: str) -> None:
    payload = fixture(FAMILY, "text")
    del payload["event"]["Info"][field]
    with pytest.raises(PayloadError):
        wuzapi.parse(payload)


@pytest.mark.parametrize(
    ("field", "value"),
    [("Timestamp", "ontem"), ("IsFromMe", "talvez"), ("PushName", 3), ("Sender", None)],
)
def test_wrong_types_degrade(field: str, value: Any) -> None:
    payload = fixture(FAMILY, "text")
    payload["event"]["Info"][field] = value
    (event,) = wuzapi.parse(payload).events
    assert event.message_id == "3EB0F1A2B3C4D5E6F701"


def test_chat_presence_paused_and_presence_without_state() -> None:
    payload = fixture(FAMILY, "chat_presence")
    payload["event"] |= {"State": "paused", "Media": ""}
    assert wuzapi.parse(payload).events[0].presence == "paused"
    payload = fixture(FAMILY, "presence_offline")
    del payload["state"]
    assert wuzapi.parse(payload).events[0].presence == "unavailable"


def test_timestamp_offset_is_converted_to_utc() -> None:
    payload = fixture(FAMILY, "text")
    assert payload["event"]["Info"]["Timestamp"] == "2025-11-29T06:01:00-03:00"
    payload["event"]["Info"]["Timestamp"] = "2025-11-29T06:01:00.987654321-03:00"  # Go's nanos
    assert wuzapi.parse(payload).events[0].timestamp == at(60)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_detect_wuzapi_fixtures(name: str) -> None:
    assert detect(fixture(FAMILY, name)) is wuzapi


@pytest.mark.parametrize(
    ("family", "name"), [f for f in all_fixtures() if f[0] != FAMILY], ids=lambda v: str(v)
)
def test_other_families_are_not_wuzapi(family: str, name: str) -> None:
    assert not wuzapi.matches(fixture(family, name))


@pytest.mark.parametrize(
    "payload",
    [
        {"type": "ReceivedCallback", "instanceId": "x", "event": {}},  # Z-API
        {"type": "Message", "event": "onmessage", "session": "x"},  # WPPConnect
        {"type": "Whatever", "event": "x"},  # a string event with an unknown type
        {"type": 3, "event": {}},
    ],
)
def test_matches_rejects_other_shapes(payload: dict[str, Any]) -> None:
    assert not wuzapi.matches(payload)
