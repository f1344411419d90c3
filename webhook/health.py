"""``/healthz`` and ``/readyz`` for both servers: the logic they share, framework-free.

* ``liveness``: the process answers; touches nothing (no database, no disk).
* ``readiness``: the database answers ``SELECT 1`` within ``WEBHOOK_READY_TIMEOUT_SECONDS``
  and the spool folder takes a file. The queue mode's broker is reported, never a reason to
  be unready: a receiver whose publish is lost still stores and acks, and the sweeper
  publishes its events later.

Answers are small and never hold secrets: a failure says which check failed and the error's
class, not its message (a database error names hosts and users). Each check that may hang runs
in a helper thread, bounded in time, and at most one at a time per check and process: a probe
during a hung database answers "still waiting" at once instead of piling up threads.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from webhook.conf import webhook_settings

BROKER_PORTS = {"amqp": 5672, "amqps": 5671, "pyamqp": 5672, "redis": 6379, "rediss": 6380}
BROKER_TIMEOUT_SECONDS = 0.5


class Bounded:
    """Runs one kind of check in its own thread, waiting at most a timeout for it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._pending: Future | None = None
        self._since = 0.0
        self._pid = 0

    def run(self, check: Callable[[], Any], timeout: float) -> tuple[bool, Any]:
        """(True, what ``check`` returned), or (False, the reason it did not in time)."""
        with self._lock:
            if self._pid != os.getpid():  # a forked worker starts with no thread of its own
                self._executor, self._pending, self._pid = None, None, os.getpid()
            if self._pending is not None and not self._pending.done():
                waited = time.monotonic() - self._since
                return False, f"{self.name} check still waiting after {waited:.1f} s"
            if self._executor is None:
                self._executor = ThreadPoolExecutor(1, thread_name_prefix=f"check-{self.name}")
            self._pending, self._since = self._executor.submit(check), time.monotonic()
            future = self._pending
        try:
            return True, future.result(timeout=timeout)
        except FutureTimeout:
            return False, f"{self.name} did not answer within {timeout:g} s"
        except Exception as exc:  # noqa: BLE001 - reported, never raised into the probe
            return False, f"{self.name} unavailable ({type(exc).__name__})"


database_check = Bounded("database")


def _select_one() -> bool:
    """``SELECT 1`` on a connection of the checking thread, closed afterwards (a probe every
    few seconds must not keep one more connection open per worker)."""
    from django.db import connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        connection.close()
    return True


def check_database() -> str | None:
    """None when the database answered in time, else why not."""
    answered, reason = database_check.run(_select_one, webhook_settings.READY_TIMEOUT_SECONDS)
    return None if answered else reason


def check_spool() -> str | None:
    """None when a file can be created in the spool folder (and removed), else why not."""
    folder = Path(webhook_settings.SPOOL_DIR)
    probe = folder / f".ready-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with open(probe, "xb") as handle:
            handle.write(b"ok")
        probe.unlink()
    except OSError as exc:
        return f"spool folder not writable ({type(exc).__name__})"
    return None


def broker_state() -> dict[str, Any]:
    """The queue mode's broker, reported (never failing readiness): can we reach it?"""
    from django.conf import settings

    # WEBHOOK_PROCESSING, CELERY_BROKER_URL: the queue mode's settings (django_project/celery.py)
    processing = str(getattr(settings, "WEBHOOK_PROCESSING", "") or "embedded").strip().lower()
    if processing != "celery":
        return {"processing": processing, "broker": "not used"}
    url = urlsplit(str(getattr(settings, "CELERY_BROKER_URL", "")))
    scheme = url.scheme.split("+")[0]
    try:
        port = url.port or BROKER_PORTS.get(scheme, 0)
        with socket.create_connection((url.hostname or "127.0.0.1", port), BROKER_TIMEOUT_SECONDS):
            state = "reachable"
    except (OSError, ValueError) as exc:
        state = f"unreachable ({type(exc).__name__})"
    # The scheme only: the URL holds the broker's password.
    return {"processing": processing, "broker": state, "broker_kind": scheme or "?"}


def liveness(server: str) -> dict[str, Any]:
    return {"ok": True, "server": server, "pid": os.getpid()}


def readiness(server: str) -> tuple[int, dict[str, Any]]:
    """(200 or 503, the answer): ready when the database answers and the spool is writable."""
    checks = {"database": check_database(), "spool": check_spool()}
    reasons = [reason for reason in checks.values() if reason]
    body: dict[str, Any] = {
        "ok": not reasons,
        "server": server,
        "checks": {name: reason or "ok" for name, reason in checks.items()},
        **broker_state(),
    }
    if reasons:
        body["reasons"] = reasons
    return (503 if reasons else 200), body
