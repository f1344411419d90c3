"""UltraMsg parser: every fixture, every normalised field, detection and robustness.

The fixtures follow docs/formats.md §12 (``{event_type, instanceId, id, referenceId, hash,
data{id, from, to, author, pushname, ack, type, body, media, fromMe, ..., time}}``); each one
names its section, and what in it is UNVERIFIED, in ``_source``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from webhook.events import (
    Contact,
    DeleteEvent,
    DeliveryStatus,
    Event,
    Location,
    Media,
    MessageEvent,
    MessageType,
    StatusEvent,
)
from webhook.exceptions import PayloadError
from webhook.parsers import detect, ultramsg
from webhook.tests.helpers import all_fixtures, fixture

FAMILY = "ultramsg"
INSTANCE = "instance105938"
ME = "5511912345678@c.us"
JOAO, JOAO_NAME = "5511987654321@c.us", "João Araújo"
CARLA = "5531988776655@c.us"
GROUP = "120363041234567890@g.us"
MEDIA = "https://s3.eu-central-1.wasabisys.com/ultramsgmedia/2025/11/105938/"
T0 = datetime(2025, 11, 29, 8, 0, tzinfo=UTC)  # 1764403200
OURS_ID = f"true_{JOAO}_3EB0D1E2F3A4B5C6D702"
VCARD = (
    "BEGIN:VCARD\nVERSION:3.0\nN:Pereira;José Antônio;;;\nFN:José Antônio Pereira\n"
    "TEL;type=CELL;type=VOICE;waid=5511976543210:+55 11 97654-3210\nEND:VCARD"
)


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def inbound(wa_id: str, seconds: int, **fields: Any) -> MessageEvent:
    values: dict[str, Any] = {
        "client_key": INSTANCE,
        "timestamp": at(seconds),
        "message_id": f"false_{JOAO}_{wa_id}",
        "chat_id": JOAO,
        "chat_name": JOAO_NAME,
        "sender_id": JOAO,
        "sender_name": JOAO_NAME,
        "type": MessageType.TEXT,
        "subtype": "chat",
        "status": None,  # inbound messages carry ack ""
    }
    return MessageEvent(**{**values, **fields})


def media(wa_id: str, seconds: int, kind: str, msg_type: MessageType, ext: str, **fields):
    voice = kind == "ptt"
    return inbound(
        wa_id,
        seconds,
        type=msg_type,
        subtype=kind,
        media=Media(url=f"{MEDIA}{wa_id}.{ext}", voice=voice),
        **fields,
    )


def ack(status: DeliveryStatus, message_id: str = OURS_ID) -> StatusEvent:
    return StatusEvent(
        client_key=INSTANCE,
        timestamp=None,  # ``time`` is the message's, not the ack's
        message_id=message_id,
        status=status,
        chat_id=JOAO,
        recipient_id=JOAO,
    )


EXPECTED: dict[str, tuple[str, tuple[Event, ...]]] = {
    "text": (
        "message_received",
        (inbound("3EB0D1E2F3A4B5C6D701", 60, text="Oi! Ainda tem a poltrona verde? 🪑"),),
    ),
    "from_me_text": (
        "message_create",
        (
            inbound(
                "3EB0D1E2F3A4B5C6D702",
                180,
                message_id=OURS_ID,
                chat_name="",
                sender_id=ME,
                sender_name="",
                from_me=True,
                status=DeliveryStatus.PENDING,
                text="Temos sim! Sai por R$ 899,00 😊",
            ),
        ),
    ),
    "reply": (
        "message_received",
        (
            inbound(
                "3EB0D1E2F3A4B5C6D703",
                300,
                text="Perfeito, pode separar uma pra mim 🙏",
                quoted_id=OURS_ID,
            ),
        ),
    ),
    "image": (
        "message_received",
        (
            media(
                "3EB0D1E2F3A4B5C6D704",
                420,
                "image",
                MessageType.IMAGE,
                "jpg",
                text="Ela combina com esse tapete? 🤔",
            ),
        ),
    ),
    "video": (
        "message_received",
        (
            media(
                "3EB0D1E2F3A4B5C6D705",
                480,
                "video",
                MessageType.VIDEO,
                "mp4",
                text="Olha o espaço da sala 🎥",
            ),
        ),
    ),
    "ptt": (
        "message_received",
        (media("3EB0D1E2F3A4B5C6D706", 540, "ptt", MessageType.AUDIO, "oga"),),
    ),
    "audio": (
        "message_received",
        (media("3EB0D1E2F3A4B5C6D707", 600, "audio", MessageType.AUDIO, "mp3"),),
    ),
    "document": (
        "message_received",
        (
            inbound(
                "3EB0D1E2F3A4B5C6D708",
                660,
                type=MessageType.DOCUMENT,
                subtype="document",
                text="Comprovante do Pix ✅",
                media=Media(
                    url=f"{MEDIA}Comprovante_Pix_Poltrona.pdf",
                    file_name="Comprovante_Pix_Poltrona.pdf",  # the URL's last segment
                ),
            ),
        ),
    ),
    "sticker": (
        "message_received",
        (media("3EB0D1E2F3A4B5C6D709", 720, "sticker", MessageType.STICKER, "webp"),),
    ),
    "location": (
        "message_received",
        (
            inbound(
                "3EB0D1E2F3A4B5C6D70A",
                780,
                type=MessageType.LOCATION,
                subtype="location",
                text="Casa da Maria",
                location=Location(
                    latitude=-23.5613496,
                    longitude=-46.6565712,
                    name="Casa da Maria",
                    address="Av. Paulista, 1000 - Bela Vista, São Paulo - SP",
                ),
            ),
        ),
    ),
    "vcard": (
        "message_received",
        (
            inbound(
                "3EB0D1E2F3A4B5C6D70B",
                840,
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
    "group_text": (
        "message_received",
        (
            inbound(
                "3EB0D1E2F3A4B5C6D70C",
                900,
                message_id=f"false_{GROUP}_3EB0D1E2F3A4B5C6D70C_{CARLA}",
                chat_id=GROUP,
                chat_name="",
                is_group=True,
                sender_id=CARLA,
                sender_name="Carla Mendes",
                text="Alguém já comprou a poltrona verde? Vale a pena? 💚",
            ),
        ),
    ),
    "unknown_type": (
        "message_received",
        (inbound("3EB0D1E2F3A4B5C6D70D", 960, type=MessageType.UNKNOWN, subtype="poll_vote_v9"),),
    ),
    "revoked": (
        "message_received",
        (
            DeleteEvent(
                client_key=INSTANCE,
                timestamp=at(1020),
                target_id=f"false_{JOAO}_3EB0D1E2F3A4B5C6D704",
                chat_id=JOAO,
            ),
        ),
    ),
    "ack_server": ("message_ack", (ack(DeliveryStatus.SENT),)),
    "ack_device": ("message_ack", (ack(DeliveryStatus.DELIVERED),)),
    "ack_read": ("message_ack", (ack(DeliveryStatus.READ),)),
    "ack_unknown_message": (
        "message_ack",
        (ack(DeliveryStatus.READ, f"true_{JOAO}_3EB0D1E2F3A4B5C6D799"),),
    ),
    "unhandled_event": ("message_reaction", ()),
}


def test_every_fixture_has_an_expectation() -> None:
    assert {name for _, name in all_fixtures(FAMILY)} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_parses_to_expected_events(name: str) -> None:
    event_type, events = EXPECTED[name]
    result = ultramsg.parse(fixture(FAMILY, name))
    assert (result.family, result.event_type, result.client_key) == (FAMILY, event_type, INSTANCE)
    assert result.events == events
    assert all(e.raw is not None for e in result.events)
    if events:
        assert result.ignored_reason == ""
    else:
        assert result.ignored_reason == f"UltraMsg event '{event_type}' is not handled"


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("pending", DeliveryStatus.PENDING),
        ("SERVER", DeliveryStatus.SENT),
        ("played", DeliveryStatus.PLAYED),
        ("error", DeliveryStatus.FAILED),
        ("3", DeliveryStatus.READ),
        (2, DeliveryStatus.DELIVERED),
        ("-1", DeliveryStatus.FAILED),
        ("novo", DeliveryStatus.UNKNOWN),
        ("", DeliveryStatus.UNKNOWN),
    ],
)
def test_ack_words_and_numbers(word: Any, expected: DeliveryStatus) -> None:
    payload = fixture(FAMILY, "ack_read")
    payload["data"]["ack"] = word
    (event,) = ultramsg.parse(payload).events
    assert event.status is expected
    assert event.error == (str(word) if expected is DeliveryStatus.FAILED else "")


def test_ack_of_their_message_has_no_recipient() -> None:
    payload = fixture(FAMILY, "ack_read")
    payload["data"] |= {"fromMe": False, "from": JOAO, "to": ME}
    (event,) = ultramsg.parse(payload).events
    assert (event.chat_id, event.recipient_id) == (JOAO, "")


def test_a_document_named_in_its_body_has_no_text() -> None:
    """If the body is only the file's name, it is not a caption (docs/formats.md §3.5)."""
    payload = fixture(FAMILY, "document")
    payload["data"]["body"] = "Comprovante_Pix_Poltrona"
    (event,) = ultramsg.parse(payload).events
    assert (event.text, event.media.file_name) == ("", "Comprovante_Pix_Poltrona.pdf")
    payload["data"] |= {"filename": "Pix.pdf", "body": "Pix.pdf"}
    (event,) = ultramsg.parse(payload).events
    assert (event.text, event.media.file_name) == ("", "Pix.pdf")


