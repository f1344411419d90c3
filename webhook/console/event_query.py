"""Reads of the event tail: its filters, the keyset cursor and the querysets of each page.

Paging is by keyset on (received_at, id), newest first, never by OFFSET: a page of a big
table costs the same as the first. The live fragment asks for what was stored after the
newest id the page knew (``since``): ids grow with every insert, so an event stored late
(an inbox row moved in by the applier) is still found, whatever its received_at.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.db.models import Max, Q, QuerySet
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from webhook import parsers
from webhook.access import restrict, sees_everything, visible_clients
from webhook.models import Client, Message, WebhookEvent

PAGE_SIZE = 50
LIVE_LIMIT = 100  # new rows one poll brings at most (the rest come with "load more")
PENDING_LIMIT = 100  # rows still "received" whose situation one poll refreshes
MAX_TEXT = 200  # characters of a text filter
MESSAGES_SHOWN = 50
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

STATUS_LABELS = {
    WebhookEvent.Status.RECEIVED: pgettext_lazy("event status", "Received"),
    WebhookEvent.Status.PROCESSED: pgettext_lazy("event status", "Processed"),
    WebhookEvent.Status.DUPLICATE: pgettext_lazy("event status", "Duplicate"),
    WebhookEvent.Status.IGNORED: pgettext_lazy("event status", "Ignored"),
    WebhookEvent.Status.UNASSIGNED: pgettext_lazy("event status", "No client"),
    WebhookEvent.Status.FAILED: pgettext_lazy("event status", "Failed"),
    WebhookEvent.Status.REJECTED: pgettext_lazy("event status", "Rejected"),
}
# Families as their makers name them; the parsers' FAMILY is the stored value.
FAMILY_LABELS = {
    "meta_cloud": "Meta Cloud API",
    "evolution": "Evolution API",
    "waha": "WAHA",
    "wapi": "W-API",
    "baileys_sample": gettext_lazy("README sample (Baileys)"),
    "zapi": "Z-API",
    "ultramsg": "UltraMsg",
    "wppconnect": "WPPConnect",
    "wuzapi": "Wuzapi",
    parsers.UNKNOWN_FAMILY: gettext_lazy("Unrecognised"),
}
FAMILIES = tuple(module.FAMILY for module in parsers.PARSERS) + (parsers.UNKNOWN_FAMILY,)


class BadFilter(ValueError):
    """A query-string value the tail cannot use; its text is the reason shown (400)."""


@dataclass(frozen=True, slots=True)
class Cursor:
    received_at: datetime
    pk: int

    def encode(self) -> str:
        return f"{(self.received_at - _EPOCH) // _MICROSECOND}.{self.pk}"

    @classmethod
    def decode(cls, text: str) -> Cursor:
        micros, dot, pk = text.partition(".")
        if not (dot and micros.lstrip("-").isdigit() and pk.isdigit()) or len(text) > 40:
            raise BadFilter(_("The page cursor “%(value)s” is malformed.") % {"value": text[:40]})
        try:
            return cls(_EPOCH + int(micros) * _MICROSECOND, int(pk))
        except OverflowError:
            raise BadFilter(
                _("The page cursor “%(value)s” is malformed.") % {"value": text[:40]}
            ) from None

    @classmethod
    def of(cls, event: WebhookEvent) -> Cursor:
        return cls(event.received_at, event.pk)


@dataclass(slots=True)
class EventFilters:
    """The tail's filters, validated; ``client`` is a visible client's id."""

    client: int | None = None
    status: str = ""
    family: str = ""
    event_type: str = ""
    q: str = ""
    clients: list[Client] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return bool(self.client or self.status or self.family or self.event_type or self.q)

    def query(self, **extra: str) -> str:
        """The filters as a query string (what links and the live poll keep)."""
        values = {
            "client": str(self.client or ""),
            "status": self.status,
            "family": self.family,
            "event_type": self.event_type,
            "q": self.q,
            **extra,
        }
        return urlencode({k: v for k, v in values.items() if v})


def _text(params: QueryDict, name: str, label: str) -> str:
    value = params.get(name, "").strip()
    if len(value) > MAX_TEXT:
        raise BadFilter(
            _("The filter “%(label)s” is longer than %(n)s characters.")
            % {"label": label, "n": MAX_TEXT}
        )
    return value


def parse_filters(params: QueryDict, user: Any) -> EventFilters:
    """The filters of ``params``, or :class:`BadFilter` saying which value is wrong."""
    filters = EventFilters(clients=list(visible_clients(user).only("id", "name")))
    raw_client = params.get("client", "").strip()
    if raw_client:
        if not raw_client.isdigit() or int(raw_client) not in {c.pk for c in filters.clients}:
            raise BadFilter(
                _("The client “%(value)s” does not exist or is not yours.")
                % {"value": raw_client[:40]}
            )
        filters.client = int(raw_client)
    filters.status = params.get("status", "").strip()
    if filters.status and filters.status not in WebhookEvent.Status.values:
        raise BadFilter(
            _("The situation “%(value)s” does not exist.") % {"value": filters.status[:40]}
        )
    filters.family = params.get("family", "").strip()
    if filters.family and filters.family not in FAMILIES:
        raise BadFilter(
            _("The family “%(value)s” does not exist.") % {"value": filters.family[:40]}
        )
    filters.event_type = _text(params, "event_type", _("event type"))
    filters.q = _text(params, "q", _("search in the error"))
    return filters


def visible_events(user: Any) -> QuerySet[WebhookEvent]:
    """Events ``user`` may see: a superuser all of them, others their clients' only (an
    event without a client — unassigned, rejected — is a superuser's)."""
    events = WebhookEvent.objects.all()
    if sees_everything(user):
        return events
    return restrict(events, user).filter(client__isnull=False)


