"""Prometheus metrics, recorded where things happen and summed over every process of a server.

Recording is cheap and never raises into the caller's path: a counter or a histogram bucket is
a few bytes written into a memory-mapped file (``prometheus_client``'s multiprocess mode), with
no system call and no database. ``webhook.metrics_export`` reads the files back for ``/metrics``
and adds what is computed at scrape time (backlog, spool, media queue).

Where the files live (``prepare_run_dir``): ``PROMETHEUS_MULTIPROC_DIR`` when the operator
gives it (theirs to clean), else one folder per server and run under the spool folder,
``<WEBHOOK_SPOOL_DIR>/metrics/<name>`` (``receiver-5000``, ``django-8000``, ``worker-apply``),
emptied when that server starts. A server's workers, its applier and its media fetcher inherit
it, so its ``/metrics`` adds them up. Without a folder (tests, a bare ``manage.py``) the
metrics live in the process alone.

What is recorded here (the README lists every metric):

* ``delivery_answered``: each POSTed delivery's status and family, and its ack latency
  (``webhook.ingest``);
* ``batch_committed``: the size of each group commit (``webhook.writer``);
* ``events_applied``: outcome, family and apply lag of events applied for the first time, and
  failures of any apply (``webhook.processor``), ``delivery_failed`` for a parser crash on
  arrival;
* ``process_started``: a live-process gauge per kind (``mark_dead`` drops an exited one);
* ``queue_published``: the queue mode's publisher outcomes (``webhook.queue.publisher``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no lock, the folder is still emptied
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)
ENV_NAME = "PROMETHEUS_MULTIPROC_DIR"  # written for children here; read in settings.py
FOLDER = "metrics"
UNKNOWN_FAMILY = "unknown"
# Seconds: the receiver acks in about a millisecond; above a second the database is struggling.
ACK_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
LAG_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0)

_run_dir: Path | None = None
_run_lock: Any = None  # the open lock file of the folder this run owns (kept for its lifetime)


class _Metrics:
    """The metric objects, made on first use (after ``prepare_run_dir`` chose the mode)."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        # Our own registry (not prometheus_client's global one): made again when the storage
        # changes (_use_files), and the only one /metrics reads without a folder.
        self.registry = registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "webhook_requests",
            "Deliveries POSTed to /webhook, by HTTP status and family.",
            ["status", "family"],
            registry=registry,
        )
        self.ack_seconds = Histogram(
            "webhook_ack_seconds",
            "Seconds from a delivery's body read whole to its answer (stored, ack ready).",
            buckets=ACK_BUCKETS,
            registry=registry,
        )
        self.batch_size = Histogram(
            "webhook_group_commit_batch_size",
            "Deliveries stored per group commit (one transaction, one fsync).",
            buckets=BATCH_BUCKETS,
            registry=registry,
        )
        self.applied = Counter(
            "webhook_events_applied",
            "Stored events applied for the first time, by family and resulting status.",
            ["family", "status"],
            registry=registry,
        )
        self.failures = Counter(
            "webhook_event_failures",
            "Events that ended failed (kept for replay), by family; replays included.",
            ["family"],
            registry=registry,
        )
        self.apply_lag = Histogram(
            "webhook_apply_lag_seconds",
            "Seconds from a delivery's arrival to its first application.",
            buckets=LAG_BUCKETS,
            registry=registry,
        )
        self.published = Counter(
            "webhook_queue_publish_events",
            "Queue mode: event ids handed to the broker, by outcome (published, given_up...).",
            ["outcome"],
            registry=registry,
        )
        self.processes = Gauge(
            "webhook_processes",
            "Live processes of this server, by kind.",
            ["kind"],
            multiprocess_mode="livesum",
            registry=registry,
        )
        self.request_children: dict[tuple[int, str], Any] = {}


_metrics: _Metrics | None = None


def _get() -> _Metrics:
    global _metrics
    if _metrics is None:
        _metrics = _Metrics()
    return _metrics


def delivery_answered(status: int, family: str, seconds: float) -> None:
    """One answered delivery (the ack path: two dictionary look-ups and two mmap writes)."""
    metrics = _metrics or _get()
    key = (status, family or UNKNOWN_FAMILY)
    child = metrics.request_children.get(key)
    if child is None:
        child = metrics.request_children[key] = metrics.requests.labels(str(status), key[1])
    child.inc()
    metrics.ack_seconds.observe(seconds)


