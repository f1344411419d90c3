"""A disk quota for bodies nobody vouched for: rejected, ignored and credential-less
unassigned deliveries.

Anyone can post those, so their bodies are kept only within a budget per hour, per source
address and in total (``WEBHOOK_REJECTED_BODY_QUOTA_PER_SOURCE_BYTES`` and
``WEBHOOK_REJECTED_BODY_QUOTA_BYTES``). Past it only the record of the delivery (time, source,
error, headers) and the count are kept. Each receiver process keeps its own budget in memory:
the bound on the disk is the quota times the number of processes, per hour.
"""

from __future__ import annotations

import threading
import time

from webhook import limits
from webhook.conf import webhook_settings

WINDOW_SECONDS = 3600.0


class BodyQuota:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._window: float | None = None  # when the current hour began
        self._total = 0
        self._by_source: dict[str, int] = {}

    def admit(self, source: str, size: int) -> bool:
        """True (and counted) when a body of ``size`` bytes from ``source`` may be kept."""
        if size == 0:
            return True
        total_quota = webhook_settings.REJECTED_BODY_QUOTA_BYTES
        source_quota = webhook_settings.REJECTED_BODY_QUOTA_PER_SOURCE_BYTES
        with self._lock:
            now = time.monotonic()
            if self._window is None or now - self._window >= WINDOW_SECONDS:
                self._window, self._total, self._by_source = now, 0, {}
            used = self._by_source.get(source, 0)
            if self._total + size > total_quota or used + size > source_quota:
                admitted = False
            else:
                self._total += size
                self._by_source[source] = used + size
                admitted = True
        if not admitted:
            limits.record_trip("rejected_body_quota")
        return admitted

    def reset(self) -> None:
        with self._lock:
            self._window = None


body_quota = BodyQuota()
