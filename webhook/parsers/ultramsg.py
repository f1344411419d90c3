"""UltraMsg (ultramsg.com, whatsapp-web.js based SaaS): docs/formats.md §12.

Every delivery is ``{event_type, instanceId, id, referenceId, hash?, data{...}}``; ``instanceId``
is the client and ``data`` a whatsapp-web.js-like message: ``id`` is the serialized
``<fromMe>_<chat>_<waId>[_<participant>]`` (stored exactly as sent), ``time`` in seconds,
``media`` a URL and no mimetype. There is no signature: the client's token goes in the URL
(``?token=`` or ``/webhook/k/<token>/``).

Decisions where the vendor's docs are silent (each one pinned by a test):
  * ``message_received`` (theirs) and ``message_create`` (ours, ``fromMe``) are parsed alike;
    the chat is ``fromMe ? to : from``; the sender ``author`` in groups, else ``from``.
  * ``message_ack``: ``ack`` is a word (UNVERIFIED, docs/formats.md §12.1 assumes pending / server /
    device / read / played; numbers are read as whatsapp-web.js acks). ``time`` is the
    *message's* time, so the status has none (the processor uses the time of receipt).
  * ``type`` words are whatsapp-web.js' (shared table in ``_webjs``); an unknown word is
    MessageType.UNKNOWN with the word in ``subtype``. ``revoked`` (whatsapp-web.js' placeholder,
    which keeps the original id) is a DeleteEvent on that id (UNVERIFIED for UltraMsg).
  * Media: the text is ``body`` (whatsapp-web.js puts the caption there), never the file
    name; the file name is ``filename`` when sent, else the last segment of the media URL.
  * A quote is ``quotedMsg.id`` (UNVERIFIED: ``quotedMsg`` is documented as an object only);
    a location ``location{latitude, longitude, description}`` as in whatsapp-web.js, or wa-js'
    ``lat``/``lng``/``loc`` (UNVERIFIED); vCards from ``vCards[]`` or the vCard ``body``.
"""

from __future__ import annotations

from typing import Any, TypedDict
from urllib.parse import unquote, urlsplit

from webhook.events import (
    DEFAULT_CONTEXT,
    DeleteEvent,
    DeliveryStatus,
    Event,
    Location,
    Media,
    MessageEvent,
    MessageType,
    ParseContext,
    ParseResult,
    StatusEvent,
)
from webhook.exceptions import PayloadError
from webhook.parsers._common import expected
from webhook.parsers._time import epoch_to_utc
from webhook.parsers._values import as_bool, as_float, is_group_jid, obj, require_str, seq, text
from webhook.parsers._webjs import (
    WEBJS_MEDIA,
    WEBJS_VOICE,
    parse_vcard,
    serialized,
    webjs_ack,
    webjs_kind,
    webjs_location,
)

FAMILY = "ultramsg"


class Envelope(TypedDict, total=False):
    event_type: str  # message_received | message_create | message_ack | ...
    instanceId: str  # the client
    id: str
    referenceId: str
    hash: str
    data: dict[str, Any]


class UltraMessage(TypedDict, total=False):
    id: str  # "false_5511987654321@c.us_3EB0..." (verbatim)
    from_: str  # key "from"
    to: str
    author: str  # group author
    pushname: str
    ack: str  # "" on inbound messages; a word in message_ack
    type: str  # chat | image | video | audio | ptt | document | sticker | location | vcard ...
    body: str  # text or caption
    media: str  # URL
    fromMe: bool
    isForwarded: bool
    quotedMsg: dict[str, Any]
    mentionedIds: list[str]
    time: int  # seconds


# Ack words (UNVERIFIED: docs/formats.md §12.1) -> status; numbers: whatsapp-web.js' table.
ACKS: dict[str, DeliveryStatus] = {
    "error": DeliveryStatus.FAILED,
    "pending": DeliveryStatus.PENDING,
    "server": DeliveryStatus.SENT,
    "sent": DeliveryStatus.SENT,
    "device": DeliveryStatus.DELIVERED,
    "delivered": DeliveryStatus.DELIVERED,
    "read": DeliveryStatus.READ,
    "viewed": DeliveryStatus.READ,
    "played": DeliveryStatus.PLAYED,
}
MESSAGE_EVENTS = frozenset({"message_received", "message_create"})


def matches(payload: dict[str, Any]) -> bool:
    return isinstance(payload.get("event_type"), str) and isinstance(payload.get("data"), dict)


def client_key(payload: dict[str, Any]) -> str:
    return text(payload.get("instanceId")).strip()


def _ack(value: Any) -> DeliveryStatus | None:
    word = text(value).strip().lower()
    if not word:
        return None
    if word in ACKS:
        return ACKS[word]
    return webjs_ack(value) if word.lstrip("-").isdigit() else DeliveryStatus.UNKNOWN


