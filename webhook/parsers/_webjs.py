"""whatsapp-web.js / wa-js message models (WAHA WEBJS, WPPConnect, UltraMsg): ``type`` words,
ack numbers, serialized ids ``<fromMe>_<chat>_<id>[_<participant>]``, wid objects and vCards
(docs/formats.md §4.3).

Pure: no Django, no settings, no I/O.
"""

from __future__ import annotations

from typing import Any

from webhook.events import Contact, DeliveryStatus, Location, MessageType
from webhook.parsers._values import as_float, as_int, text

# Normalised type -> the ``type`` words whatsapp-web.js and wa-js use for it (WAHA GOWS'
# Info.MediaType shares most of them).
_WEBJS_KINDS: dict[MessageType, tuple[str, ...]] = {
    MessageType.TEXT: ("chat", "text"),
    MessageType.IMAGE: ("image",),
    MessageType.VIDEO: ("video", "gif", "ptv"),  # ptv: round video note
    MessageType.AUDIO: ("audio", "ptt"),  # ptt (push-to-talk) = voice note, see WEBJS_VOICE
    MessageType.DOCUMENT: ("document",),
    MessageType.STICKER: ("sticker",),
    MessageType.LOCATION: ("location",),
    MessageType.CONTACT: ("vcard", "multi_vcard", "contact_array"),  # contact_array: GOWS
    MessageType.BUTTON: ("buttons_response", "template_button_reply"),
    MessageType.INTERACTIVE: ("list_response",),
    MessageType.ORDER: ("order",),
    MessageType.UNSUPPORTED: ("poll_creation",),
    # revoked: the placeholder a deleted message leaves; gp2: group notification.
    MessageType.SYSTEM: ("revoked", "e2e_notification", "notification_template", "gp2", "call_log"),
}
WEBJS_TYPES: dict[str, MessageType] = {k: t for t, kinds in _WEBJS_KINDS.items() for k in kinds}
WEBJS_VOICE = frozenset({"ptt"})
WEBJS_MEDIA = frozenset(
    {
        MessageType.IMAGE,
        MessageType.VIDEO,
        MessageType.AUDIO,
        MessageType.DOCUMENT,
        MessageType.STICKER,
    }
)
# Ack numbers of whatsapp-web.js / wa-js (WAHA, WPPConnect); UltraMsg sends the words.
WEBJS_ACKS: dict[int, DeliveryStatus] = {
    -1: DeliveryStatus.FAILED,  # ERROR
    0: DeliveryStatus.PENDING,  # PENDING / clock
    1: DeliveryStatus.SENT,  # SERVER: reached WhatsApp's server
    2: DeliveryStatus.DELIVERED,  # DEVICE
    3: DeliveryStatus.READ,
    4: DeliveryStatus.PLAYED,  # voice/video played
}
WEBJS_ACK_NAMES = {"ERROR": -1, "PENDING": 0, "SERVER": 1, "DEVICE": 2, "READ": 3, "PLAYED": 4}


def webjs_kind(kind: str) -> MessageType:
    """The normalised type of a whatsapp-web.js ``type`` word; an unknown word is UNKNOWN
    (the caller keeps the word in ``subtype``)."""
    return WEBJS_TYPES.get(kind, MessageType.UNKNOWN)


def webjs_ack(value: Any) -> DeliveryStatus | None:
    """An ack number (or its ackName) -> status; None when absent, UNKNOWN when new."""
    ack = as_int(value)
    if ack is None and isinstance(value, str):
        ack = WEBJS_ACK_NAMES.get(value.strip().upper())
        if ack is None:
            return DeliveryStatus.UNKNOWN if value.strip() else None
    return None if ack is None else WEBJS_ACKS.get(ack, DeliveryStatus.UNKNOWN)


def is_serialized_id(message_id: str) -> bool:
    """``<fromMe>_<chat>_<waId>[_<participant>]``, whatsapp-web.js' serialized message id."""
    return message_id.startswith(("true_", "false_"))


def rebuild_serialized_id(template: str, wa_id: str) -> str:
    """``wa_id`` in the serialized form of ``template`` (same fromMe, chat, participant)."""
    parts = template.split("_")
    if not is_serialized_id(template) or len(parts) < 3:
        return ""
    parts[2] = wa_id
    return "_".join(parts)


def serialized(value: Any) -> str:
    """A wid or message key as text: a string as sent, an object's ``_serialized`` (wa-js
    models that leak unserialised, e.g. WPPConnect's ``onack`` id), else empty."""
    if isinstance(value, dict):
        inner = value.get("_serialized")
        return inner if isinstance(inner, str) else ""
    return text(value)


def parse_vcard(card: str) -> Contact:
    """Display name from the FN line; phones from TEL lines (their waid when present)."""
    name, phones = "", []
    for line in card.splitlines():
        field_name, _, value = line.partition(":")
        params = field_name.split(";")
        if params[0].strip().upper() == "FN" and not name:
            name = value.strip().replace("\\,", ",")
        elif params[0].strip().upper() == "TEL":
            waid = [p[5:] for p in params if p.lower().startswith("waid=")]
            phones.append(waid[0] if waid else value.strip())
    return Contact(display_name=name, vcard=card, phones=tuple(p for p in phones if p))


def webjs_location(message: dict[str, Any]) -> Location:
    """A whatsapp-web.js location message: ``lat``/``lng`` and ``loc`` ("name\\naddress")."""
    name, _, address = text(message.get("loc")).partition("\n")
    return Location(
        latitude=as_float(message.get("lat")),
        longitude=as_float(message.get("lng")),
        name=name.strip(),
        address=address.strip(),
    )
