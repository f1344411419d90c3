"""The background applier: applies stored events off the request path.

Events are durable before they reach it (status ``received``), so a crash loses nothing: on
start, and periodically, it sweeps the table for ``received`` events nobody applied.
"""

from __future__ import annotations

import logging
import queue
import threading
import time

from django.db import DatabaseError, close_old_connections

from webhook.events import ParseResult
from webhook.models import WebhookEvent
from webhook.processor import WhatsAppWebhookProcessor

logger = logging.getLogger(__name__)
SWEEP_SECONDS = 10.0
STALE_SECONDS = 30.0


class Applier:
    def __init__(self) -> None:
        self._queue: queue.Queue[tuple[int, ParseResult | None]] = queue.Queue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_sweep = 0.0

    def submit(self, event_id: int, parsed: ParseResult | None = None) -> None:
        self._queue.put((event_id, parsed))

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="webhook-applier", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def pending(self) -> int:
        return self._queue.qsize()

    def _run(self) -> None:
        processor = WhatsAppWebhookProcessor()
        while not self._stop.is_set() or not self._queue.empty():
            try:
                event_id, parsed = self._queue.get(timeout=0.5)
            except queue.Empty:
                self._sweep(processor)
                continue
            try:
                event = WebhookEvent.objects.filter(pk=event_id, status=WebhookEvent.Status.RECEIVED).first()
                if event is not None:
                    processor.process(event, parsed)
            except DatabaseError:
                logger.exception("applier: database error on event %s; the sweep retries it", event_id)
                close_old_connections()

    def _sweep(self, processor: WhatsAppWebhookProcessor) -> None:
        """Apply events left ``received`` by a crash or a lost queue."""
        now = time.monotonic()
        if now - self._last_sweep < SWEEP_SECONDS:
            return
        self._last_sweep = now
        from datetime import timedelta

        from django.utils import timezone

        cutoff = timezone.now() - timedelta(seconds=STALE_SECONDS)
        try:
            for event in WebhookEvent.objects.filter(
                status=WebhookEvent.Status.RECEIVED, received_at__lt=cutoff
            ).order_by("pk")[:1000]:
                processor.process(event)
        except DatabaseError:
            logger.warning("applier sweep failed; retrying later")
        finally:
            close_old_connections()


applier = Applier()
