"""Z-API parser: every fixture, every normalised field, detection and robustness."""

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
    EditEvent,
    Event,
    Location,
    Media,
    MessageEvent,
    MessageType,
    PresenceEvent,
    ReactionEvent,
    StatusEvent,
)
from webhook.exceptions import PayloadError
from webhook.parsers import detect, zapi
from webhook.tests.helpers import all_fixtures, fixture

INSTANCE = "3D2B1A0C9E8F7A6B5C4D"
ME = "5511912345678"
JOAO, JOAO_LID, JOAO_NAME = "5511987654321", "163829475610273@lid", "João Araújo"
MARIA, MARIA_LID, MARIA_NAME = "5521998765432", "207345678901234@lid", "Maria Souza"
GROUP, GROUP_NAME = "120363041234567890-group", "Família Souza 👨‍👩‍👧"
STORAGE = f"https://storage.z-api.io/instances/{INSTANCE}"

# Message ids of the fixtures.
TEXT_ID = "3AF1C2E9B7D4A6E8C0D1"
IMAGE_ID = "3AF1C2E9B7D4A6E8C0D3"
OUR_TEXT_ID = "3EB0C4F1A2B3D4E5F601"
OUR_AUDIO_ID = "3EB0C4F1A2B3D4E5F602"
OUR_IMAGE_ID = "3EB0C4F1A2B3D4E5F603"
FAILED_SEND_ID = "3EB0C4F1A2B3D4E5F604"
NEVER_ARRIVES_ID = "3EB0C4F1A2B3D4E5F699"


def at(day: int, hour: int, minute: int, second: int) -> datetime:
    return datetime(2025, 11, day, hour, minute, second, tzinfo=UTC)


def inbound(message_id: str, when: datetime, **fields: Any) -> MessageEvent:
    """A message from João in his 1:1 chat; ``fields`` override the defaults."""
    values: dict[str, Any] = {
        "client_key": INSTANCE,
        "timestamp": when,
        "message_id": message_id,
        "chat_id": JOAO,
        "chat_name": JOAO_NAME,
        "chat_alt_id": JOAO_LID,
        "is_group": False,
        "sender_id": JOAO,
        "sender_name": JOAO_NAME,
        "sender_alt_id": JOAO_LID,
        "from_me": False,
        "status": None,
    }
    return MessageEvent(**{**values, **fields})


def outbound(message_id: str, when: datetime, **fields: Any) -> MessageEvent:
    """A message we sent to João (the "notify sent by me" webhook)."""
    values: dict[str, Any] = {
        "sender_id": ME,
        "sender_name": "Loja Exemplo",
        "sender_alt_id": "",
        "from_me": True,
        "status": DeliveryStatus.SENT,
    }
    return inbound(message_id, when, **{**values, **fields})


def status(
    message_id: str,
    value: DeliveryStatus,
    when: datetime | None,
    *,
    chat: str = JOAO,
    recipient: str | None = None,
    error: str = "",
) -> StatusEvent:
    return StatusEvent(
        client_key=INSTANCE,
        timestamp=when,
        message_id=message_id,
        status=value,
        chat_id=chat,
        recipient_id=chat if recipient is None else recipient,
        error=error,
    )


VCARD = (
    "BEGIN:VCARD\nVERSION:3.0\nN:Magalhães;Conceição;;;\nFN:Conceição Magalhães\n"
    "TEL;type=CELL;type=VOICE;waid=5521976543210:+55 21 97654-3210\nEND:VCARD"
)

