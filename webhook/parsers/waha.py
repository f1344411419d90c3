"""WAHA (devlikeapro/waha; engines WEBJS, NOWEB, GOWS): docs/formats.md §10.

Every delivery is one envelope ``{id, timestamp (ms), event, session, metadata, me, payload,
engine, environment}``; ``session`` is the client. Message ids are WAHA's serialized form
``<fromMe>_<chat>_<waId>[_<participant>]`` and are stored exactly as sent.

Decisions where the vendor's docs are silent (each one pinned by a test):
  * ``message`` and ``message.any`` are parsed alike (an inbound message subscribed to both
    arrives twice with the same id: the processor's upsert absorbs it).
  * Message type: ``_data.type`` (WEBJS) or ``_data.Info.MediaType`` (GOWS) first, then the
    Baileys proto in ``_data.message`` (NOWEB), then location / vCards / media mimetype / body.
  * Bare WhatsApp ids (``replyTo.id``, ``editedMessageId``, ``revokedMessageId``) are rebuilt
    into the serialized form so they match stored message ids; serialized ones are kept as is.
    Edits borrow fromMe/chat/participant from the edit's own ``id``; revokes prefer
    ``before.id`` (the original message) then rebuild from ``after.id``; replies are ours when
    ``replyTo.participant`` is ``me.id``/``me.lid`` and carry the participant in groups.
  * Times: the payload's own ``timestamp`` (s; for revokes ``after.timestamp``) first, else the
    envelope ``timestamp`` (ms, when WAHA emitted the event). ``message.ack`` carries no ack
    time, so its status time is the envelope's; so are ``session.status`` and presences.
  * ``message.ack``: recipient_id = participant (group receipts) or the chat for our own
    messages, "" for theirs; ack -1 gives ``error`` = ackName ("ERROR").
  * ``presence.update``: one PresenceEvent per ``presences[]`` item, chat_id = participant
    (as the Evolution parser does); WAHA's online/offline/typing map to Baileys' words.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
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
from webhook.exceptions import PayloadError
from webhook.parsers._common import edit_events, expected
from webhook.parsers._time import epoch_to_utc
from webhook.parsers._values import (
    as_bool,
    as_int,
    is_group_jid,
    obj,
    require_str,
    seq,
    text,
)
from webhook.parsers._waha_content import message_content
from webhook.parsers._webjs import (
    WEBJS_ACK_NAMES,
    WEBJS_ACKS,
    is_serialized_id,
    rebuild_serialized_id,
)

FAMILY = "waha"


class Envelope(TypedDict, total=False):
    id: str  # "evt_01..."
    timestamp: int  # milliseconds: when WAHA emitted the event
    event: str
    session: str  # the client
    metadata: dict[str, str]
    me: dict[str, str]  # {id: "<n>@c.us", pushName, lid?}
    payload: dict[str, Any]
    engine: str  # WEBJS | NOWEB | GOWS
    environment: dict[str, str]


class WAMessage(TypedDict, total=False):
    id: str  # "false_5511987654321@c.us_3A1B..." (verbatim)
    timestamp: int  # seconds
    from_: str  # key "from": the chat, except for our own messages
    fromMe: bool
    source: str  # "app" | "api"
    to: str  # the chat for our own messages
    participant: str | None  # group author
    author: str | None  # group author (WEBJS)
    body: str  # text or media caption (a vCard / base64 thumbnail for vcard / location)
    hasMedia: bool
    media: dict[str, Any] | None  # {url, mimetype, filename, s3?, error?}
    mediaUrl: str  # deprecated twin of media.url
    ack: int  # -1..4
    ackName: str
    location: dict[str, Any]  # {description, latitude, longitude} (strings)
    vCards: list[str]
    replyTo: dict[str, Any] | None  # {id (bare waId), participant, body}
    _data: dict[str, Any]  # engine raw: WEBJS message model / NOWEB proto / GOWS event


# whatsapp-web.js' acks (shared with WPPConnect and UltraMsg: _webjs); its type words and the
# engines' message contents: _waha_content.
ACKS = WEBJS_ACKS
ACK_NAMES = WEBJS_ACK_NAMES

CONNECTION_STATES: dict[str, ConnectionState] = {
    "WORKING": ConnectionState.OPEN,
    "STARTING": ConnectionState.CONNECTING,
    "SCAN_QR_CODE": ConnectionState.QR_REQUIRED,
    "STOPPED": ConnectionState.CLOSED,
    "FAILED": ConnectionState.CLOSED,  # gave up: needs a restart or a new login
}

# WAHA presence words -> the Baileys words PresenceEvent uses; others kept lower-cased.
PRESENCES = {"online": "available", "offline": "unavailable", "typing": "composing"}

HMAC_ALGORITHMS = {"sha512": hashlib.sha512, "sha256": hashlib.sha256}


def verify_hmac(body: bytes, header_value: str, key: str, algorithm: str = "sha512") -> bool:
    """``X-Webhook-Hmac``: hex HMAC of the raw body; only sha512/sha256 are accepted."""
    digest = HMAC_ALGORITHMS.get(text(algorithm).strip().lower() or "sha512")
    if digest is None or not key or not isinstance(header_value, str) or not header_value:
        return False
    expected = hmac.new(key.encode(), body, digest).hexdigest()
    return hmac.compare_digest(expected.encode(), header_value.strip().lower().encode())


def matches(payload: dict[str, Any]) -> bool:
    return isinstance(payload.get("event"), str) and "session" in payload and "payload" in payload


def client_key(payload: dict[str, Any]) -> str:
    return text(payload.get("session")).strip()


class _Delivery:
    """What every event of one envelope shares."""

    def __init__(self, envelope: dict[str, Any]) -> None:
        self.client = client_key(envelope)
        self.time = epoch_to_utc(envelope.get("timestamp"))  # ms: when WAHA emitted it
        me = obj(envelope.get("me"))
        self.me_id, self.me_name = text(me.get("id")), text(me.get("pushName"))
        self.own_ids = {i for i in (self.me_id, text(me.get("lid"))) if i}
        self.engine = text(envelope.get("engine"))

    def base(self, raw: Any, when: Any = None) -> dict[str, Any]:
        """client_key, timestamp (the payload's own time, else the envelope's) and raw."""
        return {"client_key": self.client, "timestamp": epoch_to_utc(when) or self.time, "raw": raw}


_is_serialized = is_serialized_id
_rebuild = rebuild_serialized_id


def _chat(p: dict[str, Any]) -> str:
    return text(p.get("to")) if as_bool(p.get("fromMe")) else text(p.get("from"))


def _author(p: dict[str, Any], chat_id: str, d: _Delivery) -> str:
    if as_bool(p.get("fromMe")):
        return d.me_id
    if is_group_jid(chat_id):
        return text(p.get("participant")) or text(p.get("author"))
    return chat_id


def _quoted(p: dict[str, Any], chat_id: str, d: _Delivery) -> str:
    """replyTo.id is the bare waId: serialized with the quoted author (ours or theirs)."""
    reply = obj(p.get("replyTo"))
    quoted, participant = text(reply.get("id")), text(reply.get("participant"))
    if not quoted or _is_serialized(quoted) or not participant:
        return quoted
    mine = "true" if participant in d.own_ids else "false"
    return f"{mine}_{chat_id}_{quoted}" + (f"_{participant}" if is_group_jid(chat_id) else "")


def _status(p: dict[str, Any]) -> DeliveryStatus | None:
    ack = as_int(p.get("ack"))
    if ack is None:
        ack = ACK_NAMES.get(text(p.get("ackName")).upper())
    return None if ack is None else ACKS.get(ack, DeliveryStatus.UNKNOWN)


def _message(p: dict[str, Any], d: _Delivery) -> list[Event]:
    message_id = require_str(p, "id", where="payload.id")
    data = obj(p.get("_data"))
    key = obj(data.get("key"))  # NOWEB: the Baileys key, with the @lid alternates
    from_me = as_bool(p.get("fromMe"))
    chat_id = require_str(
        p,
        "to" if as_bool(p.get("fromMe")) else "from",
        where="payload.to" if as_bool(p.get("fromMe")) else "payload.from",
    )
    is_group = is_group_jid(chat_id)
    name = d.me_name if from_me else text(data.get("notifyName")) or text(data.get("pushName"))
    alt = text(key.get("remoteJidAlt")) or text(key.get("senderPn"))
    sender_alt = text(key.get("participantAlt")) or text(key.get("participantPn"))
    expected(epoch_to_utc(p.get("timestamp")), "payload.timestamp")
    event = MessageEvent(
        **d.base(p, p.get("timestamp")),
        message_id=message_id,
        chat_id=chat_id,
        chat_name="" if is_group or from_me else name,
        chat_alt_id="" if is_group else alt,
        is_group=is_group,
        sender_id=_author(p, chat_id, d),
        sender_name=name,
        sender_alt_id=sender_alt if is_group else ("" if from_me else alt),
        from_me=from_me,
        quoted_id=_quoted(p, chat_id, d),
        forwarded=as_bool(data.get("isForwarded")),
        status=_status(p),
        extra={"engine": d.engine, "source": text(p.get("source"))},
        **message_content(p, data),
    )
    return [event]


def _ack(p: dict[str, Any], d: _Delivery) -> list[Event]:
    """{id, from, to, participant, fromMe, ack, ackName}: no ack time, the envelope's stands in."""
    status = expected(_status(p) or DeliveryStatus.UNKNOWN, "payload.ack")
    chat_id = _chat(p)
    recipient = (text(p.get("participant")) or chat_id) if as_bool(p.get("fromMe")) else ""
    event = StatusEvent(
        **d.base(p),
        message_id=require_str(p, "id", where="payload.id"),
        status=status,
        chat_id=chat_id,
        recipient_id=recipient,
        error=(text(p.get("ackName")) or "ERROR") if status is DeliveryStatus.FAILED else "",
    )
    return [event]


