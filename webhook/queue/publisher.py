"""The receiver's publisher: one ``apply_events(ids)`` per committed batch, off the ack path.

:func:`publish` only puts the ids on a bounded in-memory queue and returns at once; a daemon
thread publishes them to the broker, each publish bounded in time
(``WEBHOOK_QUEUE_PUBLISH_TIMEOUT``). When the broker is slow or away the batch is given up and
counted (the rows are committed as ``received``: the sweeper re-publishes them after the
lease); when the queue is full (``WEBHOOK_QUEUE_PUBLISH_BUFFER`` batches) likewise. Nothing
here can delay or fail an acknowledgement.

:func:`stats` gives this process's counters (for ``/metrics``): batches and events published,
given up (broker error or timeout), dropped (queue full), and the batches waiting now.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from typing import Any

from webhook import metrics
from webhook.conf import webhook_settings

logger = logging.getLogger(__name__)
COUNTERS = (
    "published_batches",
    "published_events",
    "given_up_batches",
    "given_up_events",
    "dropped_batches",
    "dropped_events",
)


class Publisher:
    """One per process (forked workers start their own thread and queue)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: queue.Queue[list[int] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._counts = dict.fromkeys(COUNTERS, 0)
        self._last_warning = 0.0
        self._connection: Any = None

    def publish(self, ids: list[int]) -> None:
        """Queue one batch of committed event ids for publishing; never blocks, never raises."""
        if not ids:
            return
        try:
            self._ensure_thread()
            self._queue.put_nowait(list(ids))
        except queue.Full:
            self._count("dropped", len(ids))
            self._warn("publish queue full", len(ids))
        except Exception:  # noqa: BLE001 - the ack must not depend on the publisher
            logger.exception("queue publisher: could not queue %s event ids", len(ids))
            self._count("dropped", len(ids))

    def stats(self) -> dict[str, int]:
        """This process's counters, and ``waiting_batches`` (queued now, not yet published)."""
        with self._lock:
            counts = dict(self._counts)
        counts["waiting_batches"] = self._queue.qsize() if self._pid == os.getpid() else 0
        return counts

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every queued batch was published or given up (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        while self._pid == os.getpid() and self._queue.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def _count(self, what: str, events: int) -> None:
        with self._lock:
            self._counts[f"{what}_batches"] += 1
            self._counts[f"{what}_events"] += events
        metrics.queue_published(what, events)  # summed over every process by /metrics

    def _ensure_thread(self) -> None:
        if self._thread is not None and self._thread.is_alive() and self._pid == os.getpid():
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive() or self._pid != os.getpid():
                self._queue = queue.Queue(maxsize=webhook_settings.QUEUE_PUBLISH_BUFFER)
                self._pid = os.getpid()
                self._thread = threading.Thread(
                    target=self._run, name="webhook-publisher", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        from webhook.queue.tasks import apply_events  # Celery loads only where it is used

        while True:
            ids = self._queue.get()
            try:
                if ids is None:
                    return
                self._send(apply_events, ids)
            finally:
                self._queue.task_done()

    def _send(self, task: Any, ids: list[int]) -> None:
        timeout = webhook_settings.QUEUE_PUBLISH_TIMEOUT
        try:
            if self._connection is None:  # our own, with every socket operation time-bounded
                self._connection = task.app.connection_for_write(
                    connect_timeout=timeout,
                    transport_options=socket_timeouts(task.app.conf.broker_url, timeout),
                )
            task.apply_async(
                args=(ids,),
                connection=self._connection,
                retry=True,
                retry_policy={"max_retries": 1, "interval_start": 0, "interval_max": timeout},
            )
        except Exception as exc:  # noqa: BLE001 - broker away or slow: the sweeper covers it
            self._close_connection()
            self._count("given_up", len(ids))
            self._warn(exc, len(ids))
        else:
            self._count("published", len(ids))

    def _close_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.collect()  # drops the sockets without talking to the broker
            except Exception:  # noqa: BLE001
                logger.debug("queue publisher: connection not collected", exc_info=True)

    def _warn(self, why: BaseException | str, events: int) -> None:
        now = time.monotonic()
        if now - self._last_warning > 5:  # one line per 5 s, not one per batch
            self._last_warning = now
            counts = self.stats()
            logger.warning(
                "queue publisher: broker unavailable (%s); %s events left to the sweeper "
                "(in this process so far: %s events given up, %s dropped)",
                why,
                events,
                counts["given_up_events"],
                counts["dropped_events"],
            )


def socket_timeouts(broker_url: str, timeout: float) -> dict[str, float]:
    """Transport options bounding each socket operation of a publish: Redis's socket
    timeouts, or py-amqp's read and write timeouts (RabbitMQ)."""
    if broker_url.startswith(("redis://", "rediss://")):
        return {"socket_timeout": timeout, "socket_connect_timeout": timeout}
    return {"read_timeout": timeout, "write_timeout": timeout}


publisher = Publisher()
publish = publisher.publish
stats = publisher.stats
flush = publisher.flush