def batch_committed(size: int) -> None:
    (_metrics or _get()).batch_size.observe(size)


def events_applied(outcomes: Iterable[tuple[str, str, datetime | None]]) -> None:
    """(family, status, received_at) of each event of a committed batch; received_at is
    None for a replay (no first application, no lag)."""
    metrics = _metrics or _get()
    now = time.time()
    counts: dict[tuple[str, str], int] = {}
    failed: dict[str, int] = {}
    for family, status, received_at in outcomes:
        family = family or UNKNOWN_FAMILY
        if status == "failed":
            failed[family] = failed.get(family, 0) + 1
        if received_at is not None:
            counts[family, status] = counts.get((family, status), 0) + 1
            metrics.apply_lag.observe(max(now - received_at.timestamp(), 0.0))
    for (family, status), count in counts.items():
        metrics.applied.labels(family, status).inc(count)
    for family, count in failed.items():
        metrics.failures.labels(family).inc(count)


def outcome_rows(outcomes: Iterable[Any]) -> list[tuple[str, str, datetime | None]]:
    """What :func:`events_applied` takes, from the processor's outcomes of one batch: the
    arrival time only for an event applied for the first time (still ``received``)."""
    return [
        (
            o.parsed.family if o.parsed else o.event.family,
            o.status,
            o.event.received_at if o.event.status == "received" else None,
        )
        for o in outcomes
    ]


def delivery_failed(family: str) -> None:
    """A delivery stored ``failed`` on arrival (the parser crashed on it)."""
    (_metrics or _get()).failures.labels(family or UNKNOWN_FAMILY).inc()


def queue_published(outcome: str, events: int) -> None:
    """The queue mode's publisher: ``events`` ids published, given up or dropped."""
    (_metrics or _get()).published.labels(outcome).inc(events)


def process_started(kind: str) -> None:
    """Count this process among the live ones of its server (``webhook_processes``)."""
    _get().processes.labels(kind).set(1)


def run_dir() -> Path | None:
    """The folder this process's metrics are written to, or None (in-process only)."""
    from webhook.conf import webhook_settings

    if _run_dir is not None:
        return _run_dir
    given = webhook_settings.METRICS_DIR
    return Path(given) if given else None


def prepare_run_dir(name: str) -> Path:
    """Choose this server's metrics folder before any metric exists, and set it for the
    processes it starts: ``PROMETHEUS_MULTIPROC_DIR`` when given, else
    ``<spool>/metrics/<name>``, emptied first unless another live run holds it."""
    global _run_dir
    from webhook.conf import webhook_settings

    if webhook_settings.METRICS_DIR:
        path = Path(webhook_settings.METRICS_DIR)
        path.mkdir(parents=True, exist_ok=True)
    else:
        path = Path(webhook_settings.SPOOL_DIR) / FOLDER / name
        path.mkdir(parents=True, exist_ok=True)
        if _own(path.parent / f"{name}.lock"):
            for stale in path.glob("*.db"):
                stale.unlink(missing_ok=True)
        else:
            logger.warning("metrics folder %s is in use by another live run: shared", path)
    os.environ[ENV_NAME] = str(path)
    _run_dir = path
    _use_files()
    return path


def _own(lock_path: Path) -> bool:
    """Hold the folder's lock for this process's lifetime (inherited across exec)."""
    global _run_lock
    if fcntl is None:
        return True
    handle = open(lock_path, "a+b")  # noqa: SIM115 - kept open on purpose
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return False
    os.set_inheritable(handle.fileno(), True)
    if _run_lock is not None:
        _run_lock.close()
    _run_lock = handle
    return True


def _use_files() -> None:
    """prometheus_client picks its storage when imported: pick again if it already was
    (only before any metric was made)."""
    global _metrics
    values = sys.modules.get("prometheus_client.values")
    if values is not None:
        values.ValueClass = values.get_value_class()
    _metrics = None


def mark_dead(pid: int | None) -> None:
    """An exited worker no longer counts among the live processes (its counters stay)."""
    path = run_dir()
    if path is None or not pid:
        return
    from prometheus_client import multiprocess

    with contextlib.suppress(OSError):
        multiprocess.mark_process_dead(pid, str(path))


def registry() -> Any:
    """This process's own registry (what ``/metrics`` shows when there is no folder)."""
    return _get().registry