def _reaction(p: dict[str, Any], d: _Delivery) -> list[Event]:
    """{id, from, to, fromMe, participant, timestamp, reaction{text, messageId}}."""
    reaction = obj(p.get("reaction"))
    chat_id = _chat(p)
    event = ReactionEvent(
        **d.base(p, p.get("timestamp")),
        target_id=require_str(reaction, "messageId", where="payload.reaction.messageId"),
        emoji=text(reaction.get("text")),  # "" = reaction removed
        chat_id=chat_id,
        sender_id=_author(p, chat_id, d),
        from_me=as_bool(p.get("fromMe")),
    )
    return [event]


def _revoked(p: dict[str, Any], d: _Delivery) -> list[Event]:
    """{revokedMessageId? (bare), before? (the original message), after? (the revoke)}."""
    before, after = obj(p.get("before")), obj(p.get("after"))
    revoked, before_id = text(p.get("revokedMessageId")), text(before.get("id"))
    if revoked and not _is_serialized(revoked):
        revoked = before_id or _rebuild(text(after.get("id")), revoked) or revoked
    target = revoked or before_id or text(after.get("id"))
    if not target:
        raise PayloadError("missing 'payload.revokedMessageId'", field="payload.revokedMessageId")
    chat_id = _chat(before or after)
    return [DeleteEvent(**d.base(p, after.get("timestamp")), target_id=target, chat_id=chat_id)]


