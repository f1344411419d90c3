"""Test helpers: payload fixtures are JSON files under ``fixtures/<family>/<case>.json``."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from pathlib import Path
from typing import Any

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
