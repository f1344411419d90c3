"""WAHA parser: every fixture, every normalised field, detection, HMAC and robustness."""

from __future__ import annotations

import copy
import hashlib
import hmac
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
from webhook.parsers import detect, waha
from webhook.tests.helpers import all_fixtures, fixture, fixture_bytes

FAMILY = "waha"
SESSION = "atendimento"
ME, ME_LID, ME_NAME = "5511912345678@c.us", "81234567890123@lid", "Loja Exemplo"
JOAO, JOAO_NAME = "5511987654321@c.us", "João Araújo"
MARIA, MARIA_NAME = "5521998765432@c.us", "Maria Souza"
GROUP = "120363041234567890@g.us"
ANA_LID, ANA_PN, ANA_NAME = "163829475610273@lid", "5521976543210@s.whatsapp.net", "Ana Beatriz"
FILES = "https://waha.lojaexemplo.com.br/api/files/atendimento"
T0 = datetime(2025, 11, 29, 7, 6, 40, tzinfo=UTC)  # 1764400000


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def theirs(wa_id: str, chat: str = JOAO, participant: str = "") -> str:
    return f"false_{chat}_{wa_id}" + (f"_{participant}" if participant else "")


def ours(wa_id: str, chat: str = JOAO) -> str:
    return f"true_{chat}_{wa_id}"


TEXT_ID = theirs("3A1B2C3D4E5F60718293")
VIDEO_ID = theirs("3A1B2C3D4E5F60718296")
OUR_TEXT_ID = ours("3EB0A1B2C3D4E5F60701")
OUR_VOICE_ID = ours("3EB0A1B2C3D4E5F60702")
OUR_IMAGE_ID = ours("3EB0A1B2C3D4E5F60703")
NEVER_ARRIVES_ID = ours("3EB0A1B2C3D4E5F60799")
OUR_TEXT = "Oi João! O sofá retrátil custa R$ 2.499,00 à vista 🛋️"
VCARD = (
    "BEGIN:VCARD\nVERSION:3.0\nN:Magalhães;Conceição;;;\nFN:Conceição Magalhães\n"
    "ORG:Estofados Magalhães\nTEL;type=CELL;type=VOICE;waid=5521976543210:+55 21 97654-3210\n"
    "END:VCARD"
)


def inbound(message_id: str, seconds: int, **fields: Any) -> MessageEvent:
    """A WEBJS message from João in his 1:1 chat; ``fields`` override the defaults."""
    values: dict[str, Any] = {
        "client_key": SESSION,
        "timestamp": at(seconds),
        "message_id": message_id,
        "chat_id": JOAO,
        "chat_name": JOAO_NAME,
        "chat_alt_id": "",
        "is_group": False,
        "sender_id": JOAO,
        "sender_name": JOAO_NAME,
        "sender_alt_id": "",
        "from_me": False,
        "type": MessageType.TEXT,
        "text": "",
        "media": None,
        "location": None,
        "contacts": (),
        "quoted_id": "",
        "forwarded": False,
        "status": DeliveryStatus.SENT,  # WEBJS reports inbound messages with ack 1 (SERVER)
        "subtype": "chat",
    }
    return MessageEvent(**{**values, **fields})


def outbound(message_id: str, seconds: int, **fields: Any) -> MessageEvent:
    """A message we sent to João (message.any, fromMe): sender = me.id, no contact name."""
    values: dict[str, Any] = {
        "chat_name": "",
        "sender_id": ME,
        "sender_name": ME_NAME,
        "from_me": True,
    }
    return inbound(message_id, seconds, **{**values, **fields})


def media(message_id: str, ext: str, mimetype: str, **fields: Any) -> Media:
    return Media(url=f"{FILES}/{message_id}.{ext}", mimetype=mimetype, **fields)


def status(message_id: str, value: DeliveryStatus, seconds: int, error: str = "") -> StatusEvent:
    return StatusEvent(
        client_key=SESSION,
        timestamp=at(seconds),
        message_id=message_id,
        status=value,
        chat_id=JOAO,
        recipient_id=JOAO,
        error=error,
    )


def reaction(emoji: str, seconds: int) -> ReactionEvent:
    return ReactionEvent(
        client_key=SESSION,
        timestamp=at(seconds),
        target_id=OUR_TEXT_ID,
        emoji=emoji,
        chat_id=JOAO,
        sender_id=JOAO,
        from_me=False,
    )


def connection(
    state: ConnectionState, seconds: int, reason: str, phone: str = ""
) -> ConnectionEvent:
    return ConnectionEvent(
        client_key=SESSION, timestamp=at(seconds), state=state, phone=phone, reason=reason
    )