def _edited(p: dict[str, Any], d: _Delivery) -> list[Event]:
    """A message-like payload: the new ``body`` plus the edited ``editedMessageId`` (bare).

    With its chat (``from``/``to``) it also carries the message as edited, created if the
    original never arrived (``_common.edit_events``); the forks' ``{id, newBody, prevBody}``
    names no chat and is parked until the original arrives."""
    target = require_str(p, "editedMessageId", where="payload.editedMessageId")
    if not _is_serialized(target):
        target = _rebuild(text(p.get("id")), target) or target
    chat_id = _chat(p)
    event = EditEvent(
        **d.base(p, p.get("timestamp")),
        target_id=target,
        new_text=text(p.get("body")) or text(p.get("newBody")),  # newBody: WAHA-based forks
        chat_id=chat_id,
    )
    from_me = as_bool(p.get("fromMe"))
    data = obj(p.get("_data"))
    name = d.me_name if from_me else text(data.get("notifyName")) or text(data.get("pushName"))
    is_group = is_group_jid(chat_id)
    return edit_events(
        event,
        chat_name="" if is_group or from_me else name,
        is_group=is_group,
        sender_id=_author(p, chat_id, d),
        sender_name=name,
        from_me=from_me,
        extra={"engine": d.engine, "source": text(p.get("source"))},
    )


def _session_status(p: dict[str, Any], d: _Delivery) -> list[Event]:
    """{name, status: STOPPED | STARTING | SCAN_QR_CODE | WORKING | FAILED}."""
    status = text(p.get("status")).strip()
    state = CONNECTION_STATES.get(status.upper(), ConnectionState.UNKNOWN)
    return [ConnectionEvent(**d.base(p), state=state, phone=d.me_id, reason=status)]


def _presence(p: dict[str, Any], d: _Delivery) -> list[Event]:
    """{id: chat, presences: [{participant, lastKnownPresence, lastSeen?}]}."""
    items = p.get("presences")
    if isinstance(items, dict):  # Baileys' own shape {<jid>: {lastKnownPresence}}
        items = [{**obj(state), "participant": jid} for jid, state in items.items()]
    events: list[Event] = []
    for item in map(obj, seq(items)):
        chat_id = text(item.get("participant")) or text(p.get("id"))
        word = text(item.get("lastKnownPresence")).strip().lower()
        if chat_id and word:
            presence = PRESENCES.get(word, word)
            events.append(PresenceEvent(**d.base(item), chat_id=chat_id, presence=presence))
    return events


# WAHA event -> handler; every other event is ignored with a reason.
_HANDLERS: dict[str, Callable[[dict[str, Any], _Delivery], list[Event]]] = {
    "message": _message,
    "message.any": _message,  # also our own messages (fromMe true)
    "message.ack": _ack,
    "message.reaction": _reaction,
    "message.revoked": _revoked,
    "message.edited": _edited,
    "session.status": _session_status,
    "presence.update": _presence,
}


def parse(
    payload: dict[str, Any], *, path_event: str = "", context: ParseContext = DEFAULT_CONTEXT
) -> ParseResult:
    delivery = _Delivery(payload)
    event_name = text(payload.get("event")).strip() or path_event
    handler = _HANDLERS.get(event_name)
    events = handler(obj(payload.get("payload")), delivery) if handler else []
    if handler is None:
        reason = f"WAHA event '{event_name}' is not handled"
    else:
        reason = "" if events else f"no usable item in the '{event_name}' payload"
    return ParseResult(
        family=FAMILY,
        event_type=event_name,
        client_key=delivery.client,
        events=tuple(events),
        ignored_reason=reason,
        kind_known=handler is not None,
    )
