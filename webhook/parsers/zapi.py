"""Z-API (z-api.io): docs/formats.md §9.

Every callback is one flat JSON object named by ``type``; ``instanceId`` is the client.
``ReceivedCallback`` (inbound messages, and our own with "notify sent by me") carries one
content key (``text``, ``image``, ``reaction``, ...) or a ``notification`` next to the envelope.

Decisions where the vendor's docs are silent (each one pinned by a test):
  * ``notification: "REVOKE"`` -> DeleteEvent on ``referenceMessageId``, else ``messageId``.
  * ``isEdit: true`` -> the message itself (created with the edited text when the original
    never arrived) and an EditEvent on ``messageId`` with the content's text.
  * ``READ_BY_ME`` (we read *their* message) -> StatusEvent(read) with ``recipient_id=""``.
  * ``DeliveryCallback`` with an ``error`` text (current docs) -> StatusEvent(failed).
  * ``momment`` is ms in message callbacks, s in the disconnect example: epoch_to_utc decides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypedDict

from webhook.events import (
    DEFAULT_CONTEXT,
    ConnectionEvent,
    ConnectionState,
    DeleteEvent,
    DeliveryStatus,
    EditEvent,
    Event,
    MessageEvent,
    ParseContext,
    ParseResult,
    PresenceEvent,
    ReactionEvent,
    StatusEvent,
)
from webhook.parsers._common import expected
from webhook.parsers._time import epoch_to_utc
from webhook.parsers._values import as_bool, obj, require_str, seq, text
from webhook.parsers._zapi_content import Content, message_content, system_content

FAMILY = "zapi"


class ReceivedCallback(TypedDict, total=False):
    type: str  # "ReceivedCallback"
    instanceId: str
    connectedPhone: str  # our own number: the sender of fromMe messages
    messageId: str
    phone: str  # the chat: contact number or "<group id>-group"
    fromMe: bool
    momment: int  # milliseconds
    isGroup: bool
    isEdit: bool  # the same messageId re-delivered with the new content
    chatName: str
    chatLid: str
    senderName: str
    senderLid: str  # the contact's @lid
    participantPhone: str | None  # group author
    participantLid: str | None
    referenceMessageId: str | None  # the message replied to (or revoked)
    forwarded: bool
    notification: str  # GROUP_PARTICIPANT_ADD, CALL_VOICE, REVOKE, ...
    notificationParameters: list[str]


class StatusCallback(TypedDict, total=False):
    """MessageStatusCallback (``ids``, ``status``, ``momment``) and DeliveryCallback."""

    type: str
    instanceId: str
    phone: str
    ids: list[str]
    status: str  # SENT | RECEIVED | READ | READ_BY_ME | PLAYED
    momment: int
    messageId: str  # DeliveryCallback
    zaapId: str  # DeliveryCallback: Z-API's own id, not WhatsApp's
    error: str  # DeliveryCallback, only when the send failed


class InstanceCallback(TypedDict, total=False):
    """ConnectedCallback, DisconnectedCallback and PresenceChatCallback."""

    type: str
    instanceId: str
    phone: str
    momment: int  # seconds in the vendor's disconnect example
    error: str  # "Device has been disconnected"
    status: str  # presence: AVAILABLE | UNAVAILABLE | COMPOSING | RECORDING | PAUSED


STATUSES: dict[str, DeliveryStatus] = {
    "PENDING": DeliveryStatus.PENDING,
    "SENT": DeliveryStatus.SENT,
    "RECEIVED": DeliveryStatus.DELIVERED,  # Z-API's word for "delivered to the phone"
    "READ": DeliveryStatus.READ,
    "READ_BY_ME": DeliveryStatus.READ,  # we read *their* message: recipient_id left empty
    "PLAYED": DeliveryStatus.PLAYED,
}


REVOKE = "REVOKE"


# Envelope flags kept in MessageEvent.extra (normalised nowhere else).
_EXTRA_KEYS = ("fromApi", "isStatusReply", "isNewsletter", "broadcast", "waitingMessage", "photo")


def matches(payload: dict[str, Any]) -> bool:
    kind = payload.get("type")
    return isinstance(kind, str) and kind in _HANDLERS


def client_key(payload: dict[str, Any]) -> str:
    return text(payload.get("instanceId")).strip()


def parse(
    payload: dict[str, Any], *, path_event: str = "", context: ParseContext = DEFAULT_CONTEXT
) -> ParseResult:
    event_type = text(payload.get("type"))
    client = client_key(payload)
    handler = _HANDLERS.get(event_type)
    if handler is None:
        return ParseResult(
            family=FAMILY,
            event_type=event_type or path_event,
            client_key=client,
            ignored_reason=f"Z-API callback '{event_type or '?'}' is not handled",
        )
    events = tuple(handler(payload, client))
    return ParseResult(family=FAMILY, event_type=event_type, client_key=client, events=events)


def _common(payload: dict[str, Any], client: str) -> dict[str, Any]:
    """The fields every event takes: client, time (``momment``, s or ms) and the raw payload."""
    return {"client_key": client, "timestamp": epoch_to_utc(payload.get("momment")), "raw": payload}


# --- ReceivedCallback -------------------------------------------------------------------------


def _received(payload: dict[str, Any], client: str) -> list[Event]:
    message_id = require_str(payload, "messageId", where="messageId")
    chat_id = require_str(payload, "phone", where="phone")
    base = _common(payload, client)
    notification = text(payload.get("notification")).strip()
    if notification == REVOKE:
        target = text(payload.get("referenceMessageId")) or message_id
        return [DeleteEvent(**base, target_id=target, chat_id=chat_id)]
    reaction = obj(payload.get("reaction"))
    if reaction:
        return [_reaction(payload, client, reaction, chat_id)]
    content = system_content(payload, notification) if notification else message_content(payload)
    message = _message(payload, client, message_id, chat_id, content)
    if as_bool(payload.get("isEdit")):
        # An edit carries the whole message: if the original never arrived, the message is
        # created with the edited text (the MessageEvent); if it did, the edit replaces its
        # text and keeps the old one in the history (the EditEvent; the message is then a
        # duplicate). An original arriving later completes it (``_common.edit_events``).
        edit = EditEvent(**base, target_id=message_id, new_text=content.text, chat_id=chat_id)
        return [replace(message, from_edit=True), edit]
    return [message]


def _message(
    payload: dict[str, Any], client: str, message_id: str, chat_id: str, content: Content
) -> MessageEvent:
    from_me = as_bool(payload.get("fromMe"))
    is_group = _is_group(payload, chat_id)
    sender_id = _sender_id(payload, chat_id)
    # senderLid names the contact: the 1:1 chat's alt id, and the author only when inbound.
    contact_lid = text(payload.get("senderLid"))
    sender_alt = text(payload.get("participantLid")) if is_group else contact_lid
    extra = {key: payload[key] for key in _EXTRA_KEYS if payload.get(key) is not None}
    expected(epoch_to_utc(payload.get("momment")), "momment")
    return MessageEvent(
        **_common(payload, client),
        message_id=message_id,
        chat_id=chat_id,
        chat_name=text(payload.get("chatName")),
        chat_alt_id=text(payload.get("chatLid")) or ("" if is_group else contact_lid),
        is_group=is_group,
        sender_id=sender_id,
        sender_name=text(payload.get("senderName")),
        sender_alt_id="" if from_me or sender_alt == sender_id else sender_alt,
        from_me=from_me,
        type=content.type,
        text=content.text,
        media=content.media,
        location=content.location,
        contacts=content.contacts,
        quoted_id=text(payload.get("referenceMessageId")),
        forwarded=as_bool(payload.get("forwarded")),
        status=DeliveryStatus.SENT if from_me else None,
        subtype=content.kind,
        extra={**extra, **content.extra},
    )


def _is_group(payload: dict[str, Any], chat_id: str) -> bool:
    return as_bool(payload.get("isGroup")) or chat_id.endswith("-group")


def _sender_id(payload: dict[str, Any], chat_id: str) -> str:
    if as_bool(payload.get("fromMe")):
        return text(payload.get("connectedPhone"))
    if _is_group(payload, chat_id):
        return text(payload.get("participantPhone")) or text(payload.get("participantLid"))
    return chat_id


def _reaction(
    payload: dict[str, Any], client: str, reaction: dict[str, Any], chat_id: str
) -> ReactionEvent:
    referenced = obj(reaction.get("referencedMessage"))
    target = require_str(referenced, "messageId", where="reaction.referencedMessage.messageId")
    base = _common(payload, client)
    base["timestamp"] = base["timestamp"] or epoch_to_utc(reaction.get("time"))
    return ReactionEvent(
        **base,
        target_id=target,
        emoji=text(reaction.get("value")),  # "" = the reaction was removed
        chat_id=chat_id,
        sender_id=_sender_id(payload, chat_id),
        from_me=as_bool(payload.get("fromMe")),
    )


# --- Status, delivery, connection and presence callbacks ---------------------------------------


def _message_status(payload: dict[str, Any], client: str) -> list[Event]:
    ids = [text(i) for i in seq(payload.get("ids")) if text(i)]
    if not ids:
        ids = [require_str(payload, "id", where="ids")]  # the old docs' table names it "id"
    raw_status = text(payload.get("status")).strip().upper()
    chat_id = text(payload.get("phone"))
    return [
        StatusEvent(
            **_common(payload, client),
            message_id=message_id,
            status=expected(STATUSES.get(raw_status, DeliveryStatus.UNKNOWN), "status"),
            chat_id=chat_id,
            recipient_id="" if raw_status == "READ_BY_ME" else chat_id,
        )
        for message_id in ids
    ]


def _delivery(payload: dict[str, Any], client: str) -> list[Event]:
    message_id = require_str(payload, "messageId", where="messageId")
    chat_id = text(payload.get("phone"))
    error = text(payload.get("error"))
    status = DeliveryStatus.FAILED if error else DeliveryStatus.SENT
    # No momment in the shape docs/formats.md §9.2 documents (timestamp None); current docs add one.
    return [
        StatusEvent(
            **_common(payload, client),
            message_id=message_id,
            status=status,
            chat_id=chat_id,
            recipient_id=chat_id,
            error=error,
        )
    ]


def _connection(payload: dict[str, Any], client: str) -> list[Event]:
    connected = payload.get("type") == "ConnectedCallback"
    event = ConnectionEvent(
        **_common(payload, client),
        state=ConnectionState.OPEN if connected else ConnectionState.CLOSED,
        phone=text(payload.get("phone")) or text(payload.get("connectedPhone")),
        reason="" if connected else text(payload.get("error")),
    )
    return [event]


def _presence(payload: dict[str, Any], client: str) -> list[Event]:
    # No event time is documented (lastSeen is the contact's, not the event's): usually None.
    event = PresenceEvent(
        **_common(payload, client),
        chat_id=require_str(payload, "phone", where="phone"),
        presence=text(payload.get("status")).strip().lower(),
    )
    return [event]


_HANDLERS: dict[str, Callable[[dict[str, Any], str], list[Event]]] = {
    "ReceivedCallback": _received,
    "MessageStatusCallback": _message_status,
    "DeliveryCallback": _delivery,
    "ConnectedCallback": _connection,
    "DisconnectedCallback": _connection,
    "PresenceChatCallback": _presence,
}
