"""The queue mode's Celery tasks: apply committed events, sweep what was lost, fetch media.

Every task is idempotent: ``apply_events`` claims only rows still ``received``
(``FOR UPDATE SKIP LOCKED``: a row another worker holds is that worker's), so a task run twice,
re-queued after its worker died (late acks, ``task_reject_on_worker_lost``), or re-published by
the sweeper applies each event once. A database error rolls the chunk back and retries the task
with exponential backoff; after ``WEBHOOK_QUEUE_MAX_ATTEMPTS`` attempts its events still
``received`` end ``failed`` with the reason: the dead-letter state, visible and replayable in
the admin like any failed event. Media files are fetched by ``fetch_media`` on its own queue
(``media``), so a slow CDN never holds back the ``apply`` queue.
"""

from __future__ import annotations

import logging
import os
import sys
from datetime import timedelta

from celery import shared_task
from celery.signals import worker_init, worker_ready
from django.db import DatabaseError, InterfaceError, close_old_connections, transaction
from django.db.models import F
from django.utils import timezone

from webhook.applier import chunk_size
from webhook.conf import webhook_settings
from webhook.media.services import media_due, media_fetch_one, media_release_stale
from webhook.models import MediaFile, WebhookEvent
from webhook.processor import WhatsAppWebhookProcessor
from webhook.queue.locks import try_lock_client

logger = logging.getLogger(__name__)
SWEEP_LIMIT = 20_000  # ids re-published per sweep, at most
SWEEP_CHUNK = 256  # ids per re-published task
MEDIA_SWEEP_LIMIT = 500
RECEIVED = WebhookEvent.Status.RECEIVED


def backoff_seconds(attempt: int) -> float:
    """Seconds before retry ``attempt`` (1, 2, 3 ...): 1, 2, 4 ... capped at 60."""
    return float(min(2 ** max(attempt - 1, 0), 60))


def _claim(queryset, limit: int) -> list[WebhookEvent]:
    queryset = queryset.filter(status=RECEIVED).select_for_update(skip_locked=True)
    return list(queryset.order_by("pk")[:limit])


def apply_ids(ids: list[int], *, fill: bool = False) -> list[int]:
    """Claim the events among ``ids`` still ``received`` and apply them; returns their ids.

    One transaction per chunk (``webhook.applier.chunk_size``): rows are locked with
    ``FOR UPDATE SKIP LOCKED``, so a row another worker is applying is left to it. With
    ``fill`` (what tasks do), chunks are built one client at a time (:func:`_apply_client`)
    and topped up with that client's oldest other events still waiting: under a backlog a task
    applies whole chunks, as the embedded applier does (bigger transactions cost less per
    event), the tasks of the events it took find nothing left, and two workers take different
    clients instead of both locking every client of a mixed chunk (which serialised them).
    Then clients of the oldest waiting events are helped the same way, if no worker holds them
    (so a task whose events were taken still drains what waits)."""
    ordered = sorted({int(pk) for pk in ids})
    processor = WhatsAppWebhookProcessor()
    if not fill:
        return _apply_chunks(processor, ordered)
    applied: list[int] = []
    deferred = []
    own = _waiting_clients(WebhookEvent.objects.filter(pk__in=ordered))
    for client_id in own:
        done = _apply_client(processor, ordered, client_id, wait=False)
        if done is None:
            deferred.append(client_id)  # another worker holds it: come back at the end
        else:
            applied += done
    for client_id in _waiting_clients(WebhookEvent.objects.all()):
        if client_id not in own:
            applied += _apply_client(processor, [], client_id, wait=False) or []
    for client_id in deferred:  # what the other worker did not take, waiting for its lock
        if _pending(WebhookEvent.objects.filter(pk__in=ordered), client_id).exists():
            applied += _apply_client(processor, ordered, client_id, wait=True) or []
    return applied


def _apply_chunks(processor: WhatsAppWebhookProcessor, ordered: list[int]) -> list[int]:
    size, applied = chunk_size(), []
    for start in range(0, len(ordered), size):
        with transaction.atomic():
            events = _claim(WebhookEvent.objects.filter(pk__in=ordered[start : start + size]), size)
            if events:
                processor.process_batch([(event, None) for event in events])
        applied += [event.pk for event in events]
    return applied


def _pending(queryset, client_id: int | None):
    queryset = queryset.filter(status=RECEIVED)
    if client_id is None:
        return queryset.filter(client__isnull=True)
    return queryset.filter(client_id=client_id)


def _waiting_clients(queryset) -> list[int | None]:
    """Clients (None: not known at receipt) of the oldest events still waiting in ``queryset``,
    oldest first."""
    rows = queryset.filter(status=RECEIVED).order_by("pk").values_list("client_id", flat=True)
    return list(dict.fromkeys(rows[: chunk_size()]))


def _apply_client(
    processor: WhatsAppWebhookProcessor, ordered: list[int], client_id: int | None, *, wait: bool
) -> list[int] | None:
    """Apply this client's events among ``ordered``, each chunk topped up with the client's
    oldest other waiting events; None when ``wait`` is false and another transaction holds the
    client's advisory lock (the processor takes it again, and any other client an event
    resolves to: ``webhook.queue.locks``)."""
    size, applied = chunk_size(), []
    while True:
        with transaction.atomic():
            if client_id is not None and not wait and not try_lock_client(client_id):
                return None
            events = _claim(_pending(WebhookEvent.objects.filter(pk__in=ordered), client_id), size)
            mine = len(events)
            if len(events) < size:
                others = _pending(WebhookEvent.objects.exclude(pk__in=ordered), client_id)
                events += _claim(others, size - len(events))
            events.sort(key=lambda event: event.pk)
            if events:
                processor.process_batch([(event, None) for event in events])
        applied += [event.pk for event in events]
        if mine < size:  # this client's own events of the task are all taken
            return applied
        wait = True  # started on this client: the rest of its events, whoever holds it now


