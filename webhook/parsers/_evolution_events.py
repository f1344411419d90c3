"""Evolution API: what one delivery shares, and the events that are not messages
(docs/formats.md §6.4): receipts (``messages.update``), deletes (``messages.delete``),
connection (``connection.update`` / ``status.instance``), QR codes (``qrcode.updated``),
contacts and chats (``contacts.upsert|update``, ``chats.upsert``) and presence
(``presence.update``). The family module (``evolution``) routes the events here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict

from webhook.events import (
    ConnectionEvent,
    ConnectionState,
    ContactEvent,
    DeleteEvent,
    DeliveryStatus,
    Event,
    PresenceEvent,
    QrCodeEvent,
    StatusEvent,
)
from webhook.parsers._common import expected
from webhook.parsers._time import epoch_to_utc, iso_to_utc
from webhook.parsers._values import as_bool, is_group_jid, obj, require_str, seq, text


class EvolutionUpdate(TypedDict, total=False):
    """``messages.update`` data: v2 ``keyId`` (``messageId`` is Evolution's DB row id, never
    the WhatsApp id); v1.8 spreads the key (``id``) and adds ``datetime`` in milliseconds."""

    keyId: str
    messageId: str
    id: str
    remoteJid: str
    fromMe: bool
    participant: str
    status: str | int
    datetime: int


class EvolutionConnection(TypedDict, total=False):
    instance: str
    wuid: str  # own JID once connected
    state: str  # open | connecting | close | refused
    statusReason: int  # Baileys DisconnectReason: 200, 401, 428, 515...


# renderStatus.ts, by name and by its numeric (proto WebMessageInfo.Status) value.
STATUSES: dict[str, DeliveryStatus] = {
    "ERROR": DeliveryStatus.FAILED,
    "PENDING": DeliveryStatus.PENDING,
    "SERVER_ACK": DeliveryStatus.SENT,  # one tick: WhatsApp's server has it
    "DELIVERY_ACK": DeliveryStatus.DELIVERED,  # also stamped on every incoming message
    "READ": DeliveryStatus.READ,
    "PLAYED": DeliveryStatus.PLAYED,  # voice / video note played
    "DELETED": DeliveryStatus.DELETED,  # deleted through the API
    "0": DeliveryStatus.FAILED,
    "1": DeliveryStatus.PENDING,
    "2": DeliveryStatus.SENT,
    "3": DeliveryStatus.DELIVERED,
    "4": DeliveryStatus.READ,
    "5": DeliveryStatus.PLAYED,
}


CONNECTION_STATES: dict[str, ConnectionState] = {
    "open": ConnectionState.OPEN,
    "connecting": ConnectionState.CONNECTING,
    "close": ConnectionState.CLOSED,
    "closed": ConnectionState.CLOSED,  # status.instance after a logout
    "refused": ConnectionState.CLOSED,  # QR code limit reached: the session was given up
}


@dataclass(frozen=True, slots=True)
class Delivery:
    """What every event of one delivery shares."""

    client: str
    own_jid: str  # envelope "sender": the connected number
    time: datetime | None  # envelope date_time in UTC: the fallback event time


def items(data: Any) -> list[dict[str, Any]]:
    """One object or an array of them; other values (and non-object items) give nothing."""
    if isinstance(data, dict):
        return [data]
    return [item for item in seq(data) if isinstance(item, dict)]


def meta(delivery: Delivery, timestamp: datetime | None, raw: Any) -> dict[str, Any]:
    """The fields every event shares."""
    return {"client_key": delivery.client, "timestamp": timestamp, "raw": raw}


def delivery_status(value: Any) -> DeliveryStatus | None:
    name = text(value).strip().upper()
    return expected(STATUSES.get(name, DeliveryStatus.UNKNOWN), "data.status") if name else None


def receipts(data: Any, delivery: Delivery) -> tuple[list[Event], str]:
    events: list[Event] = []
    for item in items(data):
        update: EvolutionUpdate = item  # type: ignore[assignment]
        v1 = "id" in update or "datetime" in update or "owner" in update
        id_field = "id" if v1 and "keyId" not in update else "keyId"
        message_id = require_str(item, id_field, where=f"data.{id_field}")
        status = delivery_status(update.get("status"))
        if status is None:  # e.g. a poll update: no receipt to apply
            continue
        chat_id = text(update.get("remoteJid")).strip()
        # Our message: who received it (2.2.x sets participant = remoteJid); theirs: ourselves.
        recipient = text(update.get("participant")).strip() or chat_id
        timestamp = epoch_to_utc(update.get("datetime")) or delivery.time  # v1 only: ms
        events.append(
            StatusEvent(
                **meta(delivery, timestamp, item),
                message_id=message_id,
                status=status,
                chat_id=chat_id,
                recipient_id=recipient if as_bool(update.get("fromMe")) else delivery.own_jid,
            )
        )
    return events, "no status in data"


def deletes(data: Any, delivery: Delivery) -> tuple[list[Event], str]:
    events: list[Event] = []
    for item in items(data):
        key = obj(item.get("key"))  # API delete: the stored message, whose own "id" is a DB id
        where = "data.key.id" if key else "data.id"
        key = key or item  # revoke: the bare Baileys key
        target = require_str(key, "id", where=where)
        chat_id = text(key.get("remoteJid")).strip()
        events.append(
            DeleteEvent(**meta(delivery, delivery.time, item), target_id=target, chat_id=chat_id)
        )
    return events, "no message key in data"


def connection_events(data: Any, delivery: Delivery) -> tuple[list[Event], str]:
    """connection.update {state, wuid, statusReason}; status.instance {status, ...ReasonCode}."""
    events: list[Event] = []
    for item in items(data):
        conn: EvolutionConnection = item  # type: ignore[assignment]
        state = (text(conn.get("state")) or text(item.get("status"))).strip().lower()
        reason = item.get("statusReason", item.get("disconnectionReasonCode"))
        timestamp = iso_to_utc(item.get("disconnectionAt")) or delivery.time  # a real UTC ISO
        events.append(
            ConnectionEvent(
                **meta(delivery, timestamp, item),
                state=CONNECTION_STATES.get(state, ConnectionState.UNKNOWN),
                phone=text(conn.get("wuid")).strip(),
                reason=text(reason),
            )
        )
    return events, "no connection state in data"


def qrcode_events(data: Any, delivery: Delivery) -> tuple[list[Event], str]:
    item = obj(data)
    qrcode = obj(item.get("qrcode"))
    if not qrcode:  # {message: "QR code limit reached, please login again", statusCode}
        return [], text(item.get("message")) or "no qrcode in data"
    code, image = text(qrcode.get("code")), text(qrcode.get("base64"))
    return [QrCodeEvent(**meta(delivery, delivery.time, item), code=code, image=image)], ""


def contact_events(data: Any, delivery: Delivery) -> tuple[list[Event], str]:
    """contacts.upsert / contacts.update {remoteJid, pushName}; chats.upsert {remoteJid, name}."""
    events: list[Event] = []
    for item in items(data):
        contact_id = text(item.get("remoteJid")).strip() or require_str(item, "id", where="data.id")
        events.append(
            ContactEvent(
                **meta(delivery, delivery.time, item),
                contact_id=contact_id,
                name=text(item.get("pushName")) or text(item.get("name")),
                is_group=is_group_jid(contact_id),
            )
        )
    return events, "no contact in data"


def presence_events(data: Any, delivery: Delivery) -> tuple[list[Event], str]:
    """presence.update {id, presences: {<jid>: {lastKnownPresence, lastSeen?}}}."""
    events: list[Event] = []
    for jid, state in obj(obj(data).get("presences")).items():
        presence = text(obj(state).get("lastKnownPresence"))
        events.append(
            PresenceEvent(**meta(delivery, delivery.time, state), chat_id=jid, presence=presence)
        )
    return events, "no presences in data"
