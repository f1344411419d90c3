"""W-API parser: every fixture, every normalised field, detection, path routing, robustness."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from webhook import parsers
from webhook.events import (
    ConnectionEvent,
    ConnectionState,
    Contact,
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
from webhook.parsers import detect, wapi
from webhook.tests.helpers import all_fixtures, fixture

INSTANCE = "LITE-7XK2P9-QW3R8T"
ME = "5511912345678"
ANA, ANA_NAME = "5511987654321", "Ana Beatriz Conceição"
MARIA, MARIA_NAME = "5521998765432", "Maria Eduarda Souza"
GROUP = "120363025678901234@g.us"

# Our own messages (webhookDelivery) and the one whose status arrives without it.
OUT_TEXT = "3EB0A7C4D2F19E8B5C01"
OUT_IMAGE = "3AB7E21C94D05F6A8E02"
OUT_DOC = "3EB0A7C4D2F19E8B5C03"
NEVER_ARRIVES = "3EB0A7C4D2F19E8B5C99"
TEXT_ID = "3AC9F4D1B28E7A60B101"

MMG = "https://mmg.whatsapp.net/o1/v/t62."
MMG_TAIL = "&oe=6951F0A2&_nc_sid=e6ed6c&mms3=true"


def at(hour: int, minute: int, second: int) -> datetime:
    return datetime(2025, 11, 29, hour, minute, second, tzinfo=UTC)


def inbound(message_id: str, when: datetime, **fields: Any) -> MessageEvent:
    """A message from Ana in her 1:1 chat; ``fields`` override the defaults."""
    values: dict[str, Any] = {
        "client_key": INSTANCE,
        "timestamp": when,
        "message_id": message_id,
        "chat_id": ANA,
        "chat_name": ANA_NAME,
        "chat_alt_id": "",
        "is_group": False,
        "sender_id": ANA,
        "sender_name": ANA_NAME,
        "sender_alt_id": "",
        "from_me": False,
        "quoted_id": "",
        "forwarded": False,
        "status": None,
    }
    return MessageEvent(**{**values, **fields})


def ours(message_id: str, when: datetime, **fields: Any) -> MessageEvent:
    """A message we sent to Ana (webhookDelivery): sender is the connected number."""
    values: dict[str, Any] = {
        "chat_name": "",
        "sender_id": ME,
        "sender_name": "",
        "from_me": True,
        "status": DeliveryStatus.SENT,
    }
    return inbound(message_id, when, **{**values, **fields})


def status(message_id: str, value: DeliveryStatus, when: datetime) -> StatusEvent:
    return StatusEvent(
        client_key=INSTANCE,
        timestamp=when,
        message_id=message_id,
        status=value,
        chat_id=ANA,
        recipient_id=ANA,
        error="",
    )


def reaction(emoji: str, when: datetime) -> ReactionEvent:
    return ReactionEvent(
        client_key=INSTANCE,
        timestamp=when,
        target_id=OUT_TEXT,
        emoji=emoji,
        chat_id=ANA,
        sender_id=ANA,
        from_me=False,
    )


VCARD_JOSE = (
    "BEGIN:VCARD\nVERSION:3.0\nN:Pereira;José Antônio;;;\nFN:José Antônio Pereira\n"
    "item1.TEL;waid=5531987651234:+55 31 98765-1234\nitem1.X-ABLabel:Celular\nEND:VCARD"
)
VCARD_LUCIA = (
    "BEGIN:VCARD\nVERSION:3.0\nN:Araújo;Lúcia;;;\nFN:Lúcia Araújo 🌻\n"
    "item1.TEL;waid=5541991234567:+55 41 99123-4567\nitem1.X-ABLabel:Celular\nEND:VCARD"
)
VCARD_TIAGO = (
    "BEGIN:VCARD\nVERSION:3.0\nN:Gonçalves;Tiago;;;\nFN:Tiago Gonçalves\nORG:Transportes Rápidos Ltda.;\n"
    "item1.TEL;waid=5585988776655:+55 85 98877-6655\nitem1.X-ABLabel:Trabalho\nEND:VCARD"
)
QR_CODE = (
    "2@Xk9Qm3R7tVb1LwZp8YcN4sHd6JfG0aEu5oIi2Ky+Tq=,nvRL+cBhg9cs73eTIi6Hk54v6xWJXRn16r53xBe04M8=,"
    "pCFDxq1wc3Z6zvegRYTDlWKqbFUIWvq1ZwSepNKiUVQ=,xBq5KbVJ1mN0pQ7sT9uW3yZ8aC6eF2hI4jL+oR="
)
QR_IMAGE = (
    "data:image/png;base64,sS3u+4Dp1ZKsbtvQ3GG4ok6ve/XJWeRZz66pcDDyQLLf7fHXYKW7G9OrsjrwDtSuz2u2"
    "YOMV84ydzSEugpgpGeYZC9eYzrdO3wFahfQH+QobRCAOhXkkCQbgcotb9b1W"
)

# fixture name -> (event_type, events in payload order)
EXPECTED: dict[str, tuple[str, tuple[Event, ...]]] = {
    "text": (
        "webhookReceived",
        (
            inbound(
                TEXT_ID,
                at(7, 11, 40),
                type=MessageType.TEXT,
                text="Olá! Quero saber o preço do bolo de cenoura com cobertura de chocolate 😊",
                subtype="conversation",
            ),
        ),
    ),
    "extended_text_reply": (
        "webhookReceived",
        (
            inbound(
                "3AC9F4D1B28E7A60B102",
                at(7, 8, 50),
                type=MessageType.TEXT,
                text="Oba! Muito obrigada 😍 Vocês entregam no sábado também?",
                quoted_id=OUT_TEXT,
                subtype="extendedTextMessage",
            ),
        ),
    ),
    "image": (
        "webhookReceived",
        (
            inbound(
                "3AC9F4D1B28E7A60B103",
                at(7, 13, 20),
                type=MessageType.IMAGE,
                text="Olha como ficou a mesa da festa! 🎉🎂",
                media=Media(
                    url=f"{MMG}7118-24/f2/m278/AQ78805a221a988e79ef3f42d7c5bf?ccb=9-4&oh=01_Q5Aa2wd418{MMG_TAIL}",
                    mimetype="image/jpeg",
                    sha256="iZaW7EJiq1ZkXcY6VfqBfq0Y8IW1Cw8NJI2VGEOYV04=",
                    size=184213,
                    width=1200,
                    height=1600,
                ),
                subtype="imageMessage",
            ),
        ),
    ),
    "video": (
        "webhookReceived",
        (
            inbound(
                "3AC9F4D1B28E7A60B104",
                at(7, 15, 0),
                type=MessageType.VIDEO,
                text="Vídeo do parabéns 🎥 ficou lindo!",
                media=Media(
                    url=f"{MMG}7161-24/f2/m242/AQ421b47ffd946ca083b65cd668c6b?ccb=9-4&oh=01_Q5Aa2w17e6{MMG_TAIL}",
                    mimetype="video/mp4",
                    sha256="zI0H4805Vi7Z3wQKU6ILE61YMGc0lEknhrMkZDpOodY=",
                    size=2849317,
                    duration=14,
                    width=480,
                    height=848,
                ),
                subtype="videoMessage",
            ),
        ),
    ),
    "audio": (
        "webhookReceived",
        (
            inbound(
                "3AC9F4D1B28E7A60B105",
                at(7, 16, 40),
                type=MessageType.AUDIO,
                text="",
                media=Media(
                    url=f"{MMG}7114-24/f2/m2a5/AQa5ca0b5894324f8bb54bb9fffad2?ccb=9-4&oh=01_Q5Aa2w9d1e{MMG_TAIL}",
                    mimetype="audio/mpeg",
                    sha256="YAbmzpNzfkt2VOhS3I3+EFXkl8spIa+33Fr2u7yx8C0=",
                    size=2967040,
                    duration=185,
                    voice=False,
                ),
                subtype="audioMessage",
            ),
        ),
    ),
    "voice": (
        "webhookReceived",
        (
            inbound(
                "3AC9F4D1B28E7A60B106",
                at(7, 18, 20),
                type=MessageType.AUDIO,
                text="",
                media=Media(
                    url=f"{MMG}7117-24/f2/m2b9/AQb95677216e439d96ec4fba1240a3?ccb=9-4&oh=01_Q5Aa2wc1f8{MMG_TAIL}",
                    mimetype="audio/ogg; codecs=opus",
                    sha256="Z/o/jMSTo9onGiFYLiPRjHh8Kqm+g+6+2kod6XrmCLI=",
                    size=15834,
                    duration=9,
                    voice=True,
                ),
                subtype="audioMessage",
            ),
        ),
    ),
    "document": (
        "webhookReceived",
        (
            inbound(
                "3AC9F4D1B28E7A60B107",
                at(7, 20, 0),
                type=MessageType.DOCUMENT,
                text="Segue o comprovante do Pix 📄",
                media=Media(
                    url=f"{MMG}7119-24/f2/m2fd/AQfdc3bdefb79cec8eb8211d2499e0?ccb=9-4&oh=01_Q5Aa2w4704{MMG_TAIL}",
                    mimetype="application/pdf",
                    sha256="gbcd2yGqk8GhZkVAsak1BZcKrZz+fbki6IQuwuk9114=",
                    size=245760,
                    file_name="Comprovante_Pix_Março.pdf",
                ),
                subtype="documentMessage",
            ),
        ),
    ),
    "sticker": (
        "webhookReceived",
        (
            inbound(
                "3AC9F4D1B28E7A60B108",
                at(7, 21, 40),
                type=MessageType.STICKER,
                text="",
                media=Media(
                    url=f"{MMG}15575-24/f2/m291/AQ9173f7d7444d3161c4dea50f35f5?ccb=9-4&oh=01_Q5Aa2wd15f{MMG_TAIL}",
                    mimetype="image/webp",
                    sha256="6fc2PnPpwiQkeVeG3Z7Ps3qBXGCU7CcTz3KAGAL9OXg=",
                    size=23486,
                    width=512,
                    height=512,
                    animated=False,
                ),
                subtype="stickerMessage",
            ),
        ),
    ),
    "location": (
        "webhookReceived",
        (
            inbound(
                "3AC9F4D1B28E7A60B109",
                at(7, 23, 20),
                type=MessageType.LOCATION,
                text="Museu de Arte de São Paulo",
                location=Location(
                    latitude=-23.5613496,
                    longitude=-46.6560501,
                    name="Museu de Arte de São Paulo",
                    address="Av. Paulista, 1578 - Bela Vista, São Paulo - SP, 01310-200",
                    url="https://masp.org.br",
                ),
                subtype="locationMessage",
            ),
        ),
    ),
    "contact": (
        "webhookReceived",
        (
            inbound(
                "3AC9F4D1B28E7A60B10A",
                at(7, 25, 0),
                type=MessageType.CONTACT,
                text="José Antônio Pereira",
                contacts=(Contact(display_name="José Antônio Pereira", vcard=VCARD_JOSE),),
                subtype="contactMessage",
            ),
        ),
    ),
    "contacts_array": (
        "webhookReceived",
        (
            inbound(
                "3AC9F4D1B28E7A60B10B",
                at(7, 26, 40),
                type=MessageType.CONTACT,
                text="2 contatos",
                contacts=(
                    Contact(display_name="Lúcia Araújo 🌻", vcard=VCARD_LUCIA),
                    Contact(display_name="Tiago Gonçalves", vcard=VCARD_TIAGO),
                ),
                subtype="contactsArrayMessage",
            ),
        ),
    ),
    "reaction": ("webhookReceived", (reaction("❤️", at(7, 9, 10)),)),
    "reaction_removed": ("webhookReceived", (reaction("", at(7, 10, 10)),)),
    "group_text": (
        "webhookReceived",
        (
            inbound(
                "3AC9F4D1B28E7A60B10E",
                at(7, 28, 20),
                chat_id=GROUP,
                chat_name="",
                is_group=True,
                sender_id=MARIA,
                sender_name=MARIA_NAME,
                type=MessageType.TEXT,
                text="Bom dia, pessoal! ☀️ Quem confirma o almoço de domingo na casa da vó? 🍗",
                subtype="conversation",
            ),
        ),
    ),
    "ephemeral_text": (
        "webhookReceived",
        (
            inbound(
                "3AC9F4D1B28E7A60B10F",
                at(7, 30, 0),
                type=MessageType.TEXT,
                text="Essa mensagem some em 7 dias ⏳ mas o endereço é Rua das Acácias, 120.",
                subtype="extendedTextMessage",
            ),
        ),
    ),
    "view_once_image": (
        "webhookReceived",
        (
            inbound(
                "3AC9F4D1B28E7A60B110",
                at(7, 31, 40),
                type=MessageType.IMAGE,
                text="Só uma vez 👀",
                media=Media(
                    url=f"{MMG}7118-24/f2/m274/AQ7466420fcab17999bb52ebc0b570?ccb=9-4&oh=01_Q5Aa2weade{MMG_TAIL}",
                    mimetype="image/jpeg",
                    sha256="8D0843ppa58qRNDmmPJal8Ic0B0OyQXxaOd4FRS3mgU=",
                    size=96512,
                    width=960,
                    height=1280,
                ),
                subtype="imageMessage",
            ),
        ),
    ),
    "delivery": (
        "webhookDelivery",
        (
            ours(
                OUT_TEXT,
                at(7, 6, 40),
                type=MessageType.TEXT,
                text="Olá, Ana! Seu pedido nº 4821 saiu para entrega 🚚 Previsão: hoje até 18h.",
                subtype="extendedTextMessage",
            ),
        ),
    ),
    "delivery_image": (
        "webhookDelivery",
        (
            ours(
                OUT_IMAGE,
                at(7, 33, 20),
                type=MessageType.IMAGE,
                text="Cardápio de Natal 🎄 encomendas até 20/12",
                media=Media(
                    url=f"{MMG}7118-24/f2/m273/AQ7310686fa4610b803d4433889aa3?ccb=9-4&oh=01_Q5Aa2w7997{MMG_TAIL}",
                    mimetype="image/jpeg",
                    sha256="MMq6Oqsrvsj9KOKaneRmZoKrcINvwR5rP3tR1QIfpAM=",
                    size=142877,
                    width=1080,
                    height=1350,
                ),
                subtype="imageMessage",
            ),
        ),
    ),
    "delivery_document": (
        "webhookDelivery",
        (
            ours(
                OUT_DOC,
                at(7, 35, 0),
                type=MessageType.DOCUMENT,
                text="",
                media=Media(
                    url=f"{MMG}7119-24/f2/m2f8/AQf8d5817990f589b9681ba3ac8065?ccb=9-4&oh=01_Q5Aa2wccf0{MMG_TAIL}",
                    mimetype="application/pdf",
                    sha256="CYv411Rr3VGVA7IZSLo9UJISskvT1mMYhAKbHkDWFSI=",
                    size=88412,
                    file_name="Nota_Fiscal_4821.pdf",
                ),
                subtype="documentMessage",
            ),
        ),
    ),
    "status_delivered": (
        "webhookStatus",
        (status(OUT_TEXT, DeliveryStatus.DELIVERED, at(7, 6, 52)),),
    ),
    "status_read": ("webhookStatus", (status(OUT_TEXT, DeliveryStatus.READ, at(7, 8, 15)),)),
    "read_before_delivered": (
        "webhookStatus",
        (status(OUT_IMAGE, DeliveryStatus.READ, at(7, 37, 0)),),
    ),
    "status_ids": (
        "webhookStatus",
        (
            status(OUT_IMAGE, DeliveryStatus.DELIVERED, at(7, 36, 0)),
            status(OUT_DOC, DeliveryStatus.DELIVERED, at(7, 36, 0)),
        ),
    ),
    "status_unknown_message": (
        "webhookStatus",
        (status(NEVER_ARRIVES, DeliveryStatus.DELIVERED, at(7, 38, 20)),),
    ),
    "connected": (
        "webhookConnected",
        (
            ConnectionEvent(
                client_key=INSTANCE, timestamp=at(6, 50, 0), state=ConnectionState.OPEN, phone=ME
            ),
        ),
    ),
    "disconnected": (
        "webhookDisconnected",
        (
            ConnectionEvent(
                client_key=INSTANCE,
                timestamp=at(7, 40, 0),
                state=ConnectionState.CLOSED,
                phone=ME,
                reason="Device has been disconnected",
            ),
        ),
    ),
    "presence": (
        "webhookPresence",
        (
            PresenceEvent(
                client_key=INSTANCE, timestamp=at(7, 11, 30), chat_id=ANA, presence="composing"
            ),
        ),
    ),
    "qrcode": (
        "webhookQrCode",
        (QrCodeEvent(client_key=INSTANCE, timestamp=at(6, 48, 20), code=QR_CODE, image=QR_IMAGE),),
    ),
}

IGNORED: dict[str, str] = {"unhandled_event": "webhookSomethingNew"}


def parse_fixture(name: str):
    return wapi.parse(fixture("wapi", name))


def test_every_fixture_has_an_expectation():
    assert {name for _, name in all_fixtures("wapi")} == set(EXPECTED) | set(IGNORED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_events(name):
    event_type, expected = EXPECTED[name]
    payload = fixture("wapi", name)
    result = wapi.parse(payload)
    assert result.family == "wapi"
    assert result.event_type == event_type
    assert result.client_key == INSTANCE
    assert result.ignored_reason == ""
    assert result.events == expected
    for event in result.events:
        assert event.raw is payload
        assert event.client_key == INSTANCE
        assert event.timestamp is None or event.timestamp.tzinfo is UTC


@pytest.mark.parametrize("name", sorted(IGNORED))
def test_unhandled_event_is_ignored_with_its_reason(name):
    result = parse_fixture(name)
    assert result.family == "wapi"
    assert result.event_type == IGNORED[name]
    assert result.client_key == INSTANCE
    assert result.events == ()
    assert IGNORED[name] in result.ignored_reason
    assert "not handled" in result.ignored_reason


def test_message_ids_unique_and_targets_exist():
    """Statuses, reactions and replies point at fixture messages, bar one on purpose."""
    message_ids: list[str] = []
    targets: set[str] = set()
    for _, name in all_fixtures("wapi"):
        for event in parse_fixture(name).events:
            if isinstance(event, MessageEvent):
                message_ids.append(event.message_id)
                if event.quoted_id:
                    targets.add(event.quoted_id)
            elif isinstance(event, StatusEvent):
                targets.add(event.message_id)
            elif isinstance(event, ReactionEvent):
                targets.add(event.target_id)
    assert len(message_ids) == len(set(message_ids))
    assert targets - set(message_ids) == {NEVER_ARRIVES}
    reaction_ids = [fixture("wapi", n)["messageId"] for n in ("reaction", "reaction_removed")]
    assert not set(reaction_ids) & set(message_ids)


# --- Detection ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(EXPECTED) + sorted(IGNORED))
def test_detect_own_fixtures(name):
    payload = fixture("wapi", name)
    assert detect(payload) is wapi
    assert parsers.family_of(payload) == "wapi"
    assert wapi.client_key(payload) == INSTANCE
    assert parsers.client_key(payload) == INSTANCE


def test_other_families_fixtures_are_not_wapi():
    others = [(family, name) for family, name in all_fixtures() if family != "wapi"]
    assert others, "the other families' fixtures should be present"
    for family, name in others:
        payload = fixture(family, name)
        assert not wapi.matches(payload), (family, name)
        assert detect(payload) is not wapi, (family, name)


@pytest.mark.parametrize(
    "payload",
    [
        {"object": "whatsapp_business_account", "entry": []},
        {"event": "messages.upsert", "instance": "loja", "data": {}},
        {"event": "message", "session": "default", "payload": {}},
        {"event": "webhookReceived"},  # no instanceId
        {"event": "WebhookReceived", "instanceId": INSTANCE},  # case matters
        {"event": "received", "instanceId": INSTANCE, "moment": 1764400000},
        {"event": ["webhookReceived"], "instanceId": INSTANCE},  # unhashable: no crash
        {"type": "ReceivedCallback", "instanceId": INSTANCE, "momment": 1764400000000},
        {"instanceId": INSTANCE, "key": {"id": "X"}, "msgContent": {"conversation": "oi"}},
        {"instanceId": INSTANCE},  # nothing that says W-API
        {"instanceId": INSTANCE, "momment": 1764400000000},
        {},
    ],
)
def test_foreign_shapes_do_not_match(payload):
    assert wapi.matches(payload) is False


@pytest.mark.parametrize(
    "payload",
    [
        {"instanceId": INSTANCE, "messageId": OUT_TEXT, "status": "READ", "moment": 1764400095},
        {"instanceId": INSTANCE, "messageId": TEXT_ID, "chat": {"id": ANA}, "msgContent": {}},
        {"event": None, "instanceId": INSTANCE, "moment": 1764400095},
        {"event": "", "instanceId": INSTANCE, "moment": 1764400095},
    ],
)
def test_bodies_without_event_are_recognised(payload):
    assert wapi.matches(payload) is True
    assert detect(payload) is wapi


# --- Per-kind URLs: bodies without "event" ------------------------------------------------------


def without_event(name: str) -> dict[str, Any]:
    payload = copy.deepcopy(fixture("wapi", name))
    del payload["event"]
    return payload


@pytest.mark.parametrize(
    ("path_event", "name"),
    [
        ("received", "text"),
        ("received", "reaction"),
        ("delivery", "delivery"),
        ("message-status", "status_read"),
        ("message-status", "status_ids"),
        ("status", "status_delivered"),
        ("MESSAGE-STATUS", "read_before_delivered"),
        ("connected", "connected"),
        ("disconnected", "disconnected"),
        ("chat-presence", "presence"),
        ("presence", "presence"),
        ("qrcode", "qrcode"),
    ],
)
def test_path_event_routes_bodies_without_event(path_event, name):
    event_type, expected = EXPECTED[name]
    result = wapi.parse(without_event(name), path_event=path_event)
    assert (result.event_type, result.events, result.ignored_reason) == (event_type, expected, "")
    # The package-level entry point detects the body and passes the path along too.
    assert parsers.parse(without_event(name), path_event=path_event).events == expected


def test_delivery_path_makes_the_message_ours_even_without_from_me():
    payload = without_event("delivery")
    payload["fromMe"] = False
    (event,) = wapi.parse(payload, path_event="delivery").events
    assert (event.from_me, event.sender_id, event.status) == (True, ME, DeliveryStatus.SENT)


def test_body_event_wins_over_the_path():
    result = wapi.parse(fixture("wapi", "status_read"), path_event="received")
    assert result.event_type == "webhookStatus"
    assert result.events == EXPECTED["status_read"][1]


def test_body_without_event_on_an_unknown_path_is_ignored():
    for path_event in ("", "messages-upsert", "webhook"):
        result = wapi.parse(without_event("status_read"), path_event=path_event)
        assert result.events == ()
        assert result.event_type == ""
        assert "not handled" in result.ignored_reason


@pytest.mark.parametrize(
    ("event", "name"),
    [("webhookMessageStatus", "status_read"), ("webhookChatPresence", "presence")],
)
def test_alternative_event_names(event, name):
    payload = copy.deepcopy(fixture("wapi", name))
    payload["event"] = event
    result = wapi.parse(payload)
    assert (result.event_type, result.events) == (event, EXPECTED[name][1])


# --- Decisions the docs leave open -------------------------------------------------------------


def received(name: str = "text", **changes: Any) -> dict[str, Any]:
    payload = copy.deepcopy(fixture("wapi", name))
    payload.update(changes)
    return payload


def only_event(payload: dict[str, Any], **kwargs: Any) -> Event:
    (event,) = wapi.parse(payload, **kwargs).events
    return event


def test_from_me_received_message_typed_on_the_phone():
    payload = received(fromMe=True, sender={"id": ME, "pushName": "Doceria Vó Benedita"})
    assert only_event(payload) == ours(
        TEXT_ID,
        at(7, 11, 40),
        type=MessageType.TEXT,
        text="Olá! Quero saber o preço do bolo de cenoura com cobertura de chocolate 😊",
        subtype="conversation",
    )


def test_from_me_without_sender_uses_the_connected_phone_or_nothing():
    payload = received("delivery", sender=None)
    assert only_event(payload).sender_id == ME
    del payload["connectedPhone"]
    assert only_event(payload).sender_id == ""


def test_inbound_without_sender_is_the_chat_in_a_1to1_and_unknown_in_a_group():
    event = only_event(received(sender="5511987654321"))  # wrong type
    assert (event.sender_id, event.sender_name, event.chat_name) == (ANA, "", "")
    group = only_event(received("group_text", sender={}))
    assert (group.sender_id, group.sender_name, group.is_group) == ("", "", True)


def test_verified_business_name_when_there_is_no_push_name():
    payload = received(sender={"id": ANA, "pushName": "", "verifiedBizName": "Ateliê Ana Doces"})
    event = only_event(payload)
    assert (event.chat_name, event.sender_name) == ("Ateliê Ana Doces", "Ateliê Ana Doces")


def test_group_detected_by_suffix_when_is_group_missing_or_junk():
    for value in (None, "nope", [], {}):
        event = only_event(received("group_text", isGroup=value))
        assert (event.is_group, event.chat_name, event.sender_id) == (True, "", MARIA)


def test_flags_as_strings_are_understood():
    event = only_event(received(fromMe="true"))
    assert (event.from_me, event.status) == (True, DeliveryStatus.SENT)
    assert only_event(received(fromMe="false")).from_me is False


def test_group_reaction_is_by_the_participant():
    payload = received("reaction", chat={"id": GROUP}, isGroup=True, sender={"id": MARIA})
    assert only_event(payload) == ReactionEvent(
        client_key=INSTANCE,
        timestamp=at(7, 9, 10),
        target_id=OUT_TEXT,
        emoji="❤️",
        chat_id=GROUP,
        sender_id=MARIA,
        from_me=False,
    )


def test_our_reaction_is_from_me():
    payload = received("reaction", fromMe=True, sender={"id": ME})
    event = only_event(payload)
    assert (event.from_me, event.sender_id, event.emoji) == (True, ME, "❤️")


def test_reaction_without_target_degrades_to_a_reaction_message():
    payload = received("reaction")
    del payload["msgContent"]["reactionMessage"]["key"]
    event = only_event(payload)
    assert isinstance(event, MessageEvent)
    assert (event.type, event.text, event.message_id) == (
        MessageType.REACTION,
        "❤️",
        "3AC9F4D1B28E7A60B10C",
    )


@pytest.mark.parametrize("content", [None, "oi", 42, [], {}, {"messageContextInfo": {}}])
def test_missing_or_junk_content_is_unsupported_not_an_error(content):
    event = only_event(received(msgContent=content))
    assert isinstance(event, MessageEvent)
    assert (event.type, event.text, event.media, event.subtype) == (
        MessageType.UNSUPPORTED,
        "",
        None,
        "",
    )


def test_a_type_whatsapp_invents_tomorrow_is_unknown():
    event = only_event(received(msgContent={"hologramMessage": {"caption": "🛸"}}))
    assert (event.type, event.subtype) == (MessageType.UNKNOWN, "hologramMessage")


def test_wrong_types_in_media_fields_degrade_to_empty_values():
    payload = received("image")
    payload["msgContent"]["imageMessage"].update(
        url=["x"],
        mimetype=None,
        fileSha256={},
        fileLength="muito",
        width="largo",
        height=True,
        caption=7,
    )
    event = only_event(payload)
    assert event.media == Media()
    assert event.text == "7"
    assert event.type == MessageType.IMAGE


def test_file_length_as_protobuf_long_number_or_string():
    for value, expected in (("184213", 184213), (184213, 184213), ("1.5e3", 1500), (None, None)):
        payload = received("image")
        payload["msgContent"]["imageMessage"]["fileLength"] = value
        assert only_event(payload).media.size == expected


def test_location_with_string_coordinates_and_junk():
    payload = received("location")
    payload["msgContent"]["locationMessage"].update(
        degreesLatitude="-23.5613496", degreesLongitude="x"
    )
    location = only_event(payload).location
    assert (location.latitude, location.longitude) == (-23.5613496, None)


def test_contacts_array_with_junk_entries():
    payload = received("contacts_array")
    payload["msgContent"]["contactsArrayMessage"]["contacts"] = [None, {"displayName": 5}, "x"]
    payload["msgContent"]["contactsArrayMessage"]["displayName"] = None
    event = only_event(payload)
    assert event.contacts == (Contact(), Contact(display_name="5"), Contact())
    assert event.text == ""


def test_numeric_ids_are_kept_as_text():
    event = only_event(received(messageId=123456789, chat={"id": 5511987654321}))
    assert (event.message_id, event.chat_id) == ("123456789", "5511987654321")


@pytest.mark.parametrize(
    ("name", "field", "bad"),
    [
        ("text", "messageId", None),
        ("text", "messageId", ""),
        ("text", "messageId", "   "),
        ("text", "messageId", ["3AC9"]),
        ("text", "messageId", {"id": "3AC9"}),
        ("text", "messageId", True),
        ("delivery", "messageId", None),
        ("reaction", "messageId", None),
        ("status_read", "messageId", None),
        ("status_read", "messageId", object()),
    ],
)
def test_missing_or_invalid_message_id_raises_payload_error(name, field, bad):
    payload = received(name)
    payload[field] = bad
    with pytest.raises(PayloadError) as caught:
        wapi.parse(payload)
    assert caught.value.field == field


@pytest.mark.parametrize("chat", [None, "5511987654321", [], {}, {"id": ""}, {"id": None}])
def test_missing_chat_id_raises_payload_error(chat):
    with pytest.raises(PayloadError) as caught:
        wapi.parse(received(chat=chat))
    assert caught.value.field == "chat.id"


def test_absent_message_id_raises_payload_error():
    payload = received()
    del payload["messageId"]
    with pytest.raises(PayloadError):
        wapi.parse(payload)


def test_status_with_empty_or_junk_ids_falls_back_to_message_id():
    payload = received("status_ids", messageId=OUT_TEXT)
    payload["ids"] = [None, "", {}, []]
    assert [e.message_id for e in wapi.parse(payload).events] == [OUT_TEXT]
    payload["ids"] = "3AB7E21C94D05F6A8E02"  # not a list
    assert [e.message_id for e in wapi.parse(payload).events] == [OUT_TEXT]
    del payload["messageId"]
    with pytest.raises(PayloadError):
        wapi.parse(payload)


def test_status_ids_skip_junk_and_keep_numbers_as_text():
    payload = received("status_ids", ids=[OUT_IMAGE, None, 42, "", OUT_DOC])
    assert [e.message_id for e in wapi.parse(payload).events] == [OUT_IMAGE, "42", OUT_DOC]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("DELIVERY", DeliveryStatus.DELIVERED),
        ("delivery_ack", DeliveryStatus.DELIVERED),
        ("RECEIVED", DeliveryStatus.DELIVERED),
        ("Read", DeliveryStatus.READ),
        ("SERVER_ACK", DeliveryStatus.SENT),
        ("SENT", DeliveryStatus.SENT),
        ("PENDING", DeliveryStatus.PENDING),
        ("PLAYED", DeliveryStatus.PLAYED),
        ("ERROR", DeliveryStatus.FAILED),
        ("DELETED", DeliveryStatus.DELETED),
        ("READ_BY_SOMEONE", DeliveryStatus.UNKNOWN),
        ("", DeliveryStatus.UNKNOWN),
        (None, DeliveryStatus.UNKNOWN),
        (3, DeliveryStatus.UNKNOWN),
        (["READ"], DeliveryStatus.UNKNOWN),
    ],
)
def test_status_strings(value, expected):
    assert only_event(received("status_read", status=value)).status == expected


def test_status_chat_from_phone_when_chat_is_missing_and_empty_when_neither():
    payload = received("status_read", chat=None, phone=ANA)
    event = only_event(payload)
    assert (event.chat_id, event.recipient_id) == (ANA, ANA)
    del payload["phone"]
    event = only_event(payload)
    assert (event.chat_id, event.recipient_id, event.message_id) == ("", "", OUT_TEXT)


def test_presence_from_phone_and_without_any_chat():
    payload = received("presence", chat="x", phone=MARIA, status="RECORDING")
    assert only_event(payload) == PresenceEvent(
        client_key=INSTANCE, timestamp=at(7, 11, 30), chat_id=MARIA, presence="recording"
    )
    del payload["phone"]
    result = wapi.parse(payload)
    assert result.events == ()
    assert "nothing to apply" in result.ignored_reason
    assert only_event(received("presence", status=None)).presence == ""


def test_qrcode_from_code_field_and_without_image():
    payload = received("qrcode", code="2@abc", base64=None)
    del payload["qrcode"]
    assert only_event(payload) == QrCodeEvent(
        client_key=INSTANCE, timestamp=at(6, 48, 20), code="2@abc", image=""
    )


def test_disconnected_without_error_phone_or_time():
    payload = received("disconnected")
    for field in ("error", "connectedPhone", "moment"):
        del payload[field]
    assert only_event(payload) == ConnectionEvent(
        client_key=INSTANCE, timestamp=None, state=ConnectionState.CLOSED
    )


def test_client_key_is_stripped_and_numbers_are_text():
    assert wapi.client_key({"instanceId": f"  {INSTANCE} "}) == INSTANCE
    assert wapi.client_key({"instanceId": 12345}) == "12345"
    assert wapi.client_key({"instanceId": None}) == ""
    result = wapi.parse(received(instanceId=["x"]))
    assert result.client_key == ""
    assert result.events[0].client_key == ""


# --- Timestamps --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (1764400300, at(7, 11, 40)),
        ("1764400300", at(7, 11, 40)),
        (1764400300.9, at(7, 11, 40)),  # floored to the second
        (1764400300123, at(7, 11, 40)),  # milliseconds
        ("1764400300123", at(7, 11, 40)),
        ({"low": 1764400300, "high": 0, "unsigned": True}, at(7, 11, 40)),  # leaked Long
        (0, None),
        (-1764400300, None),
        ("agora", None),
        (None, None),
        (True, None),
        ([1764400300], None),
        (1e30, None),
        (float("nan"), None),
        (946684800, None),  # 2000: before WhatsApp
    ],
)
def test_moment_conversion(moment, expected):
    assert only_event(received(moment=moment)).timestamp == expected


def test_future_moment_is_none_and_recent_is_kept():
    future = int((datetime.now(tz=UTC) + timedelta(days=3)).timestamp())
    assert only_event(received(moment=future)).timestamp is None
    recent = datetime.now(tz=UTC).replace(microsecond=0) - timedelta(minutes=5)
    assert only_event(received(moment=int(recent.timestamp()))).timestamp == recent


@pytest.mark.parametrize("name", ["status_read", "connected", "presence", "qrcode"])
def test_non_message_events_survive_bad_times(name):
    (event,) = wapi.parse(received(name, moment="ontem")).events
    assert event.timestamp is None
