"""What every family does the same way once a payload is read: reporting expected fields not
found (:func:`expected`, collected per payload by :func:`collecting_missing`, counted by
``webhook.drift``) and what an edit becomes (:func:`edit_events`).

The readers live beside this module, one per job:
  * ``_values``: typed reads of JSON values (``obj``, ``seq``, ``text``, ``as_int``...);
  * ``_time``: event times (``epoch_to_utc``, ``iso_to_utc``);
  * ``_proto``: Baileys proto messages and whatsmeow's Go JSON of them (Evolution, W-API,
    the README sample, Wuzapi, WAHA NOWEB/GOWS);
  * ``_webjs``: whatsapp-web.js / wa-js models (WAHA WEBJS, WPPConnect, UltraMsg).

Everything here is pure: no Django, no settings, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from enum import StrEnum
from typing import Any, TypeVar

from webhook.events import EditEvent, Event, MessageEvent, MessageType

T = TypeVar("T")

# Names of expected fields not found while one payload is parsed (see ``expected``).
_missing: ContextVar[list[str] | None] = ContextVar("webhook_parser_missing", default=None)


def expected(value: T, where: str) -> T:
    """Report ``where`` as an expected field not found when ``value`` is absent, empty or an
    ``UNKNOWN`` enum member; returns ``value`` unchanged, so the parser's fallback stays.

    For fields a parser can live without but should have (a message's time, an ack's value):
    a gateway release that renames one shows up in the "não reconhecidos" counters
    (``webhook.drift``) instead of silently becoming the time of receipt. Outside
    ``collecting_missing`` (a parser called directly) nothing is recorded."""
    missing = _missing.get()
    if missing is not None and _absent(value):
        missing.append(where)
    return value


def _absent(value: Any) -> bool:
    if value is None or value == "":
        return True
    return isinstance(value, StrEnum) and value.name == "UNKNOWN"


@contextmanager
def collecting_missing() -> Iterator[list[str]]:
    """Collect what ``expected`` reports while one payload is parsed (``parsers.parse_as``)."""
    found: list[str] = []
    token = _missing.set(found)
    try:
        yield found
    finally:
        _missing.reset(token)


def edit_events(edit: EditEvent, **message: Any) -> list[Event]:
    """What an edit becomes, in every family: when it says where the message is (its chat),
    first the message as edited (``message`` holds its sender, direction and the like), then
    the EditEvent.

    The processor stores messages before it applies updates, so if the original never
    arrived the message is created with the edited text (and the edit then changes nothing);
    if it did, the message is a duplicate and the edit replaces its text, keeping the old one
    in its history. An edit that names only its target (no chat) cannot create anything: it
    is parked until the original arrives, as before. An original that arrives after the edit
    completes the message the edit created (``services.bulk``): the rows end as in order."""
    if not edit.chat_id:
        return [edit]
    fields: dict[str, Any] = {"type": MessageType.TEXT, **message, "from_edit": True}
    created = MessageEvent(
        client_key=edit.client_key,
        timestamp=edit.timestamp,
        raw=edit.raw,
        message_id=edit.target_id,
        chat_id=edit.chat_id,
        text=edit.new_text,
        **fields,
    )
    return [created, edit]
