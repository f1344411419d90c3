"""Test helpers: payload fixtures are JSON files under ``fixtures/<family>/<case>.json``."""

from __future__ import annotations

import json
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
