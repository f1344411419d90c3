"""What the transcript shows of each message: plain values for the templates (which escape
everything; nothing here is marked safe).

``bubbles(page, chat)`` turns a :class:`TranscriptPage` into :class:`Bubble` objects in order,
with the day separators, delivery ticks, quoted replies, reactions, media and contact cards
worked out once, in Python, without further queries.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from datetime import UTC, date
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from webhook.console.conversation_queries import TranscriptPage
from webhook.models import Chat, MediaFile, Message

MEDIA_TYPES = frozenset({"image", "video", "audio", "document", "sticker"})
_TEL = re.compile(r"^(?:item\d+\.)?TEL[^:]*:(.+)$", re.IGNORECASE | re.MULTILINE)


def display_number(jid: str) -> str:
    """A JID or wa_id as people read it: +55 11 99999-9999 for Brazilian numbers."""
    user = jid.split("@", 1)[0].split(":", 1)[0]
    if not user.isdigit() or jid.endswith("@lid") or jid.endswith("@g.us"):
        return user or jid
    if user.startswith("55") and len(user) in (12, 13):
        area, rest = user[2:4], user[4:]
        return f"+55 {area} {rest[:-4]}-{rest[-4:]}"
    return f"+{user}"


def phone_of(primary: str, alt: str) -> str:
    """The id to show as a number: the phone when one of the pair is an @lid."""
    return alt if primary.endswith("@lid") and alt else primary


def chat_title(chat: Chat) -> str:
    return chat.name or display_number(phone_of(chat.chat_id, chat.alt_id))


def chat_number(chat: Chat) -> str:
    """The phone number beside a named contact ("" for groups and unnamed chats)."""
    if chat.is_group or not chat.name:
        return ""
    return display_number(phone_of(chat.chat_id, chat.alt_id))


def preview(message: Message) -> str:
    """One line of a chat's newest message for the chat list."""
    if message.is_deleted:
        return _("Deleted message")
    label = type_label(message)
    if message.type == "text":
        return message.text[:120]
    return f"{label}: {message.text[:100]}" if message.text else label


def sender_label(message: Message) -> str:
    sender = message.sender
    if message.from_me or (sender is not None and sender.is_me):
        return _("You")
    if sender is None:
        return ""
    return sender.name or display_number(phone_of(sender.sender_id, sender.alt_id))


def waiting_since(chat: Chat):
    try:
        return chat.stats.waiting_since
    except ObjectDoesNotExist:
        return None


def type_label(message: Message) -> str:
    if message.type == Message.Type.AUDIO and message.is_voice:
        return _("Voice message")
    if "poll" in message.subtype.lower():
        return _("Poll")
    return {
        "text": _("Text"),
        "image": _("Image"),
        "video": _("Video"),
        "audio": _("Audio"),
        "document": _("Document"),
        "sticker": _("Sticker"),
        "location": _("Location"),
        "contact": _("Contact"),
        "interactive": _("Interactive message"),
        "button": _("Button reply"),
        "reaction": _("Reaction"),
        "order": _("Order message"),
        "system": _("System message"),
        "unsupported": _("Unsupported message"),
    }.get(message.type, _("Unknown message type"))


@dataclass(frozen=True, slots=True)
class Tick:
    symbol: str
    css: str
    label: str
    title: str


def _at(moment) -> str:
    return date_filter(timezone.localtime(moment), "d/m/Y H:i") if moment else ""


def tick(message: Message) -> Tick | None:
    """Our message's delivery state: ✓ sent, ✓✓ delivered, blue ✓✓ read/played, ✗ failed."""
    if not message.from_me:
        return None
    status = message.status
    if status == Message.Status.FAILED or message.failed_at:
        reason = message.status_error or _("no reason given")
        return Tick(
            "✗",
            "failed",
            pgettext("delivery state", "Failed"),
            _("Failed: %(reason)s") % {"reason": reason},
        )
    if status == Message.Status.PLAYED or message.played_at:
        return Tick("✓✓", "played", pgettext("delivery state", "Played"), _at(message.played_at))
    if status == Message.Status.READ or message.read_at:
        return Tick("✓✓", "read", pgettext("delivery state", "Read"), _at(message.read_at))
    if status == Message.Status.DELIVERED or message.delivered_at:
        return Tick(
            "✓✓", "delivered", pgettext("delivery state", "Delivered"), _at(message.delivered_at)
        )
    if status == Message.Status.SENT or message.sent_at:
        return Tick("✓", "sent", pgettext("delivery state", "Sent"), _at(message.sent_at))
    return Tick("", "pending", pgettext("delivery state", "Pending"), "")


