"""The Message row a MessageEvent becomes, and how an original completes the row its edit made.

Pure field building, no queries: ``webhook.services.bulk`` stores the rows of a whole batch
(a batch of one in the inline mode), ``webhook.services.updates`` moves their statuses on
through the ``STEP_FIELDS`` kept here.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from webhook.events import DeliveryStatus, MessageEvent, status_advances
from webhook.models import Chat, Message, Sender
from webhook.services.contacts import clip

# Status -> the Message field holding the time it was first reached.
STEP_FIELDS: dict[str, str] = {
    DeliveryStatus.SENT: "sent_at",
    DeliveryStatus.DELIVERED: "delivered_at",
    DeliveryStatus.READ: "read_at",
    DeliveryStatus.PLAYED: "played_at",
    DeliveryStatus.FAILED: "failed_at",
    DeliveryStatus.DELETED: "deleted_at",
}
# Reaching a step implies the earlier ones ("read" without "delivered" means both).
IMPLIED_STEPS: dict[str, tuple[str, ...]] = {
    DeliveryStatus.SENT: (DeliveryStatus.SENT,),
    DeliveryStatus.DELIVERED: (DeliveryStatus.SENT, DeliveryStatus.DELIVERED),
    DeliveryStatus.READ: (DeliveryStatus.SENT, DeliveryStatus.DELIVERED, DeliveryStatus.READ),
    DeliveryStatus.PLAYED: (
        DeliveryStatus.SENT,
        DeliveryStatus.DELIVERED,
        DeliveryStatus.READ,
        DeliveryStatus.PLAYED,
    ),
    DeliveryStatus.FAILED: (DeliveryStatus.FAILED,),
    DeliveryStatus.DELETED: (DeliveryStatus.DELETED,),
}


def iso(moment: datetime | None) -> str | None:
    """A time as stored in JSON (edit histories, parked updates); None stays None."""
    return moment.isoformat() if moment else None


def _media_fields(event: MessageEvent) -> dict[str, Any]:
    media = event.media
    if media is None:
        return {}
    return {
        "media_url": media.url,
        "media_id": clip(media.media_id),
        "media_mimetype": clip(media.mimetype),
        "media_sha256": clip(media.sha256),
        "media_size": media.size,
        "media_file_name": clip(media.file_name, 500),
        "media_duration": media.duration
        if media.duration is None or abs(media.duration) < 2**31
        else None,
        "media_width": media.width if media.width is None or abs(media.width) < 2**31 else None,
        "media_height": media.height if media.height is None or abs(media.height) < 2**31 else None,
        "is_voice": media.voice,
    }


def _location_fields(event: MessageEvent) -> dict[str, Any]:
    loc = event.location
    if loc is None:
        return {}
    return {
        "latitude": loc.latitude,
        "longitude": loc.longitude,
        "location_name": clip(loc.name, 500),
        "location_address": loc.address,
    }


# Choices' ``values`` builds a new list on every access: looked up once per message here.
_MESSAGE_TYPES = frozenset(Message.Type.values)
_MESSAGE_STATUSES = frozenset(Message.Status.values)


def message_fields(
    *,
    client_id: int,
    event: MessageEvent,
    family: str,
    received_at: datetime,
    chat: Chat,
    sender: Sender | None,
    webhook_event_id: int | None,
) -> dict[str, Any]:
    """The Message row a MessageEvent becomes (times without one fall back to receipt)."""
    timestamp = event.timestamp or received_at
    status = event.status or (DeliveryStatus.SENT if event.from_me else "")
    fields: dict[str, Any] = {
        "client_id": client_id,
        "external_id": clip(event.message_id),
        "chat": chat,
        "sender": sender,
        "from_me": event.from_me,
        "type": event.type if event.type in _MESSAGE_TYPES else Message.Type.UNKNOWN,
        "subtype": clip(event.subtype, 60),
        "text": event.text,
        "timestamp": timestamp,
        "timestamp_estimated": event.timestamp is None,
        "family": family,
        "contacts": [dataclasses.asdict(c) for c in event.contacts],
        "quoted_id": clip(event.quoted_id),
        "forwarded": event.forwarded,
        "status": status if not status or status in _MESSAGE_STATUSES else Message.Status.UNKNOWN,
        "webhook_event_id": webhook_event_id,
        "created_by_edit": event.from_edit,
        **_media_fields(event),
        **_location_fields(event),
    }
    if event.from_me and status in STEP_FIELDS:
        for step in IMPLIED_STEPS[status]:
            fields[STEP_FIELDS[step]] = timestamp
    return fields


# What an original keeps of the row its edit created: who and where, and the edited text.
_KEPT_BY_ORIGINAL = frozenset({"client_id", "external_id", "chat", "text", "status"})


def original_merge(*, row: Message, fields: dict[str, Any]) -> dict[str, Any]:
    """The update that completes a message an edit created (``created_by_edit``) with its
    original's row ``fields`` (``message_fields``): the rows end as if the original had come
    first. The original's text goes first in the history, replaced at the edit's time (the
    row's time until now); the status is the furthest of both; each step its earliest time."""
    update = {k: v for k, v in fields.items() if k not in _KEPT_BY_ORIGINAL}
    history = list(row.edit_history or [])
    first_text = history[0]["text"] if history else row.text
    if fields["text"] != first_text:
        history.insert(0, {"text": fields["text"], "replaced_at": iso(row.timestamp)})
    update["edit_history"] = history
    update["created_by_edit"] = False
    if fields["status"] and status_advances(row.status, fields["status"]):
        update["status"] = fields["status"]
    for field in STEP_FIELDS.values():
        mine, theirs = getattr(row, field), fields.get(field)
        update[field] = min(filter(None, (mine, theirs)), default=None)
    return update