# fixture name -> (event_type, events in payload order)
EXPECTED: dict[str, tuple[str, tuple[Event, ...]]] = {
    "message_text": ("message", (inbound(TEXT_ID, 0, text="Olá! Quero saber o preço 😊"),)),
    "message_any_from_me": ("message.any", (outbound(OUR_TEXT_ID, 60, text=OUR_TEXT),)),
    "message_reply": (
        "message",
        (
            inbound(
                theirs("3A1B2C3D4E5F60718294"),
                120,
                text="Ótimo! Dá pra parcelar em 10x sem juros?",
                quoted_id=OUR_TEXT_ID,  # replyTo.id is bare: rebuilt as ours (participant = me)
            ),
        ),
    ),
    "message_image": (
        "message",
        (
            inbound(
                theirs("3A1B2C3D4E5F60718295"),
                180,
                type=MessageType.IMAGE,
                subtype="image",
                text="Foto da sala onde vai o sofá 📷",
                media=media(
                    theirs("3A1B2C3D4E5F60718295"),
                    "jpeg",
                    "image/jpeg",
                    sha256="k3Yb1xQmZ8vP0sT2uW4yA6cE8gI0kM2oQ4sU6wY8a0c=",
                    size=184233,
                    width=1080,
                    height=1350,
                ),
            ),
        ),
    ),
    "message_video": (
        "message",
        (
            inbound(
                VIDEO_ID,
                240,
                type=MessageType.VIDEO,
                subtype="video",
                text="Vídeo do defeito no pé do sofá 🎬",
                media=media(
                    VIDEO_ID,
                    "mp4",
                    "video/mp4",
                    sha256="Vb8nM2qL5kJ7hG9fD1sA3zX5cV7bN9mQ1wE3rT5yU7i=",
                    size=5238112,
                    duration=45,
                    width=848,
                    height=480,
                ),
            ),
        ),
    ),
    "message_audio": (
        "message",
        (
            inbound(
                theirs("3A1B2C3D4E5F60718297"),
                300,
                type=MessageType.AUDIO,
                subtype="audio",
                forwarded=True,
                media=media(
                    theirs("3A1B2C3D4E5F60718297"),
                    "mpga",
                    "audio/mpeg",
                    sha256="Qw2eR4tY6uI8oP0aS2dF4gH6jK8lZ0xC2vB4nM6qW8e=",
                    size=2948120,
                    duration=184,
                    voice=False,
                ),
            ),
        ),
    ),
    "message_voice": (
        "message",
        (
            inbound(
                theirs("3A1B2C3D4E5F60718298"),
                360,
                type=MessageType.AUDIO,
                subtype="ptt",
                media=media(
                    theirs("3A1B2C3D4E5F60718298"),
                    "oga",
                    "audio/ogg; codecs=opus",
                    sha256="Zx9cV7bN5mQ3wE1rT9yU7iO5pA3sD1fG9hJ7kL5zX3c=",
                    size=21504,
                    duration=9,
                    voice=True,
                ),
            ),
        ),
    ),
    "message_document": (
        "message",
        (
            inbound(
                theirs("3A1B2C3D4E5F60718299"),
                420,
                type=MessageType.DOCUMENT,
                subtype="document",
                text="Segue o orçamento da outra loja, vocês cobrem? 🤔",
                media=media(
                    theirs("3A1B2C3D4E5F60718299"),
                    "pdf",
                    "application/pdf",
                    sha256="Pl0oK9iJ8uH7yG6tF5rD4eS3wA2qZ1xC0vB9nM8lK7j=",
                    size=284512,
                    file_name="Orçamento_Sofá_Retrátil.pdf",
                ),
            ),
        ),
    ),
    "message_sticker": (
        "message",
        (
            inbound(
                theirs("3A1B2C3D4E5F6071829A"),
                480,
                type=MessageType.STICKER,
                subtype="sticker",
                media=media(
                    theirs("3A1B2C3D4E5F6071829A"),
                    "webp",
                    "image/webp",
                    sha256="Mn7bV6cX5zL4kJ3hG2fD1sA0pO9iU8yT7rE6wQ5aS4d=",
                    size=23456,
                    width=512,
                    height=512,
                    animated=False,
                ),
            ),
        ),
    ),
    "message_location": (
        "message",
        (
            inbound(
                theirs("3A1B2C3D4E5F6071829B"),
                540,
                type=MessageType.LOCATION,
                subtype="location",
                text="Avenida Paulista, 1578 - Bela Vista, São Paulo - SP",  # not the thumbnail body
                location=Location(
                    latitude=-23.5613991,
                    longitude=-46.6565712,
                    name="Avenida Paulista, 1578 - Bela Vista, São Paulo - SP",
                ),
            ),
        ),
    ),
    "message_vcard": (
        "message",
        (
            inbound(
                theirs("3A1B2C3D4E5F6071829C"),
                600,
                type=MessageType.CONTACT,
                subtype="vcard",
                text="Conceição Magalhães",  # the FN line, not the vCard body
                contacts=(
                    Contact(
                        display_name="Conceição Magalhães", vcard=VCARD, phones=("5521976543210",)
                    ),
                ),
            ),
        ),
    ),
    "message_group": (
        "message",
        (
            inbound(
                theirs("3A1B2C3D4E5F6071829D", GROUP, MARIA),
                660,
                chat_id=GROUP,
                chat_name="",
                is_group=True,
                sender_id=MARIA,
                sender_name=MARIA_NAME,
                text="Bom dia, pessoal! ☀️ Alguém já comprou o sofá retrátil aqui?",
            ),
        ),
    ),
    "message_lid": (
        "message",
        (
            inbound(
                f"false_{ANA_LID}_3A1B2C3D4E5F6071829E",
                720,
                chat_id=ANA_LID,
                chat_name=ANA_NAME,
                chat_alt_id=ANA_PN,  # NOWEB _data.key.remoteJidAlt, verbatim
                sender_id=ANA_LID,
                sender_name=ANA_NAME,
                sender_alt_id=ANA_PN,
                text="Boa tarde! Vocês entregam em Niterói? 🚚",
                subtype="extendedTextMessage",  # NOWEB: the Baileys proto kind
                status=DeliveryStatus.DELIVERED,  # ack 2
            ),
        ),
    ),
    "message_any_from_me_voice": (
        "message.any",
        (
            outbound(
                OUR_VOICE_ID,
                780,
                type=MessageType.AUDIO,
                subtype="ptt",
                media=media(
                    OUR_VOICE_ID,
                    "oga",
                    "audio/ogg; codecs=opus",
                    sha256="Aa1bB2cC3dD4eE5fF6gG7hH8iI9jJ0kK1lL2mM3nN4o=",
                    size=30720,
                    duration=14,
                    voice=True,
                ),
            ),
        ),
    ),
    "message_any_from_me_image": (
        "message.any",
        (
            outbound(
                OUR_IMAGE_ID,
                840,
                type=MessageType.IMAGE,
                subtype="image",
                text="Catálogo de sofás – novembro 2025 🛋️",
                status=DeliveryStatus.PENDING,  # API send, ack 0
                media=media(
                    OUR_IMAGE_ID,
                    "jpeg",
                    "image/jpeg",
                    sha256="Pp9oO8iI7uU6yY5tT4rR3eE2wW1qQ0aA9sS8dD7fF6g=",
                    size=412876,
                    width=1280,
                    height=1280,
                ),
            ),
        ),
    ),
    # Acks carry no time of their own: the envelope's (ms, floored to the second) is used.
    "ack_server": ("message.ack", (status(OUR_TEXT_ID, DeliveryStatus.SENT, 61),)),
    "ack_device": ("message.ack", (status(OUR_TEXT_ID, DeliveryStatus.DELIVERED, 65),)),
    "ack_read": ("message.ack", (status(OUR_TEXT_ID, DeliveryStatus.READ, 110),)),
    "ack_read_before_device": ("message.ack", (status(OUR_VOICE_ID, DeliveryStatus.READ, 800),)),
    "ack_played": ("message.ack", (status(OUR_VOICE_ID, DeliveryStatus.PLAYED, 830),)),
    "ack_error": (
        "message.ack",
        (status(OUR_IMAGE_ID, DeliveryStatus.FAILED, 845, error="ERROR"),),
    ),
    "ack_unknown_message": (
        "message.ack",
        (status(NEVER_ARRIVES_ID, DeliveryStatus.DELIVERED, 900),),
    ),
    "reaction": ("message.reaction", (reaction("❤️", 130),)),
    "reaction_removed": ("message.reaction", (reaction("", 140),)),
    "edited": (
        "message.edited",
        (
            # the message as edited, for when the original never arrived (issue 13, defect 2)
            MessageEvent(
                client_key=SESSION,
                timestamp=at(150),
                message_id=TEXT_ID,
                chat_id=JOAO,
                chat_name=JOAO_NAME,
                sender_id=JOAO,
                sender_name=JOAO_NAME,
                text="Olá! Quero saber o preço do sofá retrátil cinza 😊",
                from_edit=True,
                extra={"engine": "WEBJS", "source": "app"},
            ),
            EditEvent(
                client_key=SESSION,
                timestamp=at(150),
                target_id=TEXT_ID,  # bare editedMessageId rebuilt on the edit's own id
                new_text="Olá! Quero saber o preço do sofá retrátil cinza 😊",
                chat_id=JOAO,
            ),
        ),
    ),
    "revoked": (
        "message.revoked",
        (DeleteEvent(client_key=SESSION, timestamp=at(250), target_id=VIDEO_ID, chat_id=JOAO),),
    ),
    "session_status_working": (
        "session.status",
        (connection(ConnectionState.OPEN, -300, "WORKING", phone=ME),),
    ),
    "session_status_scan_qr": (
        "session.status",
        (connection(ConnectionState.QR_REQUIRED, -385, "SCAN_QR_CODE"),),
    ),
    "session_status_stopped": (
        "session.status",
        (connection(ConnectionState.CLOSED, 1000, "STOPPED"),),
    ),
    "presence_update": (
        "presence.update",
        (
            PresenceEvent(
                client_key=SESSION, timestamp=at(650), chat_id=MARIA, presence="composing"
            ),
            PresenceEvent(
                client_key=SESSION, timestamp=at(650), chat_id=JOAO, presence="available"
            ),
        ),
    ),
    "unhandled_event": ("call.received", ()),
}

