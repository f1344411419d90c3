"""The status page of both servers (the Flask receiver's ``/status``, Django's
``/webhook/status/``): one template, ``webhook/status.html``, filled from
``selectors.status_summary``; translated labels and local times for people, the same summary
as JSON for machines."""

from __future__ import annotations

from typing import Any

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

CONNECTION_LABELS = {
    "open": _("connected"),
    "connecting": _("connecting"),
    "close": _("disconnected"),
    "closed": _("disconnected"),
    "qr_required": _("waiting for QR code"),
    "unknown": _("unknown"),
}
EVENT_STATUS_LABELS = {
    "received": _("received (waiting to be applied)"),
    "processed": _("processed"),
    "duplicate": _("duplicate"),
    "ignored": _("ignored"),
    "unassigned": _("no client"),
    "failed": _("failed"),
    "rejected": _("rejected"),
}
DRIFT_KIND_LABELS = {
    "message_type": _("message type"),
    "event_kind": _("event kind"),
    "missing_field": _("expected field missing"),
}
LIMIT_LABELS = {
    "body_too_large": _("body too large"),
    "anon_body_too_large": _("body too large, without credential"),
    "body_timeout": _("body too slow"),
    "body_budget": _("too many large bodies at once"),
    "body_memory": _("body memory budget"),
    "overloaded": _("too many requests waiting"),
    "json_too_complex": _("JSON too complex"),
    "unassigned_body_quota": _("disk quota of deliveries without client"),
    "rejected_body_quota": _("disk quota of refused deliveries"),
}
STATUS_CODE_LABELS = {
    200: _("OK"),
    202: _("accepted"),
    400: _("bad request"),
    401: _("unauthorised"),
    403: _("forbidden"),
    404: _("not found"),
    405: _("method not allowed"),
    408: _("too slow"),
    413: _("too large"),
    429: _("too many requests"),
    500: _("server error"),
    503: _("unavailable"),
}
BADGES = {"open": "open", "connecting": "connecting", "qr_required": "connecting"}


def wants_html(accept: str, query_format: str | None) -> bool:
    """HTML for a browser (``Accept`` names text/html), JSON for everyone else and for
    ``?format=json``."""
    return query_format != "json" and "text/html" in (accept or "")


def _when(value: str | None) -> Any:
    return parse_datetime(value) if value else None


def _connection(state: str) -> dict[str, Any]:
    badge = BADGES.get(state, "close" if state in ("close", "closed") else "unknown")
    return {"state": state, "label": CONNECTION_LABELS.get(state, state), "badge": badge}


def _server(entry: dict[str, Any]) -> dict[str, Any]:
    codes = []
    for code, n in entry["by_status"].items():
        number = int(code) if code.isdigit() else 0
        tone = "ok" if number < 300 else ("bad" if number >= 500 else "warn")
        codes.append(
            {"code": code, "label": STATUS_CODE_LABELS.get(number, ""), "n": n, "tone": tone}
        )
    return {
        **entry,
        "codes": codes,
        "started": _when(entry.get("started_at")),
        "last_seen": _when(entry.get("last_seen_at")),
    }


def page_context(summary: dict[str, Any], *, server: str, tunnel_url: str | None) -> dict[str, Any]:
    """What ``webhook/status.html`` shows: ``server`` is who renders it (``receiver`` or
    ``django``), ``tunnel_url`` the public address to paste into the gateway, if any."""
    drift = summary["unrecognised"]
    clients = summary.get("clients")
    return {
        "section": "status",
        "server": server,
        "summary": summary,
        "tunnel_url": tunnel_url,
        "last_event": _when(summary.get("last_event_at")),
        "by_status": [
            {"status": k, "label": EVENT_STATUS_LABELS.get(k, k), "n": n}
            for k, n in sorted(summary["events_by_status"].items(), key=lambda kv: -kv[1])
        ],
        "limits": [
            {"name": k, "label": LIMIT_LABELS.get(k, k), "n": n}
            for k, n in summary["limits_tripped"].items()
        ],
        "drift": [
            (family, DRIFT_KIND_LABELS.get(kind, kind), n)
            for family, by_kind in drift["by_family"].items()
            for kind, n in by_kind.items()
        ],
        "drift_items": [
            {
                **item,
                "kind": DRIFT_KIND_LABELS.get(item["kind"], item["kind"]),
                "last_seen": _when(item["last_seen"]),
            }
            for item in drift.get("items", [])
        ],
        "connections": [
            {**_connection(state), "n": n}
            for state, n in sorted(summary["clients_by_connection"].items())
        ],
        "clients": None
        if clients is None
        else [
            {
                **c,
                "connection": _connection(c["connection"]),
                "last_event": _when(c["last_event_at"]),
            }
            for c in clients
        ],
        "receiver": _server(summary["receiver"]),
        "django": _server(summary["django"]),
    }
