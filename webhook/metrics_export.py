"""``/metrics`` for both servers: who may read it, and what it shows.

What the processes recorded (``webhook.metrics``), summed over the files of this server's
folder (and, for the Django server, the Celery workers' folders beside it: they have no HTTP
port of their own), plus what is computed at scrape time with a few cheap queries:

* backlog: events still ``received`` (and, on SQLite, waiting in the inboxes) and the age of
  the oldest, one indexed query;
* media queue: media files ``pending`` or ``fetching``;
* spool: bytes and deliveries waiting on disk for the database;
* limits: how often each protective limit refused a request (``webhook.limits``).

The queries are bounded in time like ``/readyz``'s (``webhook.health.Bounded``): during a
database outage the scrape still answers, with ``webhook_database_up 0``, so the receivers'
counters stay visible exactly when they matter.

Access: with ``WEBHOOK_METRICS_TOKEN`` set, ``Authorization: Bearer <token>`` from anywhere;
without it, loopback clients only (the real client address, after trusted proxies: a request
relayed by the local nginx counts as its original sender's).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from webhook import limits, metrics, spool
from webhook.conf import webhook_settings
from webhook.health import Bounded

LOOPBACK = ("127.0.0.0/8", "::1/128")
WORKERS_PREFIX = "worker-"
READ_CHUNK = 1024 * 1024
scrape_queries = Bounded("metrics queries")


def refusal(remote_addr: str, forwarded_for: str, authorization: str) -> tuple[int, str] | None:
    """None when this caller may read the metrics, else (status, reason)."""
    from webhook.sampling import bearer_matches
    from webhook.validators import WebhookValidator

    token = webhook_settings.METRICS_TOKEN
    if token:
        if bearer_matches(authorization, token):
            return None
        return 401, "send Authorization: Bearer <WEBHOOK_METRICS_TOKEN>"
    ip = WebhookValidator.client_ip(remote_addr, forwarded_for, webhook_settings.TRUSTED_PROXIES)
    try:
        WebhookValidator.check_ip(ip, LOOPBACK)
    except Exception:  # noqa: BLE001 - Forbidden, or an address that is not one
        return 403, "metrics are open to loopback clients only; set WEBHOOK_METRICS_TOKEN"
    return None


def folders(*, with_workers: bool) -> list[Path]:
    """The metrics folders this server shows: its own, and the workers' beside it."""
    own = metrics.run_dir()
    if own is None:
        return []
    found = [own]
    shared = Path(webhook_settings.SPOOL_DIR) / metrics.FOLDER
    if with_workers and own.parent == shared:
        found += sorted(p for p in shared.glob(f"{WORKERS_PREFIX}*") if p.is_dir() and p != own)
    return found


class _Files:
    """The multiprocess files of several folders, merged as one (prometheus_client's merge)."""

    def __init__(self, paths: list[Path]) -> None:
        self.paths = paths

    def collect(self) -> Iterator[Any]:
        from prometheus_client.multiprocess import MultiProcessCollector

        files = [str(f) for path in self.paths for f in sorted(path.glob("*.db"))]
        return iter(MultiProcessCollector.merge(files, accumulate=True))


def _database_numbers() -> dict[str, Any]:
    """Backlog and media queue: three aggregate queries on indexed columns."""
    from django.db import connection
    from django.db.models import Count, Min

    from webhook import inbox
    from webhook.models import MediaFile, WebhookEvent

    try:
        backlog = WebhookEvent.objects.filter(status=WebhookEvent.Status.RECEIVED).aggregate(
            count=Count("pk"), oldest=Min("received_at")
        )
        oldest = [backlog["oldest"]] if backlog["oldest"] else []
        count = backlog["count"]
        if inboxes := inbox.paths():  # SQLite: acked into the inboxes, not moved in yet
            count += inbox.pending_count()
            for path in inboxes:
                oldest += [fields["received_at"] for _, fields in inbox.oldest(path, 1)]
        waiting = (MediaFile.State.PENDING, MediaFile.State.FETCHING)
        media = dict(
            MediaFile.objects.filter(state__in=waiting)
            .values_list("state")
            .annotate(n=Count("pk"))
            .order_by()
        )
    finally:
        connection.close()  # the checking thread's own connection (see health._select_one)
    return {
        "backlog": count,
        "oldest_age": (time.time() - min(oldest).timestamp()) if oldest else 0.0,
        "media": {state: media.get(state, 0) for state in waiting},
    }


def _spool_numbers() -> tuple[int, int]:
    """(bytes, deliveries) waiting in the spool (newlines counted a megabyte at a time)."""
    size = lines = 0
    for path in spool.pending_files():
        try:
            with open(path, "rb") as handle:
                while chunk := handle.read(READ_CHUNK):
                    size += len(chunk)
                    lines += chunk.count(b"\n")
        except OSError:
            continue
    return size, lines


class _AtScrape:
    """What is true now rather than counted: computed on each scrape."""

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        answered, numbers = scrape_queries.run(
            _database_numbers, webhook_settings.READY_TIMEOUT_SECONDS
        )
        yield GaugeMetricFamily(
            "webhook_database_up",
            "1 when the scrape's queries answered in time, else 0 (the figures below are absent).",
            value=1 if answered else 0,
        )
        if answered:
            yield GaugeMetricFamily(
                "webhook_backlog_events",
                "Events stored and acknowledged, not applied yet (status received).",
                value=numbers["backlog"],
            )
            yield GaugeMetricFamily(
                "webhook_backlog_oldest_age_seconds",
                "Age of the oldest event still waiting to be applied (0: none waits).",
                value=round(numbers["oldest_age"], 3),
            )
            media = GaugeMetricFamily(
                "webhook_media_queue",
                "Media files waiting to be fetched, by state.",
                labels=["state"],
            )
            for state, count in numbers["media"].items():
                media.add_metric([state], count)
            yield media
        size, lines = _spool_numbers()
        yield GaugeMetricFamily(
            "webhook_spool_bytes",
            "Bytes of deliveries spooled to disk during a database outage.",
            value=size,
        )
        yield GaugeMetricFamily(
            "webhook_spool_events",
            "Deliveries spooled to disk, waiting for the database.",
            value=lines,
        )
        trips = CounterMetricFamily(
            "webhook_limit_trips",
            "Requests a protective limit refused (all processes, since the spool was made).",
            labels=["limit"],
        )
        for name, count in limits.trip_counts().items():
            trips.add_metric([name], count)
        yield trips


def exposition(*, with_workers: bool = False) -> tuple[bytes, str]:
    """(the text format, its content type) for one scrape."""
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

    registry = CollectorRegistry(auto_describe=False)
    paths = folders(with_workers=with_workers)
    registry.register(_Files(paths) if paths else metrics.registry())
    registry.register(_AtScrape())
    return generate_latest(registry), CONTENT_TYPE_LATEST