WAHA_FIXTURES = [name for _, name in all_fixtures(FAMILY)]
OTHER_FIXTURES = [(family, name) for family, name in all_fixtures() if family != FAMILY]


def load(name: str) -> dict[str, Any]:
    return copy.deepcopy(fixture(FAMILY, name))


def edit_of(payload: dict[str, Any]) -> EditEvent:
    """The EditEvent of an edit that names its chat, after the message it may create."""
    message, edit = waha.parse(payload).events
    assert isinstance(message, MessageEvent) and message.from_edit
    assert (message.message_id, message.text, message.chat_id) == (
        edit.target_id,
        edit.new_text,
        edit.chat_id,
    )
    return edit


def parse_one(payload: dict[str, Any]) -> Event:
    result = waha.parse(payload)
    assert len(result.events) == 1, result
    return result.events[0]


# --- every fixture, every field ------------------------------------------------------------


def test_every_fixture_has_an_expectation() -> None:
    assert sorted(EXPECTED) == sorted(WAHA_FIXTURES)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_parses_to_expected_events(name: str) -> None:
    event_type, expected = EXPECTED[name]
    result = waha.parse(load(name))
    assert result.family == FAMILY
    assert result.event_type == event_type
    assert result.client_key == SESSION
    assert result.events == expected
    for event in result.events:
        assert event.raw is not None  # the sub-object it came from
        assert event.timestamp is None or event.timestamp.tzinfo is UTC
    if expected:
        assert result.ignored_reason == ""
    else:
        assert result.ignored_reason == "WAHA event 'call.received' is not handled"


