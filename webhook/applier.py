"""The applier: applies stored events off the request path, in batches.

The receiver only commits the raw event and answers (``webhook.writer``). With PostgreSQL the
events wait in the WebhookEvent table with status ``received``; with SQLite they wait in the
inbox (``webhook.inbox``), a file of their own, so that acks never queue behind this loop's
transactions for SQLite's one write lock. This loop takes them oldest first, a chunk at a
time, and applies each chunk in one transaction of the main database
(``WhatsAppWebhookProcessor.process_batch``); inbox rows become WebhookEvents in that same
transaction. Because it reads its work from durable storage, a crash or restart loses
nothing: the next loop picks up where the last one stopped. On PostgreSQL several appliers
may run side by side (rows are claimed with ``FOR UPDATE SKIP LOCKED``).

Run it with ``python manage.py webhook_apply`` (``servidor_webhook_local.py`` starts one and
starts another if it dies).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Protocol

from django.db import DatabaseError, close_old_connections, connection, transaction

from webhook import inbox, spool
from webhook.conf import webhook_settings
from webhook.dblock import write_lock
from webhook.models import WebhookEvent
from webhook.processor import WhatsAppWebhookProcessor
from webhook.services.rows import insert_ignoring_conflicts

logger = logging.getLogger(__name__)
SPOOL_CHECK_SECONDS = 5.0


def chunk_size() -> int:
    """Events per transaction, at most: bigger chunks cost less per event, and no ack waits
    for them. Measured alone on SQLite, 15,000 events over 200 chats: 2,985 events/s at 256,
    3,645 at 512, 4,012 at 1,024 (chats and counters are written once per chunk). A chunk is
    only as big as what waits: one delivery at a time is applied one at a time.
    WEBHOOK_APPLY_CHUNK sets another size (0: this one)."""
    return webhook_settings.APPLY_CHUNK or 1024


def apply_pending(*, limit: int = 0, processor: WhatsAppWebhookProcessor | None = None) -> int:
    """Claim and apply up to ``limit`` received events; returns how many were applied."""
    limit = limit or chunk_size()
    processor = processor or WhatsAppWebhookProcessor()
    moved = _from_inboxes(limit)
    with write_lock(), transaction.atomic():
        # Events already in the table first (claimed before the inbox rows are inserted, so
        # none is taken twice), then the inbox's: neither source waits for the other to empty.
        events = _claim(limit - len(moved)) if len(moved) < limit else []
        events += _move_in(moved)
        if events:
            processor.process_batch([(event, None) for event in events])
    for path in {path for path, _, _ in moved}:
        inbox.remove(path, [row_id for p, row_id, _ in moved if p == path])
        inbox.forget_if_abandoned(path)
    return len(events)


def _claim(limit: int) -> list[WebhookEvent]:
    """The oldest stored events still to apply (PostgreSQL: locked, skipping those another
    applier holds)."""
    queryset = WebhookEvent.objects.filter(status=WebhookEvent.Status.RECEIVED).order_by("pk")
    if connection.features.has_select_for_update_skip_locked:
        queryset = queryset.select_for_update(skip_locked=True)
    return list(queryset[:limit])


def _move_in(moved: list[tuple[str, int, dict]]) -> list[WebhookEvent]:
    """Store inbox rows as WebhookEvents; returns those to apply, as the objects just built
    (reading them back cost more than the rest of the move). A row whose delivery id is
    already stored was moved before a crash between the two commits: it is not stored again,
    and applied only if it is still waiting."""
    if not moved:
        return []
    rows = [WebhookEvent(**fields) for _, _, fields in moved]
    insert_ignoring_conflicts(WebhookEvent, rows)
    stored = {
        delivery_id: (pk, status)
        for delivery_id, pk, status in WebhookEvent.objects.filter(
            delivery_id__in=[row.delivery_id for row in rows]
        ).values_list("delivery_id", "pk", "status")
    }
    events = []
    for row in rows:
        row.pk, status = stored[row.delivery_id]
        row._state.adding, row._state.db = False, WebhookEvent.objects.db
        if status == WebhookEvent.Status.RECEIVED and row.status == status:
            events.append(row)
    return events


def _from_inboxes(limit: int) -> list[tuple[str, int, dict]]:
    """SQLite: up to ``limit`` of the oldest deliveries waiting in the receivers' inboxes."""
    rows: list[tuple[str, int, dict]] = []
    for path in inbox.paths():
        rows += [(path, row_id, fields) for row_id, fields in inbox.oldest(path, limit)]
    rows.sort(key=lambda row: row[2]["received_at"])  # ISO timestamps, all UTC
    return rows[:limit]


class Stop(Protocol):
    """What the loop needs of its stop signal: a threading.Event, or the command's
    SignalStop (set from signal handlers, where Event.set() could deadlock)."""

    def is_set(self) -> bool: ...

    def wait(self, timeout: float) -> bool: ...


def run(stop: Stop | None = None, *, once: bool = False) -> int:
    """Apply until stopped (or, with ``once``, until nothing is left). Returns events applied."""
    stop = stop or threading.Event()
    processor = WhatsAppWebhookProcessor()
    total, spool_checked = 0, 0.0
    while not stop.is_set():
        spool_checked = _drain_spool_now_and_then(spool_checked)
        try:
            applied = apply_pending(processor=processor)
        except (DatabaseError, OSError):
            if once:
                raise
            _database_unavailable(stop)
            continue
        total += applied
        if once and not applied:
            break
        if applied < chunk_size() and not once:
            # Less than a full chunk was waiting: let more accumulate (bigger chunks cost less).
            stop.wait(webhook_settings.APPLY_IDLE)
    return total


def _drain_spool_now_and_then(last_check: float) -> float:
    """Every few seconds: drain the outage spool, and delete the empty inboxes of receiver
    processes that are gone (a worker that died after its last delivery was moved)."""
    if time.monotonic() - last_check < SPOOL_CHECK_SECONDS:
        return last_check
    try:
        if spool.pending_files():
            spool.drain()
    except (DatabaseError, OSError):
        logger.warning("applier: spool not drained yet; the database is unavailable")
    for path in inbox.paths():
        inbox.forget_if_abandoned(path)
    return time.monotonic()


def _database_unavailable(stop: Stop) -> None:
    logger.warning("applier: database unavailable; retrying", exc_info=True)
    close_old_connections()
    stop.wait(1.0)
