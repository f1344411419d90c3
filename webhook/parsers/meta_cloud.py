"""Meta WhatsApp Cloud API (official): docs/formats.md §5.

One POST is ``{"object": "whatsapp_business_account", "entry": [...]}``; every entry (a WABA)
holds ``changes``, every change a ``field`` and a ``value`` whose ``metadata.phone_number_id``
is the client. ``field: "messages"`` carries ``messages[]``, ``statuses[]`` and/or out-of-band
``errors[]``; ``field: "smb_message_echoes"`` carries ``message_echoes[]`` (messages the business
sent from the WhatsApp Business app). Every level is walked, in payload order.

Decisions where Meta's docs are silent (each one pinned by a test):
  * the profile name of ``value.contacts[]`` is matched on ``wa_id``; when it matches no one and
    there is exactly one contact, that contact is the sender (``wa_id`` "may not always match").
  * a group status (``recipient_type: "group"``) keeps the group in ``chat_id`` and the
    participant in ``recipient_id``.
  * ``StatusEvent.error`` is filled from ``errors[0]`` whatever the status (only ``failed``
    carries errors in practice); details are preferred over ``message``, which repeats the title.
  * echoes carry no initial status (Meta reports none) and no profile name for the sender.

Also the two pure checks the HTTP layer runs before ``json.loads``: :func:`verify_signature`
(``X-Hub-Signature-256`` over the raw bytes) and :func:`verify_handshake` (the GET challenge).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict

from webhook.events import (
    DEFAULT_CONTEXT,
    Contact,
    DeliveryStatus,
    Event,
    Location,
    Media,
    MessageEvent,
    MessageType,
    ParseContext,
    ParseResult,
    ReactionEvent,
    StatusEvent,
)
from webhook.parsers._common import expected
from webhook.parsers._time import epoch_to_utc
from webhook.parsers._values import as_bool, as_float, obj, require_str, seq, text

FAMILY = "meta_cloud"
OBJECT = "whatsapp_business_account"


class RawError(TypedDict, total=False):
    code: int
    title: str
    message: str
    error_data: dict[str, str]  # {"details": …}
    href: str


# "from" is a keyword, hence the functional syntax.
RawMessage = TypedDict(
    "RawMessage",
    {
        "from": str,  # inbound: the customer's wa_id; echoes: our display number
        "to": str,  # echoes only: the customer
        "id": str,  # "wamid.…", the dedupe key
        "timestamp": str,  # Unix seconds as a string
        "type": str,  # text, image, …; the key of that name holds the content
        "context": dict[str, Any],  # {from, id, forwarded?, frequently_forwarded?}
        "referral": dict[str, Any],  # Click-to-WhatsApp ad
        "errors": list[RawError],  # on unsupported messages
    },
    total=False,
)


class RawStatus(TypedDict, total=False):
    id: str  # wamid of OUR message
    status: str  # sent, delivered, read, played, failed (deleted in old payloads)
    timestamp: str
    recipient_id: str  # the customer (or the group for group statuses)
    recipient_participant_id: str
    errors: list[RawError]


class Metadata(TypedDict, total=False):
    display_phone_number: str  # our own number, as displayed (BR numbers may lack the 9th digit)
    phone_number_id: str  # the client: one per business phone number


class ChangeValue(TypedDict, total=False):
    messaging_product: str  # "whatsapp"
    metadata: Metadata
    contacts: list[dict[str, Any]]  # [{"profile": {"name"}, "wa_id"}], absent on system/statuses
    messages: list[RawMessage]
    message_echoes: list[RawMessage]  # field "smb_message_echoes"
    statuses: list[RawStatus]
    errors: list[RawError]  # out-of-band errors (e.g. 130429 rate limit)


# Meta's message type -> normalised type (the content sits under the key of the same name).
_MESSAGE_TYPES: dict[str, MessageType] = {
    "text": MessageType.TEXT,
    "image": MessageType.IMAGE,
    "video": MessageType.VIDEO,
    "audio": MessageType.AUDIO,  # voice notes too: audio.voice is true
    "document": MessageType.DOCUMENT,
    "sticker": MessageType.STICKER,
    "location": MessageType.LOCATION,
    "contacts": MessageType.CONTACT,  # plural key, a list of cards
    "interactive": MessageType.INTERACTIVE,
    "button": MessageType.BUTTON,  # template quick-reply
    "order": MessageType.ORDER,
    "system": MessageType.SYSTEM,
    "unsupported": MessageType.UNSUPPORTED,
    "unknown": MessageType.UNSUPPORTED,  # older Graph versions named unsupported messages so
}
_MEDIA_TYPES = frozenset({"image", "video", "audio", "document", "sticker"})

_STATUSES: dict[str, DeliveryStatus] = {
    "sent": DeliveryStatus.SENT,
    "delivered": DeliveryStatus.DELIVERED,
    "read": DeliveryStatus.READ,
    "played": DeliveryStatus.PLAYED,  # voice message first played
    "failed": DeliveryStatus.FAILED,
    "deleted": DeliveryStatus.DELETED,  # older payloads / SDK docs
}

# change.field -> the key of value that holds its messages (from_me when echoes).
_MESSAGE_FIELDS: dict[str, str] = {
    "messages": "messages",
    "smb_message_echoes": "message_echoes",  # sent from the WhatsApp Business app
}


@dataclass(frozen=True, slots=True)
class _Envelope:
    """What a change's ``value`` says about every item in it."""

    client: str
    own_number: str
    names: dict[str, str] = field(default_factory=dict)

    def name_of(self, wa_id: str) -> str:
        if wa_id in self.names:
            return self.names[wa_id]
        return next(iter(self.names.values())) if len(self.names) == 1 else ""


