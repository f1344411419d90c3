"""Test helpers: payload fixtures are JSON files under ``fixtures/<family>/<case>.json``."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_path(family: str, name: str) -> Path:
    return FIXTURES / family / f"{name}.json"


def fixture_bytes(family: str, name: str) -> bytes:
    """The fixture exactly as stored: post these bytes, sign these bytes."""
    return fixture_path(family, name).read_bytes()


def fixture(family: str, name: str) -> Any:
    return json.loads(fixture_bytes(family, name))


def all_fixtures(family: str | None = None) -> list[tuple[str, str]]:
    """(family, name) for every fixture, sorted, optionally of one family."""
    found = []
    for path in sorted(FIXTURES.glob("*/*.json")):
        if family is None or path.parent.name == family:
            found.append((path.parent.name, path.stem))
    return found


# One Meta app for the test numbers, its secret made per run (nothing committed looks like one).
META_APP_SECRET = secrets.token_hex(16)


def credentials_for(family: str, body: bytes, token: str) -> dict[str, str]:
    """What the sender would send: Meta's app signature over the bytes, or the client's token."""
    if family == "meta_cloud":
        digest = hmac.new(META_APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
        return {"x-hub-signature-256": f"sha256={digest}"}
    return {"x-webhook-token": token}


# Wuzapi's own fields beside the event in JSON mode (form mode posts them as form fields).
WUZAPI_FIELDS = ("instanceName", "userID", "token")


def wuzapi_form(
    payload: dict[str, Any],
    *,
    token: str | None = None,
    multipart: bool = False,
    file: bytes | None = None,
    legacy: bool = False,
) -> tuple[bytes, str]:
    """A Wuzapi fixture (stored as its JSON-mode payload) as Wuzapi's default form post:
    ``jsonData`` (the event JSON, compact as Go writes it) with ``userID`` and ``instanceName``
    (``legacy``: older versions' ``jsonData`` + ``token`` only), urlencoded with sorted fields
    as Go's ``url.Values.Encode``; ``multipart`` (with ``file`` attached) as resty posts it.
    Returns (body, Content-Type)."""
    event = {k: v for k, v in payload.items() if k not in (*WUZAPI_FIELDS, "_source")}
    fields = {"jsonData": json.dumps(event, ensure_ascii=False, separators=(",", ":"))}
    if not legacy:
        fields.update({k: payload[k] for k in ("userID", "instanceName") if k in payload})
    if token is not None:
        fields["token"] = token
    if not multipart:
        return urlencode(sorted(fields.items())).encode(), "application/x-www-form-urlencoded"
    boundary = "a3f9c2e1b7d64f0e8c5a2b9d1e7f3c6a"
    body = b""
    for name, value in fields.items():
        body += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value.encode()
            + b"\r\n"
        )
    if file is not None:
        fields_path = "/tmp/user_a81b3c5d7e9f/3EB0F1A2B3C4D5E6F704.jpg"
        body += (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"\r\n\r\n'
                f"{fields_path}\r\n"
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                f'filename="3EB0F1A2B3C4D5E6F704.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
            ).encode()
            + file
            + b"\r\n"
        )
    body += f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"
