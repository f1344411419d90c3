"""W-API (w-api.app, Baileys-based SaaS): docs/formats.md §7.

W-API posts one URL per kind. ``webhookReceived`` and ``webhookDelivery`` (our own sends) carry
the Baileys proto message in ``msgContent``::

    {"event": "webhookReceived", "instanceId": "LITE-...", "connectedPhone": "55...",
     "isGroup": false, "messageId": "...", "fromMe": false, "fromApi": false,
     "chat": {"id": "5511...", "profilePicture": "..."},
     "sender": {"id": "5511...", "pushName": "...", "profilePicture": "..."},
     "moment": 1764400000, "msgContent": {...}}

No public sample exists for the status, presence and connection callbacks (docs/formats.md §7.3:
UNVERIFIED). We accept the shapes below, which follow the received payload's naming, and the
event may also come from the per-kind URL (``/webhook/<kind>``) when the body has none (such a
body is still recognised: ``instanceId`` plus a W-API field, no Z-API ``type``, no sample ``key``):

    webhookStatus        {"instanceId", "messageId" | "ids": [...], "status", "moment",
                          "chat": {"id"}}
    webhookConnected     {"instanceId", "connectedPhone", "moment"}
    webhookDisconnected  {"instanceId", "moment", "error"?}
    webhookPresence      {"instanceId", "chat": {"id"} | "phone", "status", "moment"}
    webhookQrCode        {"instanceId", "qrcode" | "code", "base64"?, "moment"}
"""

from __future__ import annotations

from typing import Any, TypedDict

from webhook.events import (
    DEFAULT_CONTEXT,
    ConnectionEvent,
    ConnectionState,
    DeliveryStatus,
    EditEvent,
    Event,
    MessageEvent,
    ParseContext,
    ParseResult,
    PresenceEvent,
    QrCodeEvent,
    ReactionEvent,
    StatusEvent,
)
from webhook.parsers._common import edit_events, expected
from webhook.parsers._proto import parse_proto, proto_edit
from webhook.parsers._time import epoch_to_utc
from webhook.parsers._values import as_bool, obj, require_str, seq, text

FAMILY = "wapi"


class WapiParty(TypedDict, total=False):
    id: str
    pushName: str
    profilePicture: str


# Per-kind URL segment (the last path part) -> event name, for bodies without "event".
PATH_EVENTS: dict[str, str] = {
    "received": "webhookReceived",
    "delivery": "webhookDelivery",
    "message-status": "webhookStatus",
    "status": "webhookStatus",
    "connected": "webhookConnected",
    "disconnected": "webhookDisconnected",
    "chat-presence": "webhookPresence",
    "presence": "webhookPresence",
    "qrcode": "webhookQrCode",
}

STATUSES: dict[str, DeliveryStatus] = {
    "PENDING": DeliveryStatus.PENDING,
    "SENT": DeliveryStatus.SENT,
    "SERVER_ACK": DeliveryStatus.SENT,
    "DELIVERY": DeliveryStatus.DELIVERED,
    "DELIVERED": DeliveryStatus.DELIVERED,
    "DELIVERY_ACK": DeliveryStatus.DELIVERED,
    "RECEIVED": DeliveryStatus.DELIVERED,  # the Z-API-style word some W-API plans send
    "READ": DeliveryStatus.READ,
    "PLAYED": DeliveryStatus.PLAYED,
    "ERROR": DeliveryStatus.FAILED,
    "FAILED": DeliveryStatus.FAILED,
    "DELETED": DeliveryStatus.DELETED,
}


# Fields only W-API bodies carry (Z-API spells its time "momment"); used for bodies without
# "event" that reach a per-kind URL.
_BODY_MARKERS = ("moment", "msgContent")


def matches(payload: dict[str, Any]) -> bool:
    if "instanceId" not in payload:
        return False
    event = payload.get("event")
    if isinstance(event, str) and event.startswith("webhook"):
        return True
    return (
        event in (None, "")
        and "type" not in payload  # Z-API callbacks
        and not isinstance(payload.get("key"), dict)  # the README sample shape
        and any(marker in payload for marker in _BODY_MARKERS)
    )


def client_key(payload: dict[str, Any]) -> str:
    return text(payload.get("instanceId")).strip()


def event_name(payload: dict[str, Any], path_event: str = "") -> str:
    event = text(payload.get("event"))
    return event or PATH_EVENTS.get(path_event.lower(), "")


def parse(
    payload: dict[str, Any], *, path_event: str = "", context: ParseContext = DEFAULT_CONTEXT
) -> ParseResult:
    event = event_name(payload, path_event)
    client = client_key(payload)
    handler = _HANDLERS.get(event)
    if handler is None:
        return ParseResult(
            family=FAMILY,
            event_type=event,
            client_key=client,
            ignored_reason=f"W-API event '{event or '?'}' is not handled",
        )
    events = handler(payload, client, event)
    return ParseResult(
        family=FAMILY,
        event_type=event,
        client_key=client,
        events=tuple(events),
        ignored_reason="" if events else f"W-API event '{event}' carried nothing to apply",
        kind_known=True,
    )