def _chat(d: dict[str, Any]) -> str:
    return serialized(d.get("to")) if as_bool(d.get("fromMe")) else serialized(d.get("from"))


def _file_name(d: dict[str, Any]) -> str:
    name = text(d.get("filename")) or text(d.get("fileName"))
    if name:
        return name
    path = urlsplit(text(d.get("media"))).path
    return unquote(path.rsplit("/", 1)[-1]) if path else ""


def _location(d: dict[str, Any]) -> Location:
    loc = obj(d.get("location"))
    if loc:
        description = text(loc.get("description")) or text(loc.get("name"))
        name, _, address = description.partition("\n")
        return Location(
            latitude=as_float(loc.get("latitude")),
            longitude=as_float(loc.get("longitude")),
            name=name.strip(),
            address=text(loc.get("address")) or address.strip(),
            url=text(loc.get("url")),
        )
    return webjs_location(d)


def _content(d: dict[str, Any]) -> dict[str, Any]:
    kind = text(d.get("type")).strip()
    msg_type = webjs_kind(kind) if kind else MessageType.TEXT
    body = text(d.get("body"))
    parts: dict[str, Any] = {"type": msg_type, "subtype": kind, "text": body}
    if msg_type in WEBJS_MEDIA:
        file_name = _file_name(d) if msg_type is MessageType.DOCUMENT else text(d.get("filename"))
        parts["media"] = Media(
            url=text(d.get("media")), file_name=file_name, voice=kind in WEBJS_VOICE
        )
        if file_name and body in (file_name, file_name.rsplit(".", 1)[0]):
            parts["text"] = ""  # the name is not a caption
    elif msg_type is MessageType.LOCATION:
        parts["location"] = _location(d)
        parts["text"] = parts["location"].name  # body is a thumbnail
    elif msg_type is MessageType.CONTACT:
        cards = [c for c in seq(d.get("vCards")) if isinstance(c, str)] or [body]
        contacts = tuple(parse_vcard(c) for c in cards if c.strip())
        parts["contacts"] = contacts
        parts["text"] = contacts[0].display_name if contacts else ""
    return parts


def _message(d: dict[str, Any], client: str, event_type: str) -> list[Event]:
    message_id = require_str(d, "id", where="data.id")
    from_me = as_bool(d.get("fromMe"))
    chat_id = _chat(d)
    if not chat_id:
        where = "data.to" if from_me else "data.from"
        raise PayloadError(f"missing or invalid '{where}'", field=where)
    when = expected(epoch_to_utc(d.get("time")), "data.time")
    if text(d.get("type")).strip() == "revoked":  # the placeholder keeps the original's id
        return [
            DeleteEvent(
                client_key=client, timestamp=when, raw=d, target_id=message_id, chat_id=chat_id
            )
        ]
    is_group = is_group_jid(chat_id)
    name = "" if from_me else text(d.get("pushname"))
    if from_me:
        sender = serialized(d.get("from"))
    else:
        sender = serialized(d.get("author")) if is_group else chat_id
    event = MessageEvent(
        client_key=client,
        timestamp=when,
        raw=d,
        message_id=message_id,
        chat_id=chat_id,
        chat_name="" if is_group else name,
        is_group=is_group,
        sender_id=sender or (chat_id if not is_group else ""),
        sender_name=name,
        from_me=from_me,
        quoted_id=serialized(obj(d.get("quotedMsg")).get("id")),
        forwarded=as_bool(d.get("isForwarded")),
        status=_ack(d.get("ack")),
        extra={"event_type": event_type},
        **_content(d),
    )
    return [event]


def _status(d: dict[str, Any], client: str) -> list[Event]:
    status = expected(_ack(d.get("ack")) or DeliveryStatus.UNKNOWN, "data.ack")
    chat_id = _chat(d)
    event = StatusEvent(
        client_key=client,
        timestamp=None,  # ``time`` is when the message was sent, not when it was read
        raw=d,
        message_id=require_str(d, "id", where="data.id"),
        status=status,
        chat_id=chat_id,
        recipient_id=chat_id if as_bool(d.get("fromMe")) else "",
        error=text(d.get("ack")) if status is DeliveryStatus.FAILED else "",
    )
    return [event]


def parse(
    payload: dict[str, Any], *, path_event: str = "", context: ParseContext = DEFAULT_CONTEXT
) -> ParseResult:
    client = client_key(payload)
    event_type = text(payload.get("event_type")).strip() or path_event
    data = obj(payload.get("data"))
    events: list[Event] = []
    if event_type in MESSAGE_EVENTS:
        events = _message(data, client, event_type)
        reason = ""
    elif event_type == "message_ack":
        events = _status(data, client)
        reason = ""
    else:
        reason = f"UltraMsg event '{event_type}' is not handled"
    return ParseResult(
        family=FAMILY,
        event_type=event_type,
        client_key=client,
        events=tuple(events),
        ignored_reason=reason,
    )
