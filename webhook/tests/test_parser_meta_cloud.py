"""Meta WhatsApp Cloud API parser: every fixture, every normalised field, detection,
robustness, and the two HTTP-layer checks (signature and handshake)."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from webhook.events import (
    Contact,
    DeliveryStatus,
    Event,
    Location,
    Media,
    MessageEvent,
    MessageType,
    ParseResult,
    ReactionEvent,
    StatusEvent,
)
from webhook.exceptions import PayloadError
from webhook.parsers import detect, meta_cloud
from webhook.tests.helpers import all_fixtures, fixture, fixture_bytes

FAMILY = "meta_cloud"
PNID, PNID_2 = "106540352242922", "106540352242923"
BIZ, BIZ_2 = "551140028922", "552130034455"
JOAO, JOAO_NAME = "5511987654321", "João Araújo"
MARIA, MARIA_NAME = "5521998765432", "Maria Souza"
ANA, ANA_NAME = "553188776655", "Ana Lúcia Lima"  # no 9th digit: kept verbatim
LOOKASIDE = "https://lookaside.fbsbx.com/whatsapp_business/attachments/"

# Our own messages (business-app echoes and API sends): statuses and replies point at them.
ECHO_TEXT_ID = "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYFDNFQjBBMUIyQzNENEU1RjYwNzE4AA=="
ECHO_IMAGE_ID = "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYFDNFQjBBMUIyQzNENEU1RjYwNzE5AA=="
ECHO_VOICE_ID = "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYFDNFQjBBMUIyQzNENEU1RjYwNzFBAA=="
ECHO_SHIPPED_ID = "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYFDNFQjBBMUIyQzNENEU1RjYwNzFCAA=="
OUR_BUTTONS_ID = "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYFDNFQjBDOUQ4RTdGNkE1QjRDMzAxAA=="
OUR_LIST_ID = "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYFDNFQjBDOUQ4RTdGNkE1QjRDMzAyAA=="
OUR_TEMPLATE_ID = "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYFDNFQjBDOUQ4RTdGNkE1QjRDMzAzAA=="
OUR_TEMPLATE_MARIA_ID = "wamid.HBgNNTUyMTk5ODc2NTQzMhUCABEYFDNFQjBDOUQ4RTdGNkE1QjRDMzA0AA=="
NEVER_ARRIVES_ID = "wamid.HBgNNTUyMTk5ODc2NTQzMhUCABEYFDNFQjBDOUQ4RTdGNkE1QjRDMzk5AA=="
# Inbound messages.
TEXT_ID = "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFDNBNEYyQzhCMUQ5RTdBNkI1QzAxAA=="
TEXT_REPLY_ID = "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFDNBNEYyQzhCMUQ5RTdBNkI1QzAyAA=="
IMAGE_ID = "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFDNBNEYyQzhCMUQ5RTdBNkI1QzAzAA=="
VIDEO_ID = "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFDNBNEYyQzhCMUQ5RTdBNkI1QzA0AA=="
AUDIO_ID = "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFDNBNEYyQzhCMUQ5RTdBNkI1QzA1AA=="
VOICE_ID = "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFDNBNEYyQzhCMUQ5RTdBNkI1QzA2AA=="
DOCUMENT_ID = "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFDNBNEYyQzhCMUQ5RTdBNkI1QzA3AA=="
STICKER_ID = "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFDNBNEYyQzhCMUQ5RTdBNkI1QzA4AA=="
LOCATION_ID = "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFDNBNEYyQzhCMUQ5RTdBNkI1QzA5AA=="
CONTACTS_ID = "wamid.HBgNNTUyMTk5ODc2NTQzMhUCABIYFDNBNEYyQzhCMUQ5RTdBNkI1QzBBAA=="
BUTTON_REPLY_ID = "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFDNBNEYyQzhCMUQ5RTdBNkI1QzBCAA=="
LIST_REPLY_ID = "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFDNBNEYyQzhCMUQ5RTdBNkI1QzBDAA=="
TEMPLATE_BUTTON_ID = "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFDNBNEYyQzhCMUQ5RTdBNkI1QzBEAA=="
ORDER_ID = "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFDNBNEYyQzhCMUQ5RTdBNkI1QzEwAA=="
SYSTEM_ID = "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFDNBNEYyQzhCMUQ5RTdBNkI1QzExAA=="
UNSUPPORTED_ID = "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFDNBNEYyQzhCMUQ5RTdBNkI1QzEyAA=="
REFERRAL_ID = "wamid.HBgNNTUyMTk5ODc2NTQzMhUCABIYFDNBNEYyQzhCMUQ5RTdBNkI1QzEzAA=="
BATCH_TEXT_ID = "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFDNBNEYyQzhCMUQ5RTdBNkI1QzIwAA=="
BATCH_IMAGE_ID = "wamid.HBgMNTUzMTg4Nzc2NjU1FQIAEhgUM0E0RjJDOEIxRDlFN0E2QjVDMjEA"
BATCH_MARIA_ID = "wamid.HBgNNTUyMTk5ODc2NTQzMhUCABIYFDNBNEYyQzhCMUQ5RTdBNkI1QzIyAA=="


def at(hour: int, minute: int, second: int) -> datetime:
    return datetime(2025, 11, 29, hour, minute, second, tzinfo=UTC)


def inbound(message_id: str, when: datetime, **fields: Any) -> MessageEvent:
    """A message from João to the first number; ``fields`` override the defaults."""
    values: dict[str, Any] = {
        "client_key": PNID,
        "timestamp": when,
        "message_id": message_id,
        "chat_id": JOAO,
        "chat_name": JOAO_NAME,
        "chat_alt_id": "",
        "is_group": False,
        "sender_id": JOAO,
        "sender_name": JOAO_NAME,
        "sender_alt_id": "",
        "from_me": False,
        "status": None,
        "subtype": "",
        "quoted_id": "",
        "forwarded": False,
    }
    return MessageEvent(**{**values, **fields})


def from_maria(message_id: str, when: datetime, **fields: Any) -> MessageEvent:
    who = {"chat_id": MARIA, "chat_name": MARIA_NAME, "sender_id": MARIA, "sender_name": MARIA_NAME}
    return inbound(message_id, when, **{**who, **fields})


def echo(message_id: str, when: datetime, **fields: Any) -> MessageEvent:
    """A message the business sent to João from the WhatsApp Business app."""
    mine = {"chat_name": "", "sender_id": BIZ, "sender_name": "", "from_me": True}
    return inbound(message_id, when, **{**mine, **fields})


def status(message_id: str, value: DeliveryStatus, when: datetime, **fields: Any) -> StatusEvent:
    values: dict[str, Any] = {
        "client_key": PNID,
        "chat_id": JOAO,
        "recipient_id": JOAO,
        "error": "",
    }
    return StatusEvent(message_id=message_id, status=value, timestamp=when, **{**values, **fields})


def media(media_id: str, ext: int, hash_: str, **fields: Any) -> Media:
    url = f"{LOOKASIDE}?mid={media_id}&ext={ext}&hash=ATsN{hash_}"
    return Media(url=url, media_id=media_id, **fields)


def result(event_type: str, *events: Event, client: str = PNID, ignored: str = "") -> ParseResult:
    return ParseResult(
        family=FAMILY,
        event_type=event_type,
        client_key=client,
        events=events,
        ignored_reason=ignored,
    )


JPEG, OPUS = "image/jpeg", "audio/ogg; codecs=opus"

EXPECTED: dict[str, ParseResult] = {
    "text": result("messages", inbound(TEXT_ID, at(7, 6, 40), text="Olá! Quero saber o preço 😊")),
    "text_reply": result(
        "messages",
        inbound(
            TEXT_REPLY_ID,
            at(7, 11, 40),
            text="Sim, pode enviar o catálogo, por favor. Obrigado!",
            quoted_id=ECHO_TEXT_ID,
        ),
    ),
    "image": result(
        "messages",
        inbound(
            IMAGE_ID,
            at(7, 15, 0),
            type=MessageType.IMAGE,
            text="Foto da peça que quero trocar 📷",
            media=media(
                "1203948576612345",
                1764400800,
                "5f38520f7355ef54025c284a",
                mimetype=JPEG,
                sha256="YYfriEoiQ9vtOmSNaeWhpTi+Aiq8fXLVlvwLECT6Pas=",
            ),
        ),
    ),
    "video": result(
        "messages",
        inbound(
            VIDEO_ID,
            at(7, 16, 40),
            type=MessageType.VIDEO,
            text="Vídeo do defeito na peça",
            media=media(
                "1203948576612346",
                1764400900,
                "4d304468945797fa565b94f2",
                mimetype="video/mp4",
                sha256="DKsclhdAT68rJOIh4YnKWUWBPhTT92Y0WwnKE7vij/w=",
            ),
        ),
    ),
    "audio": result(
        "messages",
        inbound(
            AUDIO_ID,
            at(7, 18, 20),
            type=MessageType.AUDIO,
            media=media(
                "1203948576612347",
                1764401000,
                "885fdbdf16b7e8ba49c43d16",
                mimetype="audio/mpeg",
                sha256="btiRnOIEkKXjrYYwpPq2lHUper0H23ORjdXzb8+usRs=",
                voice=False,
            ),
        ),
    ),
    "voice": result(
        "messages",
        inbound(
            VOICE_ID,
            at(7, 20, 0),
            type=MessageType.AUDIO,
            media=media(
                "1203948576612348",
                1764401100,
                "1fd6b56bded37ba0dd066ac3",
                mimetype=OPUS,
                sha256="MXH9f1JdR4MMem+gxHDBopZUCZujoj1qtlR0NHTnfLg=",
                voice=True,
            ),
        ),
    ),
    "document": result(
        "messages",
        inbound(
            DOCUMENT_ID,
            at(7, 21, 40),
            type=MessageType.DOCUMENT,
            text="Comprovante de pagamento",
            media=media(
                "1203948576612349",
                1764401200,
                "bf57e8c817db188eceb058f9",
                mimetype="application/pdf",
                sha256="w1sh1so5qnzDt5pwXZifGm6IuZq0OYjXQEh5nj25JqM=",
                file_name="comprovante_pagamento_novembro.pdf",
            ),
        ),
    ),
    "sticker": result(
        "messages",
        inbound(
            STICKER_ID,
            at(7, 23, 20),
            type=MessageType.STICKER,
            media=media(
                "1203948576612350",
                1764401300,
                "7eed5733cc9d1da16f88b04a",
                mimetype="image/webp",
                sha256="V8SxOkxzNecvFmngUG6ZII3x2gUMEl2meLI+u1W/TGE=",
                animated=True,
            ),
        ),
    ),
    "location": result(
        "messages",
        inbound(
            LOCATION_ID,
            at(7, 25, 0),
            type=MessageType.LOCATION,
            text="MASP - Museu de Arte de São Paulo",
            location=Location(
                latitude=-23.5614141,
                longitude=-46.6558819,
                name="MASP - Museu de Arte de São Paulo",
                address="Av. Paulista, 1578 - Bela Vista, São Paulo - SP, 01310-200",
                url="https://masp.org.br",
            ),
        ),
    ),
    "contacts": result(
        "messages",
        from_maria(
            CONTACTS_ID,
            at(7, 26, 40),
            type=MessageType.CONTACT,
            text="Pedro Álvares Cabral",
            contacts=(
                Contact(
                    display_name="Pedro Álvares Cabral",
                    vcard="",
                    phones=("+55 11 97654-3210", "+55 11 3456-7890"),
                ),
                Contact(display_name="Conceição Ribeiro", vcard="", phones=("+55 21 99123-4567",)),
            ),
        ),
    ),
    "interactive_button_reply": result(
        "messages",
        inbound(
            BUTTON_REPLY_ID,
            at(7, 28, 20),
            type=MessageType.INTERACTIVE,
            text="Confirmar pedido ✅",
            subtype="button_reply",
            quoted_id=OUR_BUTTONS_ID,
        ),
    ),
    "interactive_list_reply": result(
        "messages",
        inbound(
            LIST_REPLY_ID,
            at(7, 30, 0),
            type=MessageType.INTERACTIVE,
            text="Entrega expressa",
            subtype="list_reply",
            quoted_id=OUR_LIST_ID,
        ),
    ),
    "button": result(
        "messages",
        inbound(
            TEMPLATE_BUTTON_ID,
            at(7, 31, 40),
            type=MessageType.BUTTON,
            text="Falar com atendente",
            quoted_id=OUR_TEMPLATE_ID,
        ),
    ),
    "reaction": result(
        "messages",
        ReactionEvent(
            client_key=PNID,
            timestamp=at(7, 12, 0),
            target_id=ECHO_IMAGE_ID,
            emoji="😍",
            chat_id=JOAO,
            sender_id=JOAO,
            from_me=False,
        ),
    ),
    "reaction_removed": result(
        "messages",
        ReactionEvent(
            client_key=PNID,
            timestamp=at(7, 13, 0),
            target_id=ECHO_IMAGE_ID,
            emoji="",
            chat_id=JOAO,
            sender_id=JOAO,
            from_me=False,
        ),
    ),
    "order": result(
        "messages",
        inbound(
            ORDER_ID,
            at(7, 33, 20),
            type=MessageType.ORDER,
            text="Gostaria de finalizar este pedido, por favor",
        ),
    ),
    "system": result(
        "messages",
        inbound(
            SYSTEM_ID,
            at(7, 35, 0),
            chat_name="",  # system messages come without contacts[]
            sender_name="",
            type=MessageType.SYSTEM,
            text="João Araújo changed their phone number to a new number 5511976540000.",
            subtype="user_changed_number",
        ),
    ),
    "unsupported": result(
        "messages",
        inbound(
            UNSUPPORTED_ID, at(7, 36, 40), type=MessageType.UNSUPPORTED, subtype="poll_creation"
        ),
    ),
    "referral": result(
        "messages",
        from_maria(
            REFERRAL_ID, at(7, 38, 20), text="Olá! Vi o anúncio da promoção e quero saber mais."
        ),
    ),
    "status_sent": result("statuses", status(ECHO_TEXT_ID, DeliveryStatus.SENT, at(7, 8, 41))),
    "status_delivered": result(
        "statuses", status(ECHO_TEXT_ID, DeliveryStatus.DELIVERED, at(7, 8, 43))
    ),
    "status_read": result("statuses", status(ECHO_TEXT_ID, DeliveryStatus.READ, at(7, 10, 0))),
    "status_played": result("statuses", status(ECHO_VOICE_ID, DeliveryStatus.PLAYED, at(7, 11, 0))),
    "status_read_before_delivered": result(
        "statuses", status(ECHO_IMAGE_ID, DeliveryStatus.READ, at(7, 10, 10))
    ),
    "status_failed": result(
        "statuses",
        status(
            ECHO_SHIPPED_ID,
            DeliveryStatus.FAILED,
            at(7, 56, 42),
            error=(
                "131047 Re-engagement message: Message failed to send because more than 24 hours"
                " have passed since the customer last replied to this number."
            ),
        ),
    ),
    "status_unknown_message": result(
        "statuses",
        status(
            NEVER_ARRIVES_ID,
            DeliveryStatus.DELIVERED,
            at(7, 40, 0),
            chat_id=MARIA,
            recipient_id=MARIA,
        ),
    ),
    "batch": result(
        "messages+statuses",
        inbound(BATCH_TEXT_ID, at(7, 41, 40), text="Bom dia! Vocês abrem no sábado?"),
        inbound(
            BATCH_IMAGE_ID,
            at(7, 41, 45),
            chat_id=ANA,
            chat_name=ANA_NAME,
            sender_id=ANA,
            sender_name=ANA_NAME,
            type=MessageType.IMAGE,
            media=media(
                "1203948576612351",
                1764402405,
                "7754b30d67377c4a349a3c97",
                mimetype="image/png",
                sha256="zpU6DrCCRmF7f4SUhsSyanrzfp0ujw4Ts64b8NqKcKI=",
            ),
        ),
        status(OUR_BUTTONS_ID, DeliveryStatus.DELIVERED, at(7, 41, 41)),
        status(OUR_LIST_ID, DeliveryStatus.READ, at(7, 41, 42)),
        from_maria(
            BATCH_MARIA_ID, at(7, 41, 50), client_key=PNID_2, text="Recebi o boleto, obrigada! 🙏"
        ),
        status(
            OUR_TEMPLATE_MARIA_ID,
            DeliveryStatus.SENT,
            at(7, 41, 51),
            client_key=PNID_2,
            chat_id=MARIA,
            recipient_id=MARIA,
        ),
    ),
    "message_echo": result(
        "message_echoes",
        echo(ECHO_TEXT_ID, at(7, 8, 40), text="Olá, João! O catálogo completo segue abaixo 👇"),
        echo(
            ECHO_IMAGE_ID,
            at(7, 8, 50),
            type=MessageType.IMAGE,
            text="Catálogo de verão — preços válidos até 30/11",
            media=media(
                "1584736291047383",
                1764400430,
                "146ce27c98c2098108c46984",
                mimetype=JPEG,
                sha256="XTB5SYYDHjp61Tg4BwYD/Es04S7G9H8HCaukLMwCVzA=",
            ),
        ),
        echo(
            ECHO_VOICE_ID,
            at(7, 9, 0),
            type=MessageType.AUDIO,
            media=media(
                "1584736291047384",
                1764400440,
                "423c8f8f9d340e9ef654f067",
                mimetype=OPUS,
                sha256="yJynBwy2LwILs88tX04nxlJbgy4+oGNE0UtZaQ79S0Y=",
                voice=True,
            ),
        ),
        echo(ECHO_SHIPPED_ID, at(7, 56, 40), text="Seu pedido #1234 foi enviado 🚚"),
    ),
    "errors_only": result(
        "errors",
        ignored="out-of-band error 130429 Rate limit hit: Cloud API message throughput has been reached.",
    ),
    "unhandled_field": result(
        "message_template_status_update",
        client="",
        ignored="field 'message_template_status_update' is not handled",
    ),
}


def parse(payload: Any, **kwargs: Any) -> ParseResult:
    return meta_cloud.parse(payload, **kwargs)


def test_every_fixture_has_an_expectation():
    assert sorted(EXPECTED) == [name for _, name in all_fixtures(FAMILY)]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_parses_to_expected_events(name):
    got = parse(fixture(FAMILY, name))
    expected = EXPECTED[name]
    assert got.family == FAMILY
    assert got.event_type == expected.event_type
    assert got.client_key == expected.client_key
    assert got.ignored_reason == expected.ignored_reason
    assert len(got.events) == len(expected.events)
    for got_event, expected_event in zip(got.events, expected.events, strict=True):
        assert got_event == expected_event
    assert got == expected


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_client_key_is_the_first_phone_number_id(name):
    assert meta_cloud.client_key(fixture(FAMILY, name)) == EXPECTED[name].client_key


def _ordered_items(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """Every message, echo and status in payload order (messages before statuses per change)."""
    found = []
    for entry in payload["entry"]:
        for change in entry["changes"]:
            for key in ("messages", "message_echoes", "statuses"):
                found.extend(change["value"].get(key, []))
    return found


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_raw_is_the_item_the_event_came_from(name):
    payload = fixture(FAMILY, name)
    got = parse(payload).events
    assert [id(event.raw) for event in got] == [id(item) for item in _ordered_items(payload)]


def test_referral_is_kept_in_extra():
    (event,) = parse(fixture(FAMILY, "referral")).events
    assert event.extra["referral"]["source_type"] == "ad"
    assert event.extra["referral"]["ctwa_clid"].startswith("ARAkLkA8")
    assert event.extra["referral"]["headline"] == "Black Friday: até 50% de desconto 🛍️"


def test_unsupported_keeps_its_errors_in_extra():
    (event,) = parse(fixture(FAMILY, "unsupported")).events
    raw_message = fixture(FAMILY, "unsupported")["entry"][0]["changes"][0]["value"]["messages"][0]
    assert event.extra == {"errors": raw_message["errors"]}
    assert event.extra["errors"][0]["code"] == 131051


def test_plain_messages_have_no_extra():
    (event,) = parse(fixture(FAMILY, "text")).events
    assert event.extra == {}


def test_batch_events_carry_the_phone_number_id_of_their_own_change():
    got = parse(fixture(FAMILY, "batch"))
    assert [e.client_key for e in got.events] == [PNID, PNID, PNID, PNID, PNID_2, PNID_2]
    assert got.client_key == PNID


# --- stored bytes: exactly what Meta sends --------------------------------------------------------


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_bytes_are_compact_ascii_json_like_meta(name):
    body = fixture_bytes(FAMILY, name)
    assert body.isascii()
    assert body == json.dumps(json.loads(body), ensure_ascii=True, separators=(",", ":")).encode()


# --- detection ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_detects_own_fixtures(name):
    assert detect(fixture(FAMILY, name)) is meta_cloud


@pytest.mark.parametrize(
    ("family", "name"), [item for item in all_fixtures() if item[0] != FAMILY] or [("", "")]
)
def test_does_not_claim_other_families(family, name):
    if not family:
        pytest.skip("no other family's fixtures present")
    payload = fixture(family, name)
    if isinstance(payload, dict):
        assert not meta_cloud.matches(payload)
    assert detect(payload) is not meta_cloud


@pytest.mark.parametrize(
    "payload",
    [
        {"object": "page", "entry": []},  # Messenger, not WhatsApp
        {"object": "whatsapp_business_account"},  # no entry
        {"object": "whatsapp_business_account", "entry": {"id": "1"}},  # entry not a list
        {"entry": []},
    ],
)
def test_does_not_match_other_shapes(payload):
    assert not meta_cloud.matches(payload)


# --- robustness -----------------------------------------------------------------------------------


def _message_payload(message: dict[str, Any], **value: Any) -> dict[str, Any]:
    body = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": BIZ, "phone_number_id": PNID},
        "contacts": [{"profile": {"name": JOAO_NAME}, "wa_id": JOAO}],
        "messages": [message],
        **value,
    }
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "184950627381945", "changes": [{"value": body, "field": "messages"}]}],
    }


def _text_message(**fields: Any) -> dict[str, Any]:
    message = {
        "from": JOAO,
        "id": "wamid.TEST",
        "timestamp": "1764400000",
        "type": "text",
        "text": {"body": "oi"},
    }
    return {**message, **fields}


def _only_event(payload: dict[str, Any]) -> Any:
    (event,) = parse(payload).events
    return event


@pytest.mark.parametrize(
    ("timestamp", "expected"),
    [
        ("1764400000", at(7, 6, 40)),
        (1764400000, at(7, 6, 40)),  # number instead of string
        ("1764400000123", at(7, 6, 40)),  # milliseconds
        ("-1764400000", None),
        ("0", None),
        ("abc", None),
        ("", None),
        (None, None),
        ("99999999999", None),  # year 5138: absurd
        ({"low": 1}, None),
        (True, None),
    ],
)
def test_timestamps(timestamp, expected):
    assert _only_event(_message_payload(_text_message(timestamp=timestamp))).timestamp == expected


def test_future_timestamp_is_none():
    future = str(int((datetime.now(tz=UTC) + timedelta(days=3)).timestamp()))
    assert _only_event(_message_payload(_text_message(timestamp=future))).timestamp is None


@pytest.mark.parametrize(
    ("field", "where"),
    [("id", "messages[].id"), ("from", "messages[].from")],
)
@pytest.mark.parametrize("bad", [None, "", "   ", {"x": 1}, ["a"], True])
def test_missing_message_ids_raise(field, where, bad):
    message = _text_message(**{field: bad})
    with pytest.raises(PayloadError) as caught:
        parse(_message_payload(message))
    assert caught.value.field == where


def test_message_without_id_key_raises():
    message = _text_message()
    del message["id"]
    with pytest.raises(PayloadError):
        parse(_message_payload(message))


def test_non_object_message_item_raises():
    with pytest.raises(PayloadError):
        parse(_message_payload("wamid.abc"))  # type: ignore[arg-type]


def test_reaction_without_target_raises():
    message = _text_message(type="reaction", reaction={"emoji": "👍"})
    with pytest.raises(PayloadError) as caught:
        parse(_message_payload(message))
    assert caught.value.field == "messages[].reaction.message_id"


@pytest.mark.parametrize("emoji", ["", None, 5])
def test_reaction_with_empty_or_wrong_emoji_is_a_removal_or_text(emoji):
    message = _text_message(type="reaction", reaction={"message_id": ECHO_TEXT_ID, "emoji": emoji})
    event = _only_event(_message_payload(message))
    assert isinstance(event, ReactionEvent)
    assert event.emoji == ("5" if emoji == 5 else "")


def test_status_without_id_raises():
    payload = _message_payload(_text_message(), statuses=[{"status": "read", "recipient_id": JOAO}])
    with pytest.raises(PayloadError) as caught:
        parse(payload)
    assert caught.value.field == "statuses[].id"


def test_echo_without_to_raises():
    payload = copy.deepcopy(fixture(FAMILY, "message_echo"))
    del payload["entry"][0]["changes"][0]["value"]["message_echoes"][0]["to"]
    with pytest.raises(PayloadError) as caught:
        parse(payload)
    assert caught.value.field == "message_echoes[].to"


def test_echo_without_metadata_uses_its_from_as_sender():
    payload = copy.deepcopy(fixture(FAMILY, "message_echo"))
    del payload["entry"][0]["changes"][0]["value"]["metadata"]
    got = parse(payload)
    assert got.client_key == ""
    assert [e.sender_id for e in got.events] == [BIZ] * 4
    assert all(e.client_key == "" for e in got.events)


@pytest.mark.parametrize(
    ("kind", "body"),
    [
        ("text", "not an object"),
        ("text", {"body": ["list"]}),
        ("image", None),
        ("image", {"caption": 7, "mime_type": {}, "id": ["x"], "url": False}),
        ("audio", {"voice": "yes"}),
        ("sticker", {"animated": "sim"}),
        ("location", {"latitude": "abc", "longitude": None, "name": 3}),
        ("interactive", {"type": 5}),
        ("interactive", {"type": "button_reply", "button_reply": "x"}),
        ("button", []),
        ("order", {"text": None}),
        ("system", {"body": {}, "type": []}),
        ("unsupported", "poll"),
    ],
)
def test_wrong_types_in_content_degrade_to_empty_values(kind, body):
    message = {**_text_message(type=kind), kind: body}
    if kind != "text":
        del message["text"]
    event = _only_event(_message_payload(message))
    assert isinstance(event, MessageEvent)
    assert event.message_id == "wamid.TEST"
    assert event.type == meta_cloud._MESSAGE_TYPES[kind]
    assert isinstance(event.text, str)
    if event.media is not None:
        assert event.media.media_id == "" and event.media.mimetype == ""
    if event.location is not None:
        assert event.location.latitude is None and event.location.longitude is None


def test_wrong_types_in_content_values():
    event = _only_event(_message_payload(_text_message(text={"body": 42})))
    assert event.text == "42"  # numbers become their decimal text
    message = _text_message(type="location", location={"latitude": "-23.5", "longitude": "x"})
    event = _only_event(_message_payload(message))
    assert event.location == Location(latitude=-23.5, longitude=None)
    message = _text_message(type="audio", audio={"id": 123, "voice": "true"})
    assert _only_event(_message_payload(message)).media == Media(media_id="123", voice=True)


def test_contacts_with_wrong_shapes():
    cards = [
        "not a card",
        {"name": "x", "phones": "y"},
        {"name": {"formatted_name": "Zé"}, "phones": [{"phone": None}, "z", {"phone": "+55 11 9"}]},
    ]
    event = _only_event(_message_payload(_text_message(type="contacts", contacts=cards)))
    assert event.contacts == (
        Contact(),
        Contact(),
        Contact(display_name="Zé", phones=("+55 11 9",)),
    )
    assert event.text == ""  # the first card has no name
    event = _only_event(_message_payload(_text_message(type="contacts", contacts={"x": 1})))
    assert event.contacts == () and event.text == ""


def test_context_with_wrong_types():
    event = _only_event(_message_payload(_text_message(context="wamid.X")))
    assert (event.quoted_id, event.forwarded) == ("", False)
    event = _only_event(_message_payload(_text_message(context={"forwarded": True})))
    assert (event.quoted_id, event.forwarded) == ("", True)
    event = _only_event(_message_payload(_text_message(context={"frequently_forwarded": True})))
    assert event.forwarded is True


def test_unknown_message_type_is_kept_as_unknown():
    message = _text_message(type="hologram", hologram={"x": 1})
    event = _only_event(_message_payload(message))
    assert (event.type, event.subtype, event.text) == (MessageType.UNKNOWN, "hologram", "")


def test_old_unknown_type_is_unsupported():
    event = _only_event(_message_payload(_text_message(type="unknown")))
    assert (event.type, event.subtype) == (MessageType.UNSUPPORTED, "")


def test_nfm_reply_reads_its_body():
    body = {
        "type": "nfm_reply",
        "nfm_reply": {"name": "flow", "body": "Sent", "response_json": "{}"},
    }
    event = _only_event(_message_payload(_text_message(type="interactive", interactive=body)))
    assert (event.type, event.subtype, event.text) == (MessageType.INTERACTIVE, "nfm_reply", "Sent")


def test_profile_name_matches_wa_id_or_single_contact():
    contacts = [{"profile": {"name": "Outro"}, "wa_id": "5511900000000"}]
    event = _only_event(_message_payload(_text_message(), contacts=contacts))
    assert (event.sender_name, event.chat_name) == ("Outro", "Outro")  # the only contact
    contacts.append({"profile": {"name": "Mais um"}, "wa_id": "5511900000001"})
    event = _only_event(_message_payload(_text_message(), contacts=contacts))
    assert (event.sender_name, event.chat_name) == ("", "")
    event = _only_event(_message_payload(_text_message(), contacts="x"))
    assert event.sender_name == ""
    event = _only_event(
        _message_payload(_text_message(), contacts=[{"profile": "x", "wa_id": JOAO}])
    )
    assert event.sender_name == ""


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("sent", DeliveryStatus.SENT),
        ("delivered", DeliveryStatus.DELIVERED),
        ("read", DeliveryStatus.READ),
        ("played", DeliveryStatus.PLAYED),
        ("failed", DeliveryStatus.FAILED),
        ("deleted", DeliveryStatus.DELETED),
        ("READ", DeliveryStatus.READ),
        ("warning", DeliveryStatus.UNKNOWN),
        ("", DeliveryStatus.UNKNOWN),
        (None, DeliveryStatus.UNKNOWN),
        (3, DeliveryStatus.UNKNOWN),
    ],
)
def test_status_mapping(raw, expected):
    payload = _message_payload(_text_message(), statuses=[{"id": "wamid.S", "status": raw}])
    del payload["entry"][0]["changes"][0]["value"]["messages"]
    (event,) = parse(payload).events
    assert event == StatusEvent(client_key=PNID, message_id="wamid.S", status=expected)


def test_group_status_keeps_group_as_chat_and_participant_as_recipient():
    raw = {
        "id": "wamid.G",
        "status": "read",
        "timestamp": "1764400000",
        "recipient_id": "120363041234567890",
        "recipient_type": "group",
        "recipient_participant_id": MARIA,
    }
    payload = _message_payload(_text_message(), statuses=[raw])
    del payload["entry"][0]["changes"][0]["value"]["messages"]
    (event,) = parse(payload).events
    assert (event.chat_id, event.recipient_id) == ("120363041234567890", MARIA)


@pytest.mark.parametrize(
    ("errors", "expected"),
    [
        ([{"code": 131026, "title": "Message undeliverable"}], "131026 Message undeliverable"),
        (
            [
                {
                    "code": 131026,
                    "title": "Message undeliverable",
                    "message": "Message undeliverable",
                }
            ],
            "131026 Message undeliverable",
        ),
        ([{"code": 1, "title": "T", "message": "M"}], "1 T: M"),
        ([{"code": 1, "title": "T", "message": "M", "error_data": {"details": "D"}}], "1 T: D"),
        ([{"message": "only a message"}], "only a message"),
        (["junk"], ""),
        ("junk", ""),
        ([], ""),
    ],
)
def test_status_error_text(errors, expected):
    raw = {"id": "wamid.F", "status": "failed", "errors": errors}
    payload = _message_payload(_text_message(), statuses=[raw])
    del payload["entry"][0]["changes"][0]["value"]["messages"]
    (event,) = parse(payload).events
    assert (event.status, event.error) == (DeliveryStatus.FAILED, expected)


@pytest.mark.parametrize(
    "payload",
    [
        {"object": "whatsapp_business_account", "entry": []},
        {"object": "whatsapp_business_account", "entry": ["x", {"changes": "y"}]},
        {"object": "whatsapp_business_account", "entry": [{"changes": [{}, "z"]}]},
    ],
)
def test_empty_or_malformed_envelopes_are_ignored(payload):
    got = parse(payload, path_event="wh")
    assert got.events == ()
    assert got.ignored_reason
    assert got.client_key == ""


def test_messages_field_with_nothing_in_it():
    payload = _message_payload(_text_message())
    payload["entry"][0]["changes"][0]["value"] = {"metadata": "x", "messages": "not a list"}
    got = parse(payload)
    assert (got.events, got.event_type) == ((), "messages")
    assert got.ignored_reason == "field 'messages' carried no messages, statuses or errors"


def test_errors_next_to_messages_do_not_hide_them():
    payload = _message_payload(
        _text_message(), errors=[{"code": 130429, "title": "Rate limit hit"}]
    )
    got = parse(payload)
    assert got.event_type == "messages+errors"
    assert len(got.events) == 1 and got.ignored_reason == ""


def test_handled_and_unhandled_fields_mixed():
    payload = copy.deepcopy(fixture(FAMILY, "text"))
    payload["entry"].append(copy.deepcopy(fixture(FAMILY, "unhandled_field"))["entry"][0])
    got = parse(payload)
    assert got.event_type == "messages+message_template_status_update"
    assert [e.message_id for e in got.events] == [TEXT_ID]
    assert got.ignored_reason == ""


@pytest.mark.parametrize("field", ["account_update", "history", "smb_app_state_sync", ""])
def test_unhandled_fields_name_themselves(field):
    payload = _message_payload(_text_message())
    payload["entry"][0]["changes"][0]["field"] = field
    got = parse(payload)
    assert got.events == ()
    assert got.ignored_reason == f"field {field!r} is not handled"
    assert got.client_key == PNID


def test_echo_reaction_is_from_me():
    payload = copy.deepcopy(fixture(FAMILY, "message_echo"))
    echoes = payload["entry"][0]["changes"][0]["value"]["message_echoes"]
    echoes[:] = [
        {
            "from": BIZ,
            "to": JOAO,
            "id": "wamid.ECHO_REACTION",
            "timestamp": "1764400400",
            "type": "reaction",
            "reaction": {"message_id": TEXT_ID, "emoji": "👍"},
        }
    ]
    (event,) = parse(payload).events
    assert event == ReactionEvent(
        client_key=PNID,
        timestamp=at(7, 13, 20),
        target_id=TEXT_ID,
        emoji="👍",
        chat_id=JOAO,
        sender_id=BIZ,
        from_me=True,
    )


def test_parse_does_not_mutate_the_payload():
    payload = fixture(FAMILY, "batch")
    before = copy.deepcopy(payload)
    parse(payload)
    assert payload == before


# --- signature (X-Hub-Signature-256) ----------------------------------------------------------------

SECRET = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@pytest.mark.parametrize("name", ["text", "batch", "message_echo"])
def test_signature_right(name):
    body = fixture_bytes(FAMILY, name)
    assert meta_cloud.verify_signature(body, sign(body), SECRET)
    assert meta_cloud.verify_signature(bytearray(body), "  " + sign(body) + " ", SECRET)
    assert meta_cloud.verify_signature(
        body, sign(body).upper().replace("SHA256=", "sha256="), SECRET
    )


def test_signature_wrong_secret():
    body = fixture_bytes(FAMILY, "text")
    assert not meta_cloud.verify_signature(body, sign(body, "outro-segredo"), SECRET)


@pytest.mark.parametrize("header", ["", None, "sha256=", "sha256", "=abc", "abc", "sha256=zz"])
def test_signature_missing_or_malformed(header):
    body = fixture_bytes(FAMILY, "text")
    assert not meta_cloud.verify_signature(body, header, SECRET)  # type: ignore[arg-type]


def test_signature_legacy_sha1_is_not_accepted():
    body = fixture_bytes(FAMILY, "text")
    legacy = "sha1=" + hmac.new(SECRET.encode(), body, hashlib.sha1).hexdigest()
    assert not meta_cloud.verify_signature(body, legacy, SECRET)


def test_signature_non_ascii_header():
    body = fixture_bytes(FAMILY, "text")
    assert not meta_cloud.verify_signature(body, "sha256=ção", SECRET)


def test_signature_tampered_byte():
    body = fixture_bytes(FAMILY, "text")
    header = sign(body)
    for position in (0, len(body) // 2, len(body) - 1):
        tampered = bytearray(body)
        tampered[position] ^= 0x01
        assert not meta_cloud.verify_signature(bytes(tampered), header, SECRET)
    assert not meta_cloud.verify_signature(body + b" ", header, SECRET)


def test_signature_over_reserialised_json_fails():
    """The classic bug: hashing the decoded, re-encoded JSON instead of the raw bytes."""
    body = fixture_bytes(FAMILY, "text")
    reencoded = json.dumps(json.loads(body), ensure_ascii=False, separators=(",", ":")).encode()
    assert reencoded != body
    assert not meta_cloud.verify_signature(reencoded, sign(body), SECRET)


def test_signature_empty_secret_never_verifies():
    body = fixture_bytes(FAMILY, "text")
    assert not meta_cloud.verify_signature(body, sign(body, ""), "")


def test_signature_str_body_is_refused():
    body = fixture_bytes(FAMILY, "text")
    assert not meta_cloud.verify_signature(body.decode(), sign(body), SECRET)  # type: ignore[arg-type]


# --- verification handshake (GET) ---------------------------------------------------------------

TOKEN = "meu-token-de-verificacao"


def hub(**params: str) -> dict[str, str]:
    query = {"hub.mode": "subscribe", "hub.challenge": "1158201444", "hub.verify_token": TOKEN}
    query.update({key.replace("_", ".", 1): value for key, value in params.items()})
    return {key: value for key, value in query.items() if value is not None}


def test_handshake_right_token_returns_challenge():
    assert meta_cloud.verify_handshake(hub(), TOKEN) == "1158201444"


@pytest.mark.parametrize(
    "query",
    [
        hub(hub_verify_token="token-errado"),
        hub(hub_verify_token=TOKEN + " "),
        hub(hub_verify_token=""),
        hub(hub_mode="unsubscribe"),
        hub(hub_mode="SUBSCRIBE"),
        hub(hub_challenge=""),
        {"hub.mode": "subscribe", "hub.challenge": "1158201444"},  # no token
        {"hub.mode": "subscribe", "hub.verify_token": TOKEN},  # no challenge
        {"hub_mode": "subscribe", "hub_challenge": "1", "hub_verify_token": TOKEN},  # PHP names
        {},
    ],
)
def test_handshake_refused(query):
    assert meta_cloud.verify_handshake(query, TOKEN) is None


def test_handshake_with_no_configured_token_is_refused():
    assert meta_cloud.verify_handshake(hub(hub_verify_token=""), "") is None


def test_handshake_non_ascii_token():
    assert meta_cloud.verify_handshake(hub(hub_verify_token="ção"), "ção") == "1158201444"
    assert meta_cloud.verify_handshake(hub(hub_verify_token="cão"), "ção") is None