def _message(payload: dict[str, Any], client: str, event: str) -> list[Event]:
    message_id = require_str(payload, "messageId", where="messageId")
    chat: WapiParty = obj(payload.get("chat"))  # type: ignore[assignment]
    sender: WapiParty = obj(payload.get("sender"))  # type: ignore[assignment]
    chat_id = require_str(chat, "id", where="chat.id")
    from_me = as_bool(payload.get("fromMe")) or event == "webhookDelivery"
    is_group = as_bool(payload.get("isGroup")) or chat_id.endswith("@g.us")
    content = parse_proto(payload.get("msgContent"))
    timestamp = expected(epoch_to_utc(payload.get("moment")), "moment")
    meta: dict[str, Any] = {"client_key": client, "timestamp": timestamp, "raw": payload}
    sender_id = text(sender.get("id")) or _default_sender(payload, chat_id, from_me, is_group)
    if content.reaction_target:
        return [
            ReactionEvent(
                **meta,
                target_id=content.reaction_target,
                emoji=content.reaction_emoji,
                chat_id=chat_id,
                sender_id=sender_id,
                from_me=from_me,
            )
        ]
    name = text(sender.get("pushName")) or text(sender.get("verifiedBizName"))
    # Who and where, the same for a message and for the message an edit creates.
    people: dict[str, Any] = {
        "chat_name": "" if (is_group or from_me) else name,
        "is_group": is_group,
        "sender_id": sender_id,
        "sender_name": "" if from_me else name,
        "from_me": from_me,
        "status": DeliveryStatus.SENT if from_me else None,
    }
    edited = proto_edit(content)
    if edited is not None:  # a MESSAGE_EDIT protocolMessage: the original's id and new text
        edit = EditEvent(
            **meta,
            target_id=edited[0],
            new_text=edited[1],
            chat_id=chat_id,
        )
        return edit_events(edit, **people)
    return [
        MessageEvent(
            **meta,
            message_id=message_id,
            chat_id=chat_id,
            **people,
            type=content.type,
            text=content.text,
            media=content.media,
            location=content.location,
            contacts=content.contacts,
            quoted_id=content.quoted_id,
            forwarded=content.forwarded,
            subtype=content.kind,
        )
    ]


def _default_sender(payload: dict[str, Any], chat_id: str, from_me: bool, is_group: bool) -> str:
    """No ``sender.id``: our own number for our messages, the chat in a 1:1, else unknown."""
    if from_me:
        return text(payload.get("connectedPhone"))
    return "" if is_group else chat_id


def _status(payload: dict[str, Any], client: str, event: str) -> list[Event]:
    ids = [text(i) for i in seq(payload.get("ids")) if text(i)]
    if not ids:
        ids = [require_str(payload, "messageId", where="messageId")]
    status = expected(
        STATUSES.get(text(payload.get("status")).upper(), DeliveryStatus.UNKNOWN), "status"
    )
    chat_id = text(obj(payload.get("chat")).get("id")) or text(payload.get("phone"))
    timestamp = epoch_to_utc(payload.get("moment"))
    return [
        StatusEvent(
            client_key=client,
            timestamp=timestamp,
            message_id=message_id,
            status=status,
            chat_id=chat_id,
            recipient_id=chat_id,
            raw=payload,
        )
        for message_id in ids
    ]


def _connected(payload: dict[str, Any], client: str, event: str) -> list[Event]:
    return [
        ConnectionEvent(
            client_key=client,
            timestamp=epoch_to_utc(payload.get("moment")),
            state=ConnectionState.OPEN,
            phone=text(payload.get("connectedPhone")),
            raw=payload,
        )
    ]


def _disconnected(payload: dict[str, Any], client: str, event: str) -> list[Event]:
    return [
        ConnectionEvent(
            client_key=client,
            timestamp=epoch_to_utc(payload.get("moment")),
            state=ConnectionState.CLOSED,
            phone=text(payload.get("connectedPhone")),
            reason=text(payload.get("error")),
            raw=payload,
        )
    ]


def _presence(payload: dict[str, Any], client: str, event: str) -> list[Event]:
    chat_id = text(obj(payload.get("chat")).get("id")) or text(payload.get("phone"))
    if not chat_id:
        return []
    return [
        PresenceEvent(
            client_key=client,
            timestamp=epoch_to_utc(payload.get("moment")),
            chat_id=chat_id,
            presence=text(payload.get("status")).lower(),
            raw=payload,
        )
    ]


def _qrcode(payload: dict[str, Any], client: str, event: str) -> list[Event]:
    return [
        QrCodeEvent(
            client_key=client,
            timestamp=epoch_to_utc(payload.get("moment")),
            code=text(payload.get("qrcode")) or text(payload.get("code")),
            image=text(payload.get("base64")),
            raw=payload,
        )
    ]


_HANDLERS = {
    "webhookReceived": _message,
    "webhookDelivery": _message,
    "webhookStatus": _status,
    "webhookMessageStatus": _status,
    "webhookConnected": _connected,
    "webhookDisconnected": _disconnected,
    "webhookPresence": _presence,
    "webhookChatPresence": _presence,
    "webhookQrCode": _qrcode,
}
