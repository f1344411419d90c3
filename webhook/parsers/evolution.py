"""Evolution API v2 (2.1-2.3.6) and v1.8 (Baileys-based): docs/formats.md §6.

Every delivery is one envelope around event-specific ``data``::

    {"event": "messages.upsert", "instance": "loja-centro", "data": {...},
     "destination": "https://...", "date_time": "2025-11-29T04:06:41.123Z",
     "sender": "5511912345678@s.whatsapp.net", "server_url": "https://...", "apikey": null}

``date_time`` is the gateway's *local* wall-clock time with a misleading ``Z``
(docs/formats.md §6.1): it is read in ``context.gateway_tz`` and used only when the data
carries no time of its own.
``data`` is one object or, in some versions, an array of them: every item is parsed, in order.
v1.8 message data carries ``owner`` (and updates ``datetime``); v1 keeps ``extendedTextMessage``
where v2 rewrites it to ``conversation`` and lifts its ``contextInfo`` to ``data.contextInfo``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypedDict
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from webhook.events import (
    DEFAULT_CONTEXT,
    DeleteEvent,
    EditEvent,
    Event,
    MessageEvent,
    MessageType,
    ParseContext,
    ParseResult,
    ReactionEvent,
)
from webhook.exceptions import PayloadError
from webhook.parsers._common import edit_events, expected
from webhook.parsers._evolution_events import (
    Delivery,
    connection_events,
    contact_events,
    deletes,
    delivery_status,
    items,
    meta,
    presence_events,
    qrcode_events,
    receipts,
)
from webhook.parsers._proto import EDIT_TYPES, REVOKE_TYPES, ProtoContent, parse_proto, unwrap_proto
from webhook.parsers._time import epoch_to_utc, iso_to_utc
from webhook.parsers._values import as_bool, is_group_jid, obj, require_str, text

FAMILY = "evolution"


class EvolutionKey(TypedDict, total=False):
    remoteJid: str  # the chat, verbatim: <phone>@s.whatsapp.net, <id>@g.us or <lid>@lid
    fromMe: bool
    id: str  # the WhatsApp message id
    participant: str  # group author
    remoteJidAlt: str  # 2.3.6: the chat's other address (phone JID of an @lid chat, or the LID)
    senderPn: str  # 2.3.0: phone JID of an @lid chat
    senderLid: str
    participantAlt: str  # same for the group author
    participantPn: str
    participantLid: str
    addressingMode: str  # "pn" | "lid"


class EvolutionMessage(TypedDict, total=False):
    """``messages.upsert`` / ``send.message`` data (v1.8: ``owner``, no ``status``)."""

    key: EvolutionKey
    pushName: str
    status: str  # PENDING | SERVER_ACK | DELIVERY_ACK | READ | PLAYED | ERROR | DELETED
    message: dict[str, Any]  # Baileys proto Message, plus "base64" / "mediaUrl" for media
    contextInfo: dict[str, Any]  # v2: the content's contextInfo lifted (stanzaId = quoted id)
    messageType: str
    messageTimestamp: int | str | dict[str, Any]  # seconds; a Long object on some builds
    instanceId: str
    source: str
    owner: str


class EvolutionProtocol(TypedDict, total=False):
    """``messages.edited`` / ``send.message.update`` data: the proto ``protocolMessage``."""

    key: EvolutionKey  # the ORIGINAL message
    type: str  # MESSAGE_EDIT | REVOKE (enum names; numbers on raw builds)
    editedMessage: dict[str, Any]
    timestampMs: str


def matches(payload: dict[str, Any]) -> bool:
    return (
        isinstance(payload.get("event"), str)
        and isinstance(payload.get("instance"), str)
        and "data" in payload
    )


def client_key(payload: dict[str, Any]) -> str:
    return text(payload.get("instance")).strip()


def gateway_time_to_utc(value: Any, zone: str) -> datetime | None:
    """Evolution's ``date_time``: local wall-clock time with a false ``Z`` -> aware UTC."""
    if not isinstance(value, str) or not value.strip():
        return None
    stamp = value.strip().removesuffix("Z").removesuffix("z")
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    if moment.tzinfo is None:  # the expected case; an explicit offset is trusted as sent
        try:
            moment = moment.replace(tzinfo=ZoneInfo(zone))
        except (ZoneInfoNotFoundError, ValueError):
            return iso_to_utc(stamp)  # unknown zone name: the best guess is UTC
    return iso_to_utc(moment.isoformat())


