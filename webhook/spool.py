"""The outage spool: an append-only, fsync'd file that holds deliveries the database refused.

When the database is down or locked past its timeout, ``receive`` appends the fully prepared
WebhookEvent fields (already authenticated and masked) as one JSON line and fsyncs before
answering 202, so the sender's 2xx always means "durably stored". ``drain`` moves the lines
into the database once it answers again; every line carries the delivery's unique id, so a
drain interrupted half-way and run again stores each delivery exactly once.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from django.db import DatabaseError, InterfaceError, close_old_connections

from webhook.conf import webhook_settings

logger = logging.getLogger(__name__)
ACTIVE_NAME = "pending.jsonl"
_thread_lock = threading.Lock()
_drain_running = threading.Event()
# drain_soon looks at the spool folder at most this often (it runs after every write), and at
# once after this process spooled something itself.
CHECK_SECONDS = 1.0
_next_check = 0.0
_spooled_here = False

try:  # POSIX: one process at a time touches the spool files
    import fcntl
except ImportError:  # pragma: no cover - Windows: the threading lock alone
    fcntl = None  # type: ignore[assignment]


def spool_dir() -> Path:
    return Path(webhook_settings.SPOOL_DIR)


@contextlib.contextmanager
def _locked():
    folder = spool_dir()
    folder.mkdir(parents=True, exist_ok=True)
    with _thread_lock, open(folder / ".lock", "a+b") as handle:
        if fcntl is not None:
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield folder
        finally:
            if fcntl is not None:
                fcntl.flock(handle, fcntl.LOCK_UN)


def to_json(fields: dict[str, Any]) -> str:
    """Prepared WebhookEvent fields as one JSON text (times in ISO 8601), as the spool and the
    inbox keep them; ``WebhookEvent(**json.loads(text))`` stores them again."""
    record = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in fields.items()}
    return json.dumps(record, ensure_ascii=False)


def from_json(text: str) -> dict[str, Any]:
    """The reverse of :func:`to_json`: the fields, with their times as datetimes again."""
    record = json.loads(text)
    for name in _datetime_fields():
        if isinstance(record.get(name), str):
            record[name] = datetime.fromisoformat(record[name])
    return record


@functools.cache
def _datetime_fields() -> tuple[str, ...]:
    from django.db.models import DateTimeField

    from webhook.models import WebhookEvent

    return tuple(f.name for f in WebhookEvent._meta.concrete_fields if isinstance(f, DateTimeField))


def append(fields: dict[str, Any]) -> None:
    """Write one delivery durably (fsync of the file and, when new, of its folder)."""
    global _spooled_here
    line = (to_json(fields) + "\n").encode("utf-8", "surrogatepass")
    with _locked() as folder:
        path = folder / ACTIVE_NAME
        is_new = not path.exists()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
        _spooled_here = True
        if is_new and hasattr(os, "O_DIRECTORY"):
            dir_fd = os.open(folder, os.O_DIRECTORY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)


def pending_files() -> list[Path]:
    folder = spool_dir()
    if not folder.is_dir():
        return []
    return sorted(folder.glob("draining-*.jsonl")) + [
        p for p in [folder / ACTIVE_NAME] if p.exists()
    ]


def pending_count() -> int:
    total = 0
    for path in pending_files():
        with open(path, "rb") as handle:
            total += sum(1 for line in handle if line.strip())
    return total


def _read(path: Path) -> list[dict[str, Any]]:
    records = []
    with open(path, encoding="utf-8", errors="surrogatepass") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                records.append(from_json(line))
            except json.JSONDecodeError:  # a line torn by a crash mid-write was never acknowledged
                logger.error(
                    "spool %s line %s is incomplete and was never acknowledged: skipped",
                    path,
                    number,
                )
    return records


def drain() -> int:
    """Move every spooled delivery into the database and apply it; returns how many were stored."""
    from webhook.models import WebhookEvent
    from webhook.processor import WhatsAppWebhookProcessor

    stored: list[str] = []
    with _locked() as folder:
        active = folder / ACTIVE_NAME
        if active.exists():
            active.rename(folder / f"draining-{uuid.uuid4().hex}.jsonl")
        files = sorted(folder.glob("draining-*.jsonl"))
        for path in files:
            records = _read(path)
            ids = [r["delivery_id"] for r in records]
            existing = set(
                WebhookEvent.objects.filter(delivery_id__in=ids).values_list(
                    "delivery_id", flat=True
                )
            )
            fresh = [WebhookEvent(**r) for r in records if r["delivery_id"] not in existing]
            WebhookEvent.objects.bulk_create(fresh, ignore_conflicts=True)
            stored += [event.delivery_id for event in fresh]
            path.unlink()
    processor = WhatsAppWebhookProcessor()
    for event in WebhookEvent.objects.filter(
        delivery_id__in=stored, status=WebhookEvent.Status.RECEIVED
    ):
        processor.process(event)
    if stored:
        logger.info("spool drained: %s deliveries stored", len(stored))
    return len(stored)


def drain_soon() -> None:
    """After a successful write: if anything is spooled, drain it in a background thread.

    Called on every acknowledged delivery, so the folder is looked at only when this process
    spooled something or once a second (the applier also drains every few seconds)."""
    global _next_check, _spooled_here
    now = time.monotonic()
    if _drain_running.is_set() or (not _spooled_here and now < _next_check):
        return
    _next_check, _spooled_here = now + CHECK_SECONDS, False
    if not pending_files():
        return
    _drain_running.set()

    def run() -> None:
        try:
            drain()
        except (DatabaseError, InterfaceError, OSError):
            logger.warning("spool drain postponed: the database is still unavailable")
        finally:
            close_old_connections()
            _drain_running.clear()

    threading.Thread(target=run, name="webhook-spool-drain", daemon=True).start()