@pytest.mark.parametrize("name", sorted(n for n in EXPECTED if n.startswith("message_")))
def test_message_extra_and_raw(name: str) -> None:
    payload = load(name)
    event = parse_one(payload)
    assert isinstance(event, MessageEvent)
    assert event.raw == payload["payload"]
    assert event.extra == {"engine": payload["engine"], "source": payload["payload"]["source"]}


def test_targets_point_at_fixture_messages() -> None:
    """Replies, acks, reactions, edits and deletes attach to messages of the other fixtures."""
    message_ids = {
        e.message_id
        for name in WAHA_FIXTURES
        for e in waha.parse(load(name)).events
        if isinstance(e, MessageEvent)
    }
    assert len(message_ids) == len([n for n in WAHA_FIXTURES if n.startswith("message_")])
    targets = []
    for name in WAHA_FIXTURES:
        for e in waha.parse(load(name)).events:
            if isinstance(e, StatusEvent):
                targets.append(e.message_id)
            elif isinstance(e, ReactionEvent | EditEvent | DeleteEvent):
                targets.append(e.target_id)
            elif isinstance(e, MessageEvent) and e.quoted_id:
                targets.append(e.quoted_id)
    assert [t for t in targets if t not in message_ids] == [NEVER_ARRIVES_ID]


def test_message_and_message_any_give_the_same_event() -> None:
    payload = load("message_text")
    payload["event"] = "message.any"
    assert parse_one(payload) == parse_one(load("message_text"))


# --- detection -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", WAHA_FIXTURES)
def test_detect_waha_fixtures(name: str) -> None:
    payload = load(name)
    assert detect(payload) is waha
    assert waha.client_key(payload) == SESSION


@pytest.mark.parametrize(("family", "name"), OTHER_FIXTURES)
def test_other_families_are_not_waha(family: str, name: str) -> None:
    payload = fixture(family, name)
    assert detect(payload) is not waha
    if isinstance(payload, dict):
        assert not waha.matches(payload)


@pytest.mark.parametrize(
    "payload",
    [
        {"event": "onmessage", "session": "loja", "body": "oi"},  # WPPConnect: no payload
        {"event": "messages.upsert", "instance": "loja", "data": {}},  # Evolution
        {"session": "atendimento", "payload": {}},  # no event
        {"event": {"type": "Message"}, "session": "x", "payload": {}},  # event not a string
        {"event": "message", "payload": {}},  # no session
    ],
)
def test_matches_rejects_other_shapes(payload: dict[str, Any]) -> None:
    assert not waha.matches(payload)


@pytest.mark.parametrize(
    ("session", "expected"),
    [("atendimento", "atendimento"), (" loja ", "loja"), (42, "42"), (None, ""), (["x"], "")],
)
def test_client_key(session: Any, expected: str) -> None:
    payload = load("message_text")
    payload["session"] = session
    assert waha.client_key(payload) == expected
    assert waha.parse(payload).client_key == expected


# --- HMAC ------------------------------------------------------------------------------------

HMAC_KEY = "segredo-do-webhook-ç"


def sign(body: bytes, algorithm: str = "sha512", key: str = HMAC_KEY) -> str:
    return hmac.new(key.encode(), body, getattr(hashlib, algorithm)).hexdigest()


def test_verify_hmac_sha512_on_raw_fixture_bytes() -> None:
    body = fixture_bytes(FAMILY, "message_text")
    assert waha.verify_hmac(body, sign(body), HMAC_KEY)
    assert waha.verify_hmac(body, sign(body), HMAC_KEY, "sha512")
    assert waha.verify_hmac(body, sign(body).upper(), HMAC_KEY, "SHA512")  # hex case ignored
    assert waha.verify_hmac(body, f" {sign(body)} ", HMAC_KEY)


def test_verify_hmac_sha256() -> None:
    body = fixture_bytes(FAMILY, "ack_read")
    assert waha.verify_hmac(body, sign(body, "sha256"), HMAC_KEY, "sha256")
    assert not waha.verify_hmac(body, sign(body, "sha256"), HMAC_KEY, "sha512")
    assert not waha.verify_hmac(body, sign(body, "sha512"), HMAC_KEY, "sha256")


