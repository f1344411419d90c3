"""Background work of a server process: draining the outage spool when the database is back.

(Background applying of events runs on the writer thread: ``webhook.writer``.)"""

from __future__ import annotations

import logging
import threading

from django.db import DatabaseError, close_old_connections

from webhook import spool

logger = logging.getLogger(__name__)
SPOOL_CHECK_SECONDS = 5.0
_stop = threading.Event()
_thread: threading.Thread | None = None


def _loop() -> None:
    while not _stop.wait(SPOOL_CHECK_SECONDS):
        try:
            spool.drain_soon()
        except (DatabaseError, OSError):
            logger.warning("spool check failed; retrying in %ss", SPOOL_CHECK_SECONDS)
        finally:
            close_old_connections()


def start() -> None:
    """Start the periodic spool drain and, when configured, the background applier."""
    global _thread
    if _thread is not None and _thread.is_alive():
        return
    _stop.clear()
    _thread = threading.Thread(target=_loop, name="webhook-background", daemon=True)
    _thread.start()


def stop() -> None:
    _stop.set()