@dataclass(frozen=True, slots=True)
class Media:
    kind: str  # image | video | audio | document | sticker
    state: str  # a MediaFile state, or "none" without a MediaFile
    state_label: str
    file_url: str = ""
    thumb_url: str = ""
    file_name: str = ""
    size: str = ""
    mimetype: str = ""


def _state_label(media: MediaFile | None) -> tuple[str, str]:
    if media is None:
        return "none", _("not downloaded")
    labels = {
        MediaFile.State.PENDING: _("pending"),
        MediaFile.State.FETCHING: _("downloading"),
        MediaFile.State.STORED: _("stored"),
        MediaFile.State.EXPIRED: _("expired"),
        MediaFile.State.SKIPPED: _("skipped"),
    }
    if media.state == MediaFile.State.FAILED:
        reason = media.last_error or _("no reason given")
        return "failed", _("failed: %(reason)s") % {"reason": reason[:300]}
    return media.state, labels.get(media.state, media.state)


def media_of(message: Message) -> Media | None:
    if message.type not in MEDIA_TYPES:
        return None
    try:
        stored_file: MediaFile | None = message.media_file
    except ObjectDoesNotExist:
        stored_file = None
    state, label = _state_label(stored_file)
    stored = state == MediaFile.State.STORED and bool(stored_file and stored_file.storage_name)
    size = (stored_file.size if stored_file else None) or message.media_size
    if stored_file and not size:
        size = stored_file.declared_size
    name = (stored_file.file_name if stored_file else "") or message.media_file_name
    media = Media(
        kind="audio" if message.type == "audio" else message.type,
        state=state if stored or state != MediaFile.State.STORED else "missing",
        state_label=label,
        file_name=name,
        size=filesizeformat(size) if size else "",
        mimetype=(stored_file.mimetype if stored_file else "") or message.media_mimetype,
    )
    if stored:
        media = _with_urls(media, stored_file)
    return media


def _with_urls(media: Media, stored_file: MediaFile) -> Media:
    thumb = ""
    if media.kind in ("image", "sticker") and stored_file.thumbnail_name:
        thumb = reverse("webhook:media-thumb", args=[stored_file.pk])
    return Media(
        kind=media.kind,
        state=media.state,
        state_label=media.state_label,
        file_url=reverse("webhook:media-file", args=[stored_file.pk]),
        thumb_url=thumb,
        file_name=media.file_name,
        size=media.size,
        mimetype=media.mimetype,
    )


@dataclass(frozen=True, slots=True)
class Card:
    name: str
    phones: tuple[str, ...]
    vcard: str


def contact_cards(message: Message) -> list[Card]:
    cards = []
    for raw in message.contacts or []:
        item = raw if isinstance(raw, dict) else {}
        vcard = str(item.get("vcard") or "")
        phones = tuple(str(p) for p in item.get("phones") or () if p)
        if not phones:
            phones = tuple(p.strip() for p in _TEL.findall(vcard) if p.strip())
        name = str(item.get("display_name") or item.get("name") or "")
        cards.append(Card(name or (phones[0] if phones else _("Contact")), phones, vcard))
    return cards


@dataclass(frozen=True, slots=True)
class Reaction:
    emoji: str
    count: int
    who: str


def reactions_of(message: Message, names: dict[str, str]) -> list[Reaction]:
    """``Message.reactions`` (sender id -> emoji, one per sender) grouped by emoji."""
    grouped: dict[str, list[str]] = {}
    for who, emoji in (message.reactions or {}).items():
        if not emoji:
            continue
        if who == "me":
            label = _("You")
        else:
            label = names.get(who) or display_number(str(who))
        grouped.setdefault(str(emoji), []).append(label)
    return [Reaction(e, len(people), ", ".join(people)) for e, people in grouped.items()]


@dataclass(frozen=True, slots=True)
class Quote:
    found: bool
    author: str = ""
    text: str = ""


