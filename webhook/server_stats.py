"""Request counters of each server, totalled over all its processes, in the database.

Each worker process of the Flask receiver (granian or gunicorn workers) and of the Django
server answers only some of the requests: counters kept in one process's memory show
whichever worker answered the status page. Here each process adds to an in-memory
``Counter`` only (:func:`record`: a lock and an addition, nothing on the database, never in
the acknowledgement's way) and a background thread adds those deltas to
:class:`~webhook.models.ServerCounter` rows every ``FLUSH_SECONDS`` and at exit, in one small
transaction (``count = count + delta``), which works for several receivers on PostgreSQL as
well as on SQLite. A failed flush (the database is down, SQLite stayed locked) keeps the deltas
for the next attempt and never raises.

The same rows carry what the other server's status page shows: the receiver's public tunnel
URL, when the server was started, and each process's heartbeat (``process:<host>:<pid>``),
from which "online" and the number of live processes are read.

The background thread runs only in a process that called :func:`enable` (the servers do,
tests do not): there, a forked worker starts its own thread with its first request.
"""

from __future__ import annotations

import atexit
import logging
import os
import socket
import threading
import time
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

logger = logging.getLogger(__name__)
FLUSH_SECONDS = 2.0
HEARTBEAT_SECONDS = 10.0  # an idle process still says it is alive this often
ONLINE_SECONDS = 30.0  # a server with no heartbeat for this long is shown offline
FORGET_PROCESSES = timedelta(days=1)  # heartbeat rows of processes gone this long are deleted
RECEIVER = "receiver"
DJANGO = "django"


class Flusher:
    """One server's counters in this process, and their way to the database."""

    def __init__(self, server: str, *, process: str | None = None) -> None:
        self.server = server
        self.process = process or f"{socket.gethostname()}:{os.getpid()}"
        self.lock = threading.Lock()
        self.pending: Counter[str] = Counter()
        self.info: dict[str, str] = {}
        self.started_at = _enabled_at or time.time()  # when this process began serving
        self.announced = False  # the start time and the run were written
        self.failing = False
        self._last_write = 0.0

    def add(self, key: str, n: int = 1) -> None:
        with self.lock:
            self.pending[key] += n

    def set_info(self, **values: str) -> None:
        with self.lock:
            self.info.update(values)
            self.announced = False  # written at the next flush

    def unflushed(self) -> Counter[str]:
        with self.lock:
            return Counter(self.pending)

    def due(self) -> bool:
        with self.lock:
            busy = bool(self.pending) or not self.announced
        return busy or time.monotonic() - self._last_write >= HEARTBEAT_SECONDS

    def flush(self) -> bool:
        """Add the deltas to the database; False (deltas kept) when it could not. Never raises."""
        from django.utils import timezone

        with self.lock:
            pending, self.pending = self.pending, Counter()
            info = dict(self.info) if not self.announced else None
        try:
            _write(self, pending, info, timezone.now())
        except Exception:  # noqa: BLE001 - an outage or a locked SQLite file: retried later
            with self.lock:
                self.pending.update(pending)
            if not self.failing:
                logger.warning("could not write the server counters; kept for later", exc_info=True)
            self.failing = True
            return False
        with self.lock:
            if info is not None:
                self.announced = self.info == info
        self.failing = False
        self._last_write = time.monotonic()
        return True


def _write(
    flusher: Flusher, pending: Counter[str], info: dict[str, str] | None, now: datetime
) -> None:
    """One transaction: the deltas, the server's information (``info``, None once written)
    and this process's heartbeat."""
    from django.db import transaction

    from webhook.dblock import write_lock
    from webhook.models import ServerCounter

    server = flusher.server
    with write_lock(), transaction.atomic():
        for key, delta in sorted(pending.items()):
            if delta:
                _add(server, key, delta, now)
        if info is not None:
            _announce(flusher, info, now)
        _put(server, f"process:{flusher.process}", now, count=None)
        ServerCounter.objects.filter(
            server=server, key__startswith="process:", updated_at__lt=now - FORGET_PROCESSES
        ).delete()


def _add(server: str, key: str, delta: int, now: datetime) -> None:
    from django.db.models import F

    from webhook.models import ServerCounter

    rows = ServerCounter.objects.filter(server=server, key=key)
    if rows.update(count=F("count") + delta, updated_at=now):
        return
    _put(server, key, now, count=delta)


def _put(server: str, key: str, now: datetime, *, count: int | None, value: str = "") -> None:
    """Create the row, or update it (``count`` None: the count is left as it is)."""
    from django.db import IntegrityError, transaction
    from django.db.models import F

    from webhook.models import ServerCounter

    changes: dict[str, Any] = {"updated_at": now, "value": value}
    if count is not None:
        changes["count"] = F("count") + count
    rows = ServerCounter.objects.filter(server=server, key=key)
    if rows.update(**changes):
        return
    try:
        with transaction.atomic():  # another process may create it at the same moment
            ServerCounter.objects.create(
                server=server, key=key, count=count or 0, value=value, updated_at=now
            )
    except IntegrityError:
        rows.update(**changes)