def parse(
    payload: dict[str, Any], *, path_event: str = "", context: ParseContext = DEFAULT_CONTEXT
) -> ParseResult:
    event_type = text(payload.get("event")).strip() or path_event
    client = client_key(payload)
    handler = _HANDLERS.get(_event_name(event_type))
    if handler is None:
        return ParseResult(
            family=FAMILY,
            event_type=event_type,
            client_key=client,
            ignored_reason=f"event {event_type or '?'} not handled",
        )
    delivery = Delivery(
        client=client,
        own_jid=text(payload.get("sender")).strip(),
        time=gateway_time_to_utc(payload.get("date_time"), context.gateway_tz),
    )
    events, reason = handler(payload.get("data"), delivery)
    return ParseResult(
        family=FAMILY,
        event_type=event_type,
        client_key=client,
        events=tuple(events),
        ignored_reason="" if events else f"{event_type}: {reason}",
        kind_known=True,
    )


def _event_name(event: str) -> str:
    """messages.upsert, MESSAGES_UPSERT and the by-events path messages-upsert are one name."""
    return event.strip().strip("/").lower().replace("_", ".").replace("-", ".")


def _alt(primary: str, *candidates: Any) -> str:
    """The first candidate address that is present and differs from the primary one."""
    for candidate in candidates:
        value = text(candidate).strip()
        if value and value != primary:
            return value
    return ""


# --- messages.upsert / send.message ---


@dataclass(frozen=True, slots=True)
class _Head:
    """Who and where of one message, from its key."""

    message_id: str
    chat_id: str
    chat_alt: str
    from_me: bool
    sender_id: str  # own JID for our messages, the participant in groups, else the chat
    sender_alt: str
    timestamp: datetime | None


def _messages(data: Any, delivery: Delivery) -> tuple[list[Event], str]:
    events = [event for item in items(data) for event in _message_item(item, delivery)]
    return events, "no message to apply in data"


def _head(data: EvolutionMessage, delivery: Delivery) -> _Head:
    timestamp = expected(epoch_to_utc(data.get("messageTimestamp")), "data.messageTimestamp")
    return _head_of_key(obj(data.get("key")), delivery, timestamp or delivery.time)


def _head_of_key(key: EvolutionKey, delivery: Delivery, timestamp: datetime | None) -> _Head:
    message_id = require_str(key, "id", where="data.key.id")
    chat_id = require_str(key, "remoteJid", where="data.key.remoteJid")
    from_me = as_bool(key.get("fromMe"))
    chat_alt = _alt(chat_id, key.get("remoteJidAlt"), key.get("senderPn"), key.get("senderLid"))
    sender, sender_alt = chat_id, chat_alt
    if is_group_jid(chat_id):  # the author is the participant; a group has no alternate id
        sender = text(key.get("participant")).strip()
        alts = (key.get("participantAlt"), key.get("participantPn"), key.get("participantLid"))
        chat_alt, sender_alt = "", _alt(sender, *alts)
    if from_me:
        sender, sender_alt = delivery.own_jid, ""
    return _Head(
        message_id=message_id,
        chat_id=chat_id,
        chat_alt=chat_alt,
        from_me=from_me,
        sender_id=sender,
        sender_alt=sender_alt,
        timestamp=timestamp,
    )


def _message_item(data: EvolutionMessage, delivery: Delivery) -> list[Event]:
    head = _head(data, delivery)
    content = parse_proto(data.get("message"), context_info=data.get("contextInfo"))
    if content.type is MessageType.REACTION:
        if not content.reaction_target:
            where = "data.message.reactionMessage.key.id"
            raise PayloadError(f"missing or invalid '{where}'", field=where)
        reaction = ReactionEvent(
            **meta(delivery, head.timestamp, data),
            target_id=content.reaction_target,
            emoji=content.reaction_emoji,  # "" = the reaction was removed
            chat_id=head.chat_id,
            sender_id=head.sender_id,
            from_me=head.from_me,
        )
        return [reaction]
    if content.type is MessageType.SYSTEM:  # protocolMessage: edit, revoke or housekeeping
        proto = obj(unwrap_proto(data.get("message")).get("protocolMessage"))
        push_name = "" if head.from_me else text(data.get("pushName"))
        return _protocol_events(proto, head.chat_id, head.timestamp, delivery, head, push_name)
    return [_message_event(data, head, content, delivery)]


def _message_event(
    data: EvolutionMessage, head: _Head, content: ProtoContent, delivery: Delivery
) -> MessageEvent:
    is_group = is_group_jid(head.chat_id)
    push_name = "" if head.from_me else text(data.get("pushName"))
    media = content.media
    if media is not None:
        message = obj(data.get("message"))
        inline = message.get("base64") or data.get("base64")  # never copied: only flagged
        url = text(message.get("mediaUrl")) or text(data.get("mediaUrl"))  # S3 / MinIO copy
        media = replace(media, url=url or media.url, has_inline_data=isinstance(inline, str))
    v1 = "owner" in data or "datetime" in data
    return MessageEvent(
        **meta(delivery, head.timestamp, data),
        message_id=head.message_id,
        chat_id=head.chat_id,
        chat_name="" if is_group else push_name,
        chat_alt_id=head.chat_alt,
        is_group=is_group,
        sender_id=head.sender_id,
        sender_name=push_name,
        sender_alt_id=head.sender_alt,
        from_me=head.from_me,
        type=content.type,
        text=content.text,
        media=media,
        location=content.location,
        contacts=content.contacts,
        quoted_id=content.quoted_id,
        forwarded=content.forwarded,
        status=delivery_status(data.get("status")),
        subtype=content.kind or text(data.get("messageType")),
        extra={"version": "v1" if v1 else "v2", "source": text(data.get("source"))},
    )


