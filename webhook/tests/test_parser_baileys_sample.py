"""The README sample parser: every fixture, every normalised field, detection, robustness."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from webhook import parsers
from webhook.events import (
    Contact,
    Event,
    Location,
    Media,
    MessageEvent,
    MessageType,
    ReactionEvent,
)
from webhook.exceptions import PayloadError
from webhook.parsers import baileys_sample, detect
from webhook.tests.helpers import all_fixtures, fixture

SAMPLE = "test_instance"
ANA, ANA_NAME = "5511987654321@s.whatsapp.net", "Ana Beatriz Conceição"
MARIA, MARIA_NAME = "5521998765432@s.whatsapp.net", "Maria Eduarda Souza"
GROUP = "120363025678901234@g.us"
FROM_ME_ID = "BAE5C81D2F6A4E09"
TEXT_ID = "BAE5C81D2F6A4E01"

MMG = "https://mmg.whatsapp.net/o1/v/t62."
MMG_TAIL = "&oe=6951F0A2&_nc_sid=e6ed6c&mms3=true"
VCARD_JOSE = (
    "BEGIN:VCARD\nVERSION:3.0\nN:Pereira;José Antônio;;;\nFN:José Antônio Pereira\n"
    "item1.TEL;waid=5531987651234:+55 31 98765-1234\nitem1.X-ABLabel:Celular\nEND:VCARD"
)


def at(hour: int, minute: int, second: int) -> datetime:
    return datetime(2025, 11, 29, hour, minute, second, tzinfo=UTC)


def message(message_id: str, when: datetime | None, **fields: Any) -> MessageEvent:
    """A message from Ana in her 1:1 chat; ``fields`` override the defaults."""
    values: dict[str, Any] = {
        "client_key": SAMPLE,
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
        "type": MessageType.TEXT,
        "quoted_id": "",
        "forwarded": False,
        "status": None,
    }
    return MessageEvent(**{**values, **fields})


def text_message(message_id: str, when: datetime | None, body: str, **fields: Any) -> MessageEvent:
    return message(message_id, when, text=body, subtype="conversation", **fields)


EXPECTED: dict[str, Event] = {
    "readme_sample": message(
        "test_message_123",
        datetime(2022, 1, 1, tzinfo=UTC),
        chat_id="5511999999999@s.whatsapp.net",
        chat_name="Usuário Teste",
        sender_id="5511999999999@s.whatsapp.net",
        sender_name="Usuário Teste",
        text="Mensagem de teste",
        subtype="conversationMessage",
    ),
    "text": text_message(
        TEXT_ID, at(7, 56, 40), "Olá! Vocês abrem no feriado? 🤔 Preciso de um bolo pra amanhã."
    ),
    "image": message(
        "BAE5C81D2F6A4E02",
        at(7, 57, 40),
        type=MessageType.IMAGE,
        text="Quero um bolo igual a esse 😍",
        media=Media(
            url=f"{MMG}7118-24/f2/m2fb/AQfbafbcc41fa237672007cc219f26?ccb=9-4&oh=01_Q5Aa2w8d07{MMG_TAIL}",
            mimetype="image/jpeg",
            sha256="Cua6o7A8V8aFedKlQQ+8nDOgauANl1o/gp04c+LH07s=",
            size=201345,
            width=960,
            height=1280,
        ),
        subtype="imageMessage",
    ),
    "video": message(
        "BAE5C81D2F6A4E03",
        at(7, 58, 40),
        type=MessageType.VIDEO,
        text="Olha a decoração 🎈",
        media=Media(
            url=f"{MMG}7161-24/f2/m2e7/AQe79c0dbae5954ec78eb830d72910?ccb=9-4&oh=01_Q5Aa2wd131{MMG_TAIL}",
            mimetype="video/mp4",
            sha256="5g50L1hFs0w/1574dKfoqh+/T/IZvwgIkm8ztiDlvNk=",
            size=1538204,
            duration=22,
            width=360,
            height=640,
        ),
        subtype="videoMessage",
    ),
    "audio": message(
        "BAE5C81D2F6A4E04",
        at(7, 59, 40),
        type=MessageType.AUDIO,
        text="",
        media=Media(
            url=f"{MMG}7117-24/f2/m2cd/AQcddab0e2104279f440c78b95e688?ccb=9-4&oh=01_Q5Aa2w4463{MMG_TAIL}",
            mimetype="audio/ogg; codecs=opus",
            sha256="ADagdZdPiw/iwZ/fGDsMdbfpIrkgZfO3zrrrWly0j40=",
            size=12045,
            duration=7,
            voice=True,
        ),
        subtype="audioMessage",
    ),
    "document": message(
        "BAE5C81D2F6A4E05",
        at(8, 0, 40),
        type=MessageType.DOCUMENT,
        text="",
        media=Media(
            url=f"{MMG}7119-24/f2/m205/AQ05d9ec1ad341b52280a177de871a?ccb=9-4&oh=01_Q5Aa2w01e8{MMG_TAIL}",
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            sha256="AxdxfKwmn4p8jlssYEcjmlAjnM4wbKhXKzjnl2lA/2w=",
            size=19876,
            file_name="Lista_de_convidados.xlsx",
        ),
        subtype="documentMessage",
    ),
    "sticker": message(
        "BAE5C81D2F6A4E06",
        at(8, 1, 40),
        type=MessageType.STICKER,
        text="",
        media=Media(
            url=f"{MMG}15575-24/f2/m2a3/AQa37ce55a3d9f1d2d5709c807861e?ccb=9-4&oh=01_Q5Aa2w915d{MMG_TAIL}",
            mimetype="image/webp",
            sha256="gP0dTI9SQjFj6/3F5BeintxhdGS18tY0LzszuUAZVKw=",
            size=48211,
            width=512,
            height=512,
            animated=True,
        ),
        subtype="stickerMessage",
    ),
    "location": message(
        "BAE5C81D2F6A4E07",
        at(8, 2, 40),
        type=MessageType.LOCATION,
        text="Cristo Redentor",
        location=Location(
            latitude=-22.9519,
            longitude=-43.2105,
            name="Cristo Redentor",
            address="Parque Nacional da Tijuca - Alto da Boa Vista, Rio de Janeiro - RJ",
        ),
        subtype="locationMessage",
    ),
    "contact": message(
        "BAE5C81D2F6A4E08",
        at(8, 3, 40),
        type=MessageType.CONTACT,
        text="José Antônio Pereira",
        contacts=(Contact(display_name="José Antônio Pereira", vcard=VCARD_JOSE),),
        subtype="contactMessage",
    ),
    "from_me_text": text_message(
        FROM_ME_ID,
        at(8, 4, 40),
        "Abrimos sim, das 8h às 14h! 🎂 Pode encomendar.",
        from_me=True,
        chat_name="",
        sender_id="",
        sender_name="",
    ),
    "group_text": text_message(
        "BAE5C81D2F6A4E0A",
        at(8, 5, 40),
        "Gente, alguém sabe o horário da missa de sábado? ⛪",
        chat_id=GROUP,
        chat_name="",
        is_group=True,
        sender_id=MARIA,
        sender_name=MARIA_NAME,
    ),
    "cliente_id_only": text_message(
        "BAE5C81D2F6A4E0B", at(8, 6, 40), "Mensagem sem instanceId, só com cliente_id 👍"
    ),
    "reply": message(
        "BAE5C81D2F6A4E0C",
        at(8, 7, 40),
        text="Então reservo um de chocolate, por favor 🍫",
        quoted_id=FROM_ME_ID,
        subtype="extendedTextMessage",
    ),
    "ms_timestamp": text_message("BAE5C81D2F6A4E0D", at(8, 8, 40), "Horário em milissegundos ⏱️"),
    "bad_timestamp": text_message("BAE5C81D2F6A4E0E", None, "Mensagem com horário zerado ❓"),
    "future_timestamp": text_message("BAE5C81D2F6A4E0F", None, "Mensagem vinda do ano 2200 🚀"),
}


def test_every_fixture_has_an_expectation():
    assert {name for _, name in all_fixtures("baileys_sample")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_events(name):
    payload = fixture("baileys_sample", name)
    result = baileys_sample.parse(payload)
    assert result.family == "baileys_sample"
    assert result.event_type == "message"
    assert result.client_key == SAMPLE
    assert result.ignored_reason == ""
    assert result.events == (EXPECTED[name],)
    (event,) = result.events
    assert event.raw is payload
    assert event.timestamp is None or event.timestamp.tzinfo is UTC


def test_message_ids_unique_and_reply_targets_a_fixture():
    ids = [fixture("baileys_sample", n)["key"]["id"] for _, n in all_fixtures("baileys_sample")]
    assert len(ids) == len(set(ids))
    assert EXPECTED["reply"].quoted_id in ids


def test_cliente_id_only_has_no_instance_id():
    payload = fixture("baileys_sample", "cliente_id_only")
    assert "instanceId" not in payload
    assert payload["cliente_id"] == SAMPLE


# --- Detection ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_detect_own_fixtures(name):
    payload = fixture("baileys_sample", name)
    assert detect(payload) is baileys_sample
    assert parsers.family_of(payload) == "baileys_sample"
    assert baileys_sample.client_key(payload) == SAMPLE
    assert parsers.client_key(payload) == SAMPLE


def test_other_families_fixtures_are_not_the_sample():
    others = [(family, name) for family, name in all_fixtures() if family != "baileys_sample"]
    assert others, "the other families' fixtures should be present"
    for family, name in others:
        payload = fixture(family, name)
        assert not baileys_sample.matches(payload), (family, name)
        assert detect(payload) is not baileys_sample, (family, name)


KEY = {"remoteJid": ANA, "fromMe": False, "id": "X1"}


@pytest.mark.parametrize(
    "payload",
    [
        {"event": "messages.upsert", "instance": "loja", "data": {"key": KEY, "message": {}}},
        {"event": "webhookReceived", "instanceId": SAMPLE, "key": KEY, "msgContent": {}},
        {"type": "ReceivedCallback", "instanceId": SAMPLE, "key": KEY, "message": {}},
        {"instanceId": SAMPLE, "key": "X1", "message": {"conversation": "oi"}},
        {"instanceId": SAMPLE, "key": [KEY], "message": {"conversation": "oi"}},
        {"instanceId": SAMPLE, "key": KEY},  # neither message nor msgContent
        {"instanceId": SAMPLE, "message": {"conversation": "oi"}},
        {},
    ],
)
def test_foreign_shapes_do_not_match(payload):
    assert baileys_sample.matches(payload) is False


@pytest.mark.parametrize(
    "payload",
    [
        {"key": KEY, "message": None},  # the key is what matters, values are checked later
        {"key": {}, "msgContent": {}},
        {"cliente_id": SAMPLE, "key": KEY, "msgContent": {"conversation": "oi"}},
    ],
)
def test_minimal_shapes_match(payload):
    assert baileys_sample.matches(payload) is True
    assert detect(payload) is baileys_sample


# --- Robustness --------------------------------------------------------------------------------


def sample(name: str = "text", **changes: Any) -> dict[str, Any]:
    payload = copy.deepcopy(fixture("baileys_sample", name))
    payload.update(changes)
    return payload


def only_event(payload: dict[str, Any], **kwargs: Any) -> Event:
    result = baileys_sample.parse(payload, **kwargs)
    (event,) = result.events
    return event


def test_client_key_order_and_types():
    assert baileys_sample.client_key({"instanceId": "a", "cliente_id": "b"}) == "a"
    assert baileys_sample.client_key({"instanceId": "  ", "cliente_id": " b "}) == "b"
    assert baileys_sample.client_key({"instanceId": None, "cliente_id": 42}) == "42"
    assert baileys_sample.client_key({"instanceId": ["a"], "cliente_id": {}}) == ""
    assert baileys_sample.parse(sample(instanceId=None)).client_key == ""


def test_path_event_does_not_change_the_result():
    payload = fixture("baileys_sample", "text")
    assert baileys_sample.parse(payload, path_event="message-status").events == (EXPECTED["text"],)


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("id", None),
        ("id", ""),
        ("id", "  "),
        ("id", ["X"]),
        ("id", True),
        ("remoteJid", None),
        ("remoteJid", ""),
        ("remoteJid", {"jid": ANA}),
    ],
)
def test_missing_or_invalid_key_fields_raise_payload_error(field, bad):
    payload = sample()
    payload["key"][field] = bad
    with pytest.raises(PayloadError) as caught:
        baileys_sample.parse(payload)
    assert caught.value.field == f"key.{field}"


@pytest.mark.parametrize("key", [None, "BAE5", [], {}])
def test_junk_key_raises_payload_error(key):
    with pytest.raises(PayloadError) as caught:
        baileys_sample.parse(sample(key=key))
    assert caught.value.field == "key.id"


def test_numeric_id_is_kept_as_text():
    payload = sample()
    payload["key"]["id"] = 987654321
    assert only_event(payload).message_id == "987654321"


def test_message_junk_falls_back_to_msg_content():
    for junk in (None, "oi", [], {}, {"messageContextInfo": {}}):
        event = only_event(sample(message=junk))
        assert (event.type, event.text, event.subtype) == (
            MessageType.TEXT,
            "Olá! Vocês abrem no feriado? 🤔 Preciso de um bolo pra amanhã.",
            "conversation",
        )


def test_msg_content_junk_is_ignored_when_message_is_fine():
    for junk in (None, "oi", [], {}):
        assert only_event(sample(msgContent=junk)) == EXPECTED["text"]


def test_no_content_anywhere_is_unsupported():
    event = only_event(sample(message=None, msgContent=None))
    assert (event.type, event.text, event.subtype, event.media) == (
        MessageType.UNSUPPORTED,
        "",
        "",
        None,
    )


def test_unknown_kind_is_unknown_type():
    event = only_event(sample(message={"hologramMessage": {"caption": "🛸"}}, msgContent={}))
    assert (event.type, event.subtype) == (MessageType.UNKNOWN, "hologramMessage")


def test_top_level_context_info_gives_the_quoted_id():
    payload = sample(contextInfo={"stanzaId": FROM_ME_ID, "isForwarded": True})
    event = only_event(payload)
    assert (event.quoted_id, event.forwarded) == (FROM_ME_ID, True)


def test_wrapped_messages_are_unwrapped():
    inner = {"conversation": "Mensagem temporária ⏳"}
    for wrapper in ("ephemeralMessage", "viewOnceMessageV2", "documentWithCaptionMessage"):
        event = only_event(sample(message={wrapper: {"message": inner}}, msgContent={}))
        assert (event.type, event.text) == (MessageType.TEXT, "Mensagem temporária ⏳")


def test_reaction_in_the_sample_shape_is_a_reaction_event():
    reaction = {
        "reactionMessage": {
            "key": {"remoteJid": ANA, "fromMe": True, "id": FROM_ME_ID},
            "text": "👍",
            "senderTimestampMs": "1764403700000",
        }
    }
    payload = sample(message=reaction, msgContent=reaction)
    result = baileys_sample.parse(payload)
    assert result.event_type == "reaction"
    assert result.events == (
        ReactionEvent(
            client_key=SAMPLE,
            timestamp=at(7, 56, 40),
            target_id=FROM_ME_ID,
            emoji="👍",
            chat_id=ANA,
            sender_id=ANA,
            from_me=False,
        ),
    )


def test_from_me_flag_as_string_and_number():
    for value in ("true", "True", 1):
        payload = sample()
        payload["key"]["fromMe"] = value
        event = only_event(payload)
        assert (event.from_me, event.sender_id, event.sender_name, event.chat_name) == (
            True,
            "",
            "",
            "",
        )
    payload = sample()
    payload["key"]["fromMe"] = "no"
    assert only_event(payload).from_me is False


def test_group_without_participant_has_no_sender():
    payload = sample("group_text")
    del payload["key"]["participant"]
    event = only_event(payload)
    assert (event.is_group, event.sender_id, event.chat_name) == (True, "", "")


def test_ids_are_kept_verbatim():
    payload = sample()
    payload["key"]["remoteJid"] = "163829475610273@lid"
    event = only_event(payload)
    assert (event.chat_id, event.sender_id, event.is_group) == (
        "163829475610273@lid",
        "163829475610273@lid",
        False,
    )
    payload["key"]["remoteJid"] = "553188776655@s.whatsapp.net"  # no 9th digit: not "fixed"
    assert only_event(payload).chat_id == "553188776655@s.whatsapp.net"


def test_wrong_types_in_envelope_degrade():
    payload = sample(pushName=["Ana"])
    event = only_event(payload)
    assert (event.chat_name, event.sender_name) == ("", "")
    payload = sample("image")
    payload["message"]["imageMessage"].update(fileLength="grande", width=None, caption=None, url=3)
    event = only_event(payload)
    assert (event.media.size, event.media.width, event.media.url, event.text) == (
        None,
        None,
        "3",
        "",
    )
    assert event.status is None


# --- Timestamps --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1764403000", at(7, 56, 40)),
        (1764403000, at(7, 56, 40)),
        ("1764403000123", at(7, 56, 40)),
        (1764403000999, at(7, 56, 40)),
        ({"low": 1764403000, "high": 0, "unsigned": False}, at(7, 56, 40)),
        ("0", None),
        (0, None),
        ("-1764403000", None),
        ("ontem", None),
        ("", None),
        (None, None),
        (False, None),
        ("7258118400", None),  # year 2200
        ("1e40", None),
        ("1230768000", datetime(2009, 1, 1, tzinfo=UTC)),
        ("1230767999", None),  # before WhatsApp
    ],
)
def test_message_timestamp_conversion(value, expected):
    assert only_event(sample(messageTimestamp=value)).timestamp == expected


def test_absent_timestamp_is_none():
    payload = sample()
    del payload["messageTimestamp"]
    assert only_event(payload).timestamp is None


def test_near_future_is_kept_and_far_future_is_none():
    soon = datetime.now(tz=UTC).replace(microsecond=0) + timedelta(hours=2)
    assert only_event(sample(messageTimestamp=str(int(soon.timestamp())))).timestamp == soon
    later = datetime.now(tz=UTC) + timedelta(days=2)
    assert only_event(sample(messageTimestamp=int(later.timestamp()))).timestamp is None
