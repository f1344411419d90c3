"""Statistics: derived data, updated as events are applied and rebuildable from the rows.

Counters move with ``F()`` increments (safe under concurrency, independent of order). The
response-time figures of a chat depend on the order of its messages: they are extended in
place when a message arrives in order, and recomputed from the chat's rows when one arrives
out of order, so the running figures always equal :func:`stats_rebuild`'s.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Avg, Count, F, Q
from django.utils import timezone

from webhook.models import (
    Chat,
    Client,
    ContactStats,
    Message,
    MessageStats,
    RealTimeStats,
    WebhookEvent,
)
from webhook.services.rows import update_rows

logger = logging.getLogger(__name__)

STEP_COUNTERS = {"delivered": "delivered", "read": "read", "failed": "failed"}
ACTIVE_WINDOW = timedelta(minutes=15)


def period_of(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _type_column(message_type: str) -> str:
    return message_type if message_type in MessageStats.COUNTED_TYPES else "other"


def _bucket(client_id: int, moment: datetime) -> int:
    """The MessageStats row of a client's hour, created when missing (race-safe)."""
    period = period_of(moment)
    row = (
        MessageStats.objects.filter(client_id=client_id, period_start=period)
        .values_list("pk", flat=True)
        .first()
    )
    if row is not None:
        return row
    try:
        with transaction.atomic():
            return MessageStats.objects.create(client_id=client_id, period_start=period).pk
    except IntegrityError:
        return MessageStats.objects.get(client_id=client_id, period_start=period).pk


class StatsAccumulator:
    """Statistics of the messages created in one batch, written once at the end of it.

    Rows are read with ``SELECT ... FOR UPDATE`` (a no-op on SQLite, whose write transaction
    already excludes other writers), so concurrent batches on PostgreSQL never lose an update.
    """

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.recounts: dict[tuple[int, int], set[datetime]] = {}  # (client, chat) -> hours

    def add_message(self, message: Message) -> None:
        self.messages.append(message)

    def recount(self, *, client_id: int, chat_id: int, moments: list[datetime]) -> None:
        """After the increments, recompute these hours and this chat from the rows: for a row
        whose time or type changed (a message created by an edit, completed by its original)."""
        periods = self.recounts.setdefault((client_id, chat_id), set())
        periods.update(period_of(moment) for moment in moments)

    def flush(self) -> None:
        if self.messages:
            self._flush_buckets()
            self._flush_chats()
            self.messages = []
        for (client_id, chat_id), periods in sorted(self.recounts.items()):
            _recount(client_id, chat_id, periods)
        self.recounts = {}

    def _flush_buckets(self) -> None:
        counts: dict[tuple[int, datetime], dict[str, int]] = {}
        for m in self.messages:
            bucket = counts.setdefault((m.client_id, period_of(m.timestamp)), {})
            for column in ("total", "sent" if m.from_me else "received", _type_column(m.type)):
                bucket[column] = bucket.get(column, 0) + 1
        for (client_id, period), columns in sorted(counts.items()):
            MessageStats.objects.filter(pk=_bucket(client_id, period)).update(
                **{column: F(column) + n for column, n in columns.items()}
            )

    def _flush_chats(self) -> None:
        by_chat: dict[int, list[Message]] = {}
        for m in self.messages:
            by_chat.setdefault(m.chat_id, []).append(m)
        chats = {
            c.pk: c
            for c in Chat.objects.select_for_update().filter(pk__in=list(by_chat)).order_by("pk")
        }
        contacts = _contact_rows(chats)
        chat_rows, contact_rows = [], []
        for chat_id, batch in sorted(by_chat.items()):
            batch.sort(key=lambda m: (m.timestamp, m.pk))
            chat, contact = chats[chat_id], contacts[chat_id]
            previous_last = chat.last_message_at
            newest = batch[-1]
            if previous_last is None or newest.timestamp >= previous_last:
                chat.last_message_at, chat.last_message_from_me = newest.timestamp, newest.from_me
            chat.message_count += len(batch)
            chat_rows.append(chat)
            contact.total += len(batch)
            contact.sent += sum(1 for m in batch if m.from_me)
            contact.received += sum(1 for m in batch if not m.from_me)
            contact.first_message_at = min(
                filter(None, (contact.first_message_at, batch[0].timestamp))
            )
            contact.last_message_at = max(filter(None, (contact.last_message_at, newest.timestamp)))
            if previous_last is None or batch[0].timestamp >= previous_last:
                _extend_responses(contact, batch)
            else:  # arrived out of order: recompute from the rows, as the rebuild does
                for field, value in responses_from_rows(chat).items():
                    setattr(contact, field, value)
            contact_rows.append(contact)
        update_rows(Chat, chat_rows, ["message_count", "last_message_at", "last_message_from_me"])
        update_rows(ContactStats, contact_rows, CONTACT_FIELDS)