@pytest.mark.parametrize(
    ("mutate", "algorithm"),
    [
        (lambda body, sig: (body + b" ", sig), "sha512"),  # body changed after signing
        (lambda body, sig: (body, sig[:-1] + ("0" if sig[-1] != "0" else "1")), "sha512"),
        (lambda body, sig: (body, ""), "sha512"),
        (lambda body, sig: (body, "não-hex-ção"), "sha512"),  # non-ASCII header: False, no crash
        (lambda body, sig: (body, sig), "md5"),  # only sha512 / sha256 accepted
        (lambda body, sig: (body, sig), "sha1"),
        (lambda body, sig: (body, sig[:64]), "sha512"),  # truncated
    ],
)
def test_verify_hmac_rejects(mutate: Any, algorithm: str) -> None:
    body = fixture_bytes(FAMILY, "message_text")
    new_body, header = mutate(body, sign(body))
    assert not waha.verify_hmac(new_body, header, HMAC_KEY, algorithm)


def test_verify_hmac_wrong_or_empty_key() -> None:
    body = fixture_bytes(FAMILY, "message_text")
    assert not waha.verify_hmac(body, sign(body), "outra-chave")
    assert not waha.verify_hmac(body, sign(body, key=""), "")
    assert not waha.verify_hmac(body, None, HMAC_KEY)  # type: ignore[arg-type]


# --- timestamps ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1764400000, T0),
        ("1764400000", T0),
        (1764400000123, T0),  # milliseconds
        (0, at(0)),  # missing -> the envelope time (ms 1764400000412)
        (-5, at(0)),
        ("amanhã", at(0)),
        (None, at(0)),
        (10**15, at(0)),  # absurd (far future)
        (True, at(0)),
    ],
)
def test_message_timestamp_falls_back_to_envelope(value: Any, expected: datetime) -> None:
    payload = load("message_text")
    payload["payload"]["timestamp"] = value
    assert parse_one(payload).timestamp == expected


@pytest.mark.parametrize("value", [None, "x", -1, 0, 10**16, {"a": 1}])
def test_bad_envelope_timestamp_gives_none(value: Any) -> None:
    payload = load("ack_read")
    payload["timestamp"] = value
    assert parse_one(payload).timestamp is None
    payload = load("message_text")
    payload["timestamp"] = value
    payload["payload"]["timestamp"] = "nunca"
    assert parse_one(payload).timestamp is None


def test_envelope_timestamp_in_seconds_is_accepted() -> None:
    payload = load("session_status_stopped")
    payload["timestamp"] = 1764401000
    assert parse_one(payload).timestamp == at(1000)


# --- missing mandatory ids -> PayloadError ---------------------------------------------------


@pytest.mark.parametrize(
    ("name", "path", "field"),
    [
        ("message_text", ("payload", "id"), "payload.id"),
        ("message_any_from_me", ("payload", "id"), "payload.id"),
        ("ack_read", ("payload", "id"), "payload.id"),
        ("reaction", ("payload", "reaction", "messageId"), "payload.reaction.messageId"),
        ("edited", ("payload", "editedMessageId"), "payload.editedMessageId"),
    ],
)
@pytest.mark.parametrize("bad", [None, "", "   ", ["x"], {"id": "x"}, True])
def test_missing_ids_raise_payload_error(
    name: str, path: tuple[str, ...], field: str, bad: Any
) -> None:
    payload = load(name)
    target = payload
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = bad
    with pytest.raises(PayloadError) as info:
        waha.parse(payload)
    assert info.value.field == field


@pytest.mark.parametrize("name", ["message_text", "ack_read", "reaction", "edited", "revoked"])
@pytest.mark.parametrize("payload_value", [None, "texto", [1, 2], 42])
def test_payload_not_an_object_raises_payload_error(name: str, payload_value: Any) -> None:
    payload = load(name)
    payload["payload"] = payload_value
    with pytest.raises(PayloadError):
        waha.parse(payload)


def test_revoke_without_any_id_raises() -> None:
    payload = load("revoked")
    payload["payload"] = {"revokedMessageId": None, "before": None, "after": "x"}
    with pytest.raises(PayloadError) as info:
        waha.parse(payload)
    assert info.value.field == "payload.revokedMessageId"


# --- ids: revoke / edit / reply rebuilding ---------------------------------------------------


def test_revoke_rebuilds_bare_id_from_after_when_before_is_missing() -> None:
    payload = load("revoked")
    del payload["payload"]["before"]
    event = parse_one(payload)
    assert isinstance(event, DeleteEvent)
    assert event.target_id == VIDEO_ID
    assert event.chat_id == JOAO
    assert event.timestamp == at(250)  # after.timestamp


def test_revoke_serialized_id_kept_verbatim() -> None:
    payload = load("revoked")
    payload["payload"]["revokedMessageId"] = theirs("3A1B2C3D4E5F60718296", participant=MARIA)
    assert parse_one(payload).target_id == theirs("3A1B2C3D4E5F60718296", participant=MARIA)


def test_revoke_old_webjs_shape_uses_after_id() -> None:
    """Older WEBJS: {before: null, after: <the message, same id, type revoked>}."""
    payload = load("revoked")
    payload["payload"] = {"before": None, "after": {**payload["payload"]["after"], "id": VIDEO_ID}}
    event = parse_one(payload)
    assert (event.target_id, event.chat_id) == (VIDEO_ID, JOAO)


