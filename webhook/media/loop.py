"""The fetch loop: pending media rows fetched beside the applier, never in a request.

Bounded concurrency (``WEBHOOK_MEDIA_CONCURRENCY`` threads, each with its own database
connection); retries wait their backoff (``next_attempt_at``). Runs inside ``webhook_apply``
(a thread) or alone with ``manage.py webhook_fetch_media --loop``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from django.db import DatabaseError, close_old_connections, connection

from webhook.conf import webhook_settings
from webhook.media.services import media_due, media_fetch_one, media_release_stale

logger = logging.getLogger(__name__)
IDLE_SECONDS = 1.0


def _fetch_in_worker(pk: int) -> str:
    try:
        return media_fetch_one(pk=pk)
    except DatabaseError:
        logger.warning("media: #%s not fetched now; the database is unavailable", pk)
        return ""
    finally:
        connection.close()  # this thread's own connection


def fetch_batch(
    ids: list[int], *, concurrency: int, progress: Callable[[str], None] | None = None
) -> dict[str, int]:
    """Fetch these rows, ``concurrency`` at a time; returns counts by resulting state."""
    counts: dict[str, int] = {}

    def done(state: str) -> None:
        counts[state or "skipped_busy"] = counts.get(state or "skipped_busy", 0) + 1
        if progress:
            progress(state)

    if concurrency <= 1:
        for pk in ids:
            done(media_fetch_one(pk=pk))
        return counts
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="media") as pool:
        for state in pool.map(_fetch_in_worker, ids):
            done(state)
    return counts


def run(stop, *, once: bool = False, concurrency: int | None = None) -> int:
    """Fetch until stopped (``once``: until nothing is due). Returns rows handled."""
    concurrency = concurrency or webhook_settings.MEDIA_CONCURRENCY
    total = 0
    try:
        media_release_stale()
    except DatabaseError:
        logger.warning("media: database unavailable at start", exc_info=True)
    while not stop.is_set():
        try:
            ids = media_due(limit=concurrency * 4)
            if ids:
                total += sum(fetch_batch(ids, concurrency=concurrency).values())
        except DatabaseError:
            logger.warning("media: database unavailable; retrying", exc_info=True)
            close_old_connections()
            ids = []
        if once and not ids:
            break
        if not ids:
            stop.wait(IDLE_SECONDS)
    return total


def start_thread(stop) -> threading.Thread | None:
    """The loop in a daemon thread of the applier process (its own connection)."""
    if not webhook_settings.MEDIA_FETCH:
        return None

    def target() -> None:
        try:
            run(stop)
        finally:
            connection.close()

    thread = threading.Thread(target=target, name="media-fetch", daemon=True)
    thread.start()
    return thread
