"""Log lines that cannot leak secrets or be forged, whichever server writes them.

Every handler of every server we start (Django's own logging, gunicorn's access and error
logs, granian's and waitress' loggers) gets :class:`SafeLogFilter`: it formats the record's
message once, masks what travels in URLs and headers (``/webhook/k/<token>``, ``?token=``,
``hub.verify_token=``, ``apikey``, ``Authorization``/Bearer values, signatures, and the read
API's token wherever it appears) and escapes control characters, so one record is one line:
a newline inside a sender's ``instanceId`` shows as ``\\n`` instead of starting a forged line.
Tracebacks (``exc_info``) are formatted apart by the formatter and keep their lines.
"""

from __future__ import annotations

import logging
import re

MASK = "***"
_PATH_TOKEN = re.compile(r"(/k/)[^/\s?\"'#]+")
_QUERY_SECRET = re.compile(
    r"([?&;](?:token|apikey|api_key|access_token|hub\.verify_token|signature|key)=)[^&\s\"'#]*",
    re.IGNORECASE,
)
_HEADER_SECRET = re.compile(
    r"((?:authorization|proxy-authorization|apikey|x-api-key|client-token|x-webhook-token|"
    r"x-hub-signature(?:-256)?|x-webhook-hmac|cookie)[\"']?\s*[:=]\s*[\"']?)"
    r"(?:bearer\s+|basic\s+|sha256=|sha1=)?[^\s\"',;}]+",
    re.IGNORECASE,
)
# C0 and C1 control characters, DEL, and the Unicode line and paragraph separators.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char, f"\\x{ord(char):02x}")


def mask_secrets(text: str, extra: tuple[str, ...] = ()) -> str:
    """``text`` with URL and header credentials (and the ``extra`` values) masked."""
    text = _PATH_TOKEN.sub(rf"\1{MASK}", text)
    text = _QUERY_SECRET.sub(rf"\1{MASK}", text)
    text = _HEADER_SECRET.sub(rf"\1{MASK}", text)
    for secret in extra:
        if secret and secret in text:
            text = text.replace(secret, MASK)
    return text


def safe_line(text: str, extra: tuple[str, ...] = ()) -> str:
    """Masked, with control characters escaped: what one log line may say."""
    return _CONTROL.sub(_escape, mask_secrets(text, extra))


def mask_url_secrets(text: str) -> str:
    """The path token and query credentials of a URL or path, masked (kept for callers)."""
    return mask_secrets(text)


def _known_secrets() -> tuple[str, ...]:
    from django.core.exceptions import ImproperlyConfigured

    from webhook.conf import webhook_settings

    try:
        token = webhook_settings.API_TOKEN
    except ImproperlyConfigured:  # a server's own process before Django is set up
        return ()
    return (token,) if token and len(token) >= 8 else ()


class SafeLogFilter(logging.Filter):
    """Masks secrets and escapes control characters in the formatted message of a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a bad format string: keep what there is, safely
            message = f"{record.msg} {record.args}"
        record.msg, record.args = safe_line(message, _known_secrets()), ()
        if hasattr(record, "request"):
            record.request = None  # the request object repeats the path in tracebacks
        return True


# Kept under its old name: Django's LOGGING refers to filters by dotted path.
MaskPathTokens = SafeLogFilter


def protect_handlers(*logger_names: str) -> None:
    """Add the filter to every handler of these loggers (and the root logger's)."""
    for name in ("", *logger_names):
        for handler in logging.getLogger(name).handlers:
            if not any(isinstance(f, SafeLogFilter) for f in handler.filters):
                handler.addFilter(SafeLogFilter())


def granian_log_config() -> dict:
    """granian's own logging configuration, with every handler behind the filter."""
    import copy

    from granian.log import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"safe": {"()": "webhook.log_safety.SafeLogFilter"}}
    for handler in config["handlers"].values():
        handler["filters"] = ["safe"]
    return config
