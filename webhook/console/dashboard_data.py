"""The dashboard's reads: everything comes from the statistics tables (MessageStats,
ContactStats, RealTimeStats), never from scanning Message rows, in a fixed number of queries
whatever the number of clients and chats (7, plus the session and the user):

1. the visible clients with their RealTimeStats (one join),
2. MessageStats of the period summed per hour over the clients (at most 168 rows),
3. MessageStats of the period summed per client (received/sent on the cards),
4. ContactStats grouped by client: first-response buckets (conditional aggregation) and the
   chats waiting for our reply,
5. and 6. the median and p90 of the first-response times (nearest rank, ``ORDER BY … LIMIT 1
   OFFSET k`` in SQL), only when some chat was answered,
7. the 20 chats waiting longest, with their chat and client.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from webhook.access import visible_clients
from webhook.models import Client, ContactStats, MediaFile, MessageStats, RealTimeStats
from webhook.services.stats import period_of

PERIODS = ("24h", "7d")
DEFAULT_PERIOD = "24h"
QR_CURRENT_FOR = timedelta(minutes=2)
WAITING_SHOWN = 20
LATE_AFTER = timedelta(hours=1)
COUNTED = ("received", "sent", *MessageStats.COUNTED_TYPES, "other", "delivered", "read", "failed")
# (key, lower bound in seconds, upper bound or None, label)
RESPONSE_BUCKETS = (
    ("b0", 0, 300, "0–5 min"),
    ("b1", 300, 900, "5–15 min"),
    ("b2", 900, 3600, "15–60 min"),
    ("b3", 3600, 4 * 3600, "1–4 h"),
    ("b4", 4 * 3600, 24 * 3600, "4–24 h"),
    ("b5", 24 * 3600, None, "24 h+"),
)


class FilterError(ValueError):
    """A malformed filter value: answered 400 with this reason."""


@dataclass(frozen=True, slots=True)
class Filters:
    clients: list[Client]  # every client the user may see, RealTimeStats joined
    client: Client | None  # the one chosen, or None for all visible
    period: str

    @property
    def shown(self) -> list[Client]:
        return [self.client] if self.client is not None else self.clients

    @property
    def ids(self) -> list[int]:
        return [c.pk for c in self.shown]

    @property
    def query(self) -> str:
        from urllib.parse import urlencode

        params = {"period": self.period}
        if self.client is not None:
            params["client"] = str(self.client.pk)
        return urlencode(params)


def read_filters(params: Mapping[str, str], user) -> Filters:
    """The filter bar's values; FilterError when malformed, Http404 for a client the user may
    not see (exactly like an unknown id)."""
    period = params.get("period", "") or DEFAULT_PERIOD
    if period not in PERIODS:
        raise FilterError(_("Unknown period %(value)r: use 24h or 7d.") % {"value": period[:40]})
    raw = params.get("client", "").strip()
    client_id = None
    if raw:
        if not raw.isdigit() or len(raw) > 18:
            raise FilterError(
                _("The client filter must be a client number, not %(value)r.") % {"value": raw[:40]}
            )
        client_id = int(raw)
    clients = list(visible_clients(user).select_related("realtime").order_by("name", "pk"))
    chosen = None
    if client_id is not None:
        chosen = next((c for c in clients if c.pk == client_id), None)
        if chosen is None:
            raise Http404("no such client")
    return Filters(clients=clients, client=chosen, period=period)


@dataclass(frozen=True, slots=True)
class Slot:
    start: datetime
    label: str  # under the axis
    title: str  # in tooltips and the table


@dataclass(frozen=True, slots=True)
class Window:
    start: datetime
    end: datetime
    slots: list[Slot]
    daily: bool

    def index(self, moment: datetime) -> int | None:
        if not self.start <= moment < self.end:
            return None
        if self.daily:  # the last slot starting at or before the moment (local midnights)
            return bisect_right(self.starts, moment) - 1
        return int((moment - self.start).total_seconds() // 3600)

    @property
    def starts(self) -> list[datetime]:
        return [slot.start for slot in self.slots]


def window(period: str, now: datetime) -> Window:
    """24 h: the 24 hours up to the current one; 7 days: today and the six days before (local)."""
    if period == "24h":
        end = period_of(now) + timedelta(hours=1)
        start = end - timedelta(hours=24)
        slots = []
        for i in range(24):
            moment = timezone.localtime(start + timedelta(hours=i))
            slots.append(
                Slot(moment, f"{moment:%H}h", f"{moment:%d/%m} {moment:%H}:00–{moment:%H}:59")
            )
        return Window(start, end, slots, daily=False)
    today = timezone.localtime(now).date()
    days = [today - timedelta(days=6 - i) for i in range(7)]
    starts = [timezone.make_aware(datetime.combine(day, time.min)) for day in days]
    end = timezone.make_aware(datetime.combine(today + timedelta(days=1), time.min))
    slots = [Slot(s, f"{s:%d/%m}", f"{s:%d/%m/%Y}") for s in starts]
    return Window(starts[0], end, slots, daily=True)


@dataclass(slots=True)
class Traffic:
    """MessageStats of the period: per slot (received, sent), totals, and per client."""

    received: list[int]
    sent: list[int]
    totals: dict[str, int]
    per_client: dict[int, dict[str, int]]

    @property
    def empty(self) -> bool:
        return not (self.totals["received"] or self.totals["sent"])


def traffic(ids: list[int], win: Window) -> Traffic:
    """Two grouped queries: the period's hours summed over the clients (at most 168 rows,
    whatever the number of clients), and received/sent per client for the cards."""
    in_period = MessageStats.objects.filter(
        client_id__in=ids, period_start__gte=win.start, period_start__lt=win.end
    )
    hours = (
        in_period.values_list("period_start")
        .annotate(*(Sum(column) for column in COUNTED))
        .order_by()
    )
    result = Traffic(
        received=[0] * len(win.slots),
        sent=[0] * len(win.slots),
        totals=dict.fromkeys(COUNTED, 0),
        per_client={},
    )
    totals = [0] * len(COUNTED)
    received_at, sent_at = COUNTED.index("received"), COUNTED.index("sent")
    for moment, *sums in hours:
        index = win.index(moment)
        if index is None:
            continue
        result.received[index] += sums[received_at] or 0
        result.sent[index] += sums[sent_at] or 0
        for n, amount in enumerate(sums):
            totals[n] += amount or 0
    result.totals = dict(zip(COUNTED, totals, strict=True))
    per_client = (
        in_period.values_list("client_id").annotate(Sum("received"), Sum("sent")).order_by()
    )
    result.per_client = {
        client_id: {"received": received or 0, "sent": sent or 0}
        for client_id, received, sent in per_client
    }
    return result


@dataclass(slots=True)
class Responses:
    """First-response times of the chats that started in the period, and who is waiting."""

    buckets: list[tuple[str, str, int]]  # (key, label, count)
    answered: int
    unanswered: int
    median: float | None
    p90: float | None
    waiting: int
    waiting_per_client: dict[int, int]


def _started(win: Window) -> Q:
    return Q(first_message_at__gte=win.start, first_message_at__lt=win.end)


def _bucket_filter(low: int, high: int | None) -> Q:
    condition = Q(first_response_seconds__gte=low)
    if high is not None:
        condition &= Q(first_response_seconds__lt=high)
    return condition


def responses(ids: list[int], win: Window) -> Responses:
    started = _started(win)
    answered_q = started & Q(first_response_seconds__isnull=False)
    counts = {
        key: Count("pk", filter=started & _bucket_filter(low, high))
        for key, low, high, _label in RESPONSE_BUCKETS
    }
    rows = (
        ContactStats.objects.filter(client_id__in=ids)
        .values("client_id")
        .annotate(
            answered=Count("pk", filter=answered_q),
            unanswered=Count("pk", filter=started & Q(first_response_seconds__isnull=True)),
            waiting=Count("pk", filter=Q(waiting_since__isnull=False)),
            **counts,
        )
        .order_by()
    )
    sums = dict.fromkeys(("answered", "unanswered", "waiting", *counts), 0)
    per_client = {}
    for row in rows:
        per_client[row["client_id"]] = row["waiting"]
        for key in sums:
            sums[key] += row[key]
    answered = ContactStats.objects.filter(answered_q, client_id__in=ids)
    return Responses(
        buckets=[(key, label, sums[key]) for key, _lo, _hi, label in RESPONSE_BUCKETS],
        answered=sums["answered"],
        unanswered=sums["unanswered"],
        median=_percentile(answered, sums["answered"], 0.5),
        p90=_percentile(answered, sums["answered"], 0.9),
        waiting=sums["waiting"],
        waiting_per_client=per_client,
    )


def _percentile(rows: QuerySet[ContactStats], n: int, fraction: float) -> float | None:
    """Nearest-rank percentile in SQL: the ⌈fraction·n⌉-th smallest first-response time."""
    if not n:
        return None
    rank = max(math.ceil(fraction * n), 1)
    ordered = rows.order_by("first_response_seconds", "pk").values_list(
        "first_response_seconds", flat=True
    )
    found = list(ordered[rank - 1 : rank])
    return found[0] if found else None


@dataclass(frozen=True, slots=True)
class Waiting:
    chat_pk: int
    name: str
    number: str
    is_group: bool
    client_name: str
    since: datetime
    received: int
    late: bool  # waiting for an hour or more


def waiting_chats(ids: list[int], now: datetime) -> list[Waiting]:
    """The chats waiting longest for our reply (their first unanswered message first)."""
    rows = (
        ContactStats.objects.filter(client_id__in=ids, waiting_since__isnull=False)
        .select_related("chat", "client")
        .order_by("waiting_since", "pk")[:WAITING_SHOWN]
    )
    found = []
    for row in rows:
        chat = row.chat
        number = chat.chat_id.split("@", 1)[0]
        found.append(
            Waiting(
                chat_pk=chat.pk,
                name=chat.name or (f"+{number}" if number.isdigit() else number),
                number=f"+{number}" if number.isdigit() and not chat.is_group else "",
                is_group=chat.is_group,
                client_name=row.client.name,
                since=row.waiting_since,
                received=row.received,
                late=now - row.waiting_since >= LATE_AFTER,
            )
        )
    return found


MEDIA_GROUPS = {
    MediaFile.State.STORED: "stored",
    MediaFile.State.PENDING: "queued",
    MediaFile.State.FETCHING: "queued",
    MediaFile.State.FAILED: "failed",
    MediaFile.State.EXPIRED: "failed",
}


def media_counts(ids: list[int]) -> dict[int, dict[str, int]]:
    """Per client: media files stored, waiting to be fetched, failed or expired (one query)."""
    counts: dict[int, dict[str, int]] = {}
    rows = (
        MediaFile.objects.filter(client_id__in=ids)
        .values_list("client_id", "state")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for client_id, state, n in rows:
        group = MEDIA_GROUPS.get(state)
        if group:
            mine = counts.setdefault(client_id, {"stored": 0, "queued": 0, "failed": 0})
            mine[group] += n
    return counts


def realtime_of(client: Client) -> RealTimeStats | None:
    try:
        return client.realtime
    except RealTimeStats.DoesNotExist:
        return None