def test_revoke_bare_id_without_templates_kept_bare() -> None:
    payload = load("revoked")
    payload["payload"] = {"revokedMessageId": "3A1B2C3D4E5F60718296"}
    event = parse_one(payload)
    assert (event.target_id, event.chat_id) == ("3A1B2C3D4E5F60718296", "")
    assert event.timestamp == at(250)  # envelope time (ms 1764400250915)


def test_edit_serialized_target_kept_and_fork_new_body() -> None:
    payload = load("edited")
    payload["payload"]["editedMessageId"] = TEXT_ID
    payload["payload"]["newBody"] = payload["payload"].pop("body")
    event = edit_of(payload)
    assert (event.target_id, event.new_text) == (
        TEXT_ID,
        "Olá! Quero saber o preço do sofá retrátil cinza 😊",
    )


def test_edit_bare_target_without_serialized_id_kept_bare() -> None:
    payload = load("edited")
    payload["payload"]["id"] = "3A1B2C3D4E5F6071829F"
    assert edit_of(payload).target_id == "3A1B2C3D4E5F60718293"


def test_edit_in_group_keeps_participant() -> None:
    payload = load("edited")
    payload["payload"].update(
        id=theirs("3A1B2C3D4E5F6071829F", GROUP, MARIA), **{"from": GROUP}, participant=MARIA
    )
    event = edit_of(payload)
    assert waha.parse(payload).events[0].sender_id == MARIA
    assert (event.target_id, event.chat_id) == (theirs("3A1B2C3D4E5F60718293", GROUP, MARIA), GROUP)


@pytest.mark.parametrize(
    ("reply_to", "chat", "expected"),
    [
        ({"id": "ABC123", "participant": JOAO}, JOAO, theirs("ABC123")),
        ({"id": "ABC123", "participant": ME_LID}, JOAO, ours("ABC123")),  # our @lid
        ({"id": "ABC123", "participant": MARIA}, GROUP, theirs("ABC123", GROUP, MARIA)),
        ({"id": "ABC123", "participant": ME}, GROUP, f"true_{GROUP}_ABC123_{ME}"),
        ({"id": OUR_TEXT_ID, "participant": ME}, JOAO, OUR_TEXT_ID),  # already serialized
        ({"id": "ABC123"}, JOAO, "ABC123"),  # no participant: kept as sent
        ({"id": None, "participant": ME}, JOAO, ""),
        (None, JOAO, ""),
        ("ABC123", JOAO, ""),
    ],
)
def test_quoted_id(reply_to: Any, chat: str, expected: str) -> None:
    payload = load("message_reply")
    payload["payload"]["replyTo"] = reply_to
    payload["payload"]["from"] = chat
    payload["payload"]["participant"] = MARIA if chat == GROUP else None
    assert parse_one(payload).quoted_id == expected


# --- message kinds ---------------------------------------------------------------------------


