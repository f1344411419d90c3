"""What both servers hand to ingestion (``webhook.ingest``) and what they get back: plain
data, knowing neither Flask nor Django."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class InboundRequest:
    body: bytes
    headers: Mapping[str, str]  # names in lower case
    query: Mapping[str, str] = field(default_factory=dict)
    remote_addr: str = ""
    path: str = "/webhook/"
    path_token: str = ""
    method: str = "POST"
    declared_length: int | None = None  # Content-Length, when the body was left unread (huge)


@dataclass(frozen=True, slots=True)
class IngestResponse:
    status: int
    body: Any  # dict -> JSON; str -> text/plain
    headers: Mapping[str, str] = field(default_factory=dict)
