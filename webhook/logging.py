"""Logging helpers: keep secrets that travel in URLs out of log records."""

from __future__ import annotations

import logging
import re

_PATH_TOKEN = re.compile(r"(/webhook/k/)[^/\s?\"']+")
_QUERY_TOKEN = re.compile(r"([?&]token=)[^&\s\"']+")


def mask_url_secrets(text: str) -> str:
    return _QUERY_TOKEN.sub(r"\1***", _PATH_TOKEN.sub(r"\1***", text))


class MaskPathTokens(logging.Filter):
    """Replaces /webhook/k/<token> and ?token=<token> in a record's message and arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = mask_url_secrets(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                mask_url_secrets(a) if isinstance(a, str) else a for a in record.args
            )
        if hasattr(record, "request"):
            record.request = None  # the request object repeats the path in tracebacks
        return True
