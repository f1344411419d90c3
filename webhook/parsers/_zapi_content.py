"""Z-API: the content of a ``ReceivedCallback`` (docs/formats.md §9.1), one content key next to
the envelope (``text``, ``image``, ``audio``, ``video``, ``document``, ``sticker``,
``location``, ``contact``, ``buttonsResponseMessage``, ``listResponseMessage``) or a
``notification``; any other object is UNKNOWN with its key as the subtype.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from webhook.events import Contact, Location, Media, MessageType
from webhook.parsers._values import as_bool, as_float, as_int, obj, seq, text

# Media content key -> (normalised type, key of the file URL inside it).
MEDIA_KINDS: dict[str, tuple[MessageType, str]] = {
    "image": (MessageType.IMAGE, "imageUrl"),
    "audio": (MessageType.AUDIO, "audioUrl"),  # ptt:true = voice note
    "video": (MessageType.VIDEO, "videoUrl"),
    "document": (MessageType.DOCUMENT, "documentUrl"),  # "title" is the name, not a caption
    "sticker": (MessageType.STICKER, "stickerUrl"),
}


# Envelope keys holding objects that are not the content (an ad's card next to "text").
_ENVELOPE_OBJECTS = frozenset({"externalAdReply"})


@dataclass(frozen=True, slots=True)
class Content:
    type: MessageType
    kind: str = ""
    text: str = ""
    media: Media | None = None
    location: Location | None = None
    contacts: tuple[Contact, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


def system_content(payload: dict[str, Any], notification: str) -> Content:
    extra: dict[str, Any] = {
        "notificationParameters": [text(p) for p in seq(payload.get("notificationParameters"))]
    }
    if text(payload.get("callId")):
        extra["callId"] = text(payload.get("callId"))
    return Content(MessageType.SYSTEM, kind=notification, text=notification, extra=extra)


def message_content(payload: dict[str, Any]) -> Content:
    for key, reader in _READERS.items():
        if payload.get(key) is not None:  # wrong types read as an empty body
            return reader(obj(payload[key]), key)
    unknown = (k for k, v in payload.items() if isinstance(v, dict) and k not in _ENVELOPE_OBJECTS)
    return Content(MessageType.UNKNOWN, kind=next(unknown, ""))


def _text(body: dict[str, Any], kind: str) -> Content:
    return Content(MessageType.TEXT, kind=kind, text=text(body.get("message")))


def _media(body: dict[str, Any], kind: str) -> Content:
    msg_type, url_key = MEDIA_KINDS[kind]
    media = Media(
        url=text(body.get(url_key)),
        mimetype=text(body.get("mimeType")),
        file_name=text(body.get("fileName")) or text(body.get("title")),
        duration=as_int(body.get("seconds")),
        voice=msg_type is MessageType.AUDIO and as_bool(body.get("ptt")),
        width=as_int(body.get("width")),
        height=as_int(body.get("height")),
    )
    # text is the caption only (docs/formats.md §3.5): a document's "title" is its name, kept in
    # the file name when there is no fileName.
    caption = text(body.get("caption"))
    extra = {"pageCount": as_int(body.get("pageCount"))} if "pageCount" in body else {}
    return Content(msg_type, kind=kind, text=caption, media=media, extra=extra)


def _location(body: dict[str, Any], kind: str) -> Content:
    location = Location(
        latitude=as_float(body.get("latitude")),
        longitude=as_float(body.get("longitude")),
        name=text(body.get("name")),
        address=text(body.get("address")),
        url=text(body.get("url")),
    )
    return Content(MessageType.LOCATION, kind=kind, text=location.name, location=location)


def _contact(body: dict[str, Any], kind: str) -> Content:
    contact = Contact(
        display_name=text(body.get("displayName")),
        vcard=text(body.get("vCard")),
        phones=tuple(text(p) for p in seq(body.get("phones")) if text(p)),
    )
    return Content(MessageType.CONTACT, kind=kind, text=contact.display_name, contacts=(contact,))


def _button(body: dict[str, Any], kind: str) -> Content:
    extra = {"selected_id": text(body.get("buttonId"))}
    return Content(MessageType.BUTTON, kind=kind, text=text(body.get("message")), extra=extra)


def _list(body: dict[str, Any], kind: str) -> Content:
    extra = {"selected_id": text(body.get("selectedRowId"))}
    title = text(body.get("title")) or text(body.get("message"))
    return Content(MessageType.INTERACTIVE, kind=kind, text=title, extra=extra)


# Content key -> reader, looked for in this order ("text" first: an ad reply decorates a text).
# Any other content is MessageType.UNKNOWN with subtype = its key.
_READERS: dict[str, Callable[[dict[str, Any], str], Content]] = {
    "text": _text,
    **dict.fromkeys(MEDIA_KINDS, _media),
    "location": _location,
    "contact": _contact,
    "buttonsResponseMessage": _button,
    "listResponseMessage": _list,
}
