"""Credentials out of everything we keep or log: the names that hold them and the masks.

Masking is by where credentials live (header names, JSON field names, form field names),
never by value: a message whose text equals a token stays as it was written.
"""

from __future__ import annotations

import re

MASK = "***"
# Header names (lower case) whose values are credentials.
SECRET_HEADERS = frozenset(
    {
        "authorization",
        "apikey",
        "x-api-key",
        "client-token",
        "x-webhook-token",
        "x-hub-signature",
        "x-hub-signature-256",
        "x-webhook-hmac",
        "x-hmac-signature",
        "cookie",
        "proxy-authorization",
    }
)
# JSON keys (lower case) whose string values are credentials, masked in the stored body.
SECRET_KEYS = frozenset(
    {"apikey", "api_key", "token", "client-token", "password", "secret", "authorization"}
)

# A credential field and its value (a JSON string or number), at any depth. Inside a JSON
# string every quote is escaped, so text that merely mentions "apikey" never matches.
_SECRET_PAIR = re.compile(
    r'("(?:' + "|".join(re.escape(k) for k in sorted(SECRET_KEYS)) + r')"\s*:\s*)'
    r'(?:"(?:[^"\\]|\\.)*"|-?[0-9][0-9.eE+-]*)',
    re.IGNORECASE,
)


def mask_credentials(raw_text: str) -> str:
    """Mask credential values in a JSON text, parsed or not (see ``WebhookValidator.mask_body``)."""
    return _SECRET_PAIR.sub(lambda m: f'{m.group(1)}"{MASK}"', raw_text)
