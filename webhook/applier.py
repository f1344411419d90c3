"""The applier: applies stored events off the request path, in batches.

The receiver only commits the raw event (``webhook.writer``) and answers; events wait in the
table with status ``received``. This loop claims them oldest first, a chunk at a time, and
applies each chunk in one transaction (``WhatsAppWebhookProcessor.process_batch``). Because it
reads its work from the table, a crash or restart loses nothing: the next loop picks up where
the last one stopped. On PostgreSQL several appliers may run side by side (rows are claimed
with ``FOR UPDATE SKIP LOCKED``); on SQLite one is enough.

Run it with ``python manage.py webhook_apply`` (``servidor_webhook_local.py`` starts one).
"""

from __future__ import annotations

import logging
import os
import threading
import time

from django.db import DatabaseError, close_old_connections, connection, transaction

from webhook import spool
from webhook.dblock import write_lock
from webhook.models import WebhookEvent
from webhook.processor import WhatsAppWebhookProcessor

logger = logging.getLogger(__name__)
CHUNK_SIZE = int(os.environ.get("WEBHOOK_APPLY_CHUNK", "0"))  # 0: by database, see chunk_size()
# When less than a full chunk was waiting, let more accumulate: bigger chunks cost less per
# event, and short transactions let the receivers' writers in (one SQLite writer at a time).
IDLE_SECONDS = float(os.environ.get("WEBHOOK_APPLY_IDLE", "0.05"))
SPOOL_CHECK_SECONDS = 5.0


def chunk_size() -> int:
    """Events per transaction. Bigger chunks cost less per event; on SQLite a chunk holds the
    one write lock the receivers' acks also need, so it stays short there."""
    return CHUNK_SIZE or (64 if connection.vendor == "sqlite" else 256)


def apply_pending(*, limit: int = 0, processor: WhatsAppWebhookProcessor | None = None) -> int:
    """Claim and apply up to ``limit`` received events; returns how many were applied."""
    limit = limit or chunk_size()
    processor = processor or WhatsAppWebhookProcessor()
    with write_lock(), transaction.atomic():
        queryset = WebhookEvent.objects.filter(status=WebhookEvent.Status.RECEIVED).order_by("pk")
        if connection.features.has_select_for_update_skip_locked:
            queryset = queryset.select_for_update(skip_locked=True)
        events = list(queryset[:limit])
        if events:
            processor.process_batch([(event, None) for event in events])
    return len(events)


def run(stop: threading.Event | None = None, *, once: bool = False) -> int:
    """Apply until stopped (or, with ``once``, until nothing is left). Returns events applied."""
    stop = stop or threading.Event()
    processor = WhatsAppWebhookProcessor()
    total, last_spool_check = 0, 0.0
    while not stop.is_set():
        try:
            if time.monotonic() - last_spool_check > SPOOL_CHECK_SECONDS:
                last_spool_check = time.monotonic()
                if spool.pending_files():
                    spool.drain()
            applied = apply_pending(processor=processor)
        except (DatabaseError, OSError):
            logger.warning("applier: database unavailable; retrying", exc_info=True)
            close_old_connections()
            applied = 0
            if once:
                raise
            stop.wait(1.0)
        total += applied
        if once and not applied:
            return total
        if applied < chunk_size() and not once:
            stop.wait(IDLE_SECONDS)
    return total
