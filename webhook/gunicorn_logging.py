"""gunicorn's logger with our filter on its access and error logs (``--logger-class``).

gunicorn builds its handlers itself (``--access-logfile -``), outside Django's LOGGING: the
request line it writes holds the path and the query, where gateways put tokens."""

from __future__ import annotations

from gunicorn.glogging import Logger

from webhook.log_safety import SafeLogFilter


class SafeGunicornLogger(Logger):
    def setup(self, cfg) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                if not any(isinstance(f, SafeLogFilter) for f in handler.filters):
                    handler.addFilter(SafeLogFilter())
