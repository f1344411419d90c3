"""Serving with granian, shared by the Flask receiver and ``manage.py webhook_serve``.

Two fixes over granian 2.8's own signal handling, needed for `make run`'s Ctrl+C to always
end (see ``serve_granian``), and our masked log configuration (``webhook.log_safety``).
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from typing import Any


def serve_granian(
    *,
    target: str,
    loader: Callable[[str], Any],
    wsgi: bool,
    host: str,
    port: int,
    workers: int,
    threads: int,
    log_access: bool = False,
) -> None:
    """Serve what ``loader`` returns in each worker: a WSGI app (``wsgi``), or an RSGI app
    such as ``webhook.front.BufferedFront``. A dead worker is replaced; a worker still
    running 5 s after being told to stop is killed (what it acknowledged is on disk)."""
    import granian._signals
    from granian.constants import Interfaces
    from granian.log import LogLevels

    from webhook.log_safety import granian_log_config

    # The WSGI workers' handler has the flaws _server_class() describes; granian installs it from
    # granian._signals after the loader has run, so the workers take this one instead. (RSGI use the
    # event loop's own signal handling, which has neither flaw.)
    granian._signals.set_sync_signals = _set_sync_signals_in_a_thread
    options: dict[str, Any] = {"blocking_threads": threads} if wsgi else {}
    _server_class()(
        target,
        address=host,
        port=port,
        interface=Interfaces.WSGI if wsgi else Interfaces.RSGI,
        workers=workers,
        respawn_failed_workers=True,
        workers_kill_timeout=5,
        log_level=LogLevels.error if not log_access else LogLevels.info,
        log_dictconfig=granian_log_config(),  # masked, one line per record
        log_access=log_access,
        websockets=False,
        **options,
    ).serve(target_loader=loader)


def _server_class() -> type:
    """granian's server with our fixes (imported late: granian is optional on Windows)."""
    from granian.server import Server

    class _Server(Server):
        """Stops on the first SIGINT/SIGTERM, whichever thread the kernel hands it to.

        granian 2.8's main loop waits on an Event with no timeout and its handler calls that
        Event's set(): a signal delivered to another thread then waits until the main thread
        wakes (never), and a second one (Ctrl+C in `make run` sends SIGINT, then SIGTERM) can
        run the handler while the main thread holds the Event's lock (deadlock). Here the
        handler only raises a flag, and the main loop looks at it twice a second."""

        def __init__(self, *server_args: Any, **kwargs: Any) -> None:
            super().__init__(*server_args, **kwargs)
            self.main_loop_interrupt = _WakingEvent(lambda: self.interrupt_signal)

        def signal_handler_interrupt(self, *_args: Any, **_kwargs: Any) -> None:
            self.interrupt_signal = True
            _stopped_by_us(self)

        def _spawn_worker(self, *args: Any, **kwargs: Any) -> Any:
            worker = super()._spawn_worker(*args, **kwargs)
            worker._watcher = lambda: _watch_worker(worker, self)
            return worker

    return _Server


def _stopped_by_us(server: Any) -> None:
    """Ctrl+C reaches the whole process group: the workers stop on their own at the same
    moment. Marked as stopped by us, so granian neither reports them as crashed ("Unexpected
    exit") nor starts new ones while everything shuts down."""
    for worker in getattr(server, "wrks", ()):
        worker.interrupt_by_parent = True


def _watch_worker(worker: Any, server: Any, grace: float = 2.0) -> None:
    """granian's worker watcher, patient with a worker that exited cleanly.

    Ctrl+C signals the whole group at once: a worker may finish stopping before this
    process's own handler has run, and granian would call that a crash and start another.
    A clean exit (code 0) waits up to 2 s for this process's stop; a crash (a kill, an
    error) is reported and replaced at once, and so is a clean exit no stop follows."""
    worker.inner.join()
    from webhook import metrics

    metrics.mark_dead(getattr(worker.inner, "pid", 0))  # not live any more; its counts stay
    if not worker.interrupt_by_parent and worker.inner.exitcode == 0:
        deadline = time.monotonic() + grace
        while not server.interrupt_signal and time.monotonic() < deadline:
            time.sleep(0.02)
        worker.interrupt_by_parent = bool(server.interrupt_signal)
    type(worker)._watcher(worker)


class _WakingEvent(threading.Event):
    """An Event whose wait() also returns once ``stop_requested()`` is true, looking twice a
    second, so that the waiting main thread runs Python's pending signal handlers."""

    def __init__(self, stop_requested: Any) -> None:
        super().__init__()
        self._stop_requested = stop_requested

    def wait(self, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not super().wait(0.5):
            if self._stop_requested():
                return True
            if deadline is not None and time.monotonic() >= deadline:
                return False
        return True


def _set_sync_signals_in_a_thread() -> Any:
    """granian._signals.set_sync_signals for a worker, without a Python signal handler.

    Runs in the worker's main thread before it starts any other: SIGINT and SIGTERM are
    blocked here, and so in every thread started afterwards, and one thread waits for them
    with sigwait() and tells granian. No signal can land on a thread that ignores it, and no
    handler can interrupt code holding a lock."""
    from granian._granian import WorkerSignal

    signal_event = WorkerSignal()
    stop = {signal.SIGINT, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop)

    def wait_for_stop() -> None:
        signal.sigwait(stop)
        signal_event.set()

    threading.Thread(target=wait_for_stop, name="stop-signal", daemon=True).start()
    return signal_event
