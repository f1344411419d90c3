"""How often each protective limit tripped, summed over every receiver process.

``record_trip`` is on the hot path of a flood: it only adds to an in-memory counter. At most
once a second per process (and shortly after the last trip) the counts are added into one
small JSON file beside the spool (``<WEBHOOK_SPOOL_DIR>/limits.json``), under an exclusive
``flock``, so granian's forked workers, the Django server and a restarted process all add up
to the same totals. The file does not depend on the database: the counters keep working
during an outage, and an attacker's flood never becomes one database write per request.

Names in use: ``body_too_large``, ``anon_body_too_large``, ``body_timeout``, ``overloaded``,
``body_memory`` (``webhook.front``) and whatever ``webhook.ingest`` adds.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import Counter
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: the file is still shared, without the lock
    fcntl = None

logger = logging.getLogger(__name__)
FLUSH_SECONDS = 1.0
FILE_NAME = "limits.json"

_lock = threading.Lock()
_unflushed: Counter[str] = Counter()
_last_flush = 0.0
_timer: threading.Timer | None = None
_pid = os.getpid()


def _path() -> Path:
    from webhook.conf import webhook_settings

    return Path(webhook_settings.SPOOL_DIR) / FILE_NAME


def record_trip(name: str) -> None:
    """Count one trip of the limit ``name``; never raises, never waits for a disk write
    more than once a second."""
    global _timer
    _reset_after_fork()
    with _lock:
        _unflushed[name] += 1
        due = time.monotonic() - _last_flush >= FLUSH_SECONDS
        if not due and _timer is None:
            # The last trips of a burst reach the file too, a second later at most.
            _timer = threading.Timer(FLUSH_SECONDS, _flush_from_timer)
            _timer.daemon = True
            _timer.start()
    if due:
        flush()


def trip_counts() -> dict[str, int]:
    """Totals over all processes: the shared file plus what this process has not written yet."""
    _reset_after_fork()
    totals = Counter(_read(_path()))
    with _lock:
        totals.update(_unflushed)
    return dict(sorted(totals.items()))


def flush() -> None:
    """Add this process's counts to the shared file (no-op when there is nothing new)."""
    global _last_flush
    with _lock:
        if not _unflushed:
            return
        pending = Counter(_unflushed)
        _unflushed.clear()
        _last_flush = time.monotonic()
    try:
        _add_to_file(_path(), pending)
    except OSError:
        logger.warning("could not write the limit counters to %s", _path(), exc_info=True)
        with _lock:  # kept for the next attempt
            _unflushed.update(pending)


def _flush_from_timer() -> None:
    global _timer
    with _lock:
        _timer = None
    flush()


def _add_to_file(path: Path, delta: Counter[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+", encoding="utf-8") as handle:
        if fcntl is not None:
            fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        totals = Counter(_parse(handle.read()))
        totals.update(delta)
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps(dict(sorted(totals.items()))))
        handle.flush()
        # Counters, not deliveries: no fsync (a power cut may lose the last second of counts).


def _read(path: Path) -> dict[str, int]:
    try:
        with open(path, encoding="utf-8") as handle:
            if fcntl is not None:
                fcntl.flock(handle, fcntl.LOCK_SH)
            return _parse(handle.read())
    except OSError:
        return {}


def _parse(text: str) -> dict[str, int]:
    try:
        data = json.loads(text) if text.strip() else {}
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): int(v) for k, v in data.items() if isinstance(v, int)}


def _reset_after_fork() -> None:
    """A forked worker starts with no unflushed counts of its parent (they are the parent's)."""
    global _pid, _timer, _last_flush
    if os.getpid() != _pid:
        with _lock:
            if os.getpid() != _pid:
                _pid = os.getpid()
                _unflushed.clear()
                _timer = None
                _last_flush = 0.0


def reset_for_tests() -> None:
    with _lock:
        _unflushed.clear()
    _path().unlink(missing_ok=True)
