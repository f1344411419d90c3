"""Baileys proto messages (Evolution ``data.message``, W-API ``msgContent``, the README sample,
X

:func:`parse_proto` reads an (unwrapped) proto message into normalised parts;
:func:`whatsmeow_message` renames whatsmeow's Go field names (``URL``, ``fileSHA256``,
``stanzaID``...) to Baileys' so that :func:`parse_proto` reads them too.

Pure: no Django, no settings, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from webhook.events import Contact, Location, Media, MessageType
from webhook.parsers._values import as_bool, as_float, as_int, obj, seq, text

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
