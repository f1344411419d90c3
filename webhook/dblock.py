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
    """Around a write transaction on the main database (re-entrant within a thread)."""
    with file_lock(_lock_path()):
        yield


@contextlib.contextmanager
def file_lock(path: str | None) -> Iterator[None]:
    """An exclusive OS lock on ``path`` (nothing when None or not POSIX); re-entrant per thread."""
    held: set[str] = getattr(_local, "held", None) or set()
    _local.held = held
    if path is None or fcntl is None or path in held:
        yield
        return
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        held.add(path)
        try:
            yield
        finally:
            held.discard(path)
            fcntl.flock(handle, fcntl.LOCK_UN)
