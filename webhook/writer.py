"""The writer thread: group commit for acknowledgements.

A request thread hands its prepared WebhookEvent fields to :func:`GroupCommitWriter.store` and
blocks until the writer thread has committed the batch that holds them (one INSERT statement,
one transaction, one fsync for many requests); only then does the request answer 2xx. One
writer per process: one connection instead of one per request thread, and no request threads
fighting over SQLite's lock. With PostgreSQL the rows go straight into WebhookEvent; with
SQLite into the inbox (``webhook.inbox``), which the applier moves in. Applying the stored
events is the applier's job (``webhook.applier``), in its own process; in the queue mode
(``WEBHOOK_PROCESSING=celery``) each committed batch is handed to ``webhook.queue.publisher``
once its acks are released, for the Celery workers.
"""

from __future__ import annotations

import asyncio
import logging
import os
import queue
import threading
from dataclasses import dataclass, field
from typing import Any

from django.db import (
    DatabaseError,
    InterfaceError,
    OperationalError,
    close_old_connections,
    connections,
)

from webhook import inbox
from webhook.conf import webhook_settings
from webhook.dblock import write_lock
from webhook.models import WebhookEvent
from webhook.queue import publisher
from webhook.services.rows import insert_returning_keys

logger = logging.getLogger(__name__)
MAX_BATCH = 512
WAIT_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """What an acknowledgement needs of a committed event (building model instances for the
    answer alone cost the writer thread a tenth of its time)."""

    pk: int | None  # None while a SQLite ack waits in the inbox (webhook.inbox)
    delivery_id: str
    status: str
    error: str

    @classmethod
    def of(cls, fields: dict[str, Any], pk: int | None = None) -> StoredEvent:
        return cls(pk, fields["delivery_id"], fields["status"], fields["error"])


def _held_lock() -> threading.Lock:
    lock = threading.Lock()
    lock.acquire()
    return lock


@dataclass(slots=True)
class _Pending:
    fields: dict[str, Any] | None  # None asks the thread to close its connection and stop
    # Released by the writer thread once the batch is committed: a plain lock is the cheapest
    # one-shot signal between two threads (threading.Event adds a Condition around one).
    done: threading.Lock | None = field(default_factory=_held_lock)
    event: StoredEvent | None = None
    error: BaseException | None = None
    # Or, for a request waiting on an event loop (store_async): settled on that loop.
    future: asyncio.Future[StoredEvent] | None = None

    def settle(self) -> None:  # on the future's loop
        future = self.future
        if future is None or future.done():
            return  # the waiter gave up (timeout): nothing to tell
        if self.error is not None:
            future.set_exception(self.error)
        else:
            future.set_result(self.event)


class GroupCommitWriter:
    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[_Pending] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def store(self, fields: dict[str, Any]) -> StoredEvent:
        """Insert one event durably; returns what the answer needs, or raises DatabaseError."""
        self._ensure_thread()
        pending = _Pending(fields)
        self._queue.put(pending)
        if not pending.done.acquire(timeout=WAIT_SECONDS):
            raise OperationalError("the writer thread did not commit in time")
        if pending.error is not None:
            raise pending.error
        assert pending.event is not None
        return pending.event

    async def store_async(self, fields: dict[str, Any]) -> StoredEvent:
        """:meth:`store` for a coroutine: waits on its event loop, holding no thread."""
        self._ensure_thread()
        future = asyncio.get_running_loop().create_future()
        self._queue.put(_Pending(fields, done=None, future=future))
        try:
            async with asyncio.timeout(WAIT_SECONDS):
                return await future
        except TimeoutError:
            raise OperationalError("the writer thread did not commit in time") from None

    def _ensure_thread(self) -> None:
        if self._thread is not None and self._thread.is_alive() and self._pid == os.getpid():
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive() or self._pid != os.getpid():
                self._queue = queue.SimpleQueue()  # a forked child starts with its own queue
                self._pid = os.getpid()
                self._thread = threading.Thread(
                    target=self._run, name="webhook-writer", daemon=True
                )
                self._thread.start()

    def shutdown(self, timeout: float = 10.0) -> None:
        """Commit what is queued, close the thread's database connection and stop it."""
        thread = self._thread
        if thread is None or not thread.is_alive() or self._pid != os.getpid():
            return
        self._queue.put(_Pending(None))
        thread.join(timeout)

    def _run(self) -> None:
        from webhook import metrics

        while True:
            batch = [self._queue.get()]
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            writes = [p for p in batch if p.fields is not None]
            if writes:
                self._commit(writes)
                metrics.batch_committed(len(writes))  # once the waiters were released
            if len(writes) < len(batch):
                connections.close_all()
                inbox.close()
                return

    def _commit(self, batch: list[_Pending]) -> None:
        waiting: dict[asyncio.AbstractEventLoop, list[_Pending]] = {}
        for pending, result in zip(batch, commit_events([p.fields for p in batch]), strict=True):
            if isinstance(result, BaseException):
                pending.error = result
            else:
                pending.event = result
            if pending.done is not None:
                pending.done.release()
            elif pending.future is not None:
                waiting.setdefault(pending.future.get_loop(), []).append(pending)
        for loop, settled in waiting.items():  # one wake-up per loop and batch
            try:
                loop.call_soon_threadsafe(_settle_all, settled)
            except RuntimeError:  # that loop is closed: nobody is waiting any more
                pass
        if webhook_settings.PROCESSING == "celery":  # queue mode: after the acks, never before
            publisher.publish(
                [
                    p.event.pk
                    for p in batch
                    if p.event is not None
                    and p.event.pk is not None
                    and p.event.status == WebhookEvent.Status.RECEIVED
                ]
            )


def _settle_all(batch: list[_Pending]) -> None:
    for pending in batch:
        pending.settle()


def commit_events(batch: list[dict[str, Any]]) -> list[StoredEvent | BaseException]:
    """Insert raw events in one transaction (one fsync); returns each row, or its error.

    A row the database refuses (a duplicate delivery id, say) is retried alone so it cannot fail
    its neighbours; an unavailable database fails them all (the caller spools them)."""
    try:
        if (path := inbox.inbox_path()) is not None:
            inbox.append(path, batch)  # SQLite: the applier moves them in (webhook.inbox)
            return [StoredEvent.of(fields) for fields in batch]
        rows = [WebhookEvent(**fields) for fields in batch]
        with write_lock():
            insert_returning_keys(WebhookEvent, rows)  # one statement: its own transaction
    except (DatabaseError, InterfaceError) as exc:
        close_old_connections()
        if len(batch) > 1 and not isinstance(exc, OperationalError | InterfaceError):
            return [commit_events([fields])[0] for fields in batch]
        return [exc] * len(batch)
    return [StoredEvent.of(fields, row.pk) for fields, row in zip(batch, rows, strict=True)]


writer = GroupCommitWriter()