def filtered(user: Any, filters: EventFilters) -> QuerySet[WebhookEvent]:
    events = visible_events(user)
    if filters.client:
        events = events.filter(client_id=filters.client)
    if filters.status:
        events = events.filter(status=filters.status)
    if filters.family:
        events = events.filter(family=filters.family)
    if filters.event_type:
        events = events.filter(event_type=filters.event_type)
    if filters.q:
        events = events.filter(error__icontains=filters.q)
    return events


def _rows(events: QuerySet[WebhookEvent]) -> QuerySet[WebhookEvent]:
    """What a row shows, without the body, headers and traceback (they can be large)."""
    return (
        events.select_related("client")
        .only(
            "id",
            "received_at",
            "client_key",
            "family",
            "event_type",
            "status",
            "error",
            "processing_ms",
            "client__id",
            "client__name",
        )
        .order_by("-received_at", "-id")
    )


def page(events: QuerySet[WebhookEvent], before: Cursor | None) -> tuple[list, Cursor | None]:
    """One page, newest first, strictly older than ``before``; and the next page's cursor."""
    if before is not None:
        events = events.filter(
            Q(received_at__lt=before.received_at)
            | Q(received_at=before.received_at, pk__lt=before.pk)
        )
    rows = list(_rows(events)[: PAGE_SIZE + 1])
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return rows, (Cursor.of(rows[-1]) if more else None)


def newest_id(events: QuerySet[WebhookEvent]) -> int:
    """The highest id among ``events`` (the user's, filtered) stored now: a user limited to
    some clients learns nothing about the others' traffic from it."""
    return events.aggregate(top=Max("pk"))["top"] or 0


def parse_ids(values: list[str], name: str) -> list[int]:
    if len(values) > PENDING_LIMIT or not all(v.isdigit() and len(v) < 19 for v in values):
        raise BadFilter(
            _("“%(name)s” takes at most %(n)s event ids.") % {"name": name, "n": PENDING_LIMIT}
        )
    return [int(v) for v in values]


def live(
    events: QuerySet[WebhookEvent], since: int, upto: int, pending: list[int]
) -> tuple[list, list]:
    """Rows stored after ``since`` (up to ``upto``), and the ``pending`` rows (shown still
    "received") that the applier has settled since."""
    fresh = list(_rows(events.filter(pk__gt=since, pk__lte=upto))[:LIVE_LIMIT])
    settled = []
    if pending:
        settled = list(
            _rows(events.filter(pk__in=pending).exclude(status=WebhookEvent.Status.RECEIVED))
        )
    return fresh, settled


def produced_messages(event: WebhookEvent) -> tuple[list[Message], int]:
    """The first messages ``event`` produced (with their chats), and how many there are."""
    messages = Message.objects.filter(webhook_event=event)
    shown = list(
        messages.select_related("chat")
        .only(
            "pk", "type", "text", "timestamp", "from_me", "chat__id", "chat__name", "chat__chat_id"
        )
        .order_by("timestamp", "pk")[:MESSAGES_SHOWN]
    )
    return shown, messages.count()
