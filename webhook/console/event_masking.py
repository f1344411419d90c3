"""What the event page may show of a stored delivery: never a credential.

Bodies and headers are stored masked already (``WebhookValidator.mask_body`` /
``mask_headers``), but older rows, odd shapes and tracebacks are masked again here, with the
project's own rules (``webhook.masking`` by field name, ``webhook.log_safety`` for URLs,
``Authorization``/Bearer values and signatures) and, for display only, by value too: the
event's client secrets and the read API's token never appear, wherever they hide.
"""

from __future__ import annotations

import json
from typing import Any

from webhook.conf import webhook_settings
from webhook.forms import mask_form
from webhook.log_safety import mask_secrets
from webhook.masking import MASK, SECRET_HEADERS, SECRET_KEYS, mask_credentials
from webhook.models import WebhookEvent

DISPLAY_LIMIT = 200_000  # characters of a body shown on the page
_SECRET_NAMES = SECRET_KEYS | SECRET_HEADERS | {"access_token", "signature", "hmac"}
_CLIENT_SECRETS = (
    "webhook_token",
    "meta_app_secret",
    "signing_secret",
    "meta_access_token",
    "gateway_api_key",
)


def known_secrets(event: WebhookEvent) -> tuple[str, ...]:
    """Values never shown: the event's client credentials and the read API's token."""
    values = [webhook_settings.API_TOKEN or ""]
    if event.client is not None:
        values += [getattr(event.client, name) or "" for name in _CLIENT_SECRETS]
    return tuple(sorted({v for v in values if len(v) >= 8}, key=len, reverse=True))


def mask_text(text: str, secrets: tuple[str, ...]) -> str:
    """Free text (an error, a traceback, a path): URL and header credentials masked."""
    return mask_secrets(mask_credentials(text), secrets)


def _secret_key(key: Any, value: Any) -> bool:
    return isinstance(key, str) and key.lower() in _SECRET_NAMES and value not in ("", None)


def _mask_tree(value: Any) -> Any:
    """A parsed body with the value of every credential field (any depth) masked."""
    if isinstance(value, dict):
        return {k: MASK if _secret_key(k, v) else _mask_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_tree(item) for item in value]
    return value


def display_headers(headers: Any, secrets: tuple[str, ...]) -> list[tuple[str, str]]:
    """(name, value) of each stored header, sorted by name, credentials masked."""
    if not isinstance(headers, dict):
        return []
    rows = []
    for name, value in headers.items():
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        shown = MASK if str(name).lower() in SECRET_HEADERS else mask_text(text, secrets)
        rows.append((str(name), shown))
    return sorted(rows, key=lambda row: row[0].lower())


def display_body(event: WebhookEvent, secrets: tuple[str, ...]) -> tuple[str, bool, int]:
    """The body to show: (text, parsed as JSON, full length). Pretty-printed JSON when it
    parses, else the text as stored (a form masked field by field); masked either way and
    cut at DISPLAY_LIMIT characters."""
    body = event.body or ""
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = None
        is_json = False
    else:
        is_json = isinstance(parsed, dict | list)
    if is_json:
        text = json.dumps(_mask_tree(parsed), indent=2, ensure_ascii=False)
    elif "=" in body and not body.lstrip().startswith(("{", "[")) and "\n" not in body:
        text = mask_form(body)
    else:
        text = mask_credentials(body)
    text = mask_secrets(text, secrets)
    return text[:DISPLAY_LIMIT], is_json, len(text)
