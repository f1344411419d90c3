"""Reads: querysets and summaries for the views, the admin and the scripts."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.utils.dateparse import parse_datetime

from webhook import inbox, limits, spool
from webhook.models import Client, Message, UnrecognisedItem, WebhookEvent
from webhook.services.stats import realtime_refresh


class FilterError(ValueError):
    """A query-string filter has a value we cannot use."""


def _since(value: str) -> datetime:
    moment = parse_datetime(value)
    if moment is None:
        raise FilterError(f"'since' must be an ISO-8601 date-time, got '{value[:40]}'")
    return moment


def message_list(*, filters: dict[str, str]) -> QuerySet[Message]:
    qs = Message.objects.select_related("client", "chat", "sender", "media_file").order_by(
        "-timestamp", "-id"
    )
    if filters.get("client"):
        qs = qs.filter(client__instance_id=filters["client"])
    if filters.get("chat"):
        qs = qs.filter(chat__chat_id=filters["chat"])
    if filters.get("external_id"):
        qs = qs.filter(external_id=filters["external_id"])
    if filters.get("type"):
        qs = qs.filter(type=filters["type"])
    if filters.get("since"):
        qs = qs.filter(timestamp__gte=_since(filters["since"]))
    return qs


def message_as_dict(message: Message) -> dict[str, Any]:
    return {
        "external_id": message.external_id,
        "client": message.client.instance_id,
        "chat": message.chat.chat_id,
        "chat_name": message.chat.name,
        "is_group": message.chat.is_group,
        "sender": message.sender.sender_id if message.sender else "",
        "sender_name": message.sender.name if message.sender else "",
        "from_me": message.from_me,
        "type": message.type,
        "subtype": message.subtype,
        "text": message.text,
        "media_mimetype": message.media_mimetype,
        "media_url": message.media_url,
        "media_id": message.media_id,
        "is_voice": message.is_voice,
        "latitude": message.latitude,
        "longitude": message.longitude,
        "contacts": message.contacts,
        "quoted_id": message.quoted_id,
        "reactions": message.reactions,
        "edit_history": message.edit_history,
        "is_deleted": message.is_deleted,
        "timestamp": message.timestamp.isoformat().replace("+00:00", "Z"),
        "timestamp_estimated": message.timestamp_estimated,
        "status": message.status,
        "status_times": {
            step: getattr(message, f"{step}_at").isoformat().replace("+00:00", "Z")
            for step in ("sent", "delivered", "read", "played", "failed", "deleted")
            if getattr(message, f"{step}_at")
        },
        "family": message.family,
        **_media_file_fields(message),
    }


def _media_file_fields(message: Message) -> dict[str, Any]:
    """The fetched file of a media message: its state, reason and where staff can open it."""
    from django.core.exceptions import ObjectDoesNotExist
    from django.urls import reverse

    try:
        media = message.media_file
    except ObjectDoesNotExist:
        return {"media_state": None}
    stored = media.state == media.State.STORED
    return {
        "media_state": media.state,
        "media_error": media.last_error,
        "media_size": media.size if stored else media.declared_size,
        "media_file_url": reverse("webhook:media-file", args=[media.pk]) if stored else "",
    }


def event_list(*, filters: dict[str, str]) -> QuerySet[WebhookEvent]:
    qs = WebhookEvent.objects.select_related("client").order_by("-received_at", "-id")
    if filters.get("client"):
        qs = qs.filter(client_key=filters["client"])
    for name in ("status", "family", "event_type"):
        if filters.get(name):
            qs = qs.filter(**{name: filters[name]})
    return qs


def event_as_dict(event: WebhookEvent) -> dict[str, Any]:
    return {
        "id": event.pk,
        "received_at": event.received_at.isoformat().replace("+00:00", "Z"),
        "client": event.client.instance_id if event.client else event.client_key,
        "family": event.family,
        "event_type": event.event_type,
        "status": event.status,
        "error": event.error,
        "processing_ms": event.processing_ms,
    }


def inbox_waiting() -> int:
    """SQLite: deliveries acknowledged into the inbox that the applier has not moved in yet."""
    return inbox.pending_count()


def _media_summary() -> dict[str, Any]:
    """Media files by state, and the two numbers an operator watches: queue and failures."""
    from webhook.models import MediaFile

    by_state = dict(MediaFile.objects.values_list("state").annotate(n=Count("pk")).order_by())
    return {
        "by_state": by_state,
        "stored": by_state.get(MediaFile.State.STORED, 0),
        "waiting": by_state.get(MediaFile.State.PENDING, 0)
        + by_state.get(MediaFile.State.FETCHING, 0),
        "failed": by_state.get(MediaFile.State.FAILED, 0)
        + by_state.get(MediaFile.State.EXPIRED, 0),
    }


UNRECOGNISED_LISTED = 100  # rows of the detailed list, newest first


def unrecognised_summary(*, detail: bool = False) -> dict[str, Any]:
    """What the parsers did not recognise (``webhook.drift``): deliveries per family and kind
    for everyone; each name with its counts, dates and sample event only with ``detail`` (the
    names are whatever a sender wrote, the sample leads to a body)."""
    totals = (
        UnrecognisedItem.objects.values_list("family", "kind")
        .annotate(n=Sum("count"))
        .order_by("family", "kind")
    )
    by_family: dict[str, dict[str, int]] = {}
    for family, kind, n in totals:
        by_family.setdefault(family, {})[kind] = n
    summary: dict[str, Any] = {
        "total": sum(sum(kinds.values()) for kinds in by_family.values()),
        "by_family": by_family,
    }
    if detail:
        rows = UnrecognisedItem.objects.order_by("-last_seen", "family", "kind", "name")
        summary["items"] = [
            {
                "family": row.family,
                "kind": row.kind,
                "name": row.name,
                "count": row.count,
                "first_seen": row.first_seen.isoformat().replace("+00:00", "Z"),
                "last_seen": row.last_seen.isoformat().replace("+00:00", "Z"),
                "sample_event_id": row.sample_event_id,
            }
            for row in rows[:UNRECOGNISED_LISTED]
        ]
    return summary


def status_summary(*, detail: bool = False) -> dict[str, Any]:
    """Aggregate health: counts and states, never bodies, names of people or secrets.

    Client names and instance ids are what an attacker needs to aim a forged delivery, so
    they are listed (``clients``) only with ``detail``, for a logged-in staff user or the
    read API's token; anonymous visitors get counts of clients by connection state."""
    by_status = dict(WebhookEvent.objects.values_list("status").annotate(n=Count("pk")).order_by())
    per_client = []
    counts = dict(Message.objects.values_list("client_id").annotate(n=Count("pk")).order_by())
    events = dict(WebhookEvent.objects.values_list("client_id").annotate(n=Count("pk")).order_by())
    for client in Client.objects.order_by("name"):
        rt = realtime_refresh(client=client)
        per_client.append(
            {
                "client": client.instance_id,
                "name": client.name,
                "active": client.active,
                "events": events.get(client.pk, 0),
                "messages": counts.get(client.pk, 0),
                "connection": rt.connection_state if rt else "unknown",
                "last_event_at": rt.last_event_at.isoformat() if rt and rt.last_event_at else None,
                "active_chats": rt.active_chats if rt else 0,
                "waiting_chats": rt.waiting_chats if rt else 0,
                "messages_per_minute": rt.messages_per_minute if rt else 0,
                "avg_first_response_seconds": rt.avg_first_response_seconds if rt else None,
                "avg_processing_ms": rt.avg_processing_ms if rt else None,
                "has_qr_code": bool(rt and rt.last_qr_code),
            }
        )
    summary = {
        "ok": True,
        "events_total": sum(by_status.values()),
        "events_by_status": by_status,
        "messages_total": sum(counts.values()),
        "spooled": spool.pending_count(),
        "waiting_to_apply": by_status.get(WebhookEvent.Status.RECEIVED, 0) + inbox_waiting(),
        "clients_total": len(per_client),
        "clients_active": sum(1 for c in per_client if c["active"]),
        "clients_by_connection": dict(Counter(c["connection"] for c in per_client)),
        # How often a protective limit refused a request, over every server process.
        "limits_tripped": limits.trip_counts(),
        "media": _media_summary(),
        # Message types, event kinds and expected fields the parsers did not recognise.
        "unrecognised": unrecognised_summary(detail=detail),
    }
    if detail:
        summary["clients"] = per_client
    return summary
