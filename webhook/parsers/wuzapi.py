"""Wuzapi (asternic/wuzapi, whatsmeow): docs/formats.md §13.

Wuzapi posts a form by default (``application/x-www-form-urlencoded``, multipart when a file
is attached) whose ``jsonData`` field is the JSON of the event; with ``WEBHOOK_FORMAT=json`` it
posts that JSON itself. The shared decode path (``webhook.validators``) turns a form into the
JSON of ``jsonData`` with the other fields (``token``, ``userID``, ``instanceName``) beside it,
so this parser reads one shape: ``{type, event, state?, base64?, mimeType?, fileName?, s3?,
instanceName?, userID?, token?}`` where ``event`` is the whatsmeow event marshalled by Go
(``Info{Chat, Sender, IsFromMe, ID, Timestamp (RFC 3339 with the server's offset), ...}``,
``Message`` = the proto with Go field names, read through ``_proto.whatsmeow_message``).

The client is ``instanceName`` (the Wuzapi user's name), else ``userID``. Older Wuzapi forms
carry neither, only the user ``token``: then the token says whose delivery it is
(``webhook.authentication``). Optional ``x-hmac-signature``: :func:`verify_signature`.

Decisions where the vendor's docs are silent (each one pinned by a test):
  * Message ids are whatsmeow's bare ``Info.ID`` (stored as sent); receipts give one
    StatusEvent per ``MessageIDs[]`` item; ``state`` Delivered / Read / ReadSelf (ReadSelf = we
    read *their* message on another device: read, recipient_id "").
  * ``protocolMessage`` REVOKE (0) -> DeleteEvent; MESSAGE_EDIT (14) -> the message itself,
    created with the edited text when the original never arrived, plus an EditEvent (as
    Z-API's edits); any other protocol type carries nothing to apply.
  * Media: ``s3.url`` (Wuzapi's S3 copy) first, else the encrypted CDN ``URL`` with the key to
    decrypt it; the file name is the proto's ``fileName`` (documents), never Wuzapi's own
    ``fileName`` (``<ID>.<ext>`` of its temporary copy); inline ``base64`` is only flagged.
  * ``Presence`` -> available / unavailable (offline events take ``LastSeen`` as their time);
    ``ChatPresence`` -> composing / paused, ``recording`` when ``Media`` is ``audio``.
  * ``Connected`` / ``PairSuccess`` -> open (PairSuccess' device JID ``<n>:<device>@...``
    without the device as phone); ``LoggedOut``, ``QRTimeout``, ``ConnectFailure`` -> closed;
    ``QR`` -> QrCodeEvent with the ``qrCodeBase64`` image (Wuzapi sends no raw code).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
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
    MessageType,
    ParseContext,
    ParseResult,
    PresenceEvent,
    QrCodeEvent,
    ReactionEvent,
    StatusEvent,
)
from webhook.exceptions import PayloadError
from webhook.parsers._common import edit_events, expected
from webhook.parsers._proto import (
    EDIT_TYPES,
    REVOKE_TYPES,
    ProtoContent,
    parse_proto,
    unwrap_proto,
    whatsmeow_message,
)
from webhook.parsers._time import iso_to_utc
from webhook.parsers._values import as_bool, is_group_jid, obj, require_str, seq, text

FAMILY = "wuzapi"


class Delivery(TypedDict, total=False):
    type: str  # Message | ReadReceipt | Presence | ChatPresence | HistorySync | Connected | ...
    event: dict[str, Any] | str  # the whatsmeow event (a string for QR / ConnectFailure)
    state: str  # receipts: Delivered | Read | ReadSelf; presences: online | offline
    base64: str  # downloaded media, inline
    mimeType: str
    fileName: str  # "<Info.ID>.<ext>" of Wuzapi's temporary copy
    s3: dict[str, Any]  # {url, key, bucket, ...} when S3 delivery is on
    qrCodeBase64: str  # QR: "data:image/png;base64,..."
    instanceName: str  # the Wuzapi user's name (newer versions; JSON mode and forms)
    userID: str
    token: str  # the user's token (older forms; masked when stored)


class MessageInfo(TypedDict, total=False):
    Chat: str
    Sender: str
    SenderAlt: str  # the phone JID of an @lid sender (or the reverse)
    IsFromMe: bool
    IsGroup: bool
    ID: str
    Type: str  # text | media | reaction | poll ...
    PushName: str
    Timestamp: str  # RFC 3339 with the server's offset
    MediaType: str  # image | ptt | document | ...
    Edit: str  # "1" edit, "7" sender revoke, "8" admin revoke


# Known delivery types; an object ``event`` with any other type is Wuzapi's too.
TYPES = frozenset(
    {
        "Message",
        "ReadReceipt",
        "Presence",
        "ChatPresence",
        "HistorySync",
        "Connected",
        "PairSuccess",
        "LoggedOut",
        "QR",
        "QRTimeout",
        "ConnectFailure",
    }
)
RECEIPT_STATES: dict[str, DeliveryStatus] = {
    "delivered": DeliveryStatus.DELIVERED,
    "read": DeliveryStatus.READ,
    "readself": DeliveryStatus.READ,  # we read their message (recipient_id "")
    "played": DeliveryStatus.PLAYED,
}
PRESENCES = {"online": "available", "offline": "unavailable"}


def matches(payload: dict[str, Any]) -> bool:
    """``type`` a string and ``event`` the whatsmeow event: an object (or, for QR and
    connection failures, a string with a known type). No ``instanceId``/``session``: those
    are Z-API's, W-API's, WAHA's and WPPConnect's."""
    kind, event = payload.get("type"), payload.get("event")
    if not isinstance(kind, str) or "instanceId" in payload or "session" in payload:
        return False
    return isinstance(event, dict) or (isinstance(event, str) and kind in TYPES)


def client_key(payload: dict[str, Any]) -> str:
    return text(payload.get("instanceName")).strip() or text(payload.get("userID")).strip()


def verify_signature(body: bytes, signature: str, key: str, fields: dict[str, str] | None) -> bool:
    """``x-hmac-signature``: hex HMAC-SHA256 keyed with the user's HMAC key, over the raw body
    (JSON mode; docs/formats.md §13.1 also says form mode) or, as Wuzapi's current helpers.go signs
    form posts, over Go's ``json.Marshal`` of the form fields (``fields``, sorted keys)."""
    if not key or not isinstance(signature, str) or not signature.strip():
        return False
    given = signature.strip().lower().removeprefix("sha256=").encode()
    candidates = [body]
    if fields is not None:
        candidates.append(go_json(fields))
    return any(
        hmac.compare_digest(hmac.new(key.encode(), c, hashlib.sha256).hexdigest().encode(), given)
        for c in candidates
    )


