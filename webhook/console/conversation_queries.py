"""Reads behind the conversation pages: the chat list with its filters, and a transcript page
found by keyset on (timestamp, id), never by OFFSET.

Every query here is limited to what the user may see (``webhook.access``); a chat of another
client is simply not found. Bad parameters raise :class:`BadParameter` with the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Max, OuterRef, Q, QuerySet, Subquery
from django.http import QueryDict
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from webhook.access import restrict, visible_clients
from webhook.models import Chat, Client, Message, Sender

PAGE_SIZE = 50
LIVE_LIMIT = 200
CHAT_PAGE_SIZE = 40
MAX_QUERY = 100
KINDS = ("", "groups", "contacts")
_CURSOR = re.compile(r"^(-?\d{1,19})_(\d{1,19})$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class BadParameter(ValueError):
    """A malformed filter or cursor: answered 400 with this reason."""


# --- cursors -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Cursor:
    """A position in a transcript: a message's (timestamp, id)."""

    timestamp: datetime
    pk: int

    def encode(self) -> str:
        delta = self.timestamp - _EPOCH
        micros = (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
        return f"{micros}_{self.pk}"

    @classmethod
    def decode(cls, raw: str) -> Cursor:
        match = _CURSOR.match(raw.strip())
        if not match:
            raise BadParameter(_("Malformed cursor: %(value)s") % {"value": raw[:60]})
        micros, pk = int(match.group(1)), int(match.group(2))
        try:
            moment = _EPOCH + timedelta(microseconds=micros)
        except OverflowError as exc:
            raise BadParameter(_("Malformed cursor: %(value)s") % {"value": raw[:60]}) from exc
        return cls(moment, pk)

    @classmethod
    def of(cls, message: Message) -> Cursor:
        return cls(message.timestamp, message.pk)


def positive_int(raw: str, name: str) -> int:
    if not raw.isdigit() or int(raw) < 1 or len(raw) > 18:
        raise BadParameter(_("%(name)s must be a positive whole number.") % {"name": name})
    return int(raw)


# --- chat list -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChatFilters:
    q: str = ""
    waiting: bool = False
    kind: str = ""
    client: int | None = None

    @classmethod
    def parse(cls, params: QueryDict) -> ChatFilters:
        q = params.get("q", "").strip()
        if len(q) > MAX_QUERY:
            raise BadParameter(_("The search is longer than %(n)d characters.") % {"n": MAX_QUERY})
        waiting = params.get("waiting", "")
        if waiting not in ("", "0", "1"):
            raise BadParameter(_("waiting must be 1 or empty."))
        kind = params.get("kind", "")
        if kind not in KINDS:
            raise BadParameter(_("kind must be groups, contacts or empty."))
        client = params.get("client", "")
        return cls(
            q=q,
            waiting=waiting == "1",
            kind=kind,
            client=positive_int(client, "client") if client else None,
        )

    def query(self) -> dict[str, Any]:
        """The filters as query parameters (empty ones left out)."""
        values = {"q": self.q, "waiting": "1" if self.waiting else "", "kind": self.kind}
        values["client"] = str(self.client) if self.client else ""
        return {k: v for k, v in values.items() if v}


def client_choices(user: Any) -> list[Client]:
    return list(visible_clients(user).order_by("name", "pk").only("pk", "name", "instance_id"))


def chat_list(user: Any, filters: ChatFilters, clients: list[Client]) -> QuerySet[Chat]:
    """The chats ``user`` may see matching ``filters``, newest activity first."""
    if filters.client is not None and filters.client not in {c.pk for c in clients}:
        raise BadParameter(_("Unknown client: %(value)s") % {"value": filters.client})
    qs = restrict(Chat.objects.all(), user).select_related("client", "stats")
    if filters.client is not None:
        qs = qs.filter(client_id=filters.client)
    if filters.q:
        digits = re.sub(r"\D", "", filters.q)
        match = Q(name__icontains=filters.q) | Q(chat_id__icontains=filters.q)
        if len(digits) >= 3:
            match |= Q(chat_id__contains=digits) | Q(alt_id__contains=digits)
        qs = qs.filter(match)
    if filters.waiting:
        qs = qs.filter(stats__waiting_since__isnull=False)
    if filters.kind:
        qs = qs.filter(is_group=filters.kind == "groups")
    newest = Message.objects.filter(chat=OuterRef("pk")).order_by("-timestamp", "-id")
    qs = qs.annotate(last_pk=Subquery(newest.values("id")[:1]))
    return qs.order_by("-last_message_at", "-id")


def last_messages(chats: list[Chat]) -> dict[int, Message]:
    """The newest message of each of ``chats`` (annotated by ``chat_list``): one query."""
    ids = [c.last_pk for c in chats if getattr(c, "last_pk", None)]
    if not ids:
        return {}
    fields = ("chat_id", "type", "subtype", "text", "from_me", "status", "status_error")
    steps = ("sent_at", "delivered_at", "read_at", "played_at", "failed_at")
    rows = Message.objects.filter(id__in=ids).order_by()
    rows = rows.only(*fields, *steps, "is_deleted", "is_voice")
    return {m.chat_id: m for m in rows}


def chat_for(user: Any, pk: int) -> Chat:
    """The chat ``pk`` if ``user`` may see its client, else 404 (as for an unknown id)."""
    qs = restrict(Chat.objects.select_related("client", "stats"), user)
    return get_object_or_404(qs, pk=pk)


# --- transcript ----------------------------------------------------------------------------


@dataclass(slots=True)
class TranscriptPage:
    messages: list[Message]
    older: Cursor | None = None  # where the next older page starts (None: this is the first)
    newer: Cursor | None = None  # set when the page is not the newest (plain-link paging)
    quoted: dict[str, Message] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # sender id -> display name


def _base(chat: Chat) -> QuerySet[Message]:
    return Message.objects.filter(chat=chat).select_related("sender", "media_file")


def transcript_page(chat: Chat, before: Cursor | None = None) -> TranscriptPage:
    """The ``PAGE_SIZE`` messages before ``before`` (the newest without it), oldest first."""
    qs = _base(chat)
    if before is not None:
        # the plain range first, so the (chat, timestamp) index bounds the scan
        qs = qs.filter(timestamp__lte=before.timestamp).filter(
            Q(timestamp__lt=before.timestamp) | Q(id__lt=before.pk)
        )
    rows = list(qs.order_by("-timestamp", "-id")[: PAGE_SIZE + 1])
    older = Cursor.of(rows[PAGE_SIZE - 1]) if len(rows) > PAGE_SIZE else None
    rows = rows[:PAGE_SIZE][::-1]
    page = TranscriptPage(rows, older=older)
    page.newer = Cursor.of(rows[-1]) if before is not None and rows else None
    return annotate(chat, page)


def transcript_newer(chat: Chat, after: Cursor) -> TranscriptPage:
    """The page of messages right after ``after`` (the plain-link way back to newer ones)."""
    qs = _base(chat).filter(timestamp__gte=after.timestamp)
    qs = qs.filter(Q(timestamp__gt=after.timestamp) | Q(id__gt=after.pk))
    rows = list(qs.order_by("timestamp", "id")[: PAGE_SIZE + 1])
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    page = TranscriptPage(rows, older=Cursor.of(rows[0]) if rows else None)
    page.newer = Cursor.of(rows[-1]) if more else None
    return annotate(chat, page)


def transcript_since(chat: Chat, after_pk: int) -> list[Message]:
    """Messages stored after row ``after_pk`` (live polling), in transcript order; the caller
    annotates them (with the changed ones) through ``annotate``."""
    # by id: the next poll starts after the highest row sent, so none can be skipped
    rows = list(_base(chat).filter(id__gt=after_pk).order_by("id")[:LIVE_LIMIT])
    return sorted(rows, key=lambda m: (m.timestamp, m.pk))


def transcript_rows(chat: Chat, pks: list[int]) -> list[Message]:
    """Rows ``pks`` of the chat (the ones a live page is showing), for their signatures."""
    return list(_base(chat).filter(id__in=pks).order_by("timestamp", "id")) if pks else []


def cursor_at(chat: Chat, pk: int) -> Cursor:
    """A cursor just after message ``pk`` of the chat: the page before it ends with it."""
    found = Message.objects.filter(chat=chat, pk=pk).values_list("timestamp", flat=True).first()
    if found is None:
        raise BadParameter(_("Message %(pk)s is not in this conversation.") % {"pk": pk})
    return Cursor(found, pk + 1)


def last_pk(chat: Chat) -> int:
    """The newest stored row of the chat: where live polling starts."""
    return Message.objects.filter(chat=chat).aggregate(top=Max("id"))["top"] or 0


def annotate(chat: Chat, page: TranscriptPage) -> TranscriptPage:
    """Quoted messages and the names of people who reacted: one query each for the page."""
    quoted_ids = {m.quoted_id for m in page.messages if m.quoted_id}
    if quoted_ids:
        found = Message.objects.filter(client_id=chat.client_id, external_id__in=quoted_ids)
        page.quoted = {m.external_id: m for m in found.select_related("sender")}
    reactors = {who for m in page.messages for who in (m.reactions or {}) if isinstance(who, str)}
    reactors -= {"me", "?"}
    if reactors:
        senders = Sender.objects.filter(client_id=chat.client_id, sender_id__in=reactors)
        page.names = {s.sender_id: s.name for s in senders.only("sender_id", "name") if s.name}
    return page