CONTACT_FIELDS = [
    "total",
    "received",
    "sent",
    "first_message_at",
    "last_message_at",
    "responses",
    "response_seconds_total",
    "first_response_seconds",
    "waiting_since",
]


def _contact_rows(chats: dict[int, Chat]) -> dict[int, ContactStats]:
    rows = {
        c.chat_id: c
        for c in ContactStats.objects.select_for_update().filter(chat_id__in=list(chats))
    }
    missing = [
        ContactStats(client_id=chat.client_id, chat_id=pk)
        for pk, chat in chats.items()
        if pk not in rows
    ]
    if missing:
        ContactStats.objects.bulk_create(missing, ignore_conflicts=True)
        rows = {
            c.chat_id: c
            for c in ContactStats.objects.select_for_update().filter(chat_id__in=list(chats))
        }
    return rows


def _extend_responses(contact: ContactStats, batch: list[Message]) -> None:
    """Messages newer than everything stored: extend the response figures in memory."""
    for m in batch:
        if not m.from_me:
            contact.waiting_since = contact.waiting_since or m.timestamp
        elif contact.waiting_since is not None:
            seconds = (m.timestamp - contact.waiting_since).total_seconds()
            contact.responses += 1
            contact.response_seconds_total += seconds
            if contact.first_response_seconds is None:
                contact.first_response_seconds = seconds
            contact.waiting_since = None


def responses_from_rows(chat: Chat) -> dict:
    """Response figures of a chat computed from its messages in time order."""
    waiting: datetime | None = None
    responses, total, first = 0, 0.0, None
    rows = (
        Message.objects.filter(chat=chat)
        .order_by("timestamp", "pk")
        .values_list("timestamp", "from_me")
    )
    for moment, from_me in rows:
        if not from_me:
            waiting = waiting or moment
        elif waiting is not None:
            seconds = (moment - waiting).total_seconds()
            responses, total = responses + 1, total + seconds
            first = seconds if first is None else first
            waiting = None
    return {
        "responses": responses,
        "response_seconds_total": total,
        "first_response_seconds": first,
        "waiting_since": waiting,
    }


def contact_stats_refresh_responses(*, chat: Chat) -> None:
    ContactStats.objects.filter(chat=chat).update(**responses_from_rows(chat))


def stats_record_step(*, message: Message, step: str) -> None:
    """A message reached delivered/read/failed for the first time: count it in its hour."""
    column = STEP_COUNTERS.get(step)
    if column is None:
        return
    MessageStats.objects.filter(pk=_bucket(message.client_id, message.timestamp)).update(
        **{column: F(column) + 1}
    )


def realtime_row(client: Client) -> RealTimeStats:
    row = RealTimeStats.objects.filter(client=client).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            return RealTimeStats.objects.create(client=client)
    except IntegrityError:
        return RealTimeStats.objects.get(client=client)


def realtime_refresh(*, client: Client, now: datetime | None = None) -> RealTimeStats:
    """Recompute the live figures of a client from its rows."""
    now = now or timezone.now()
    row = realtime_row(client)
    chats = Chat.objects.filter(client=client)
    recent = Message.objects.filter(
        client=client, timestamp__gte=now - timedelta(minutes=5)
    ).count()
    contact = ContactStats.objects.filter(client=client).aggregate(
        waiting=Count("pk", filter=Q(waiting_since__isnull=False)),
        first=Avg("first_response_seconds"),
    )
    last_events = WebhookEvent.objects.filter(client=client, processing_ms__isnull=False).order_by(
        "-id"
    )[:200]
    processing = [ms for ms in last_events.values_list("processing_ms", flat=True)]
    RealTimeStats.objects.filter(pk=row.pk).update(
        active_chats=chats.filter(last_message_at__gte=now - ACTIVE_WINDOW).count(),
        waiting_chats=contact["waiting"] or 0,
        messages_per_minute=round(recent / 5.0, 2),
        avg_first_response_seconds=contact["first"],
        avg_processing_ms=round(sum(processing) / len(processing), 2) if processing else None,
    )
    row.refresh_from_db()
    return row


REALTIME_EVERY_SECONDS = 10.0
_realtime_done: dict[int, float] = {}  # client id -> monotonic time of its last refresh here