# fixture name -> (event_type, events in payload order)
EXPECTED: dict[str, tuple[str, tuple[Event, ...]]] = {
    "text": (
        "ReceivedCallback",
        (
            inbound(
                TEXT_ID,
                at(29, 7, 6, 40),
                type=MessageType.TEXT,
                text="Olá! Quero saber o preço 😊",
                subtype="text",
            ),
        ),
    ),
    "text_reply": (
        "ReceivedCallback",
        (
            inbound(
                "3AF1C2E9B7D4A6E8C0D2",
                at(29, 7, 12, 40),
                type=MessageType.TEXT,
                text="Pode ser no sábado às 10h? Obrigado! 🙏",
                quoted_id=OUR_TEXT_ID,
                subtype="text",
            ),
        ),
    ),
    "image": (
        "ReceivedCallback",
        (
            inbound(
                IMAGE_ID,
                at(29, 7, 16, 40),
                type=MessageType.IMAGE,
                text="Foto da sala onde vai o sofá 📷",
                media=Media(
                    url=f"{STORAGE}/{IMAGE_ID}.jpeg", mimetype="image/jpeg", width=1080, height=1350
                ),
                subtype="image",
            ),
        ),
    ),
    "audio": (
        "ReceivedCallback",
        (
            inbound(
                "3AF1C2E9B7D4A6E8C0D4",
                at(29, 7, 18, 40),
                type=MessageType.AUDIO,
                media=Media(
                    url=f"{STORAGE}/3AF1C2E9B7D4A6E8C0D4.mp3",
                    mimetype="audio/mpeg",
                    duration=184,
                    voice=False,
                ),
                subtype="audio",
            ),
        ),
    ),
    "audio_ptt": (
        "ReceivedCallback",
        (
            inbound(
                "3AF1C2E9B7D4A6E8C0D5",
                at(29, 7, 19, 40),
                type=MessageType.AUDIO,
                media=Media(
                    url=f"{STORAGE}/3AF1C2E9B7D4A6E8C0D5.ogg",
                    mimetype="audio/ogg; codecs=opus",
                    duration=12,
                    voice=True,
                ),
                subtype="audio",
            ),
        ),
    ),
    "video": (
        "ReceivedCallback",
        (
            inbound(
                "3AF1C2E9B7D4A6E8C0D6",
                at(29, 7, 21, 40),
                type=MessageType.VIDEO,
                text="Vídeo do defeito no pé do sofá 🎬",
                media=Media(
                    url=f"{STORAGE}/3AF1C2E9B7D4A6E8C0D6.mp4", mimetype="video/mp4", duration=45
                ),
                subtype="video",
            ),
        ),
    ),
    "document": (
        "ReceivedCallback",
        (
            inbound(
                "3AF1C2E9B7D4A6E8C0D7",
                at(29, 7, 23, 20),
                type=MessageType.DOCUMENT,
                text="",  # no caption: text is the caption only; "title" is the name
                media=Media(
                    url=f"{STORAGE}/3AF1C2E9B7D4A6E8C0D7.pdf",
                    mimetype="application/pdf",
                    file_name="Comprovante_Endereço_João.pdf",
                ),
                subtype="document",
            ),
        ),
    ),
    "document_with_caption": (
        "ReceivedCallback",
        (
            inbound(
                "3AF1C2E9B7D4A6E8CAF1",
                at(29, 7, 23, 20),
                type=MessageType.DOCUMENT,
                text="Segue o comprovante 📄",
                media=Media(
                    url=f"{STORAGE}/3AF1C2E9B7D4A6E8CAF1.pdf",
                    mimetype="application/pdf",
                    file_name="Comprovante de endereço",  # no fileName: the title is the name
                ),
                subtype="document",
            ),
        ),
    ),
    "sticker": (
        "ReceivedCallback",
        (
            inbound(
                "3AF1C2E9B7D4A6E8C0D8",
                at(29, 7, 25, 0),
                type=MessageType.STICKER,
                media=Media(url=f"{STORAGE}/3AF1C2E9B7D4A6E8C0D8.webp", mimetype="image/webp"),
                subtype="sticker",
            ),
        ),
    ),
    "location": (
        "ReceivedCallback",
        (
            inbound(
                "3AF1C2E9B7D4A6E8C0D9",
                at(29, 7, 26, 40),
                type=MessageType.LOCATION,
                text="MASP – Museu de Arte de São Paulo",
                location=Location(
                    latitude=-23.5613496,
                    longitude=-46.6565712,
                    name="MASP – Museu de Arte de São Paulo",
                    address="Av. Paulista, 1578 - Bela Vista, São Paulo - SP, 01310-200",
                    url="https://maps.google.com/maps?q=-23.5613496%2C-46.6565712&z=17",
                ),
                subtype="location",
            ),
        ),
    ),
    "contact": (
        "ReceivedCallback",
        (
            inbound(
                "3AF1C2E9B7D4A6E8C0DA",
                at(29, 7, 28, 20),
                type=MessageType.CONTACT,
                text="Conceição Magalhães",
                contacts=(
                    Contact(
                        display_name="Conceição Magalhães", vcard=VCARD, phones=("5521976543210",)
                    ),
                ),
                subtype="contact",
            ),
        ),
    ),
    "reaction": (
        "ReceivedCallback",
        (
            ReactionEvent(
                client_key=INSTANCE,
                timestamp=at(29, 7, 13, 40),
                target_id=OUR_TEXT_ID,
                emoji="❤️",
                chat_id=JOAO,
                sender_id=JOAO,
                from_me=False,
            ),
        ),
    ),
    "reaction_removed": (
        "ReceivedCallback",
        (
            ReactionEvent(
                client_key=INSTANCE,
                timestamp=at(29, 7, 14, 40),
                target_id=OUR_TEXT_ID,
                emoji="",
                chat_id=JOAO,
                sender_id=JOAO,
                from_me=False,
            ),
        ),
    ),
    "buttons_response": (
        "ReceivedCallback",
        (
            inbound(
                "3AF1C2E9B7D4A6E8C0DD",
                at(29, 7, 30, 0),
                type=MessageType.BUTTON,
                text="Sim, confirmar ✅",
                quoted_id=OUR_TEXT_ID,
                subtype="buttonsResponseMessage",
            ),
        ),
    ),
    "list_response": (
        "ReceivedCallback",
        (
            inbound(
                "3AF1C2E9B7D4A6E8C0DE",
                at(29, 7, 31, 40),
                type=MessageType.INTERACTIVE,
                text="Sábado, das 9h às 12h",
                quoted_id=OUR_TEXT_ID,
                subtype="listResponseMessage",
            ),
        ),
    ),
    "group_text": (
        "ReceivedCallback",
        (
            MessageEvent(
                client_key=INSTANCE,
                timestamp=at(29, 7, 40, 0),
                message_id="3EB05D7A1C9F2B4E6D80",
                chat_id=GROUP,
                chat_name=GROUP_NAME,
                chat_alt_id="",
                is_group=True,
                sender_id=MARIA,
                sender_name=MARIA_NAME,
                sender_alt_id=MARIA_LID,
                from_me=False,
                type=MessageType.TEXT,
                text="Bom dia, pessoal! Alguém já comprou com a loja? ☀️",
                forwarded=True,
                status=None,
                subtype="text",
            ),
        ),
    ),
    "from_me_text": (
        "ReceivedCallback",
        (
            outbound(
                OUR_TEXT_ID,
                at(29, 7, 9, 40),
                type=MessageType.TEXT,
                text="Olá, João! O preço é R$ 149,90 🙂 Posso agendar a entrega?",
                subtype="text",
            ),
        ),
    ),
    "from_me_audio": (
        "ReceivedCallback",
        (
            outbound(
                OUR_AUDIO_ID,
                at(29, 7, 35, 0),
                type=MessageType.AUDIO,
                media=Media(
                    url=f"{STORAGE}/{OUR_AUDIO_ID}.ogg",
                    mimetype="audio/ogg; codecs=opus",
                    duration=21,
                    voice=True,
                ),
                subtype="audio",
            ),
        ),
    ),
    "from_me_image": (
        "ReceivedCallback",
        (
            outbound(
                OUR_IMAGE_ID,
                at(29, 7, 35, 50),
                type=MessageType.IMAGE,
                text="Sofá retrátil 3 lugares – tecido suede cinza 🛋️",
                media=Media(
                    url=f"{STORAGE}/{OUR_IMAGE_ID}.jpeg",
                    mimetype="image/jpeg",
                    width=1600,
                    height=1200,
                ),
                subtype="image",
            ),
        ),
    ),
    "edit": (
        "ReceivedCallback",
        (
            # the whole message, for when the original never arrived (issue 13, defect 2)
            inbound(
                TEXT_ID,
                at(29, 7, 33, 20),
                type=MessageType.TEXT,
                text="Olá! Quero saber o preço e o prazo de entrega 😊",
                subtype="text",
                from_edit=True,  # its original, arriving later, completes it
            ),
            EditEvent(
                client_key=INSTANCE,
                timestamp=at(29, 7, 33, 20),
                target_id=TEXT_ID,
                new_text="Olá! Quero saber o preço e o prazo de entrega 😊",
                chat_id=JOAO,
            ),
        ),
    ),
    "notification": (
        "ReceivedCallback",
        (
            MessageEvent(
                client_key=INSTANCE,
                timestamp=at(29, 7, 41, 40),
                message_id="1764402100-27",
                chat_id=GROUP,
                chat_name=GROUP_NAME,
                is_group=True,
                sender_id=MARIA,
                sender_name=MARIA_NAME,
                sender_alt_id=MARIA_LID,
                from_me=False,
                type=MessageType.SYSTEM,
                text="GROUP_PARTICIPANT_ADD",
                subtype="GROUP_PARTICIPANT_ADD",
            ),
        ),
    ),
    "revoke": (
        "ReceivedCallback",
        (
            DeleteEvent(
                client_key=INSTANCE, timestamp=at(29, 7, 38, 20), target_id=IMAGE_ID, chat_id=JOAO
            ),
        ),
    ),
    "unknown_content": (
        "ReceivedCallback",
        (
            inbound(
                "3AF1C2E9B7D4A6E8C0E2",
                at(29, 7, 43, 20),
                type=MessageType.UNKNOWN,
                text="",
                subtype="poll",
            ),
        ),
    ),
    "status_sent": (
        "MessageStatusCallback",
        (status(OUR_TEXT_ID, DeliveryStatus.SENT, at(29, 7, 9, 41)),),
    ),
    "status_received": (
        "MessageStatusCallback",
        (status(OUR_TEXT_ID, DeliveryStatus.DELIVERED, at(29, 7, 9, 43)),),
    ),
    "status_read": (
        "MessageStatusCallback",
        (status(OUR_TEXT_ID, DeliveryStatus.READ, at(29, 7, 10, 40)),),
    ),
    "status_read_by_me": (
        "MessageStatusCallback",
        (status(TEXT_ID, DeliveryStatus.READ, at(29, 7, 34, 10), recipient=""),),
    ),
    "status_played": (
        "MessageStatusCallback",
        (status(OUR_AUDIO_ID, DeliveryStatus.PLAYED, at(29, 7, 36, 0)),),
    ),
    "status_multiple_ids": (
        "MessageStatusCallback",
        (
            status(OUR_TEXT_ID, DeliveryStatus.READ, at(29, 7, 36, 40)),
            status(OUR_AUDIO_ID, DeliveryStatus.READ, at(29, 7, 36, 40)),
            status(OUR_IMAGE_ID, DeliveryStatus.READ, at(29, 7, 36, 40)),
        ),
    ),
    "status_unknown_message": (
        "MessageStatusCallback",
        (status(NEVER_ARRIVES_ID, DeliveryStatus.DELIVERED, at(29, 7, 45, 0), chat=MARIA),),
    ),
    "delivery": (
        "DeliveryCallback",
        (status(OUR_TEXT_ID, DeliveryStatus.SENT, None),),
    ),
    "delivery_error": (
        "DeliveryCallback",
        (
            status(
                FAILED_SEND_ID,
                DeliveryStatus.FAILED,
                None,
                chat="5511900000000",
                error="Phone number does not exist",
            ),
        ),
    ),
    "connected": (
        "ConnectedCallback",
        (
            ConnectionEvent(
                client_key=INSTANCE,
                timestamp=at(29, 6, 50, 0),
                state=ConnectionState.OPEN,
                phone=ME,
            ),
        ),
    ),
    "disconnected": (
        "DisconnectedCallback",
        (
            ConnectionEvent(
                client_key=INSTANCE,
                timestamp=at(30, 8, 6, 40),  # momment in seconds there
                state=ConnectionState.CLOSED,
                phone="",
                reason="Device has been disconnected",
            ),
        ),
    ),
    "presence": (
        "PresenceChatCallback",
        (PresenceEvent(client_key=INSTANCE, timestamp=None, chat_id=JOAO, presence="composing"),),
    ),
}