def _plain(payload: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """The text fixture's payload with _data removed and ``fields`` set."""
    p = payload["payload"]
    p.pop("_data")
    p.update(fields)
    return payload


@pytest.mark.parametrize(
    ("fields", "expected_type", "voice"),
    [
        (
            {"media": {"url": "u", "mimetype": "image/jpeg"}, "hasMedia": True},
            MessageType.IMAGE,
            False,
        ),
        (
            {"media": {"url": "u", "mimetype": "image/webp"}, "hasMedia": True},
            MessageType.IMAGE,
            False,
        ),
        (
            {"media": {"url": "u", "mimetype": "video/mp4"}, "hasMedia": True},
            MessageType.VIDEO,
            False,
        ),
        ({"media": {"url": "u", "mimetype": "audio/ogg; codecs=opus"}}, MessageType.AUDIO, False),
        ({"media": {"url": "u", "mimetype": "application/zip"}}, MessageType.DOCUMENT, False),
        ({"hasMedia": True, "media": None}, MessageType.DOCUMENT, False),
        ({"location": {"latitude": "1.5", "longitude": "2"}}, MessageType.LOCATION, False),
        ({"vCards": [VCARD]}, MessageType.CONTACT, False),
        ({"body": "só texto"}, MessageType.TEXT, False),
        ({"body": ""}, MessageType.UNKNOWN, False),
    ],
)
def test_kind_without_engine_data(
    fields: dict[str, Any], expected_type: MessageType, voice: bool
) -> None:
    event = parse_one(_plain(load("message_text"), **fields))
    assert event.type is expected_type
    assert event.subtype == ""
    assert (event.media.voice if event.media else False) is voice


@pytest.mark.parametrize(
    ("data_type", "expected"),
    [
        ("poll_creation", MessageType.UNSUPPORTED),
        ("gp2", MessageType.SYSTEM),
        ("e2e_notification", MessageType.SYSTEM),
        ("list_response", MessageType.INTERACTIVE),
        ("buttons_response", MessageType.BUTTON),
        ("multi_vcard", MessageType.CONTACT),
        ("ptv", MessageType.VIDEO),
        ("tipo_que_o_whatsapp_inventou", MessageType.UNKNOWN),
    ],
)
def test_webjs_data_type_is_preferred(data_type: str, expected: MessageType) -> None:
    payload = load("message_text")
    payload["payload"]["_data"]["type"] = data_type
    event = parse_one(payload)
    assert (event.type, event.subtype) == (expected, data_type)


def test_gows_media_type_ptt_is_a_voice_note() -> None:
    payload = _plain(load("message_text"), media={"url": "u", "mimetype": "audio/ogg; codecs=opus"})
    payload["payload"]["_data"] = {"Info": {"Type": "media", "MediaType": "ptt"}}
    event = parse_one(payload)
    assert (event.type, event.subtype, event.media.voice) == (MessageType.AUDIO, "ptt", True)


def test_noweb_proto_voice_note_and_details() -> None:
    payload = load("message_lid")
    payload["payload"].update(
        body="", hasMedia=True, media={"url": "u.oga", "mimetype": "audio/ogg; codecs=opus"}
    )
    payload["payload"]["_data"]["message"] = {
        "audioMessage": {
            "mimetype": "audio/ogg; codecs=opus",
            "seconds": 7,
            "ptt": True,
            "fileLength": "5120",
        }
    }
    event = parse_one(payload)
    assert (event.type, event.subtype) == (MessageType.AUDIO, "audioMessage")
    assert event.media == Media(
        url="u.oga", mimetype="audio/ogg; codecs=opus", size=5120, duration=7, voice=True
    )


def test_multi_vcard_gives_every_contact() -> None:
    second = VCARD.replace("Conceição Magalhães", "Zé Ninguém").replace(";waid=5521976543210", "")
    payload = load("message_vcard")
    payload["payload"]["vCards"] = [VCARD, second, 42]
    payload["payload"]["_data"]["type"] = "multi_vcard"
    event = parse_one(payload)
    assert [c.display_name for c in event.contacts] == ["Conceição Magalhães", "Zé Ninguém"]
    assert event.contacts[1].phones == ("+55 21 97654-3210",)
    assert event.text == "Conceição Magalhães"


def test_vcard_without_fn_or_cards() -> None:
    payload = load("message_vcard")
    payload["payload"]["vCards"] = ["BEGIN:VCARD\nVERSION:3.0\nEND:VCARD"]
    assert parse_one(payload).contacts == (Contact(vcard="BEGIN:VCARD\nVERSION:3.0\nEND:VCARD"),)
    payload["payload"]["vCards"] = "not a list"
    event = parse_one(payload)
    assert (event.type, event.contacts, event.text) == (MessageType.CONTACT, (), "")


def test_location_with_name_and_address() -> None:
    payload = load("message_location")
    payload["payload"]["location"] = {
        "latitude": -22.9519,
        "longitude": "-43.2105",
        "name": "Cristo Redentor",
        "address": "Parque Nacional da Tijuca, Rio de Janeiro",
        "url": "https://maps.example/cristo",
    }
    event = parse_one(payload)
    assert event.location == Location(
        latitude=-22.9519,
        longitude=-43.2105,
        name="Cristo Redentor",
        address="Parque Nacional da Tijuca, Rio de Janeiro",
        url="https://maps.example/cristo",
    )
    assert event.text == "Cristo Redentor"


def test_deprecated_media_url_and_data_mimetype() -> None:
    payload = load("message_image")
    payload["payload"]["media"] = None
    payload["payload"]["mediaUrl"] = f"{FILES}/antigo.jpeg"
    event = parse_one(payload)
    assert (event.media.url, event.media.mimetype) == (f"{FILES}/antigo.jpeg", "image/jpeg")


def test_from_me_group_message() -> None:
    payload = load("message_any_from_me")
    payload["payload"]["to"] = GROUP
    event = parse_one(payload)
    assert (event.chat_id, event.is_group, event.sender_id, event.chat_name) == (
        GROUP,
        True,
        ME,
        "",
    )


def test_group_sender_from_author_when_participant_missing() -> None:
    payload = load("message_group")
    payload["payload"]["participant"] = None
    assert parse_one(payload).sender_id == MARIA


def test_from_me_without_me_in_envelope() -> None:
    payload = load("message_any_from_me")
    payload["me"] = None
    event = parse_one(payload)
    assert (event.sender_id, event.sender_name, event.from_me) == ("", "", True)


# --- robustness: wrong types never crash -----------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("fromMe", "sim"),
        ("from", 5511987654321),
        ("to", None),
        ("body", {"text": "x"}),
        ("hasMedia", "yes"),
        ("media", "http://x"),
        ("media", {"url": 1, "mimetype": ["image/jpeg"], "filename": {}}),
        ("ack", "três"),
        ("ack", 99),
        ("ackName", 3),
        ("location", "São Paulo"),
        ("location", {"latitude": "norte", "longitude": None}),
        ("vCards", {"0": "x"}),
        ("replyTo", ["x"]),
        ("participant", 123),
        ("_data", "raw"),
        ("_data", {"type": 7, "key": "k", "message": "m", "size": "grande", "duration": "?"}),
    ],
)
@pytest.mark.parametrize(
    "name", ["message_text", "message_image", "message_group", "message_location"]
)
def test_wrong_types_degrade(name: str, field: str, value: Any) -> None:
    payload = load(name)
    payload["payload"][field] = value
    event = parse_one(payload)
    assert isinstance(event, MessageEvent)
    assert event.message_id == payload["payload"]["id"]
    assert isinstance(event.text, str) and isinstance(event.chat_id, str)


