"""WAHA: what a message payload holds, read from whichever engine sent it (docs/formats.md
§10.2): WAHA's own fields (``body``, ``media``, ``location``, ``vCards``) first, the engine's
raw ``_data`` for the kind and the details: WEBJS ``_data.type`` (whatsapp-web.js words),
GOWS ``_data.Info.MediaType``, NOWEB ``_data.message`` (the Baileys proto).
"""

from __future__ import annotations

from typing import Any

from webhook.events import Location, Media, MessageType
from webhook.parsers._proto import parse_proto
from webhook.parsers._values import as_bool, as_float, as_int, obj, seq, text
from webhook.parsers._webjs import WEBJS_TYPES, WEBJS_VOICE, parse_vcard

# whatsapp-web.js' type words (shared with WPPConnect and UltraMsg: _webjs).
DATA_TYPES = WEBJS_TYPES
VOICE_KINDS = WEBJS_VOICE
# Media mimetype prefix -> type, when the engine names no kind (anything else: document).
MIME_TYPES = {"image/": MessageType.IMAGE, "video/": MessageType.VIDEO, "audio/": MessageType.AUDIO}
_MEDIA_TYPES = frozenset({*MIME_TYPES.values(), MessageType.DOCUMENT, MessageType.STICKER})
_vcard = parse_vcard


def _kind(p: dict[str, Any], data: dict[str, Any]) -> tuple[MessageType, bool, str]:
    """(type, voice note, provider kind): the engine's own word first, then the content."""
    hint = text(data.get("type")) or text(obj(data.get("Info")).get("MediaType"))
    if hint:
        return DATA_TYPES.get(hint, MessageType.UNKNOWN), hint in VOICE_KINDS, hint
    proto = parse_proto(data["message"]) if obj(data.get("message")) else None  # NOWEB
    if proto is not None and proto.kind:
        return proto.type, bool(proto.media and proto.media.voice), proto.kind
    if obj(p.get("location")):
        return MessageType.LOCATION, False, ""
    if seq(p.get("vCards")):
        return MessageType.CONTACT, False, ""
    mime = text(obj(p.get("media")).get("mimetype")) or text(data.get("mimetype"))
    for prefix, msg_type in MIME_TYPES.items():
        if mime.startswith(prefix):
            return msg_type, False, ""
    if mime or as_bool(p.get("hasMedia")):
        return MessageType.DOCUMENT, False, ""
    return (MessageType.TEXT if text(p.get("body")) else MessageType.UNKNOWN), False, ""


def _media(p: dict[str, Any], data: dict[str, Any], voice: bool) -> Media:
    """WAHA's media{url, mimetype, filename}; details from WEBJS _data or the NOWEB proto."""
    media = obj(p.get("media"))
    proto = (parse_proto(data["message"]).media if obj(data.get("message")) else None) or Media()
    return Media(
        url=text(media.get("url")) or text(p.get("mediaUrl")),
        mimetype=text(media.get("mimetype")) or text(data.get("mimetype")) or proto.mimetype,
        sha256=text(data.get("filehash")) or proto.sha256,
        size=as_int(data.get("size")) or proto.size,
        file_name=text(media.get("filename")) or text(data.get("filename")) or proto.file_name,
        duration=as_int(data.get("duration")) or proto.duration,
        voice=voice,
        width=as_int(data.get("width")) or proto.width,
        height=as_int(data.get("height")) or proto.height,
        animated=as_bool(data.get("isAnimated")) or as_bool(data.get("isGif")) or proto.animated,
    )


def message_content(p: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    msg_type, voice, kind = _kind(p, data)
    parts: dict[str, Any] = {"type": msg_type, "subtype": kind, "text": text(p.get("body"))}
    if msg_type in _MEDIA_TYPES or obj(p.get("media")):
        parts["media"] = _media(p, data, voice)
    if msg_type is MessageType.LOCATION:
        loc = obj(p.get("location"))
        description = text(loc.get("description"))
        parts["location"] = Location(
            latitude=as_float(loc.get("latitude")),
            longitude=as_float(loc.get("longitude")),
            name=text(loc.get("name")) or description,
            address=text(loc.get("address")),
            url=text(loc.get("url")),
        )
        parts["text"] = description or parts["location"].name  # WEBJS body is a thumbnail
    elif msg_type is MessageType.CONTACT:
        parts["contacts"] = tuple(_vcard(c) for c in seq(p.get("vCards")) if isinstance(c, str))
        contacts = parts["contacts"]
        parts["text"] = contacts[0].display_name if contacts else ""  # WEBJS body is the vCard
    return parts