def dead_letter(ids: list[int], reason: str) -> int:
    """Events among ``ids`` still ``received`` end ``failed`` with ``reason``; returns how many."""
    return WebhookEvent.objects.filter(pk__in=ids, status=RECEIVED).update(
        status=WebhookEvent.Status.FAILED,
        error=reason[:5000],
        processed_at=timezone.now(),
        attempts=F("attempts") + 1,
    )


@shared_task(bind=True, name="webhook.queue.tasks.apply_events", max_retries=None)
def apply_events(self, ids: list[int]) -> int:
    """Apply these committed events (one receiver batch, or a sweeper's re-publish)."""
    try:
        applied = apply_ids(ids, fill=True)
    except (DatabaseError, InterfaceError) as exc:
        close_old_connections()
        attempt = self.request.retries + 1
        if attempt < webhook_settings.QUEUE_MAX_ATTEMPTS:
            logger.warning("apply_events: database error (%s); retry %s", exc, attempt)
            raise self.retry(exc=exc, countdown=backoff_seconds(attempt)) from exc
        reason = f"database error after {attempt} attempts: {type(exc).__name__}: {exc}"
        try:
            failed = dead_letter(ids, reason)
        except (DatabaseError, InterfaceError):  # still away: the sweeper publishes them again
            logger.exception("apply_events: %s events not applied; left to the sweeper", len(ids))
            return 0
        logger.error("apply_events: %s events failed: %s", failed, reason)
        return 0
    if applied:
        try:
            _publish_media_for(applied)
        except (DatabaseError, InterfaceError):  # the media sweep (beat) publishes them
            logger.warning("apply_events: media rows not published now", exc_info=True)
    return len(applied)


def stale_ids(*, lease: float | None = None, limit: int = SWEEP_LIMIT) -> list[int]:
    """Ids of events still ``received`` that were stored more than ``lease`` seconds ago."""
    lease = webhook_settings.QUEUE_LEASE_SECONDS if lease is None else lease
    cutoff = timezone.now() - timedelta(seconds=lease)
    queryset = WebhookEvent.objects.filter(status=RECEIVED, received_at__lt=cutoff)
    return list(queryset.order_by("pk").values_list("pk", flat=True)[:limit])


@shared_task(name="webhook.queue.tasks.sweep")
def sweep() -> int:
    """Re-publish the events still ``received`` after the lease (a publish lost with a broker
    outage or a receiver that died, a task lost with its worker); returns how many.

    The re-published tasks expire after one lease: if they wait that long in the broker, the
    next sweep publishes the events again rather than piling copies up."""
    ids = stale_ids()
    expires = max(webhook_settings.QUEUE_LEASE_SECONDS, 5.0)
    for start in range(0, len(ids), SWEEP_CHUNK):
        apply_events.apply_async((ids[start : start + SWEEP_CHUNK],), expires=expires)
    if ids:
        logger.warning("sweep: %s events still received after the lease, re-published", len(ids))
    media_sweep.delay()
    return len(ids)


@shared_task(name="webhook.queue.tasks.fetch_media")
def fetch_media(pk: int) -> str:
    """Fetch one media file (``webhook.media.services.media_fetch_one``), queue ``media``."""
    return media_fetch_one(pk=pk)


@shared_task(name="webhook.queue.tasks.media_sweep")
def media_sweep() -> int:
    """Publish a ``fetch_media`` for every media row due (new, or its retry time has come)."""
    if not webhook_settings.MEDIA_FETCH:
        return 0
    media_release_stale()
    due = media_due(limit=MEDIA_SWEEP_LIMIT)
    for pk in due:
        fetch_media.apply_async((pk,), expires=60)
    return len(due)


def _publish_media_for(ids: list[int]) -> None:
    """The media rows these events just created, to the ``media`` queue at once."""
    if not webhook_settings.MEDIA_FETCH:
        return
    pending = MediaFile.objects.filter(
        message__webhook_event_id__in=ids, state=MediaFile.State.PENDING
    ).values_list("pk", flat=True)
    for pk in pending:
        fetch_media.apply_async((pk,), expires=60)


@worker_ready.connect
def _sweep_at_start(sender=None, **_kwargs) -> None:
    """A worker that starts sweeps once: what waited while no worker ran is applied now."""
    try:
        sweep.apply_async(expires=30)
    except Exception:  # noqa: BLE001 - the broker may not be back yet; beat sweeps anyway
        logger.warning("worker start: sweep not published", exc_info=True)


@worker_init.connect
def _refuse_without_postgresql(sender=None, **_kwargs) -> None:
    """A worker on a database the queue mode cannot use stops at once, with one clear line
    (an exception here would only be logged by Celery's signal dispatch)."""
    from webhook.queue.checks import queue_mode_problem

    if problem := queue_mode_problem("celery"):
        print(problem, file=sys.stderr, flush=True)
        os._exit(2)
