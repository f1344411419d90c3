"""Reads: querysets and summaries for the views, the admin and the scripts."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from webhook import inbox, limits, server_stats, spool
from webhook.models import Chat, Client, ContactStats, Message, UnrecognisedItem, WebhookEvent
from webhook.services.stats import ACTIVE_WINDOW


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


def status_summary(*, detail: bool = False, client_ids: set[int] | None = None) -> dict[str, Any]:
    """Aggregate health: counts and states, never bodies, names of people or secrets.

    Client names and instance ids are what an attacker needs to aim a forged delivery, so
    they are listed (``clients``) only with ``detail``, for a logged-in staff user or the
    read API's token, and then only the clients in ``client_ids`` (``None``: every client;
    a staff user who is not a superuser sees their own, ``webhook.access``); anonymous
    visitors get counts of clients by connection state. A fixed number of queries, whatever
    the number of clients, and no writes (the page may be polled)."""
    by_status = dict(WebhookEvent.objects.values_list("status").annotate(n=Count("pk")).order_by())
    states = list(Client.objects.values_list("active", "realtime__connection_state"))
    last_event = WebhookEvent.objects.order_by("-received_at").values_list("received_at").first()
    summary = {
        "ok": True,
        "events_total": sum(by_status.values()),
        "events_by_status": by_status,
        "last_event_at": _iso(last_event[0]) if last_event else None,
        "messages_total": Message.objects.count(),
        "spooled": spool.pending_count(),
        "waiting_to_apply": by_status.get(WebhookEvent.Status.RECEIVED, 0) + inbox_waiting(),
        "clients_total": len(states),
        "clients_active": sum(1 for active, _state in states if active),
        "clients_by_connection": dict(Counter(state or "unknown" for _active, state in states)),
        # How often a protective limit refused a request, over every server process.
        "limits_tripped": limits.trip_counts(),
        "media": _media_summary(),
        # Message types, event kinds and expected fields the parsers did not recognise; their
        # names (and sample events, of any client) only for who sees every client.
        "unrecognised": unrecognised_summary(detail=detail and client_ids is None),
        # Requests answered by each server, over all its processes (webhook.server_stats).
        **server_stats.totals(server_stats.RECEIVER, server_stats.DJANGO),
    }
    if detail:
        summary["clients"] = client_rows(client_ids)
    return summary


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def client_rows(client_ids: set[int] | None) -> list[dict[str, Any]]:
    """Per client (all, or those in ``client_ids``): counts and the live figures, read in a
    fixed number of grouped queries (the same windows as ``services.stats.realtime_refresh``;
    processing time: the average over the last hour's events)."""
    now = timezone.now()
    clients = Client.objects.select_related("realtime").order_by("name", "pk")
    if client_ids is not None:
        clients = clients.filter(pk__in=client_ids)

    def per_client(queryset: QuerySet, **aggregates: Any) -> dict[int, dict[str, Any]]:
        if client_ids is not None:
            queryset = queryset.filter(client_id__in=client_ids)
        rows = queryset.values("client_id").annotate(**aggregates).order_by()
        return {row.pop("client_id"): row for row in rows}

    events = per_client(WebhookEvent.objects, n=Count("pk"))
    messages = per_client(Message.objects, n=Count("pk"))
    recent = per_client(
        Message.objects.filter(timestamp__gte=now - timedelta(minutes=5)), n=Count("pk")
    )
    active = per_client(
        Chat.objects.filter(last_message_at__gte=now - ACTIVE_WINDOW), n=Count("pk")
    )
    contacts = per_client(
        ContactStats.objects,
        waiting=Count("pk", filter=Q(waiting_since__isnull=False)),
        first=Avg("first_response_seconds"),
    )
    processing = per_client(
        WebhookEvent.objects.filter(
            received_at__gte=now - timedelta(hours=1), processing_ms__isnull=False
        ),
        ms=Avg("processing_ms"),
    )
    rows = []
    for client in clients:
        rt = getattr(client, "realtime", None)
        contact = contacts.get(client.pk, {})
        ms = processing.get(client.pk, {}).get("ms")
        rows.append(
            {
                "client": client.instance_id,
                "name": client.name,
                "active": client.active,
                "events": events.get(client.pk, {}).get("n", 0),
                "messages": messages.get(client.pk, {}).get("n", 0),
                "connection": rt.connection_state if rt else "unknown",
                "connected_phone": rt.connected_phone if rt else "",
                "last_event_at": _iso(rt.last_event_at) if rt else None,
                "active_chats": active.get(client.pk, {}).get("n", 0),
                "waiting_chats": contact.get("waiting") or 0,
                "messages_per_minute": round(recent.get(client.pk, {}).get("n", 0) / 5.0, 2),
                "avg_first_response_seconds": contact.get("first"),
                "avg_processing_ms": round(ms, 2) if ms is not None else None,
                "has_qr_code": bool(rt and rt.last_qr_code),
            }
        )
    return rows
