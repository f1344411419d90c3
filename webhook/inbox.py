"""The inbox: SQLite's acks commit to files of their own, the applier moves them in.

SQLite lets one connection write a database file at a time. Receivers committing raw events
into the main file would queue behind the applier's transactions (tens of milliseconds each),
so with SQLite each receiver process's group-commit writer (``webhook.writer``) commits into
its own inbox, a small SQLite file beside the database (``db.sqlite3-inbox.<pid>``; WAL,
``synchronous=FULL``, fsync per commit): a 2xx still means the delivery is committed to disk,
and no receiver waits for another's lock. The applier takes the oldest rows, inserts them
as WebhookEvents and applies them in one transaction of the main database, then deletes them
from the inbox. A crash between the two commits leaves rows that were already moved: the
next round finds their ``delivery_id`` taken and only deletes them, so nothing is stored twice.

PostgreSQL takes many writers at once, so there the writer commits WebhookEvents directly.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import sqlite3
import threading
from collections.abc import Iterator
from typing import Any

from django.db import OperationalError, connection

from webhook.dblock import file_lock
from webhook.spool import from_json, to_json

_local = threading.local()
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS inbox ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " delivery_id TEXT NOT NULL UNIQUE,"
    " fields TEXT NOT NULL)"
)


def _base() -> str | None:
    if connection.vendor != "sqlite":
        return None
    name = str(connection.settings_dict["NAME"])
    if name == ":memory:" or name.startswith("file:"):
        return None
    return f"{name}-inbox"


def inbox_path() -> str | None:
    """This process's inbox file: only file SQLite databases have inboxes."""
    base = _base()
    return None if base is None else f"{base}.{os.getpid()}"


def paths() -> list[str]:
    """Every inbox file of this database (one per receiver process that has written)."""
    base = _base()
    if base is None:
        return []
    found = []
    for candidate in glob.glob(glob.escape(base) + ".*"):
        if re.fullmatch(r"\d+", candidate[len(base) + 1 :]):
            found.append(candidate)
    return sorted(found)


def pending_count() -> int:
    """Deliveries committed to the inboxes and not moved in yet."""
    total = 0
    current = paths()
    _forget_connections(keep=set(current))
    for path in current:
        try:
            total += _connection(path).execute("SELECT count(*) FROM inbox").fetchone()[0]
        except sqlite3.Error:
            close()
    return total


def forget_if_abandoned(path: str) -> None:
    """Delete an empty inbox whose receiver process is gone (restarted workers leave one)."""
    pid = int(path.rsplit(".", 1)[1])
    if pid == os.getpid() or _alive(pid):
        return
    with file_lock(f"{path}.writelock"):  # what writers take around their transactions
        try:
            if _connection(path).execute("SELECT count(*) FROM inbox").fetchone()[0]:
                return
        except sqlite3.Error:
            close()
            return
        close()
        for suffix in ("", "-wal", "-shm", ".writelock"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path + suffix)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def _connection(path: str) -> sqlite3.Connection:
    conns: dict[str, sqlite3.Connection] = getattr(_local, "conns", None) or {}
    _local.conns = conns
    conn = conns.get(path)
    if conn is None:
        timeout = float(connection.settings_dict.get("OPTIONS", {}).get("timeout", 20))
        conn = sqlite3.connect(path, timeout=timeout, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute(SCHEMA)
        conns[path] = conn
    return conn


def _forget_connections(keep: set[str]) -> None:
    """Close this thread's connections to inboxes that were deleted meanwhile."""
    conns: dict[str, sqlite3.Connection] = getattr(_local, "conns", None) or {}
    for path in [p for p in conns if p not in keep and p != inbox_path()]:
        conns.pop(path).close()


def close() -> None:
    for conn in (getattr(_local, "conns", None) or {}).values():
        conn.close()
    _local.conns = {}


@contextlib.contextmanager
def _transaction(path: str) -> Iterator[sqlite3.Connection]:
    try:
        conn = _connection(path)
        with file_lock(f"{path}.writelock"):
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
    except sqlite3.Error as exc:
        close()
        raise OperationalError(f"inbox: {exc}") from exc


def append(path: str, batch: list[dict[str, Any]]) -> None:
    """Commit these deliveries durably (one transaction, one fsync)."""
    rows = [(fields["delivery_id"], to_json(fields)) for fields in batch]
    with _transaction(path) as conn:
        conn.executemany("INSERT INTO inbox (delivery_id, fields) VALUES (?, ?)", rows)


def oldest(path: str, limit: int) -> list[tuple[int, dict[str, Any]]]:
    """The oldest waiting deliveries (a read: no lock)."""
    try:
        rows = (
            _connection(path)
            .execute("SELECT id, fields FROM inbox ORDER BY id LIMIT ?", (limit,))
            .fetchall()
        )
    except sqlite3.Error as exc:
        close()
        raise OperationalError(f"inbox: {exc}") from exc
    return [(row_id, from_json(text)) for row_id, text in rows]


def remove(path: str, ids: list[int]) -> None:
    if not ids:
        return
    with _transaction(path) as conn:
        conn.executemany("DELETE FROM inbox WHERE id = ?", [(i,) for i in ids])
