"""Drift: what a delivery showed that the parsers did not recognise, read from any ParseResult.

Gateways change their shapes in minor releases. Nothing here knows a family: every parser
already falls back the same way, and those fallbacks are read generically:

* a message type it does not know is ``MessageType.UNKNOWN`` with the provider's name in
  ``MessageEvent.subtype`` -> ``message_type``;
* an event kind it does not handle is an empty result with an ``ignored_reason`` (and
  ``kind_known`` left False); a shape no family recognises is family ``unknown`` ->
  ``event_kind``, named by the delivery's ``event_type``;
* a field it expected and did not find is reported through ``_common.expected`` ->
  ``missing_field`` (``ParseResult.missing_fields``).

Pure: no Django. The counters live in the database (``services.drift``); the applier counts
them when it applies an event for the first time (``WhatsAppWebhookProcessor``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from webhook.events import MessageEvent, MessageType, ParseResult

NAME_LENGTH = 100  # what the counter row keeps of a name; longer names are cut
UNNAMED = "?"


class DriftKind(StrEnum):
    MESSAGE_TYPE = "message_type"
    EVENT_KIND = "event_kind"
    MISSING_FIELD = "missing_field"


@dataclass(frozen=True, slots=True)
class Drift:
    family: str
    kind: DriftKind
    name: str


def drift_of(parsed: ParseResult) -> tuple[Drift, ...]:
    """Every distinct unrecognised thing one delivery showed, in the order first seen."""
    family = parsed.family[:40]
    found: list[Drift] = []
    if not parsed.events and parsed.ignored_reason and not parsed.kind_known:
        found.append(Drift(family, DriftKind.EVENT_KIND, _name(parsed.event_type)))
    for event in parsed.events:
        if isinstance(event, MessageEvent) and event.type is MessageType.UNKNOWN:
            found.append(Drift(family, DriftKind.MESSAGE_TYPE, _name(event.subtype)))
    for where in parsed.missing_fields:
        found.append(Drift(family, DriftKind.MISSING_FIELD, _name(where)))
    return tuple(dict.fromkeys(found))


def _name(value: str) -> str:
    return value.strip()[:NAME_LENGTH] or UNNAMED