def go_json(fields: dict[str, str]) -> bytes:
    """Go's ``json.Marshal`` of a ``map[string]string``: sorted keys, no spaces, UTF-8, and
    ``<``, ``>``, ``&``, U+2028, U+2029 escaped as ``\\u00XX`` (HTML-safe)."""
    encoded = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    for char, escape in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        encoded = encoded.replace(char, escape)
    return encoded.encode("utf-8", "surrogatepass")


class _Delivery:
    def __init__(self, payload: dict[str, Any]) -> None:
        self.payload = payload
        self.client = client_key(payload)
        self.event = obj(payload.get("event"))

    def base(self, raw: Any, when: datetime | None) -> dict[str, Any]:
        return {"client_key": self.client, "timestamp": when, "raw": raw}


def _media(content: ProtoContent, d: _Delivery) -> Any:
    media = content.media
    if media is None:
        return None
    s3_url = text(obj(d.payload.get("s3")).get("url"))
    inline = isinstance(d.payload.get("base64"), str) and bool(d.payload.get("base64"))
    return replace(
        media,
        url=s3_url or media.url,
        mimetype=media.mimetype or text(d.payload.get("mimeType")),
        has_inline_data=inline,
    )


def _message(d: _Delivery) -> list[Event]:
    info = obj(d.event.get("Info"))
    message_id = require_str(info, "ID", where="event.Info.ID")
    chat_id = require_str(info, "Chat", where="event.Info.Chat")
    from_me = as_bool(info.get("IsFromMe"))
    is_group = as_bool(info.get("IsGroup")) or is_group_jid(chat_id)
    sender = text(info.get("Sender")) or ("" if is_group else chat_id)
    when = expected(iso_to_utc(info.get("Timestamp")), "event.Info.Timestamp")
    message = whatsmeow_message(d.event.get("Message"))
    content = parse_proto(message)
    common = {"chat_id": chat_id, "from_me": from_me}
    if content.type is MessageType.REACTION:
        if not content.reaction_target:
            raise PayloadError(
                "missing 'event.Message.reactionMessage.key.ID'",
                field="event.Message.reactionMessage.key.ID",
            )
        reaction = ReactionEvent(
            **d.base(d.event, when),
            target_id=content.reaction_target,
            emoji=content.reaction_emoji,  # "" = the reaction was removed
            sender_id=sender,
            **common,
        )
        return [reaction]
    name = text(info.get("PushName"))
    fields = {
        "chat_name": "" if is_group or from_me else name,
        "is_group": is_group,
        "sender_id": sender,
        "sender_name": name,
        "sender_alt_id": text(info.get("SenderAlt")),
        **common,
    }
    if content.type is MessageType.SYSTEM:
        return _protocol(d, message, when, fields)
    kind = content.kind or text(info.get("MediaType")) or text(info.get("Type"))
    event = MessageEvent(
        **d.base(d.event, when),
        message_id=message_id,
        type=content.type,
        text=content.text,
        media=_media(content, d),
        location=content.location,
        contacts=content.contacts,
        quoted_id=content.quoted_id,
        forwarded=content.forwarded,
        subtype=kind,
        extra={"view_once": as_bool(d.event.get("IsViewOnce"))},
        **fields,
    )
    return [event]


