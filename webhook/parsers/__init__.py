"""Family detection and parsing: an ordered table of parser modules.

Each module under this package exposes ``FAMILY`` (a short name), ``matches(payload) -> bool``
(a cheap test on the top-level shape), ``client_key(payload) -> str`` (the instance the
delivery belongs to, read before anything else; a family whose deliveries can name several
instances also has ``client_keys(payload) -> list[str]``) and
``parse(payload, *, path_event="", context=DEFAULT_CONTEXT) -> ParseResult``. Detection walks
:data:`PARSERS` in order (docs/formats.md §2) and the first match wins. Adding a family is one
new module and one line in the table.

Why the order is what it is (each module's ``matches`` is tested against every other
family's fixtures, ``test_other_families_are_not_*``):
  * Evolution (``event`` + ``instance`` + ``data``) and WAHA (``event`` + ``session`` +
    ``payload``) come before WPPConnect, whose only mark is ``event`` + ``session`` without
    ``payload`` (its message object is merged at the top level);
  * Z-API (a known ``type`` + ``instanceId``) comes before Wuzapi, which also has a ``type``;
    Wuzapi in turn refuses ``instanceId``/``session`` and wants the whatsmeow ``event`` object;
  * UltraMsg's ``event_type`` + ``data`` object is a key no other family sends; it is tested
    after the older families so that it can never take one of their deliveries.
"""

from __future__ import annotations

from dataclasses import replace
from types import ModuleType
from typing import Any

from webhook.events import DEFAULT_CONTEXT, ParseContext, ParseResult
from webhook.parsers import (
    baileys_sample,
    evolution,
    meta_cloud,
    ultramsg,
    waha,
    wapi,
    wppconnect,
    wuzapi,
    zapi,
)
from webhook.parsers._common import collecting_missing

PARSER_VERSION = "1"

PARSERS: tuple[ModuleType, ...] = (
    meta_cloud,
    evolution,
    waha,
    wapi,
    baileys_sample,
    zapi,
    ultramsg,  # `event_type` + `data`: a key no other family sends
    wppconnect,  # after Evolution and WAHA: it is what is left of `event` + `session`
    wuzapi,  # `type` + an object `event`, without the instanceId/session of the others
)

UNKNOWN_FAMILY = "unknown"


def detect(payload: Any) -> ModuleType | None:
    """The parser module for this payload, or ``None`` when no family recognises it."""
    if not isinstance(payload, dict):
        return None
    for module in PARSERS:
        if module.matches(payload):
            return module
    return None


def parse(
    payload: Any, *, path_event: str = "", context: ParseContext = DEFAULT_CONTEXT
) -> ParseResult:
    """Detect and parse; an unknown shape gives an empty result with the reason."""
    return parse_as(detect(payload), payload, path_event=path_event, context=context)


def parse_as(
    module: ModuleType | None,
    payload: Any,
    *,
    path_event: str = "",
    context: ParseContext = DEFAULT_CONTEXT,
) -> ParseResult:
    """Parse with the module :func:`detect` already chose (``None``: not recognised)."""
    if module is None:
        return ParseResult(
            family=UNKNOWN_FAMILY,
            event_type=_guess_event_type(payload) or path_event,
            ignored_reason="payload shape not recognised as any supported WhatsApp family",
        )
    with collecting_missing() as missing:
        result = module.parse(payload, path_event=path_event, context=context)
    if missing:
        result = replace(result, missing_fields=tuple(dict.fromkeys(missing)))
    return result


def client_key(payload: Any) -> str:
    module = detect(payload)
    if module is None:
        return _fallback_client_key(payload)
    return module.client_key(payload)


def client_keys(payload: Any, module: ModuleType | None) -> list[str]:
    """Every instance a delivery names (a family may batch several: ``client_keys()``), the
    first one first; ``module`` is what :func:`detect` returned for the payload."""
    if module is None:
        key = _fallback_client_key(payload)
    elif hasattr(module, "client_keys"):
        return module.client_keys(payload)
    else:
        key = module.client_key(payload)
    return [key] if key else []


def family_of(payload: Any) -> str:
    module = detect(payload)
    return module.FAMILY if module is not None else UNKNOWN_FAMILY


def _guess_event_type(payload: Any) -> str:
    if isinstance(payload, dict):
        for key in ("event", "type", "event_type"):
            if isinstance(payload.get(key), str):
                return payload[key][:100]
    return ""


def _fallback_client_key(payload: Any) -> str:
    """The seed's identification order for shapes we do not parse: instanceId, cliente_id."""
    if isinstance(payload, dict):
        for key in ("instanceId", "cliente_id"):
            value = payload.get(key)
            if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
                return str(value)[:255]
    return ""
