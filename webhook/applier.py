"""The applier: applies stored events off the request path, in batches.

The receiver only commits the raw event and answers; events wait in the table with status
``received``. This loop claims them oldest first, a chunk at a time, and applies each chunk in
one transaction (``WhatsAppWebhookProcessor.process_batch``). Because it reads its work from
the table, a crash or restart loses nothing: the next loop picks up where the last one stopped.

PostgreSQL takes many writers at once: receivers commit their own acks (``webhook.writer``)
and several appliers may run side by side (rows are claimed with ``FOR UPDATE SKIP LOCKED``).
SQLite takes one writer at a time, so there the applier is also the receivers' writer: it
listens on a local socket (``webhook.channel``), commits the acks that are waiting in one
transaction, answers them, and applies in slices between ack batches, so that acks never queue
behind a long apply and no two processes fight over the lock.

Run it with ``python manage.py webhook_apply`` (``servidor_webhook_local.py`` starts one and
restarts it if it dies).
"""

from __future__ import annotations

import logging
import os
import threading
import time

from django.db import DatabaseError, close_old_connections, connection, transaction

from webhook import channel, spool
from webhook.dblock import write_lock
from webhook.models import WebhookEvent
from webhook.processor import WhatsAppWebhookProcessor

logger = logging.getLogger(__name__)
CHUNK_SIZE = int(os.environ.get("WEBHOOK_APPLY_CHUNK", "0"))  # 0: by database, see chunk_size()
# When less than a full chunk was waiting, let more accumulate: bigger chunks cost less per
# event, and short transactions let the receivers' writers in (one SQLite writer at a time).
IDLE_SECONDS = float(os.environ.get("WEBHOOK_APPLY_IDLE", "0.05"))
SPOOL_CHECK_SECONDS = 5.0
# SQLite, while acks flow: apply this many events between ack batches (each apply makes the
# waiting acks wait: ~25 ms here), and never let applying fall behind by more than this long.
ACK_SLICE = 48
MAX_APPLY_DELAY = 0.25
POLL_GAP = 0.002  # how long to gather more ack requests before applying


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
    path = None if once else channel.socket_path()
    if path is not None:
        try:
            server = channel.ChannelServer(path)
        except OSError:
            logger.warning("applier: cannot listen on %s; receivers commit their acks", path)
        else:
            return _serve_and_apply(stop, server)
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
            stop.wait(IDLE_SECONDS)
    return total


def _serve_and_apply(stop: threading.Event, server: channel.ChannelServer) -> int:
    """SQLite: the one writer. Acks first; applying in slices while they flow, in full chunks
    when the receivers are quiet, and at least every MAX_APPLY_DELAY seconds."""
    processor = WhatsAppWebhookProcessor()
    total, spool_checked, wait = 0, 0.0, IDLE_SECONDS
    acked, last_apply = 0, time.monotonic()
    try:
        while not stop.is_set():
            requests = server.poll(wait)
            try:
                if requests:
                    channel.serve_requests(server, requests)
                    acked += len(requests)
                spool_checked = _drain_spool_now_and_then(spool_checked)
                applied = 0
                if (
                    not requests
                    or acked >= ACK_SLICE
                    or time.monotonic() - last_apply > MAX_APPLY_DELAY
                ):
                    limit = ACK_SLICE if requests else chunk_size()
                    applied = apply_pending(processor=processor, limit=limit)
                    acked, last_apply = 0, time.monotonic()
            except (DatabaseError, OSError):
                _database_unavailable(stop)
                applied = 0
            total += applied
            # Requests flowing: gather the next ones for a moment; a backlog: keep applying.
            wait = POLL_GAP if requests else (0 if applied else IDLE_SECONDS)
    finally:
        server.close()
    return total


def _drain_spool_now_and_then(last_check: float) -> float:
    if time.monotonic() - last_check < SPOOL_CHECK_SECONDS:
        return last_check
    try:
        if spool.pending_files():
            spool.drain()
    except (DatabaseError, OSError):
        logger.warning("applier: spool not drained yet; the database is unavailable")
    return time.monotonic()


def _database_unavailable(stop: threading.Event) -> None:
    logger.warning("applier: database unavailable; retrying", exc_info=True)
    close_old_connections()
    stop.wait(1.0)