def _protocol_events(
    proto: EvolutionProtocol,
    chat_id: str,
    timestamp: datetime | None,
    delivery: Delivery,
    head: _Head | None = None,
    push_name: str = "",
) -> list[Event]:
    """A protocolMessage: REVOKE -> DeleteEvent; MESSAGE_EDIT -> the edited message and its
    EditEvent (``_common.edit_events``); others -> nothing. The sender is the upsert's
    (``head``), else read from the protocolMessage's key, which is the original's."""
    kind = text(proto.get("type")).strip().upper()
    key: EvolutionKey = obj(proto.get("key"))  # type: ignore[assignment]
    is_edit = kind in EDIT_TYPES or (not kind and isinstance(proto.get("editedMessage"), dict))
    if kind not in REVOKE_TYPES and not is_edit:
        return []
    target = require_str(key, "id", where="protocolMessage.key.id")
    chat = chat_id or text(key.get("remoteJid")).strip()
    if not is_edit:
        return [DeleteEvent(**meta(delivery, timestamp, proto), target_id=target, chat_id=chat)]
    content = parse_proto(proto.get("editedMessage"))  # text, or a media caption
    edit = EditEvent(
        **meta(delivery, timestamp, proto), target_id=target, new_text=content.text, chat_id=chat
    )
    if not chat:
        return [edit]
    if head is None:
        head = _head_of_key({**key, "remoteJid": chat}, delivery, timestamp)
    return _edit_events(edit, head, content.type, push_name)


def _edit_events(
    edit: EditEvent, head: _Head, msg_type: MessageType, push_name: str = ""
) -> list[Event]:
    is_group = is_group_jid(head.chat_id)
    return edit_events(
        edit,
        chat_name="" if is_group else push_name,
        chat_alt_id=head.chat_alt,
        is_group=is_group,
        sender_id=head.sender_id,
        sender_name=push_name,
        sender_alt_id=head.sender_alt,
        from_me=head.from_me,
        type=msg_type if msg_type is not MessageType.UNSUPPORTED else MessageType.TEXT,
    )


# --- edits (receipts and deletes: _evolution_events) ---


def _edits(data: Any, delivery: Delivery) -> tuple[list[Event], str]:
    events: list[Event] = []
    for item in items(data):
        key = obj(item.get("key"))
        chat_id = text(key.get("remoteJid")).strip()
        if "type" in item or "editedMessage" in item or not obj(item.get("message")):
            proto: EvolutionProtocol = item  # type: ignore[assignment]
            timestamp = (
                expected(epoch_to_utc(proto.get("timestampMs")), "data.timestampMs")
                or delivery.time
            )
            events.extend(_protocol_events(proto, chat_id, timestamp, delivery))
            continue
        # Evolution's non-Baileys channels send the edited message itself: {key, message, ...}.
        content = parse_proto(item.get("message"))
        timestamp = epoch_to_utc(item.get("messageTimestamp")) or delivery.time
        edit = EditEvent(
            **meta(delivery, timestamp, item),
            target_id=require_str(key, "id", where="data.key.id"),
            new_text=content.text,
            chat_id=chat_id,
        )
        if not chat_id:
            events.append(edit)
            continue
        head = _head_of_key(key, delivery, timestamp)
        push_name = "" if head.from_me else text(item.get("pushName"))
        events.extend(_edit_events(edit, head, content.type, push_name))
    return events, "no edit or revoke in data"


# Instance events (connection, QR code, contacts, presence): _evolution_events.

_Handler = Callable[[Any, Delivery], tuple[list[Event], str]]

# Normalised event name (see _event_name) -> handler; anything else is ignored with a reason.
_HANDLERS: dict[str, _Handler] = {
    "messages.upsert": _messages,
    "send.message": _messages,  # sends through the API (status PENDING)
    "messages.update": receipts,
    "messages.delete": deletes,
    "messages.edited": _edits,
    "send.message.update": _edits,  # edits made through the API
    "connection.update": connection_events,
    "status.instance": connection_events,
    "qrcode.updated": qrcode_events,
    "contacts.upsert": contact_events,
    "contacts.update": contact_events,
    "chats.upsert": contact_events,
    "presence.update": presence_events,
}
