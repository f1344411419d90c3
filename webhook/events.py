"""Normalised WhatsApp events: what every parser produces and the processor applies.

Plain frozen dataclasses, no Django. Each parser (``webhook/parsers/<family>.py``) turns one
provider payload into a :class:`ParseResult` holding a tuple of these events. Ids and JIDs are
kept exactly as the provider sent them; times are aware UTC ``datetime`` objects or ``None``
when the payload carried no usable time (the processor then uses the time of receipt and
flags it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class MessageType(StrEnum):
    TEXT = "text"
    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"
    DOCUMENT = "document"
    STICKER = "sticker"
    LOCATION = "location"
    CONTACT = "contact"
    INTERACTIVE = "interactive"
    BUTTON = "button"
    REACTION = "reaction"
    ORDER = "order"
    SYSTEM = "system"
    UNSUPPORTED = "unsupported"
    # A type WhatsApp invents tomorrow: stored as unknown, never an error.
    UNKNOWN = "unknown"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    PLAYED = "played"
    FAILED = "failed"
    DELETED = "deleted"
    UNKNOWN = "unknown"


# A status only moves forward. failed and deleted are terminal: nothing replaces them.
STATUS_RANK: dict[str, int] = {
    DeliveryStatus.UNKNOWN: 0,
    DeliveryStatus.PENDING: 1,
    DeliveryStatus.SENT: 2,
    DeliveryStatus.DELIVERED: 3,
    DeliveryStatus.READ: 4,
    DeliveryStatus.PLAYED: 5,
    DeliveryStatus.FAILED: 10,
    DeliveryStatus.DELETED: 11,
}
TERMINAL_STATUSES = frozenset({DeliveryStatus.FAILED, DeliveryStatus.DELETED})


def status_advances(current: str | None, new: str) -> bool:
    """True when ``new`` may replace ``current`` (monotonic, terminal states stick)."""
    if not current:
        return True
    if current in TERMINAL_STATUSES:
        return False
    return STATUS_RANK.get(new, 0) > STATUS_RANK.get(current, 0)


class ConnectionState(StrEnum):
    OPEN = "open"
    CONNECTING = "connecting"
    CLOSED = "closed"
    QR_REQUIRED = "qr_required"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True, kw_only=True)
class Media:
    url: str = ""
    media_id: str = ""
    mimetype: str = ""
    sha256: str = ""
    size: int | None = None
    file_name: str = ""
    duration: int | None = None
    voice: bool = False
    width: int | None = None
    height: int | None = None
    animated: bool = False
    has_inline_data: bool = False  # base64 body delivered inline (kept in the raw event only)
    # What fetching an encrypted WhatsApp CDN file needs (Baileys shapes), base64 as sent.
    # Fetch parameters, not what the message says: left out of equality.
    media_key: str = field(default="", compare=False, repr=False)
    direct_path: str = field(default="", compare=False)
    file_enc_sha256: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Location:
    latitude: float | None = None
    longitude: float | None = None
    name: str = ""
    address: str = ""
    url: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Contact:
    display_name: str = ""
    vcard: str = ""
    phones: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """Fields every normalised event has."""

    client_key: str  # the provider's instance / phone_number_id / session, verbatim
    timestamp: datetime | None = None  # aware UTC, None when the payload had no usable time
    raw: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageEvent(Event):
    message_id: str
    chat_id: str
    chat_name: str = ""
    chat_alt_id: str = ""  # e.g. the phone JID of an @lid chat
    is_group: bool = False
    sender_id: str = ""
    sender_name: str = ""
    sender_alt_id: str = ""
    from_me: bool = False
    type: MessageType = MessageType.TEXT
    text: str = ""
    media: Media | None = None
    location: Location | None = None
    contacts: tuple[Contact, ...] = ()
    quoted_id: str = ""
    forwarded: bool = False
    status: DeliveryStatus | None = None  # initial status the provider reported, if any
    subtype: str = ""  # provider detail: interactive kind, system kind, unsupported kind
    # Built from an edit whose original may not have arrived (``_common.edit_events``): the
    # original, when it comes, completes the row instead of being a duplicate.
    from_edit: bool = False
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusEvent(Event):
    message_id: str
    status: DeliveryStatus
    chat_id: str = ""
    recipient_id: str = ""
    error: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ReactionEvent(Event):
    target_id: str  # the message reacted to
    emoji: str  # "" means the reaction was removed
    chat_id: str = ""
    sender_id: str = ""
    from_me: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class EditEvent(Event):
    target_id: str
    new_text: str
    chat_id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class DeleteEvent(Event):
    target_id: str
    chat_id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionEvent(Event):
    state: ConnectionState
    phone: str = ""
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class QrCodeEvent(Event):
    code: str = ""
    image: str = ""  # data: URL when the provider sends one


@dataclass(frozen=True, slots=True, kw_only=True)
class PresenceEvent(Event):
    chat_id: str
    presence: str  # available, unavailable, composing, recording, paused


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactEvent(Event):
    """A contact or chat announced by the gateway (address book sync)."""

    contact_id: str
    name: str = ""
    alt_id: str = ""
    is_group: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ParseContext:
    """What a parser may know beyond the payload (passed in, never read from settings)."""

    gateway_tz: str = "America/Sao_Paulo"  # zone of gateways that send local wall-clock times


DEFAULT_CONTEXT = ParseContext()


@dataclass(frozen=True, slots=True, kw_only=True)
class ParseResult:
    """What a parser made of one payload."""

    family: str
    event_type: str  # the provider's own name for the kind of delivery
    client_key: str = ""  # the client the delivery belongs to (first one for batches)
    events: tuple[Event, ...] = ()
    ignored_reason: str = ""  # set when the payload is understood but carries nothing to apply
    # What the delivery says about the parser (webhook.drift), not part of what it means:
    # left out of equality.
    # The parser knows this kind of delivery even though it carried nothing to apply. When
    # False, an empty result with an ``ignored_reason`` is an event kind the parser did not
    # recognise (``webhook.drift``): a parser only sets it for kinds it handles.
    kind_known: bool = field(default=False, compare=False)
    # Fields the parser expected and did not find (or found without a usable value), named
    # as in the payload ("messages[].timestamp"); filled by ``_common.expected`` through
    # ``parsers.parse_as``, once per name and delivery.
    missing_fields: tuple[str, ...] = field(default=(), compare=False)