def realtime_refresh_due(client_ids: list[int]) -> None:
    """``realtime_refresh`` for the clients whose events were just applied, at most once every
    REALTIME_EVERY_SECONDS per client and process: the live figures the admin and the status
    page show stay fresh without a recount per batch. Best effort: a database error leaves
    the figures as they were (the next batch tries again)."""
    now = time.monotonic()
    for client_id in client_ids:
        if now - _realtime_done.get(client_id, float("-inf")) < REALTIME_EVERY_SECONDS:
            continue
        try:
            realtime_refresh(client=Client(pk=client_id))
        except DatabaseError:
            logger.warning("live figures of client %s not refreshed", client_id, exc_info=True)
            continue
        _realtime_done[client_id] = now


def _bucket_counts(rows) -> dict[datetime, dict[str, int]]:
    """MessageStats columns per hour of ``values_list`` rows (timestamp, from_me, type, steps)."""
    buckets: dict[datetime, dict[str, int]] = {}
    for moment, from_me, msg_type, delivered, read, failed in rows:
        counts = buckets.setdefault(period_of(moment), {})
        for column in ("total", "sent" if from_me else "received", _type_column(msg_type)):
            counts[column] = counts.get(column, 0) + 1
        for column, value in (("delivered", delivered), ("read", read), ("failed", failed)):
            if value is not None:
                counts[column] = counts.get(column, 0) + 1
    return buckets


_COUNTED_COLUMNS = ("timestamp", "from_me", "type", "delivered_at", "read_at", "failed_at")
_BUCKET_COLUMNS = tuple(
    f.name
    for f in MessageStats._meta.concrete_fields
    if f.name not in ("id", "client", "period_start")
)


def _recount(client_id: int, chat_id: int, periods: set[datetime]) -> None:
    """Hours of a client and one chat's counters, recomputed from the rows (as the rebuild)."""
    for period in sorted(periods):
        rows = Message.objects.filter(
            client_id=client_id, timestamp__gte=period, timestamp__lt=period + timedelta(hours=1)
        ).values_list(*_COUNTED_COLUMNS)
        counts = _bucket_counts(rows).get(period, {})
        if not counts:  # the rebuild keeps no empty hours
            MessageStats.objects.filter(client_id=client_id, period_start=period).delete()
            continue
        MessageStats.objects.filter(pk=_bucket(client_id, period)).update(
            **{column: counts.get(column, 0) for column in _BUCKET_COLUMNS}
        )
    chat = Chat.objects.select_for_update().get(pk=chat_id)
    messages = Message.objects.filter(chat=chat)
    newest = messages.order_by("-timestamp", "-pk").values_list("timestamp", "from_me").first()
    chat.message_count = messages.count()
    chat.last_message_at, chat.last_message_from_me = newest or (None, False)
    chat.save(update_fields=["message_count", "last_message_at", "last_message_from_me"])
    agg = messages.aggregate(
        total=Count("pk"),
        received=Count("pk", filter=Q(from_me=False)),
        sent=Count("pk", filter=Q(from_me=True)),
    )
    first = messages.order_by("timestamp", "pk").values_list("timestamp", flat=True).first()
    ContactStats.objects.filter(chat=chat).update(
        **agg,
        first_message_at=first,
        last_message_at=newest[0] if newest else None,
        **responses_from_rows(chat),
    )


def stats_rebuild(*, client: Client) -> None:
    """Recompute every statistic of a client from its Message rows."""
    with transaction.atomic():
        MessageStats.objects.filter(client=client).delete()
        rows = Message.objects.filter(client=client).values_list(*_COUNTED_COLUMNS)
        buckets = _bucket_counts(rows.iterator())
        MessageStats.objects.bulk_create(
            MessageStats(client=client, period_start=period, **counts)
            for period, counts in buckets.items()
        )
        ContactStats.objects.filter(client=client).delete()
        for chat in Chat.objects.filter(client=client):
            agg = Message.objects.filter(chat=chat).aggregate(
                total=Count("pk"),
                received=Count("pk", filter=Q(from_me=False)),
                sent=Count("pk", filter=Q(from_me=True)),
            )
            if not agg["total"]:
                continue
            first_last = Message.objects.filter(chat=chat).order_by("timestamp")
            ContactStats.objects.create(
                client=client,
                chat=chat,
                first_message_at=first_last.first().timestamp,
                last_message_at=first_last.last().timestamp,
                **agg,
                **responses_from_rows(chat),
            )