def test_location_in_wa_js_fields() -> None:
    payload = fixture(FAMILY, "location")
    del payload["data"]["location"]
    payload["data"] |= {"lat": "-23.5", "lng": "-46.6", "loc": "Casa\nRua A, 1"}
    (event,) = ultramsg.parse(payload).events
    assert event.location == Location(
        latitude=-23.5, longitude=-46.6, name="Casa", address="Rua A, 1"
    )


def test_several_vcards() -> None:
    payload = fixture(FAMILY, "vcard")
    payload["data"]["vCards"] = [VCARD, VCARD.replace("José Antônio Pereira", "Rafael Lima")]
    (event,) = ultramsg.parse(payload).events
    assert [c.display_name for c in event.contacts] == ["José Antônio Pereira", "Rafael Lima"]


def test_numeric_instance_id_is_text() -> None:
    payload = fixture(FAMILY, "text") | {"instanceId": 105938}
    assert ultramsg.client_key(payload) == "105938"


@pytest.mark.parametrize("field", ["id", "from"])
def test_missing_ids_raise_payload_error(field: str) -> None:
    payload = fixture(FAMILY, "text")
    del payload["data"][field]
    with pytest.raises(PayloadError):
        ultramsg.parse(payload)


@pytest.mark.parametrize(
    ("field", "value"),
    [("time", "ontem"), ("quotedMsg", "x"), ("media", 7), ("fromMe", "nope"), ("type", None)],
)
def test_wrong_types_degrade(field: str, value: Any) -> None:
    payload = fixture(FAMILY, "image")
    payload["data"][field] = value
    (event,) = ultramsg.parse(payload).events
    assert event.message_id == f"false_{JOAO}_3EB0D1E2F3A4B5C6D704"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_detect_ultramsg_fixtures(name: str) -> None:
    assert detect(fixture(FAMILY, name)) is ultramsg


@pytest.mark.parametrize(
    ("family", "name"), [f for f in all_fixtures() if f[0] != FAMILY], ids=lambda v: str(v)
)
def test_other_families_are_not_ultramsg(family: str, name: str) -> None:
    assert not ultramsg.matches(fixture(family, name))


@pytest.mark.parametrize(
    "payload", [{"event_type": "message_received", "data": []}, {"event_type": 1, "data": {}}]
)
def test_matches_rejects_other_shapes(payload: dict[str, Any]) -> None:
    assert not ultramsg.matches(payload)
