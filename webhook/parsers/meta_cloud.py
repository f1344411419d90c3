"""Placeholder until the meta_cloud parser lands (being written now)."""

from __future__ import annotations

FAMILY = "meta_cloud"


def matches(payload):
    return False


def client_key(payload):
    return ""


def parse(payload, *, path_event="", context=None):
    raise NotImplementedError