def matches(payload: dict[str, Any]) -> bool:
    return payload.get("object") == OBJECT and isinstance(payload.get("entry"), list)


def _changes(payload: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for entry in seq(payload.get("entry")):
        for change in seq(obj(entry).get("changes")):
            yield obj(change)


def _phone_number_id(change: dict[str, Any]) -> str:
    return text(obj(obj(change.get("value")).get("metadata")).get("phone_number_id")).strip()


def client_key(payload: dict[str, Any]) -> str:
    """The phone_number_id of the first change that names one."""
    return next((key for key in map(_phone_number_id, _changes(payload)) if key), "")


def client_keys(payload: dict[str, Any]) -> list[str]:
    """Every phone_number_id the batch names, in order, once each (one client per number)."""
    return list(dict.fromkeys(key for key in map(_phone_number_id, _changes(payload)) if key))


def parse(
    payload: dict[str, Any], *, path_event: str = "", context: ParseContext = DEFAULT_CONTEXT
) -> ParseResult:
    events: list[Event] = []
    kinds: list[str] = []
    reasons: list[str] = []
    unhandled = False
    for change in _changes(payload):
        name = text(change.get("field"))
        if name not in _MESSAGE_FIELDS:
            unhandled = True
            kinds.append(name)
            reasons.append(f"field {name!r} is not handled")
            continue
        found, found_kinds, errors = _parse_value(obj(change.get("value")), _MESSAGE_FIELDS[name])
        events.extend(found)
        kinds.extend(found_kinds or [name])
        if not found_kinds:
            reasons.append(f"field {name!r} carried no messages, statuses or errors")
        reasons.extend(f"out-of-band error {error}" for error in errors)
    if not kinds:
        reasons.append("no entry with changes in the payload")
    return ParseResult(
        family=FAMILY,
        event_type="+".join(dict.fromkeys(kind for kind in kinds if kind)) or path_event,
        client_key=client_key(payload),
        events=tuple(events),
        ignored_reason="" if events else "; ".join(reasons),
        kind_known=bool(kinds) and not unhandled,
    )


def _parse_value(value: ChangeValue, message_key: str) -> tuple[list[Event], list[str], list[str]]:
    """Events, delivery kinds and out-of-band error texts of one change's value."""
    metadata = obj(value.get("metadata"))
    envelope = _Envelope(
        client=text(metadata.get("phone_number_id")).strip(),
        own_number=text(metadata.get("display_phone_number")),
        names={
            text(obj(c).get("wa_id")): text(obj(obj(c).get("profile")).get("name"))
            for c in seq(value.get("contacts"))
            if text(obj(c).get("wa_id"))
        },
    )
    events: list[Event] = []
    kinds: list[str] = []
    messages = seq(value.get(message_key))
    if messages:
        kinds.append(message_key)
        from_me = message_key == "message_echoes"
        events.extend(_message(obj(m), envelope, from_me=from_me) for m in messages)
    statuses = seq(value.get("statuses"))
    if statuses:
        kinds.append("statuses")
        events.extend(_status(obj(s), envelope) for s in statuses)
    errors = [_error_text(obj(e)) for e in seq(value.get("errors"))]
    if errors:
        kinds.append("errors")
    return events, kinds, errors


def _message(raw: RawMessage, envelope: _Envelope, *, from_me: bool) -> Event:
    where = "message_echoes[]" if from_me else "messages[]"
    message_id = require_str(raw, "id", where=f"{where}.id")  # type: ignore[arg-type]
    if from_me:
        chat_id = require_str(raw, "to", where=f"{where}.to")  # type: ignore[arg-type]
        sender_id = envelope.own_number or text(raw.get("from"))
    else:
        chat_id = sender_id = require_str(raw, "from", where=f"{where}.from")  # type: ignore[arg-type]
    kind = text(raw.get("type"))
    timestamp = expected(epoch_to_utc(raw.get("timestamp")), f"{where}.timestamp")
    if kind == "reaction":
        reaction = obj(raw.get("reaction"))
        return ReactionEvent(
            client_key=envelope.client,
            timestamp=timestamp,
            target_id=require_str(reaction, "message_id", where=f"{where}.reaction.message_id"),
            emoji=text(reaction.get("emoji")),  # absent or "" = the reaction was removed
            chat_id=chat_id,
            sender_id=sender_id,
            from_me=from_me,
            raw=raw,
        )
    chat_name = envelope.name_of(chat_id)
    context = obj(raw.get("context"))
    return MessageEvent(
        client_key=envelope.client,
        timestamp=timestamp,
        message_id=message_id,
        chat_id=chat_id,
        chat_name=chat_name,
        sender_id=sender_id,
        sender_name="" if from_me else chat_name,
        from_me=from_me,
        quoted_id=text(context.get("id")),
        forwarded=as_bool(context.get("forwarded")) or as_bool(context.get("frequently_forwarded")),
        extra={key: raw[key] for key in ("referral", "errors") if key in raw},  # type: ignore[literal-required]
        raw=raw,
        **_content(kind, raw),
    )


def _content(kind: str, raw: RawMessage) -> dict[str, Any]:
    """type, text, subtype and media/location/contacts of one message's content key."""
    body = obj(raw.get(kind))  # type: ignore[misc]
    parts: dict[str, Any] = {"type": _MESSAGE_TYPES.get(kind, MessageType.UNKNOWN), "subtype": ""}
    if kind in _MEDIA_TYPES:
        parts["text"] = text(body.get("caption"))
        parts["media"] = _media(body)
    elif kind == "text":
        parts["text"] = text(body.get("body"))
    elif kind == "location":
        parts["location"] = Location(
            latitude=as_float(body.get("latitude")),
            longitude=as_float(body.get("longitude")),
            name=text(body.get("name")),
            address=text(body.get("address")),
            url=text(body.get("url")),
        )
        parts["text"] = parts["location"].name
    elif kind == "contacts":
        parts["contacts"] = tuple(_contact(obj(card)) for card in seq(raw.get("contacts")))
        parts["text"] = parts["contacts"][0].display_name if parts["contacts"] else ""
    elif kind == "interactive":
        parts["subtype"] = text(body.get("type"))  # button_reply, list_reply, nfm_reply
        reply = obj(body.get(parts["subtype"]))
        parts["text"] = text(reply.get("title")) or text(reply.get("body"))
    elif kind in ("button", "order"):
        parts["text"] = text(body.get("text"))
    elif kind == "system":
        parts["subtype"] = text(body.get("type"))  # user_changed_number, …
        parts["text"] = text(body.get("body"))
    elif kind in ("unsupported", "unknown"):
        parts["subtype"] = text(body.get("type"))  # poll_creation, edit, …
    else:
        parts["subtype"] = kind  # a type Meta invents tomorrow, kept for the record
    return parts


def _media(body: dict[str, Any]) -> Media:
    return Media(
        url=text(body.get("url")),
        media_id=text(body.get("id")),
        mimetype=text(body.get("mime_type")),
        sha256=text(body.get("sha256")),
        file_name=text(body.get("filename")),
        voice=as_bool(body.get("voice")),
        animated=as_bool(body.get("animated")),
    )


def _contact(card: dict[str, Any]) -> Contact:
    phones = (text(obj(phone).get("phone")) for phone in seq(card.get("phones")))
    return Contact(
        display_name=text(obj(card.get("name")).get("formatted_name")),
        phones=tuple(phone for phone in phones if phone),
    )


def _status(raw: RawStatus, envelope: _Envelope) -> StatusEvent:
    recipient = text(raw.get("recipient_id"))
    errors = seq(raw.get("errors"))
    return StatusEvent(
        client_key=envelope.client,
        timestamp=expected(epoch_to_utc(raw.get("timestamp")), "statuses[].timestamp"),
        message_id=require_str(raw, "id", where="statuses[].id"),  # type: ignore[arg-type]
        status=expected(
            _STATUSES.get(text(raw.get("status")).strip().lower(), DeliveryStatus.UNKNOWN),
            "statuses[].status",
        ),
        chat_id=recipient,
        recipient_id=text(raw.get("recipient_participant_id")) or recipient,
        error=_error_text(obj(errors[0])) if errors else "",
        raw=raw,
    )


def _error_text(error: RawError) -> str:
    """``"<code> <title>: <details or message>"``, skipping the parts that are absent."""
    head = " ".join(part for part in (text(error.get("code")), text(error.get("title"))) if part)
    detail = text(obj(error.get("error_data")).get("details")) or text(error.get("message"))
    if not detail or detail == text(error.get("title")):
        return head
    return f"{head}: {detail}" if head else detail


# --- HTTP-layer checks (pure: bytes and strings in, answer out) ---------------------------------

SIGNATURE_HEADER = "X-Hub-Signature-256"


def verify_signature(body: bytes, header_value: str, app_secret: str) -> bool:
    """``X-Hub-Signature-256: sha256=<hex>`` == HMAC-SHA256(app secret, the raw body bytes).

    The bytes must be the body exactly as received (Meta escapes non-ASCII as ``\\uXXXX``):
    re-serialised JSON gives a different signature. An empty secret never verifies.
    """
    if (
        not app_secret
        or not isinstance(header_value, str)
        or not isinstance(body, bytes | bytearray)
    ):
        return False
    scheme, _, received = header_value.strip().partition("=")
    if scheme.strip().lower() != "sha256" or not received.isascii():
        return False
    expected = hmac.new(app_secret.encode(), bytes(body), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), received.strip().lower().encode())


def verify_handshake(query: Mapping[str, str], verify_token: str) -> str | None:
    """The GET subscription handshake: ``hub.challenge`` to echo back, or ``None`` (answer 403)."""
    if not verify_token or query.get("hub.mode") != "subscribe":
        return None
    token, challenge = query.get("hub.verify_token"), query.get("hub.challenge")
    if not isinstance(token, str) or not isinstance(challenge, str) or not challenge:
        return None
    if not hmac.compare_digest(token.encode(), verify_token.encode()):
        return None
    return challenge