def quote_of(message: Message, quoted: dict[str, Message]) -> Quote | None:
    if not message.quoted_id:
        return None
    target = quoted.get(message.quoted_id)
    if target is None:
        return Quote(found=False)
    text = target.text or type_label(target)
    return Quote(found=True, author=sender_label(target), text=text[:300])


def map_url(message: Message) -> str:
    if message.latitude is None or message.longitude is None:
        return ""
    lat, lon = f"{message.latitude:.6f}", f"{message.longitude:.6f}"
    return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}"


def kind_of(message: Message) -> str:
    """Which template block draws the message body."""
    if message.type in MEDIA_TYPES:
        return "media"
    if message.type in ("text", "location", "contact", "reaction", "system"):
        return message.type
    if "poll" in message.subtype.lower():
        return "poll"
    if message.type in ("interactive", "button", "order"):
        return "structured"
    return "other"


def signature(message: Message) -> str:
    """What a shown bubble depends on that can change later (ticks, reactions, edits,
    deletion, the media file): the live poll re-sends a bubble whose signature moved."""
    try:
        media_state = message.media_file.state
    except ObjectDoesNotExist:
        media_state = ""
    parts = (
        message.status,
        sorted((str(k), str(v)) for k, v in (message.reactions or {}).items()),
        message.text,
        len(message.edit_history or []),
        message.is_deleted,
        media_state,
    )
    return f"{zlib.crc32(repr(parts).encode()):08x}"


@dataclass(slots=True)
class Bubble:
    message: Message
    kind: str
    local: Any  # the local datetime
    author: str = ""
    day_label: str = ""  # set on the first message of each day
    day_key: str = ""
    tick: Tick | None = None
    quote: Quote | None = None
    media: Media | None = None
    reactions: list[Reaction] = field(default_factory=list)
    cards: list[Card] = field(default_factory=list)
    map_url: str = ""
    type_label: str = ""
    history: list[tuple[str, Any]] = field(default_factory=list)
    sig: str = ""
    cont: bool = False  # continues a run of the same author


def history_of(message: Message) -> list[tuple[str, Any]]:
    """Earlier texts of an edited message, oldest first, with the local time each was replaced."""
    out = []
    for item in message.edit_history or []:
        entry = item if isinstance(item, dict) else {"text": str(item)}
        moment = parse_datetime(str(entry.get("replaced_at") or ""))
        if moment is not None and timezone.is_naive(moment):
            moment = moment.replace(tzinfo=UTC)
        out.append((str(entry.get("text") or ""), timezone.localtime(moment) if moment else None))
    return out


def day_label(day: date, today: date) -> str:
    if day == today:
        return _("Today")
    if (today - day).days == 1:
        return _("Yesterday")
    return date_filter(day, pgettext("transcript day", "l, j F Y"))


def bubbles(page: TranscriptPage, chat: Chat, previous_day: str = "") -> list[Bubble]:
    """The page's messages as bubbles; a day separator where the local day changes
    (``previous_day``: the day of the message shown just before this page, YYYYMMDD)."""
    today = timezone.localdate()
    out, day = [], previous_day
    for message in page.messages:
        local = timezone.localtime(message.timestamp)
        bubble = Bubble(
            message=message,
            kind=kind_of(message),
            local=local,
            author=sender_label(message) if chat.is_group and not message.from_me else "",
            tick=tick(message),
            quote=quote_of(message, page.quoted),
            media=media_of(message),
            reactions=reactions_of(message, page.names),
            cards=contact_cards(message) if message.type == "contact" else [],
            map_url=map_url(message),
            type_label=type_label(message),
            history=history_of(message),
            sig=signature(message),
        )
        bubble.day_key = local.strftime("%Y%m%d")
        if bubble.day_key != day:
            bubble.day_label = day_label(local.date(), today)
            day = bubble.day_key
        out.append(bubble)
    _group_runs(out)
    return out


def _group_runs(bubbles: list[Bubble]) -> None:
    """Consecutive bubbles of one author on one day form a run, as in the apps: the name
    only on the first, less space between them."""
    for before, bubble in zip(bubbles, bubbles[1:], strict=False):
        same = (before.message.from_me, before.message.sender_id) == (
            bubble.message.from_me,
            bubble.message.sender_id,
        )
        if same and not bubble.day_label and before.kind != "system" and bubble.kind != "system":
            bubble.cont = True
            bubble.author = ""
