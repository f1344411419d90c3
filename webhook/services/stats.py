"""Statistics: derived data, updated as events are applied and rebuildable from the rows.

Counters move with ``F()`` increments (safe under concurrency, independent of order). The
response-time figures of a chat depend on the order of its messages: they are extended in
place when a message arrives in order, and recomputed from the chat's rows when one arrives
out of order, so the running figures always equal :func:`stats_rebuild`'s.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, F, Q
from django.db.models.functions import Greatest, Least
from django.utils import timezone

from webhook.models import Chat, Client, ContactStats, Message, MessageStats, RealTimeStats, WebhookEvent

STEP_COUNTERS = {"delivered": "delivered", "read": "read", "failed": "failed"}
ACTIVE_WINDOW = timedelta(minutes=15)


def period_of(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _type_column(message_type: str) -> str:
    return message_type if message_type in MessageStats.COUNTED_TYPES else "other"


def _bucket(client_id: int, moment: datetime) -> int:
    period = period_of(moment)
    row = MessageStats.objects.filter(client_id=client_id, period_start=period).values_list("pk", flat=True).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            return MessageStats.objects.create(client_id=client_id, period_start=period).pk
    except IntegrityError:
        return MessageStats.objects.get(client_id=client_id, period_start=period).pk


def _contact_row(message: Message, chat: Chat) -> ContactStats:
    row = ContactStats.objects.filter(chat=chat).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            return ContactStats.objects.create(client_id=message.client_id, chat=chat)
    except IntegrityError:
        return ContactStats.objects.get(chat=chat)


def stats_record_message(*, message: Message, chat: Chat) -> None:
    """Count a newly stored message in its hour, its chat and its contact's figures."""
    direction = "sent" if message.from_me else "received"
    MessageStats.objects.filter(pk=_bucket(message.client_id, message.timestamp)).update(
        total=F("total") + 1,
        **{direction: F(direction) + 1, _type_column(message.type): F(_type_column(message.type)) + 1},
    )
    previous_last = chat.last_message_at
    in_order = previous_last is None or message.timestamp >= previous_last
    chat_changes = {
        "message_count": F("message_count") + 1,
        "last_message_at": Greatest(F("last_message_at"), message.timestamp)
        if previous_last
        else message.timestamp,
    }
    if in_order:
        chat_changes["last_message_from_me"] = message.from_me
    Chat.objects.filter(pk=chat.pk).update(**chat_changes)
    row = _contact_row(message, chat)
    ContactStats.objects.filter(pk=row.pk).update(
        total=F("total") + 1,
        **{direction: F(direction) + 1},
        first_message_at=Least(F("first_message_at"), message.timestamp)
        if row.first_message_at
        else message.timestamp,
        last_message_at=Greatest(F("last_message_at"), message.timestamp)
        if row.last_message_at
        else message.timestamp,
    )
    if in_order:
        _extend_responses(row, message)
    else:
        contact_stats_refresh_responses(chat=chat)


def _extend_responses(row: ContactStats, message: Message) -> None:
    """The newest message of a chat: extend the response figures without re-reading the chat."""
    if not message.from_me:
        ContactStats.objects.filter(pk=row.pk, waiting_since__isnull=True).update(
            waiting_since=message.timestamp
        )
        return
    row.refresh_from_db(fields=["waiting_since", "first_response_seconds"])
    if row.waiting_since is None:
        return
    seconds = (message.timestamp - row.waiting_since).total_seconds()
    ContactStats.objects.filter(pk=row.pk).update(
        responses=F("responses") + 1,
        response_seconds_total=F("response_seconds_total") + seconds,
        first_response_seconds=row.first_response_seconds if row.first_response_seconds is not None else seconds,
        waiting_since=None,
    )


def responses_from_rows(chat: Chat) -> dict:
    """Response figures of a chat computed from its messages in time order."""
    waiting: datetime | None = None
    responses, total, first = 0, 0.0, None
    rows = Message.objects.filter(chat=chat).order_by("timestamp", "pk").values_list("timestamp", "from_me")
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
    recent = Message.objects.filter(client=client, timestamp__gte=now - timedelta(minutes=5)).count()
    contact = ContactStats.objects.filter(client=client).aggregate(
        waiting=Count("pk", filter=Q(waiting_since__isnull=False)),
        first=Avg("first_response_seconds"),
    )
    last_events = WebhookEvent.objects.filter(client=client, processing_ms__isnull=False).order_by("-id")[:200]
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


def stats_rebuild(*, client: Client) -> None:
    """Recompute every statistic of a client from its Message rows."""
    with transaction.atomic():
        MessageStats.objects.filter(client=client).delete()
        buckets: dict[datetime, dict[str, int]] = {}
        rows = Message.objects.filter(client=client).values_list(
            "timestamp", "from_me", "type", "delivered_at", "read_at", "failed_at"
        )
        for moment, from_me, msg_type, delivered, read, failed in rows.iterator():
            counts = buckets.setdefault(period_of(moment), {})
            for column in ("total", "sent" if from_me else "received", _type_column(msg_type)):
                counts[column] = counts.get(column, 0) + 1
            for column, value in (("delivered", delivered), ("read", read), ("failed", failed)):
                if value is not None:
                    counts[column] = counts.get(column, 0) + 1
        MessageStats.objects.bulk_create(
            MessageStats(client=client, period_start=period, **counts) for period, counts in buckets.items()
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
