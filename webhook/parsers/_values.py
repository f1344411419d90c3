"""Typed reads of JSON values: wrong types never crash, they read as empty (docs/formats.md §3).

Pure: no Django, no settings, no I/O.
"""

from __future__ import annotations

from typing import Any

from webhook.exceptions import PayloadError


def obj(value: Any) -> dict[str, Any]:
    """The value when it is a JSON object, else an empty dict (wrong types never crash)."""
    return value if isinstance(value, dict) else {}


def seq(value: Any) -> list[Any]:
    """The value when it is a JSON array, else an empty list."""
    return value if isinstance(value, list) else []


def text(value: Any) -> str:
    """A string field: strings as they are, numbers as their decimal text, others empty."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int | float):
        return str(value)
    return ""


def as_int(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = int(float(value))
    except (TypeError, ValueError, OverflowError):
        return None
    # Fits the database's 64-bit integers.
    return number if -(2**63) < number < 2**63 else None


def as_float(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if number != number or number in (float("inf"), float("-inf")):
        return None
    return number


def as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1", "yes"}
    return bool(value) if isinstance(value, bool | int) else False


def require_str(mapping: dict[str, Any], key: str, *, where: str) -> str:
    """A mandatory id field: a non-empty string (or number), else a PayloadError naming it."""
    value = text(mapping.get(key)).strip()
    if not value:
        raise PayloadError(f"missing or invalid '{where}'", field=where)
    return value


def is_group_jid(jid: str) -> bool:
    return jid.endswith("@g.us") or jid.endswith("-group")
