"""WPPConnect-Server parser: every fixture, every normalised field, detection and robustness.

The fixtures follow docs/formats.md §11 (``callWebHook`` merges the wa-js object at the top level
next to ``event`` and ``session``; ``onack``'s id is an object; media ``body`` is a base64
thumbnail and the text is ``caption``); each one names its section in ``_source``.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from webhook.events import (
    ConnectionEvent,
    ConnectionState,
    Contact,
    DeleteEvent,
    DeliveryStatus,
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
from webhook.parsers import detect, wppconnect
from webhook.tests.helpers import all_fixtures, fixture

FAMILY = "wppconnect"
SESSION = "vendas"
ME = "5511912345678@c.us"
JOAO, JOAO_NAME = "5511987654321@c.us", "João Araújo"
CARLA, CARLA_NAME = "5531988776655@c.us", "Carla Mendes"
GROUP = "120363041234567890@g.us"
T0 = datetime(2025, 11, 29, 7, 0, tzinfo=UTC)  # 1764399600
MMG = "https://mmg.whatsapp.net/v/"


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def theirs(wa_id: str, chat: str = JOAO) -> str:
    return f"false_{chat}_{wa_id}"


OURS_ID = f"true_{JOAO}_3EB0B1C2D3E4F5A6B702"
IMAGE_ID = theirs("3EB0B1C2D3E4F5A6B704")
VCARD = (
    "BEGIN:VCARD\nVERSION:3.0\nN:Pereira;José Antônio;;;\nFN:José Antônio Pereira\n"
    "TEL;type=CELL;type=VOICE;waid=5511976543210:+55 11 97654-3210\nEND:VCARD"
)
VCARD2 = (
    "BEGIN:VCARD\nVERSION:3.0\nN:Lima;Rafael;;;\nFN:Rafael Lima\n"
    "TEL;type=CELL;waid=5541991234567:+55 41 99123-4567\nEND:VCARD"
)


def inbound(wa_id: str, seconds: int, **fields: Any) -> MessageEvent:
    """A message from João in his 1:1 chat; ``fields`` override the defaults."""
    values: dict[str, Any] = {
        "client_key": SESSION,
        "timestamp": at(seconds),
        "message_id": theirs(wa_id),
        "chat_id": JOAO,
        "chat_name": JOAO_NAME,
        "is_group": False,
        "sender_id": JOAO,
        "sender_name": JOAO_NAME,
        "from_me": False,
        "type": MessageType.TEXT,
        "status": DeliveryStatus.SENT,  # wa-js reports inbound messages with ack 1
        "subtype": "chat",
    }
    return MessageEvent(**{**values, **fields})


def mmg(path: str) -> str:
    return f"{MMG}{path}&mms3=true"


def ack(status: DeliveryStatus, message_id: str = OURS_ID, error: str = "") -> StatusEvent:
    return StatusEvent(
        client_key=SESSION,
        timestamp=None,  # onack's ``t`` is the message's time, not the ack's
        message_id=message_id,
        status=status,
        chat_id=JOAO,
        recipient_id=JOAO,
        error=error,
    )


EXPECTED: dict[str, tuple[str, tuple[Event, ...]]] = {
    "message_text": (
        "onmessage",
        (
            inbound(
                "3EB0B1C2D3E4F5A6B701", 1800, text="Boa tarde! Vocês entregam sofá em Campinas? 🚚"
            ),
        ),
    ),
    "self_message": (
        "onselfmessage",
        (
            inbound(
                "3EB0B1C2D3E4F5A6B702",
                1920,
                message_id=OURS_ID,
                chat_name="",
                sender_id=ME,
                sender_name="Loja Exemplo",  # sender.pushname: our own profile name
                from_me=True,
                text="Entregamos sim, João! Frete grátis acima de R$ 1.500 😉",
            ),
        ),
    ),
    "message_reply": (
        "onmessage",
        (
            inbound(
                "3EB0B1C2D3E4F5A6B703",
                2040,
                text="Ótimo, então vou fechar o pedido 👍",
                quoted_id=OURS_ID,
            ),
        ),
    ),
    "message_image": (
        "onmessage",
        (
            inbound(
                "3EB0B1C2D3E4F5A6B704",
                2160,
                type=MessageType.IMAGE,
                subtype="image",
                text="Foto da sala onde vai ficar o sofá 📷",  # caption, never the thumbnail
                media=Media(
                    url=mmg(
                        "t62.7118-24/31234567_1234567890123456_1234567890123456789_n.enc"
                        "?ccb=11-4&oh=01_Q5AaI1&oe=6951F0A2&_nc_sid=5e03e0"
                    ),
                    mimetype="image/jpeg",
                    sha256="a1Jq8cWm1Vq0XbYwP3zK9fT5gH2dL7nR4sE6uI0oPyc=",
                    size=183204,
                    width=1280,
                    height=960,
                ),
            ),
        ),
    ),
    "message_video": (
        "onmessage",
        (
            inbound(
                "3EB0B1C2D3E4F5A6B705",
                2220,
                type=MessageType.VIDEO,
                subtype="video",
                text="Vídeo do pé do sofá quebrado 🎬",
                media=Media(
                    url=mmg(
                        "t62.7161-24/41234567_2234567890123456_2234567890123456789_n.enc"
                        "?ccb=11-4&oh=01_Q5AaI2&oe=6951F0A2&_nc_sid=5e03e0"
                    ),
                    mimetype="video/mp4",
                    sha256="b2Kr9dXn2Wr1YcZxQ4aL0gU6hI3eM8oS5tF7vJ1pQzd=",
                    size=2482117,
                    duration=14,
                    width=720,
                    height=1280,
                ),
            ),
        ),
    ),
    "message_ptt": (
        "onmessage",
        (
            inbound(
                "3EB0B1C2D3E4F5A6B706",
                2280,
                type=MessageType.AUDIO,
                subtype="ptt",
                media=Media(
                    url=mmg(
                        "t62.7117-24/51234567_3234567890123456_3234567890123456789_n.enc"
                        "?ccb=11-4&oh=01_Q5AaI3&oe=6951F0A2&_nc_sid=5e03e0"
                    ),
                    mimetype="audio/ogg; codecs=opus",
                    sha256="c3Ls0eYo3Xs2ZdAyR5bM1hV7iJ4fN9pT6uG8wK2qRae=",
                    size=18432,
                    duration=7,
                    voice=True,
                ),
            ),
        ),
    ),
    "message_audio": (
        "onmessage",
        (
            inbound(
                "3EB0B1C2D3E4F5A6B707",
                2340,
                type=MessageType.AUDIO,
                subtype="audio",
                media=Media(
                    url=mmg(
                        "t62.7114-24/61234567_4234567890123456_4234567890123456789_n.enc"
                        "?ccb=11-4&oh=01_Q5AaI4&oe=6951F0A2&_nc_sid=5e03e0"
                    ),
                    mimetype="audio/mpeg",
                    size=402113,
                    duration=25,
                ),
            ),
        ),
    ),
    "message_document": (
        "onmessage",
        (
            inbound(
                "3EB0B1C2D3E4F5A6B708",
                2400,
                type=MessageType.DOCUMENT,
                subtype="document",
                text="Segue o orçamento da outra loja 🤔",
                media=Media(
                    url=mmg(
                        "t62.7119-24/71234567_5234567890123456_5234567890123456789_n.enc"
                        "?ccb=11-4&oh=01_Q5AaI5&oe=6951F0A2&_nc_sid=5e03e0"
                    ),
                    mimetype="application/pdf",
                    size=284512,
                    file_name="Orçamento_Sofá_Retrátil.pdf",
                ),
            ),
        ),
    ),
    "message_sticker": (
        "onmessage",
        (
            inbound(
                "3EB0B1C2D3E4F5A6B709",
                2460,
                type=MessageType.STICKER,
                subtype="sticker",
                media=Media(
                    url=mmg(
                        "t62.15575-24/81234567_6234567890123456_6234567890123456789_n.enc"
                        "?ccb=11-4&oh=01_Q5AaI6&oe=6951F0A2&_nc_sid=5e03e0"
                    ),
                    mimetype="image/webp",
                    size=21340,
                    width=512,
                    height=512,
                ),
            ),
        ),
    ),
    "message_location": (
        "onmessage",
        (
            inbound(
                "3EB0B1C2D3E4F5A6B70A",
                2520,
                type=MessageType.LOCATION,
                subtype="location",
                text="Loja Exemplo Campinas",
                location=Location(
                    latitude=-22.9056391,
                    longitude=-47.0608335,
                    name="Loja Exemplo Campinas",
                    address="Av. Norte-Sul, 1500 - Cambuí, Campinas - SP",
                ),
            ),
        ),
    ),
    "message_vcard": (
        "onmessage",
        (
            inbound(
                "3EB0B1C2D3E4F5A6B70B",
                2580,
                type=MessageType.CONTACT,
                subtype="vcard",
                text="José Antônio Pereira",
                contacts=(
                    Contact(
                        display_name="José Antônio Pereira", vcard=VCARD, phones=("5511976543210",)
                    ),
                ),
            ),
        ),
    ),
    "message_multi_vcard": (
        "onmessage",
        (
            inbound(
                "3EB0B1C2D3E4F5A6B70C",
                2640,
                type=MessageType.CONTACT,
                subtype="multi_vcard",
                text="José Antônio Pereira",
                contacts=(
                    Contact(
                        display_name="José Antônio Pereira", vcard=VCARD, phones=("5511976543210",)
                    ),
                    Contact(display_name="Rafael Lima", vcard=VCARD2, phones=("5541991234567",)),
                ),
            ),
        ),
    ),
    "message_group": (
        "onmessage",
        (
            inbound(
                "3EB0B1C2D3E4F5A6B70D",
                2700,
                message_id=f"false_{GROUP}_3EB0B1C2D3E4F5A6B70D_{CARLA}",
                chat_id=GROUP,
                chat_name="",
                is_group=True,
                sender_id=CARLA,
                sender_name=CARLA_NAME,
                text="Pessoal, a loja abre no feriado? 🎉",
            ),
        ),
    ),
    "message_unknown_type": (
        "onmessage",
        (inbound("3EB0B1C2D3E4F5A6B70E", 2760, type=MessageType.UNKNOWN, subtype="keep_in_chat"),),
    ),
    "ack_server": ("onack", (ack(DeliveryStatus.SENT),)),
    "ack_device": ("onack", (ack(DeliveryStatus.DELIVERED),)),
    "ack_read": ("onack", (ack(DeliveryStatus.READ),)),
    "ack_error": ("onack", (ack(DeliveryStatus.FAILED, error="ERROR"),)),
    "ack_unknown_message": (
        "onack",
        (ack(DeliveryStatus.READ, message_id=f"true_{JOAO}_3EB0B1C2D3E4F5A6B799"),),
    ),
    "reaction": (
        "onreactionmessage",
        (
            ReactionEvent(
                client_key=SESSION,
                timestamp=at(1980),
                target_id=OURS_ID,
                emoji="❤️",
                chat_id=JOAO,
                sender_id=JOAO,
            ),
        ),
    ),
    "reaction_removed": (
        "onreactionmessage",
        (
            ReactionEvent(
                client_key=SESSION,
                timestamp=at(2100),
                target_id=OURS_ID,
                emoji="",
                chat_id=JOAO,
                sender_id=JOAO,
            ),
        ),
    ),
    "revoked": (
        "onrevokedmessage",
        (DeleteEvent(client_key=SESSION, timestamp=None, target_id=IMAGE_ID, chat_id=JOAO),),
    ),
    "presence_update": (
        "onpresencechanged",
        (
            PresenceEvent(
                client_key=SESSION, timestamp=at(1790), chat_id=JOAO, presence="composing"
            ),
        ),
    ),
    "presence_group": (
        "onpresencechanged",
        (
            PresenceEvent(
                client_key=SESSION, timestamp=at(2690), chat_id=CARLA, presence="composing"
            ),
            PresenceEvent(
                client_key=SESSION, timestamp=at(2690), chat_id=JOAO, presence="available"
            ),
        ),
    ),
    "qrcode": (
        "qrcode",
        (
            QrCodeEvent(
                client_key=SESSION,
                code=fixture(FAMILY, "qrcode")["urlcode"],
                image="data:image/png;base64," + fixture(FAMILY, "qrcode")["qrcode"],
            ),
        ),
    ),
    "status_find_logged": (
        "status-find",
        (ConnectionEvent(client_key=SESSION, state=ConnectionState.OPEN, reason="isLogged"),),
    ),
    "status_find_not_logged": (
        "status-find",
        (
            ConnectionEvent(
                client_key=SESSION, state=ConnectionState.QR_REQUIRED, reason="notLogged"
            ),
        ),
    ),
    "status_find_closed": (
        "status-find",
        (
            ConnectionEvent(
                client_key=SESSION, state=ConnectionState.CLOSED, reason="desconnectedMobile"
            ),
        ),
    ),
    "unhandled_event": ("incomingcall", ()),
}


def test_every_fixture_has_an_expectation() -> None:
    assert {name for _, name in all_fixtures(FAMILY)} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_parses_to_expected_events(name: str) -> None:
    event_type, events = EXPECTED[name]
    result = wppconnect.parse(fixture(FAMILY, name))
    assert (result.family, result.event_type, result.client_key) == (FAMILY, event_type, SESSION)
    assert result.events == events
    assert all(e.raw is not None for e in result.events)
    if events:
        assert result.ignored_reason == ""
    else:
        assert result.ignored_reason == f"WPPConnect event '{event_type}' is not handled"


def test_media_keeps_what_decrypting_needs() -> None:
    (event,) = wppconnect.parse(fixture(FAMILY, "message_image")).events
    assert event.media.media_key == "Kq3Wm8Vb2Nc5Xz7Lk9Jh1Gf3Ds5Aa7Po9Iu1Yt3Re5="
    assert event.media.direct_path.startswith("/v/t62.7118-24/")
    assert event.media.file_enc_sha256 == "Zt9rWq2E8yU1iO3pA5sD7fG9hJ1kL3zX5cV7bN9mQwE="


def test_media_body_is_never_the_text() -> None:
    """``body`` of a media message is a base64 thumbnail; without a caption the text is empty."""
    payload = fixture(FAMILY, "message_image")
    del payload["caption"]
    (event,) = wppconnect.parse(payload).events
    assert event.text == ""


def test_s3_file_url_is_preferred() -> None:
    payload = fixture(FAMILY, "message_document")
    payload["fileUrl"] = "https://vendas.s3.amazonaws.com/abc.pdf"
    (event,) = wppconnect.parse(payload).events
    assert event.media.url == "https://vendas.s3.amazonaws.com/abc.pdf"


def test_quote_rebuilt_from_stanza_and_participant() -> None:
    payload = fixture(FAMILY, "message_reply")
    del payload["quotedMsgId"]
    (event,) = wppconnect.parse(payload).events
    assert event.quoted_id == OURS_ID
    payload["quotedParticipant"] = JOAO
    (event,) = wppconnect.parse(payload).events
    assert event.quoted_id == theirs("3EB0B1C2D3E4F5A6B702")


def test_group_message_from_me_has_our_sender() -> None:
    payload = fixture(FAMILY, "message_group") | {"fromMe": True, "from": ME}
    payload["sender"] = {"id": ME, "pushname": "Loja Exemplo"}
    (event,) = wppconnect.parse(payload).events
    assert (event.from_me, event.sender_id, event.chat_id) == (True, ME, GROUP)


def test_chat_falls_back_to_from_and_to() -> None:
    payload = fixture(FAMILY, "message_text")
    del payload["chatId"]
    assert wppconnect.parse(payload).events[0].chat_id == JOAO
    ours = fixture(FAMILY, "self_message")
    del ours["chatId"]
    assert wppconnect.parse(ours).events[0].chat_id == JOAO


def test_ack_with_a_string_id_and_an_unknown_value() -> None:
    payload = fixture(FAMILY, "ack_read") | {"id": OURS_ID, "fromMe": True, "ack": 9}
    (event,) = wppconnect.parse(payload).events
    assert (event.message_id, event.status, event.chat_id) == (
        OURS_ID,
        DeliveryStatus.UNKNOWN,
        JOAO,
    )


def test_ack_of_their_message_has_no_recipient() -> None:
    payload = copy.deepcopy(fixture(FAMILY, "ack_read"))
    payload["id"] = {"fromMe": False, "remote": JOAO, "id": "X", "_serialized": theirs("X")}
    (event,) = wppconnect.parse(payload).events
    assert (event.message_id, event.recipient_id) == (theirs("X"), "")


@pytest.mark.parametrize(
    ("name", "field"),
    [
        ("message_text", "id"),
        ("ack_read", "id"),
        ("reaction", "msgId"),
        ("revoked", "refId"),
    ],
)
def test_missing_ids_raise_payload_error(name: str, field: str) -> None:
    payload = fixture(FAMILY, name)
    del payload[field]
    with pytest.raises(PayloadError):
        wppconnect.parse(payload)


@pytest.mark.parametrize(
    ("field", "value"),
    [("t", "amanhã"), ("sender", "x"), ("lat", "norte"), ("vcardList", "x"), ("size", [])],
)
def test_wrong_types_degrade(field: str, value: Any) -> None:
    payload = fixture(FAMILY, "message_location") | {field: value}
    (event,) = wppconnect.parse(payload).events
    assert event.message_id == theirs("3EB0B1C2D3E4F5A6B70A")


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("inChat", ConnectionState.OPEN),
        ("qrReadSuccess", ConnectionState.OPEN),
        ("qrReadFail", ConnectionState.QR_REQUIRED),
        ("browserClose", ConnectionState.CLOSED),
        ("autocloseCalled", ConnectionState.CLOSED),
        ("somethingNew", ConnectionState.UNKNOWN),
    ],
)
def test_status_find_words(status: str, state: ConnectionState) -> None:
    payload = fixture(FAMILY, "status_find_logged") | {"status": status}
    (event,) = wppconnect.parse(payload).events
    assert (event.state, event.reason) == (state, status)


def test_presence_from_is_online_only() -> None:
    payload = fixture(FAMILY, "presence_update")
    del payload["state"]
    payload["isOnline"] = False
    (event,) = wppconnect.parse(payload).events
    assert event.presence == "unavailable"


def test_unknown_type_keeps_its_name_and_body() -> None:
    payload = fixture(FAMILY, "message_unknown_type") | {"body": "algo novo"}
    (event,) = wppconnect.parse(payload).events
    assert (event.type, event.subtype, event.text) == (
        MessageType.UNKNOWN,
        "keep_in_chat",
        "algo novo",
    )


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_detect_wppconnect_fixtures(name: str) -> None:
    assert detect(fixture(FAMILY, name)) is wppconnect


@pytest.mark.parametrize(
    ("family", "name"), [f for f in all_fixtures() if f[0] != FAMILY], ids=lambda v: str(v)
)
def test_other_families_are_not_wppconnect(family: str, name: str) -> None:
    assert not wppconnect.matches(fixture(family, name))


@pytest.mark.parametrize(
    "payload",
    [
        {"event": "onmessage", "session": "x", "payload": {}},  # WAHA's envelope
        {"event": {"Info": {}}, "session": "x"},
        {"session": "x"},
    ],
)
def test_matches_rejects_other_shapes(payload: dict[str, Any]) -> None:
    assert not wppconnect.matches(payload)


def test_blank_event_uses_path_event() -> None:
    payload = fixture(FAMILY, "message_text") | {"event": ""}
    result = wppconnect.parse(payload, path_event="onmessage")
    assert result.event_type == "onmessage"
    assert len(result.events) == 1