def _protocol(
    d: _Delivery, message: dict[str, Any], when: datetime | None, fields: dict[str, Any]
) -> list[Event]:
    """REVOKE -> DeleteEvent; MESSAGE_EDIT -> the message (edited) and an EditEvent."""
    proto = obj(unwrap_proto(message).get("protocolMessage"))
    kind = text(proto.get("type")).strip().upper()
    is_edit = kind in EDIT_TYPES or (not kind and isinstance(proto.get("editedMessage"), dict))
    if kind not in REVOKE_TYPES and not is_edit:
        return []
    target = require_str(obj(proto.get("key")), "id", where="event.Message.protocolMessage.key.ID")
    chat_id = fields["chat_id"]
    if not is_edit:
        return [DeleteEvent(**d.base(d.event, when), target_id=target, chat_id=chat_id)]
    edited = parse_proto(proto.get("editedMessage"))
    edit = EditEvent(
        **d.base(d.event, when), target_id=target, new_text=edited.text, chat_id=chat_id
    )
    message = {name: value for name, value in fields.items() if name != "chat_id"}
    kind = {"type": edited.type, "subtype": edited.kind} if edited.kind else {}
    return edit_events(edit, **kind, **message)


def _receipt(d: _Delivery) -> list[Event]:
    """{Chat, Sender (the reader), IsFromMe, MessageIDs[], Timestamp, Type} + state."""
    state = text(d.payload.get("state")).strip()
    status = expected(RECEIPT_STATES.get(state.lower(), DeliveryStatus.UNKNOWN), "state")
    chat_id = text(d.event.get("Chat"))
    own_read = state.lower() == "readself" or as_bool(d.event.get("IsFromMe"))
    recipient = "" if own_read else text(d.event.get("Sender")) or chat_id
    when = iso_to_utc(d.event.get("Timestamp"))
    events: list[Event] = []
    for message_id in seq(d.event.get("MessageIDs")):
        if text(message_id).strip():
            events.append(
                StatusEvent(
                    **d.base(d.event, when),
                    message_id=text(message_id).strip(),
                    status=status,
                    chat_id=chat_id,
                    recipient_id=recipient,
                )
            )
    return events


def _presence(d: _Delivery) -> list[Event]:
    """{From, Unavailable, LastSeen} + state online | offline."""
    chat_id = text(d.event.get("From"))
    state = text(d.payload.get("state")).strip().lower()
    if not state:
        state = "offline" if as_bool(d.event.get("Unavailable")) else "online"
    when = iso_to_utc(d.event.get("LastSeen")) if state == "offline" else None
    if not chat_id:
        return []
    presence = PresenceEvent(
        **d.base(d.event, when), chat_id=chat_id, presence=PRESENCES.get(state, state)
    )
    return [presence]


def _chat_presence(d: _Delivery) -> list[Event]:
    """{Chat, Sender, IsGroup, State: composing | paused, Media: "" | audio}."""
    chat_id = text(d.event.get("Sender")) or text(d.event.get("Chat"))
    state = text(d.event.get("State")).strip().lower()
    if state == "composing" and text(d.event.get("Media")).strip().lower() == "audio":
        state = "recording"
    if not chat_id or not state:
        return []
    return [PresenceEvent(**d.base(d.event, None), chat_id=chat_id, presence=state)]


def _connection(state: ConnectionState, reason: str = "") -> Callable[[_Delivery], list[Event]]:
    def handler(d: _Delivery) -> list[Event]:
        phone = text(d.event.get("ID"))
        user, _, server = phone.partition("@")
        phone = f"{user.split(':', 1)[0]}@{server}" if server else phone  # no device part
        why = reason or text(d.payload.get("error")) or text(d.payload.get("type"))
        event = ConnectionEvent(**d.base(d.payload, None), state=state, phone=phone, reason=why)
        return [event]

    return handler


def _qr(d: _Delivery) -> list[Event]:
    image = text(d.payload.get("qrCodeBase64")).strip()
    return [QrCodeEvent(**d.base(d.payload, None), image=image)] if image else []


# Wuzapi type -> handler; every other type is ignored with a reason.
_HANDLERS: dict[str, Callable[[_Delivery], list[Event]]] = {
    "Message": _message,
    "ReadReceipt": _receipt,
    "Presence": _presence,
    "ChatPresence": _chat_presence,
    "Connected": _connection(ConnectionState.OPEN, "Connected"),
    "PairSuccess": _connection(ConnectionState.OPEN, "PairSuccess"),
    "LoggedOut": _connection(ConnectionState.CLOSED, "LoggedOut"),
    "QRTimeout": _connection(ConnectionState.CLOSED, "QRTimeout"),
    "ConnectFailure": _connection(ConnectionState.CLOSED),
    "QR": _qr,
}


def parse(
    payload: dict[str, Any], *, path_event: str = "", context: ParseContext = DEFAULT_CONTEXT
) -> ParseResult:
    delivery = _Delivery(payload)
    kind = text(payload.get("type")).strip() or path_event
    handler = _HANDLERS.get(kind)
    events = handler(delivery) if handler else []
    if handler is None:
        reason = f"Wuzapi event '{kind}' is not handled"
    else:
        reason = "" if events else f"no usable item in the '{kind}' payload"
    return ParseResult(
        family=FAMILY,
        event_type=kind,
        client_key=delivery.client,
        events=tuple(events),
        ignored_reason=reason,
    )
