"""Helpers shared by the parsers: times, typed field reads, the Baileys proto message (and
whatsmeow's JSON of the same proto), and whatsapp-web.js message models.

Three gateway engines stand behind most families, and each engine's shapes are read here once:
  * Baileys proto messages: Evolution, W-API, the README sample, WAHA NOWEB;
  * whatsmeow (Go): the same proto marshalled by encoding/json, with Go field names (``URL``,
    ``fileSHA256``, ``stanzaID``, enum numbers): Wuzapi, WAHA GOWS (:func:`whatsmeow_message`
    renames them, then :func:`parse_proto` reads them);
  * whatsapp-web.js / wa-js message models (``type`` words, serialized ids
    ``<fromMe>_<chat>_<id>[_<participant>]``, wid objects, vCards): WAHA WEBJS, WPPConnect,
    UltraMsg.

Everything here is pure: no Django, no settings, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar

from webhook.events import (
    Contact,
    DeliveryStatus,
    EditEvent,
    Event,
    Location,
    Media,
    MessageEvent,
    MessageType,
)
from webhook.exceptions import PayloadError

T = TypeVar("T")

# Names of expected fields not found while one payload is parsed (see ``expected``).
_missing: ContextVar[list[str] | None] = ContextVar("webhook_parser_missing", default=None)

# Anything after this is treated as absurd (and before 2009, when WhatsApp did not exist).
_MIN_EPOCH = 1_230_768_000  # 2009-01-01
_FUTURE_SLACK = timedelta(days=1)
_MS_THRESHOLD = 1e11  # values above are milliseconds (1e11 s is the year 5138)


def epoch_to_utc(value: Any) -> datetime | None:
    """Unix time in seconds or milliseconds (number or numeric string) -> aware UTC.

    Absent, zero, negative, non-numeric, overflowing or absurd values (before 2009 or more
    than a day in the future) give ``None``: the processor falls back to the time of receipt.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, dict):  # protobuf Long leaked as {"low", "high", "unsigned"}
        try:
            value = (int(value.get("high", 0)) << 32) + (int(value.get("low", 0)) & 0xFFFFFFFF)
        except (TypeError, ValueError):
            return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if number != number or number in (float("inf"), float("-inf")):  # NaN / infinity
        return None
    if number > _MS_THRESHOLD:
        number /= 1000.0
    if number < _MIN_EPOCH:
        return None
    try:
        moment = datetime.fromtimestamp(int(number), tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
    if moment > datetime.now(tz=UTC) + _FUTURE_SLACK:
        return None
    return moment


def iso_to_utc(value: Any) -> datetime | None:
    """ISO-8601 string -> aware UTC; naive strings are taken as UTC; junk gives ``None``."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC).replace(microsecond=0)
    if moment.timestamp() < _MIN_EPOCH or moment > datetime.now(tz=UTC) + _FUTURE_SLACK:
        return None
    return moment


def obj(value: Any) -> dict[str, Any]:
    """The value when it is a JSON object, else an empty dict (wrong types never crash)."""
    return value if isinstance(value, dict) else {}


def seq(value: Any) -> list[Any]:
    """The value when it is a JSON array, else an empty list."""
    return value if isinstance(value, list) else []


def text(value: Any) -> str:
    """A string field: strings as they are, numbers as their decimal text, others empty."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int | float):
        return str(value)
    return ""


def as_int(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = int(float(value))
    except (TypeError, ValueError, OverflowError):
        return None
    # Fits the database's 64-bit integers.
    return number if -(2**63) < number < 2**63 else None


def as_float(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if number != number or number in (float("inf"), float("-inf")):
        return None
    return number


def as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1", "yes"}
    return bool(value) if isinstance(value, bool | int) else False


def require_str(mapping: dict[str, Any], key: str, *, where: str) -> str:
    """A mandatory id field: a non-empty string (or number), else a PayloadError naming it."""
    value = text(mapping.get(key)).strip()
    if not value:
        raise PayloadError(f"missing or invalid '{where}'", field=where)
    return value


def expected(value: T, where: str) -> T:
    """Report ``where`` as an expected field not found when ``value`` is absent, empty or an
    ``UNKNOWN`` enum member; returns ``value`` unchanged, so the parser's fallback stays.

    For fields a parser can live without but should have (a message's time, an ack's value):
    a gateway release that renames one shows up in the "não reconhecidos" counters
    (``webhook.drift``) instead of silently becoming the time of receipt. Outside
    ``collecting_missing`` (a parser called directly) nothing is recorded."""
    missing = _missing.get()
    if missing is not None and _absent(value):
        missing.append(where)
    return value


def _absent(value: Any) -> bool:
    if value is None or value == "":
        return True
    return isinstance(value, StrEnum) and value.name == "UNKNOWN"


@contextmanager
def collecting_missing() -> Iterator[list[str]]:
    """Collect what ``expected`` reports while one payload is parsed (``parsers.parse_as``)."""
    found: list[str] = []
    token = _missing.set(found)
    try:
        yield found
    finally:
        _missing.reset(token)


def edit_events(edit: EditEvent, **message: Any) -> list[Event]:
    """What an edit becomes, in every family: when it says where the message is (its chat),
    first the message as edited (``message`` holds its sender, direction and the like), then
    the EditEvent.

    The processor stores messages before it applies updates, so if the original never
    arrived the message is created with the edited text (and the edit then changes nothing);
    if it did, the message is a duplicate and the edit replaces its text, keeping the old one
    in its history. An edit that names only its target (no chat) cannot create anything: it
    is parked until the original arrives, as before. An original that arrives after the edit
    completes the message the edit created (``services.bulk``): the rows end as in order."""
    if not edit.chat_id:
        return [edit]
    fields: dict[str, Any] = {"type": MessageType.TEXT, **message, "from_edit": True}
    created = MessageEvent(
        client_key=edit.client_key,
        timestamp=edit.timestamp,
        raw=edit.raw,
        message_id=edit.target_id,
        chat_id=edit.chat_id,
        text=edit.new_text,
        **fields,
    )
    return [created, edit]


# protocolMessage.type: enum names as protobuf toJSON writes them, numbers from raw builds.
REVOKE_TYPES = frozenset({"REVOKE", "0"})
EDIT_TYPES = frozenset({"MESSAGE_EDIT", "14"})


def proto_edit(content: ProtoContent) -> tuple[str, str] | None:
    """(target id, new text) when a parsed proto message is an edit (a MESSAGE_EDIT
    protocolMessage, wrapped or not) that names its target, else ``None``."""
    if content.type is not MessageType.SYSTEM or not content.protocol_target:
        return None
    if content.protocol_type.strip().upper() not in EDIT_TYPES:
        return None
    return content.protocol_target, content.edited_text


def is_group_jid(jid: str) -> bool:
    return jid.endswith("@g.us") or jid.endswith("-group")


# --- Baileys proto messages (Evolution data.message, W-API msgContent, the README sample) ---

# Wrappers whose inner ``message`` is the real content.
_WRAPPERS = (
    "ephemeralMessage",
    "viewOnceMessage",
    "viewOnceMessageV2",
    "viewOnceMessageV2Extension",
    "documentWithCaptionMessage",
    "editedMessage",
    "deviceSentMessage",
)

# Keys that carry no content of their own.
_METADATA_KEYS = frozenset(
    {"messageContextInfo", "base64", "mediaUrl", "senderKeyDistributionMessage"}
)

# proto key -> normalised type; one line per kind.
_PROTO_TYPES: dict[str, MessageType] = {
    "conversation": MessageType.TEXT,
    "extendedTextMessage": MessageType.TEXT,
    "conversationMessage": MessageType.TEXT,  # the README sample's wrapper
    "imageMessage": MessageType.IMAGE,
    "videoMessage": MessageType.VIDEO,
    "ptvMessage": MessageType.VIDEO,  # round video note
    "audioMessage": MessageType.AUDIO,
    "documentMessage": MessageType.DOCUMENT,
    "stickerMessage": MessageType.STICKER,
    "locationMessage": MessageType.LOCATION,
    "liveLocationMessage": MessageType.LOCATION,
    "contactMessage": MessageType.CONTACT,
    "contactsArrayMessage": MessageType.CONTACT,
    "reactionMessage": MessageType.REACTION,
    "buttonsResponseMessage": MessageType.BUTTON,
    "templateButtonReplyMessage": MessageType.BUTTON,
    "listResponseMessage": MessageType.INTERACTIVE,
    "interactiveResponseMessage": MessageType.INTERACTIVE,
    "orderMessage": MessageType.ORDER,
    "protocolMessage": MessageType.SYSTEM,
    "pollCreationMessage": MessageType.UNSUPPORTED,
    "pollCreationMessageV3": MessageType.UNSUPPORTED,
    "pollUpdateMessage": MessageType.UNSUPPORTED,
}


def unwrap_proto(message: Any) -> dict[str, Any]:
    """Strip ephemeral / view-once / edited wrappers until the content is reached."""
    current = obj(message)
    for _ in range(8):  # wrappers nest a few levels at most
        for wrapper in _WRAPPERS:
            inner = obj(current.get(wrapper)).get("message")
            if isinstance(inner, dict):
                current = inner
                break
        else:
            return current
    return current


@dataclass(frozen=True, slots=True, kw_only=True)
class ProtoContent:
    """What a Baileys proto message says, in normalised terms."""

    type: MessageType
    kind: str  # the proto key, e.g. "imageMessage"
    text: str = ""
    media: Media | None = None
    location: Location | None = None
    contacts: tuple[Contact, ...] = ()
    quoted_id: str = ""
    forwarded: bool = False
    reaction_target: str = ""
    reaction_emoji: str = ""
    protocol_type: str = ""  # REVOKE, MESSAGE_EDIT, ... for protocolMessage
    protocol_target: str = ""
    edited_text: str = ""


def _proto_kind(content: dict[str, Any]) -> str:
    for key in content:
        if key in _PROTO_TYPES:
            return key
    for key in content:
        if key not in _METADATA_KEYS and isinstance(content[key], dict | str):
            return key
    return ""


def _proto_media(body: dict[str, Any], *, voice: bool = False) -> Media:
    return Media(
        url=text(body.get("url")),
        mimetype=text(body.get("mimetype")),
        sha256=text(body.get("fileSha256")),
        size=as_int(body.get("fileLength")),
        file_name=text(body.get("fileName")) or text(body.get("title")),
        duration=as_int(body.get("seconds")),
        voice=voice,
        width=as_int(body.get("width")),
        height=as_int(body.get("height")),
        animated=as_bool(body.get("isAnimated")) or as_bool(body.get("gifPlayback")),
        media_key=text(body.get("mediaKey")),
        direct_path=text(body.get("directPath")),
        file_enc_sha256=text(body.get("fileEncSha256")),
    )


def proto_text(content: dict[str, Any]) -> str:
    """The plain text of an (unwrapped) proto message, empty when it has none."""
    if isinstance(content.get("conversation"), str):
        return content["conversation"]
    for key in ("extendedTextMessage", "conversationMessage"):
        inner = obj(content.get(key))
        if inner:
            return text(inner.get("text")) or text(inner.get("conversation"))
    return ""


def parse_proto(message: Any, *, context_info: Any = None) -> ProtoContent:
    """Read a Baileys proto message (wrappers unwrapped) into normalised parts."""
    content = unwrap_proto(message)
    kind = _proto_kind(content)
    msg_type = _PROTO_TYPES.get(kind, MessageType.UNKNOWN if kind else MessageType.UNSUPPORTED)
    body = obj(content.get(kind))
    ctx = obj(context_info) or obj(body.get("contextInfo"))
    parts: dict[str, Any] = {
        "type": msg_type,
        "kind": kind,
        "quoted_id": text(ctx.get("stanzaId")),
        "forwarded": as_bool(ctx.get("isForwarded")),
    }
    if msg_type is MessageType.TEXT:
        parts["text"] = proto_text(content)
    elif msg_type in (
        MessageType.IMAGE,
        MessageType.VIDEO,
        MessageType.DOCUMENT,
        MessageType.STICKER,
    ):
        parts["text"] = text(body.get("caption"))
        parts["media"] = _proto_media(body)
    elif msg_type is MessageType.AUDIO:
        parts["media"] = _proto_media(body, voice=as_bool(body.get("ptt")))
    elif msg_type is MessageType.LOCATION:
        parts["location"] = Location(
            latitude=as_float(body.get("degreesLatitude")),
            longitude=as_float(body.get("degreesLongitude")),
            name=text(body.get("name")),
            address=text(body.get("address")),
            url=text(body.get("url")),
        )
        parts["text"] = parts["location"].name
    elif msg_type is MessageType.CONTACT:
        cards = seq(body.get("contacts")) if kind == "contactsArrayMessage" else [body]
        parts["contacts"] = tuple(
            Contact(display_name=text(obj(c).get("displayName")), vcard=text(obj(c).get("vcard")))
            for c in cards
        )
        parts["text"] = text(body.get("displayName")) or (
            parts["contacts"][0].display_name if parts["contacts"] else ""
        )
    elif msg_type is MessageType.REACTION:
        parts["reaction_target"] = text(obj(body.get("key")).get("id"))
        parts["reaction_emoji"] = text(body.get("text"))
        parts["text"] = parts["reaction_emoji"]
    elif msg_type is MessageType.BUTTON:
        parts["text"] = text(body.get("selectedDisplayText")) or text(body.get("selectedId"))
    elif msg_type is MessageType.INTERACTIVE:
        parts["text"] = text(body.get("title")) or text(obj(body.get("body")).get("text"))
    elif msg_type is MessageType.ORDER:
        parts["text"] = text(body.get("message")) or text(body.get("orderTitle"))
    elif msg_type is MessageType.SYSTEM:
        parts["protocol_type"] = text(body.get("type"))
        parts["protocol_target"] = text(obj(body.get("key")).get("id"))
        parts["edited_text"] = proto_text(unwrap_proto(body.get("editedMessage")))
    elif msg_type is MessageType.UNSUPPORTED:
        parts["text"] = text(body.get("name"))
    return ProtoContent(**parts)


# --- whatsmeow: the proto marshalled by Go's encoding/json (Wuzapi, WAHA GOWS) ---

# Go field name -> the Baileys spelling parse_proto reads; one line per name that differs.
_WHATSMEOW_KEYS = {
    "URL": "url",
    "fileSHA256": "fileSha256",
    "fileEncSHA256": "fileEncSha256",
    "JPEGThumbnail": "jpegThumbnail",
    "PTT": "ptt",
    "ID": "id",
    "remoteJID": "remoteJid",
    "stanzaID": "stanzaId",
    "mentionedJID": "mentionedJid",
    "senderTimestampMS": "senderTimestampMs",
    "timestampMS": "timestampMs",
}


def whatsmeow_message(message: Any, _depth: int = 0) -> dict[str, Any]:
    """A whatsmeow ``Message`` (waE2E proto as Go JSON) with Baileys' field names, so that
    :func:`parse_proto` reads it. Enum values stay numbers (``protocolMessage.type`` 0 =
    REVOKE, 14 = MESSAGE_EDIT), which the parsers already accept."""
    if _depth > 16:  # quoted messages nest; the validator already bounds the depth
        return {}
    result: dict[str, Any] = {}
    for key, value in obj(message).items():
        if isinstance(value, dict):
            value = whatsmeow_message(value, _depth + 1)
        elif isinstance(value, list):
            value = [whatsmeow_message(v, _depth + 1) if isinstance(v, dict) else v for v in value]
        result[_WHATSMEOW_KEYS.get(key, key)] = value
    return result


# --- whatsapp-web.js / wa-js message models (WAHA WEBJS, WPPConnect, UltraMsg) ---

# Normalised type -> the ``type`` words whatsapp-web.js and wa-js use for it (WAHA GOWS'
# Info.MediaType shares most of them).
_WEBJS_KINDS: dict[MessageType, tuple[str, ...]] = {
    MessageType.TEXT: ("chat", "text"),
    MessageType.IMAGE: ("image",),
    MessageType.VIDEO: ("video", "gif", "ptv"),  # ptv: round video note
    MessageType.AUDIO: ("audio", "ptt"),  # ptt (push-to-talk) = voice note, see WEBJS_VOICE
    MessageType.DOCUMENT: ("document",),
    MessageType.STICKER: ("sticker",),
    MessageType.LOCATION: ("location",),
    MessageType.CONTACT: ("vcard", "multi_vcard", "contact_array"),  # contact_array: GOWS
    MessageType.BUTTON: ("buttons_response", "template_button_reply"),
    MessageType.INTERACTIVE: ("list_response",),
    MessageType.ORDER: ("order",),
    MessageType.UNSUPPORTED: ("poll_creation",),
    # revoked: the placeholder a deleted message leaves; gp2: group notification.
    MessageType.SYSTEM: ("revoked", "e2e_notification", "notification_template", "gp2", "call_log"),
}
WEBJS_TYPES: dict[str, MessageType] = {k: t for t, kinds in _WEBJS_KINDS.items() for k in kinds}
WEBJS_VOICE = frozenset({"ptt"})
WEBJS_MEDIA = frozenset(
    {
        MessageType.IMAGE,
        MessageType.VIDEO,
        MessageType.AUDIO,
        MessageType.DOCUMENT,
        MessageType.STICKER,
    }
)
# Ack numbers of whatsapp-web.js / wa-js (WAHA, WPPConnect); UltraMsg sends the words.
WEBJS_ACKS: dict[int, DeliveryStatus] = {
    -1: DeliveryStatus.FAILED,  # ERROR
    0: DeliveryStatus.PENDING,  # PENDING / clock
    1: DeliveryStatus.SENT,  # SERVER: reached WhatsApp's server
    2: DeliveryStatus.DELIVERED,  # DEVICE
    3: DeliveryStatus.READ,
    4: DeliveryStatus.PLAYED,  # voice/video played
}
WEBJS_ACK_NAMES = {"ERROR": -1, "PENDING": 0, "SERVER": 1, "DEVICE": 2, "READ": 3, "PLAYED": 4}


def webjs_kind(kind: str) -> MessageType:
    """The normalised type of a whatsapp-web.js ``type`` word; an unknown word is UNKNOWN
    (the caller keeps the word in ``subtype``)."""
    return WEBJS_TYPES.get(kind, MessageType.UNKNOWN)


def webjs_ack(value: Any) -> DeliveryStatus | None:
    """An ack number (or its ackName) -> status; None when absent, UNKNOWN when new."""
    ack = as_int(value)
    if ack is None and isinstance(value, str):
        ack = WEBJS_ACK_NAMES.get(value.strip().upper())
        if ack is None:
            return DeliveryStatus.UNKNOWN if value.strip() else None
    return None if ack is None else WEBJS_ACKS.get(ack, DeliveryStatus.UNKNOWN)


def is_serialized_id(message_id: str) -> bool:
    """``<fromMe>_<chat>_<waId>[_<participant>]``, whatsapp-web.js' serialized message id."""
    return message_id.startswith(("true_", "false_"))


def rebuild_serialized_id(template: str, wa_id: str) -> str:
    """``wa_id`` in the serialized form of ``template`` (same fromMe, chat, participant)."""
    parts = template.split("_")
    if not is_serialized_id(template) or len(parts) < 3:
        return ""
    parts[2] = wa_id
    return "_".join(parts)


def serialized(value: Any) -> str:
    """A wid or message key as text: a string as sent, an object's ``_serialized`` (wa-js
    models that leak unserialised, e.g. WPPConnect's ``onack`` id), else empty."""
    if isinstance(value, dict):
        inner = value.get("_serialized")
        return inner if isinstance(inner, str) else ""
    return text(value)


def parse_vcard(card: str) -> Contact:
    """Display name from the FN line; phones from TEL lines (their waid when present)."""
    name, phones = "", []
    for line in card.splitlines():
        field_name, _, value = line.partition(":")
        params = field_name.split(";")
        if params[0].strip().upper() == "FN" and not name:
            name = value.strip().replace("\\,", ",")
        elif params[0].strip().upper() == "TEL":
            waid = [p[5:] for p in params if p.lower().startswith("waid=")]
            phones.append(waid[0] if waid else value.strip())
    return Contact(display_name=name, vcard=card, phones=tuple(p for p in phones if p))
