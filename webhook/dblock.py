"""A cross-process write lock for SQLite, so waiting writers wake at once instead of sleeping.

SQLite lets one writer in at a time; the others retry on a back-off schedule (1, 2, 5, 10 ...
100 ms) that turns a few milliseconds of waiting into long tails and lets a busy writer starve
the others. The receivers' writer threads and the applier take this OS file lock around their
write transactions: the kernel wakes the next waiter the moment it is released. On PostgreSQL
(row locks, no single writer) it does nothing.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from django.db import connection

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: SQLite's own busy handling only
    fcntl = None  # type: ignore[assignment]

_local = threading.local()


def _lock_path() -> str | None:
    if connection.vendor != "sqlite" or fcntl is None:
        return None
    name = str(connection.settings_dict["NAME"])
    if name == ":memory:" or name.startswith("file:"):
        return None
    return f"{name}.writelock"


@contextlib.contextmanager
def write_lock() -> Iterator[None]:
    path = _lock_path()
    if path is None or getattr(_local, "held", False):
        yield
        return
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        _local.held = True
        try:
            yield
        finally:
            _local.held = False
            fcntl.flock(handle, fcntl.LOCK_UN)
