"""Event times: Unix epochs (seconds or milliseconds) and ISO-8601 strings -> aware UTC, with
the sanity bounds of docs/formats.md §3.4 (before 2009 or more than a day ahead = absent).

Pure: no Django, no settings, no I/O.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

# Anything after this is treated as absurd (and before 2009, when WhatsApp did not exist).
_MIN_EPOCH = 1_230_768_000  # 2009-01-01
_FUTURE_SLACK = timedelta(days=1)
_MS_THRESHOLD = 1e11  # values above are milliseconds (1e11 s is the year 5138)


def epoch_to_utc(value: Any) -> datetime | None:
    """Unix time in seconds or milliseconds (number or numeric string) -> aware UTC.

    Absent, zero, negative, non-numeric, overflowing or absurd values (before 2009 or more
    than a day in the future) give ``None``: the processor falls back to the time of receipt.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, dict):  # protobuf Long leaked as {"low", "high", "unsigned"}
        try:
            value = (int(value.get("high", 0)) << 32) + (int(value.get("low", 0)) & 0xFFFFFFFF)
        except (TypeError, ValueError):
            return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if number != number or number in (float("inf"), float("-inf")):  # NaN / infinity
        return None
    if number > _MS_THRESHOLD:
        number /= 1000.0
    if number < _MIN_EPOCH:
        return None
    try:
        moment = datetime.fromtimestamp(int(number), tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
    if moment > datetime.now(tz=UTC) + _FUTURE_SLACK:
        return None
    return moment


def iso_to_utc(value: Any) -> datetime | None:
    """ISO-8601 string -> aware UTC; naive strings are taken as UTC; junk gives ``None``."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC).replace(microsecond=0)
    if moment.timestamp() < _MIN_EPOCH or moment > datetime.now(tz=UTC) + _FUTURE_SLACK:
        return None
    return moment