@pytest.mark.parametrize(
    "me", [None, "5511912345678@c.us", [], {"id": 5511912345678, "pushName": None}]
)
def test_wrong_me_types(me: Any) -> None:
    payload = load("message_any_from_me")
    payload["me"] = me
    event = parse_one(payload)
    assert event.sender_id in ("", "5511912345678")


@pytest.mark.parametrize(
    ("ack", "ack_name", "expected", "error"),
    [
        (None, "READ", DeliveryStatus.READ, ""),
        ("2", None, DeliveryStatus.DELIVERED, ""),
        (None, "played", DeliveryStatus.PLAYED, ""),
        (-1, None, DeliveryStatus.FAILED, "ERROR"),
        (7, "NOVO", DeliveryStatus.UNKNOWN, ""),
        (None, None, DeliveryStatus.UNKNOWN, ""),
        ("lido", [], DeliveryStatus.UNKNOWN, ""),
    ],
)
def test_ack_values(ack: Any, ack_name: Any, expected: DeliveryStatus, error: str) -> None:
    payload = load("ack_read")
    payload["payload"].update(ack=ack, ackName=ack_name)
    event = parse_one(payload)
    assert (event.status, event.error) == (expected, error)


def test_group_ack_recipient_is_participant() -> None:
    payload = load("ack_read")
    payload["payload"].update(to=GROUP, participant=MARIA)
    event = parse_one(payload)
    assert (event.chat_id, event.recipient_id) == (GROUP, MARIA)


def test_ack_of_their_message_has_no_recipient() -> None:
    payload = load("ack_read")
    payload["payload"].update(id=TEXT_ID, fromMe=False, **{"from": JOAO, "to": ME})
    event = parse_one(payload)
    assert (event.message_id, event.chat_id, event.recipient_id) == (TEXT_ID, JOAO, "")


def test_reaction_from_me_and_in_group() -> None:
    payload = load("reaction")
    payload["payload"].update(fromMe=True, to=JOAO)
    event = parse_one(payload)
    assert (event.from_me, event.sender_id, event.chat_id) == (True, ME, JOAO)
    payload = load("reaction")
    payload["payload"].update(participant=MARIA, **{"from": GROUP})
    event = parse_one(payload)
    assert (event.sender_id, event.chat_id) == (MARIA, GROUP)


def test_reaction_wrong_types() -> None:
    payload = load("reaction")
    payload["payload"]["reaction"]["text"] = None
    payload["payload"]["timestamp"] = "ontem"
    event = parse_one(payload)
    assert (event.emoji, event.timestamp) == ("", at(130))  # envelope time


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("FAILED", ConnectionState.CLOSED),
        ("starting", ConnectionState.CONNECTING),
        ("PAIRING", ConnectionState.UNKNOWN),
        (None, ConnectionState.UNKNOWN),
        (3, ConnectionState.UNKNOWN),
    ],
)
def test_session_status_values(value: Any, expected: ConnectionState) -> None:
    payload = load("session_status_working")
    payload["payload"]["status"] = value
    assert parse_one(payload).state is expected


def test_presence_baileys_dict_shape_and_unknown_word() -> None:
    payload = load("presence_update")
    payload["payload"]["presences"] = {
        JOAO: {"lastKnownPresence": "recording"},
        MARIA: {"lastKnownPresence": "Offline"},
    }
    result = waha.parse(payload)
    assert [(e.chat_id, e.presence) for e in result.events] == [
        (JOAO, "recording"),
        (MARIA, "unavailable"),
    ]


def test_presence_falls_back_to_chat_id_and_skips_junk() -> None:
    payload = load("presence_update")
    payload["payload"] = {
        "id": JOAO,
        "presences": [{"lastKnownPresence": "paused"}, "junk", {"participant": MARIA}, None],
    }
    result = waha.parse(payload)
    assert [(e.chat_id, e.presence) for e in result.events] == [(JOAO, "paused")]


@pytest.mark.parametrize("presences", [[], None, "typing", [{}]])
def test_presence_without_items_is_ignored(presences: Any) -> None:
    payload = load("presence_update")
    payload["payload"]["presences"] = presences
    result = waha.parse(payload)
    assert result.events == ()
    assert result.ignored_reason == "no usable item in the 'presence.update' payload"


@pytest.mark.parametrize(
    "event_name",
    [
        "message.waiting",
        "state.change",
        "group.join",
        "group.v2.participants",
        "poll.vote",
        "label.upsert",
        "chat.archive",
        "engine.event",
    ],
)
def test_unhandled_events_are_ignored(event_name: str) -> None:
    payload = load("unhandled_event")
    payload["event"] = event_name
    result = waha.parse(payload)
    assert (result.events, result.event_type, result.client_key) == ((), event_name, SESSION)
    assert result.ignored_reason == f"WAHA event '{event_name}' is not handled"


def test_blank_event_uses_path_event() -> None:
    payload = load("ack_read")
    payload["event"] = ""
    result = waha.parse(payload, path_event="message.ack")
    assert result.event_type == "message.ack"
    assert result.events == EXPECTED["ack_read"][1]