# MessageEvent.extra is not compared by ==: the keys each fixture must carry.
EXPECTED_EXTRA: dict[str, dict[str, Any]] = {
    "text": {"isStatusReply": False, "isNewsletter": False, "broadcast": False},
    "from_me_text": {"fromApi": True},
    "document": {"pageCount": 2},
    "document_with_caption": {"pageCount": 2},
    "buttons_response": {"selected_id": "confirmar_entrega"},
    "list_response": {"selected_id": "sabado_manha"},
    "notification": {"notificationParameters": ["5511976543210"]},
}


def parse_fixture(name: str):
    return zapi.parse(fixture("zapi", name))


# --- Every fixture, every field ---------------------------------------------------------------


def test_every_fixture_has_an_expectation():
    assert {name for _, name in all_fixtures("zapi")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_events(name):
    event_type, expected = EXPECTED[name]
    payload = fixture("zapi", name)
    result = zapi.parse(payload)
    assert result.family == "zapi"
    assert result.event_type == event_type
    assert result.client_key == INSTANCE
    assert result.ignored_reason == ""
    assert result.events == expected
    for event in result.events:
        assert event.raw is payload
        assert event.timestamp is None or event.timestamp.tzinfo is UTC


@pytest.mark.parametrize("name", sorted(EXPECTED_EXTRA))
def test_fixture_extra(name):
    (event,) = parse_fixture(name).events
    assert isinstance(event, MessageEvent)
    assert event.extra.items() >= EXPECTED_EXTRA[name].items()


def test_message_ids_unique_and_targets_exist():
    """Statuses, reactions, edits and deletes point at fixture messages (bar two on purpose)."""
    message_ids: list[str] = []
    targets: set[str] = set()
    for _, name in all_fixtures("zapi"):
        events = parse_fixture(name).events
        is_edit = any(isinstance(e, EditEvent) for e in events)  # carries its message again
        for event in events:
            if isinstance(event, MessageEvent) and not is_edit:
                message_ids.append(event.message_id)
            elif isinstance(event, StatusEvent):
                targets.add(event.message_id)
            elif isinstance(event, ReactionEvent | EditEvent | DeleteEvent):
                targets.add(event.target_id)
    assert len(message_ids) == len(set(message_ids))
    assert targets - set(message_ids) == {FAILED_SEND_ID, NEVER_ARRIVES_ID}


# --- Detection ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_detect_own_fixtures(name):
    payload = fixture("zapi", name)
    assert detect(payload) is zapi
    assert zapi.client_key(payload) == INSTANCE


def test_other_families_fixtures_are_not_zapi():
    for family, name in all_fixtures():
        if family != "zapi":
            payload = fixture(family, name)
            assert not zapi.matches(payload), (family, name)
            assert detect(payload) is not zapi, (family, name)


@pytest.mark.parametrize(
    "payload",
    [
        {"object": "whatsapp_business_account", "entry": []},
        {"event": "messages.upsert", "instance": "loja", "data": {}},
        {"event": "message", "session": "default", "payload": {}},
        {"event": "webhookReceived", "instanceId": INSTANCE},
        {"event_type": "message_received", "data": {}},
        {"event": {"Info": {}}, "type": "Message"},
        {"type": "receivedcallback", "instanceId": INSTANCE},  # case matters
        {"type": ["ReceivedCallback"]},  # unhashable: no crash
        {"type": None},
        {},
    ],
)
def test_foreign_shapes_do_not_match(payload):
    assert zapi.matches(payload) is False


# --- Decisions the docs leave open -------------------------------------------------------------


def received(**changes: Any) -> dict[str, Any]:
    payload = copy.deepcopy(fixture("zapi", "text"))
    payload.update(changes)
    return payload


def only_event(payload: dict[str, Any]) -> Event:
    (event,) = zapi.parse(payload).events
    return event


def test_revoke_without_reference_deletes_the_message_id_itself():
    payload = received(notification="REVOKE", referenceMessageId=None)
    del payload["text"]
    assert only_event(payload) == DeleteEvent(
        client_key=INSTANCE, timestamp=at(29, 7, 6, 40), target_id=TEXT_ID, chat_id=JOAO
    )


def test_call_notification_is_a_system_message_with_call_id():
    payload = received(
        notification="CALL_MISSED_VOICE", notificationParameters=[], callId="F44E0E20"
    )
    del payload["text"]
    event = only_event(payload)
    assert isinstance(event, MessageEvent)
    assert (event.type, event.text, event.subtype) == (
        MessageType.SYSTEM,
        "CALL_MISSED_VOICE",
        "CALL_MISSED_VOICE",
    )
    assert event.extra["callId"] == "F44E0E20"
    assert event.extra["notificationParameters"] == []


def test_edit_of_a_caption_uses_the_new_caption():
    payload = received(isEdit="true", image={"imageUrl": "https://x", "caption": "Nova legenda ✏️"})
    del payload["text"]
    message, edit = zapi.parse(payload).events
    assert (message.type, message.text) == (MessageType.IMAGE, "Nova legenda ✏️")
    assert edit == EditEvent(
        client_key=INSTANCE,
        timestamp=at(29, 7, 6, 40),
        target_id=TEXT_ID,
        new_text="Nova legenda ✏️",
        chat_id=JOAO,
    )


def test_read_by_me_has_no_recipient_and_read_has_one():
    by_me, read = (only_event(fixture("zapi", n)) for n in ("status_read_by_me", "status_read"))
    assert (by_me.status, by_me.recipient_id) == (DeliveryStatus.READ, "")
    assert (read.status, read.recipient_id) == (DeliveryStatus.READ, JOAO)


def test_text_with_ad_card_stays_text():
    event = only_event(received(externalAdReply={"title": "Promoção", "sourceType": "ad"}))
    assert (event.type, event.text) == (MessageType.TEXT, "Olá! Quero saber o preço 😊")


def test_no_content_at_all_is_unknown_without_subtype():
    payload = received()
    del payload["text"]
    event = only_event(payload)
    assert (event.type, event.subtype, event.text) == (MessageType.UNKNOWN, "", "")


def test_chat_lid_wins_for_chat_alt_id_in_groups():
    payload = copy.deepcopy(fixture("zapi", "group_text"))
    payload["chatLid"] = "120363999999999999@lid"
    assert only_event(payload).chat_alt_id == "120363999999999999@lid"


def test_group_author_known_only_by_lid():
    payload = copy.deepcopy(fixture("zapi", "group_text"))
    payload["participantPhone"] = None
    event = only_event(payload)
    assert (event.sender_id, event.sender_alt_id) == (MARIA_LID, "")


def test_group_detected_by_suffix_when_is_group_missing():
    payload = copy.deepcopy(fixture("zapi", "group_text"))
    del payload["isGroup"]
    event = only_event(payload)
    assert (event.is_group, event.sender_id) == (True, MARIA)


def test_from_me_reaction_in_group_is_ours():
    payload = copy.deepcopy(fixture("zapi", "reaction"))
    payload.update(fromMe=True, phone=GROUP, isGroup=True, participantPhone=ME)
    assert only_event(payload) == ReactionEvent(
        client_key=INSTANCE,
        timestamp=at(29, 7, 13, 40),
        target_id=OUR_TEXT_ID,
        emoji="❤️",
        chat_id=GROUP,
        sender_id=ME,
        from_me=True,
    )


def test_from_me_without_connected_phone_has_empty_sender():
    payload = copy.deepcopy(fixture("zapi", "from_me_text"))
    del payload["connectedPhone"]
    assert only_event(payload).sender_id == ""


def test_reaction_time_used_when_momment_is_missing():
    payload = copy.deepcopy(fixture("zapi", "reaction"))
    del payload["momment"]
    assert only_event(payload).timestamp == datetime(2025, 11, 29, 7, 13, 39, tzinfo=UTC)


def test_delivery_momment_used_when_present():
    payload = copy.deepcopy(fixture("zapi", "delivery"))
    payload["momment"] = 1764400180500
    assert only_event(payload).timestamp == at(29, 7, 9, 40)


def test_unknown_callback_type_is_ignored_not_raised():
    result = zapi.parse({"type": "QrCodeCallback", "instanceId": INSTANCE}, path_event="qrcode")
    assert (result.events, result.event_type, result.client_key) == ((), "QrCodeCallback", INSTANCE)
    assert "QrCodeCallback" in result.ignored_reason
    assert zapi.parse({}, path_event="received").event_type == "received"


# --- Robustness ---------------------------------------------------------------------------------


MANDATORY = [
    ("text", "messageId"),
    ("text", "phone"),
    ("delivery", "messageId"),
    ("presence", "phone"),
]
BAD_IDS = [None, "", "   ", {"id": "x"}, ["x"], True]


@pytest.mark.parametrize(
    ("name", "field", "bad"),
    [(name, field, bad) for name, field in MANDATORY for bad in BAD_IDS]
    + [("status_sent", "ids", bad) for bad in (None, [], "3EB0", {"0": "x"}, [None, ""], True)],
)
def test_missing_or_invalid_mandatory_ids_raise_payload_error(name, field, bad):
    payload = copy.deepcopy(fixture("zapi", name))
    payload[field] = bad
    with pytest.raises(PayloadError) as caught:
        zapi.parse(payload)
    assert caught.value.field == field


@pytest.mark.parametrize("name", ["text", "delivery", "presence", "status_sent"])
def test_absent_mandatory_ids_raise_payload_error(name):
    payload = copy.deepcopy(fixture("zapi", name))
    for field in ("messageId", "phone", "ids"):
        payload.pop(field, None)
    with pytest.raises(PayloadError):
        zapi.parse(payload)


def test_status_ids_are_read_from_the_old_id_field_and_junk_is_skipped():
    payload = copy.deepcopy(fixture("zapi", "status_sent"))
    payload["ids"] = []
    payload["id"] = OUR_TEXT_ID
    assert [e.message_id for e in zapi.parse(payload).events] == [OUR_TEXT_ID]
    payload["ids"] = [None, "", 123, {"id": "x"}, OUR_TEXT_ID]
    assert [e.message_id for e in zapi.parse(payload).events] == ["123", OUR_TEXT_ID]


def test_reaction_without_target_raises():
    payload = copy.deepcopy(fixture("zapi", "reaction"))
    payload["reaction"]["referencedMessage"] = "3EB0"
    with pytest.raises(PayloadError):
        zapi.parse(payload)


def test_numeric_ids_are_kept_as_text():
    event = only_event(received(messageId=1234567890, phone=5511987654321))
    assert (event.message_id, event.chat_id) == ("1234567890", "5511987654321")


@pytest.mark.parametrize("status_text", ["DELETED", "", None, 3, "read_by_someone"])
def test_unknown_status_strings_are_unknown(status_text):
    payload = copy.deepcopy(fixture("zapi", "status_read"))
    payload["status"] = status_text
    assert only_event(payload).status is DeliveryStatus.UNKNOWN


def test_status_case_insensitive():
    payload = copy.deepcopy(fixture("zapi", "status_played"))
    payload["status"] = " played "
    assert only_event(payload).status is DeliveryStatus.PLAYED


def test_wrong_types_in_content_degrade_to_empty_values():
    event = only_event(received(text="Olá"))
    assert (event.type, event.text) == (MessageType.TEXT, "")

    payload = copy.deepcopy(fixture("zapi", "image"))
    payload["image"] = {
        "imageUrl": 42,
        "caption": ["x"],
        "width": "1080",
        "height": "alto",
        "mimeType": None,
    }
    event = only_event(payload)
    assert event.media == Media(url="42", width=1080)
    assert event.text == ""

    payload = copy.deepcopy(fixture("zapi", "location"))
    payload["location"] = {"latitude": "-23.5", "longitude": "oeste", "name": None}
    event = only_event(payload)
    assert event.location == Location(latitude=-23.5)
    assert event.text == ""

    payload = copy.deepcopy(fixture("zapi", "contact"))
    payload["contact"] = {"displayName": 7, "phones": "5521976543210", "vCard": {}}
    assert only_event(payload).contacts == (Contact(display_name="7"),)

    payload = copy.deepcopy(fixture("zapi", "audio_ptt"))
    payload["audio"]["seconds"] = "doze"
    payload["audio"]["ptt"] = "yes"
    assert only_event(payload).media.duration is None
    assert only_event(payload).media.voice is True


def test_wrong_types_in_envelope_degrade():
    event = only_event(
        received(
            fromMe="false",
            forwarded="sim",
            chatName=["x"],
            senderName=None,
            referenceMessageId={},
            isGroup=1,
        )
    )
    assert (
        event.from_me,
        event.forwarded,
        event.chat_name,
        event.sender_name,
        event.quoted_id,
    ) == (
        False,
        False,
        "",
        "",
        "",
    )
    assert event.is_group is True  # 1 is truthy for as_bool
    assert zapi.client_key({"instanceId": None}) == ""
    assert zapi.client_key({"instanceId": 123}) == "123"


def test_presence_status_lowercased_and_missing_status_is_empty():
    payload = copy.deepcopy(fixture("zapi", "presence"))
    for raw, expected in [
        ("AVAILABLE", "available"),
        ("UNAVAILABLE", "unavailable"),
        ("RECORDING", "recording"),
        ("PAUSED", "paused"),
        (None, ""),
    ]:
        payload["status"] = raw
        assert only_event(payload).presence == expected


@pytest.mark.parametrize(
    ("momment", "expected"),
    [
        (1764400000000, at(29, 7, 6, 40)),  # milliseconds
        (1764400000, at(29, 7, 6, 40)),  # seconds
        ("1764400000000", at(29, 7, 6, 40)),  # numeric string
        (1764400000999, at(29, 7, 6, 40)),  # floored to the second
        (-1764400000000, None),
        (0, None),
        (26151515154, None),  # the vendor's ConnectedCallback example: year 2798
        (10**20, None),
        ("ontem", None),
        (True, None),
        (None, None),
        ({"low": 1}, None),
    ],
)
def test_momment_conversion(momment, expected):
    assert only_event(received(momment=momment)).timestamp == expected
    connected = copy.deepcopy(fixture("zapi", "connected"))
    connected["momment"] = momment
    assert only_event(connected).timestamp == expected


def test_future_momment_is_none():
    future = int((datetime.now(tz=UTC) + timedelta(days=3)).timestamp() * 1000)
    assert only_event(received(momment=future)).timestamp is None


def test_disconnected_without_error_or_time():
    event = only_event(
        {"type": "DisconnectedCallback", "instanceId": INSTANCE, "disconnected": True}
    )
    assert event == ConnectionEvent(
        client_key=INSTANCE, timestamp=None, state=ConnectionState.CLOSED
    )