def _announce(flusher: Flusher, info: dict[str, str], now: datetime) -> None:
    """The server's information; its start time only when this process begins a new run (no
    process of the server alive, or another parent process): a worker that joins or replaces
    one in a running server keeps the run's start time."""
    from webhook.models import ServerCounter

    server = flusher.server
    run = f"{socket.gethostname()}:{os.getppid()}"
    rows = ServerCounter.objects.filter(server=server)
    known = rows.filter(key="info:run").values_list("value", flat=True).first()
    alive = rows.filter(
        key__startswith="process:", updated_at__gte=now - timedelta(seconds=ONLINE_SECONDS)
    ).exclude(key=f"process:{flusher.process}")
    if known != run or not alive.exists():
        started = _iso(datetime.fromtimestamp(flusher.started_at, tz=now.tzinfo))
        _put(server, "info:started_at", now, count=None, value=started)
        _put(server, "info:run", now, count=None, value=run)
    for name, value in sorted(info.items()):
        _put(server, f"info:{name}", now, count=None, value=value[:500])


# --- this process ---------------------------------------------------------------------------

_lock = threading.Lock()
_flushers: dict[str, Flusher] = {}
_enabled: dict[str, dict[str, str]] = {}
_enabled_at = 0.0
_pid = os.getpid()
_thread: threading.Thread | None = None
_stop = threading.Event()


def flusher(server: str) -> Flusher:
    """This process's counters of ``server`` (a forked worker starts with none of its parent's)."""
    _after_fork()
    with _lock:
        found = _flushers.get(server)
        if found is None:
            found = _flushers[server] = Flusher(server)
            if server in _enabled:
                found.set_info(**_enabled[server])
    return found


def record(server: str, status: int) -> None:
    """Count one request of ``server`` answered with ``status``: memory only."""
    flusher(server).add(f"status:{status}")
    if _enabled and _thread is None:
        _start_thread()


def enable(server: str, **info: str) -> None:
    """Write this process's counters of ``server`` to the database in the background (the
    servers call it; ``info``: e.g. ``tunnel_url``). Forked workers inherit it."""
    global _enabled_at
    with _lock:
        _enabled_at = _enabled_at or time.time()
        _enabled[server] = dict(info)
        existing = _flushers.get(server)
    if existing is not None:
        existing.set_info(**info)
    else:
        flusher(server)
    _start_thread()


def _start_thread() -> None:
    global _thread
    _after_fork()
    with _lock:
        if _thread is not None or not _enabled:
            return
        _thread = threading.Thread(target=_loop, name="server-stats", daemon=True)
        _thread.start()
    atexit.register(flush_all)


def _loop() -> None:
    from django.db import close_old_connections

    while not _stop.wait(FLUSH_SECONDS):
        close_old_connections()  # a connection broken by an outage is not reused
        for found in list(_flushers.values()):
            if found.server in _enabled and found.due():
                found.flush()
        close_old_connections()


def flush_all() -> None:
    """Flush every enabled server's counters now (at exit, and in tests)."""
    for found in list(_flushers.values()):
        if found.server in _enabled or not _enabled:
            found.flush()


def _after_fork() -> None:
    """A forked worker counts its own requests: its parent's deltas and thread stay behind."""
    global _pid, _thread
    if os.getpid() == _pid:
        return
    with _lock:
        if os.getpid() != _pid:
            _pid = os.getpid()
            _flushers.clear()
            _thread = None


def reset_for_tests() -> None:
    with _lock:
        _flushers.clear()


# --- reading ---------------------------------------------------------------------------------


def totals(*servers: str) -> dict[str, dict[str, Any]]:
    """Each server's request counters over all its processes (the database plus what this
    process has not flushed yet), its start time, heartbeat and information. One query."""
    from django.utils import timezone

    from webhook.models import ServerCounter

    now = timezone.now()
    online_since = now - timedelta(seconds=ONLINE_SECONDS)
    found: dict[str, dict[str, Any]] = {
        server: {"by_status": Counter(), "info": {}, "processes": 0, "last_seen": None}
        for server in servers
    }
    rows = ServerCounter.objects.filter(server__in=servers).values_list(
        "server", "key", "count", "value", "updated_at"
    )
    for server, key, count, value, updated_at in rows:
        entry = found[server]
        kind, _, name = key.partition(":")
        if kind == "status":
            entry["by_status"][name] += count
        elif kind == "info":
            entry["info"][name] = value
        elif kind == "process":
            entry["processes"] += updated_at >= online_since
            entry["last_seen"] = max(filter(None, (entry["last_seen"], updated_at)))
    for server in servers:
        for key, delta in flusher(server).unflushed().items():
            found[server]["by_status"][key.partition(":")[2]] += delta
    return {server: _shaped(entry, online_since) for server, entry in found.items()}


def _shaped(entry: dict[str, Any], online_since: datetime) -> dict[str, Any]:
    by_status = {code: n for code, n in sorted(entry["by_status"].items()) if n}
    last_seen = entry["last_seen"]
    return {
        "requests_total": sum(by_status.values()),
        "by_status": by_status,
        "online": bool(last_seen and last_seen >= online_since),
        "processes": entry["processes"],
        "last_seen_at": _iso(last_seen),
        "started_at": entry["info"].get("started_at") or None,
        "tunnel_url": entry["info"].get("tunnel_url") or None,
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None
