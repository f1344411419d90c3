"""The background applier's queue: stored events waiting to be applied off the request path.

It has no thread of its own: the writer thread (``webhook.writer``) applies a small,
time-bounded chunk whenever no acknowledgement is waiting, so on SQLite the two never fight
for the database lock and an ack never waits behind more than one chunk. Events are durable
before they get here (status ``received``): after a crash the sweep finds those nobody applied.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from datetime import timedelta

from django.db import DatabaseError, close_old_connections
from django.utils import timezone

from webhook.events import ParseResult
from webhook.models import WebhookEvent
from webhook.processor import WhatsAppWebhookProcessor

logger = logging.getLogger(__name__)
SWEEP_SECONDS = 10.0
STALE_SECONDS = 30.0
CHUNK_SIZE = 64
CHUNK_SECONDS = 0.010

Item = tuple[WebhookEvent, ParseResult | None]


class Applier:
    def __init__(self) -> None:
        self._items: collections.deque[Item] = collections.deque()
        self._lock = threading.Lock()
        self._last_sweep = 0.0
        self._processor: WhatsAppWebhookProcessor | None = None

    def submit(self, event: WebhookEvent, parsed: ParseResult | None = None) -> None:
        from webhook.writer import writer

        with self._lock:
            self._items.append((event, parsed))
        writer.wake()

    def pending(self) -> int:
        return len(self._items)

    def _take(self, limit: int) -> list[Item]:
        with self._lock:
            return [self._items.popleft() for _ in range(min(limit, len(self._items)))]

    def _give_back(self, items: list[Item]) -> None:
        with self._lock:
            self._items.extendleft(reversed(items))

    def apply_chunk(self) -> int:
        """Apply up to one chunk (bounded in count and time); returns how many were applied."""
        processor = self._processor = self._processor or WhatsAppWebhookProcessor()
        items = self._take(CHUNK_SIZE)
        if not items:
            self._sweep(processor)
            return 0
        try:
            done = processor.process_batch(items, deadline=time.perf_counter() + CHUNK_SECONDS)
        except DatabaseError:
            logger.exception("applier: database error on %s events; retried later", len(items))
            close_old_connections()
            self._give_back(items)
            return 0
        self._give_back(items[len(done):])
        return len(done)

    def _sweep(self, processor: WhatsAppWebhookProcessor) -> None:
        """Apply events left ``received`` by a crash (or by a batch that hit an outage)."""
        now = time.monotonic()
        if now - self._last_sweep < SWEEP_SECONDS:
            return
        self._last_sweep = now
        cutoff = timezone.now() - timedelta(seconds=STALE_SECONDS)
        try:
            stale = list(
                WebhookEvent.objects.filter(status=WebhookEvent.Status.RECEIVED, received_at__lt=cutoff)
                .order_by("pk")[:CHUNK_SIZE]
            )
            if stale:
                processor.process_batch([(event, None) for event in stale])
        except DatabaseError:
            logger.warning("applier sweep failed; retrying later")
            close_old_connections()


applier = Applier()
