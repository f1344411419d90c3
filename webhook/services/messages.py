"""Writes for the conversation: chats, senders, messages and the updates that target them.

Every function is idempotent: database constraints decide duplicates, statuses only move
forward, and an update whose message has not arrived yet is parked in ``PendingUpdate`` and
applied when the message is stored. Each returns whether it changed anything.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q

from webhook.events import (
    STATUS_RANK,
    DeleteEvent,
    DeliveryStatus,
    EditEvent,
    MessageEvent,
    ReactionEvent,
    StatusEvent,
    status_advances,
)
from webhook.models import Chat, Client, Message, PendingUpdate, Sender, WebhookEvent
from webhook.services import stats

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


def _clip(value: str, size: int = 255) -> str:
    return value[:size]


def chat_upsert(
    *, client: Client, chat_id: str, name: str = "", alt_id: str = "", is_group: bool = False
) -> Chat:
    """The Chat for ``chat_id`` (created when new); fills name and alternate id when learnt."""
    chat_id = _clip(chat_id)
    chat = Chat.objects.filter(client=client, chat_id=chat_id).first()
    if chat is None:
        try:
            with transaction.atomic():
                return Chat.objects.create(
                    client=client,
                    chat_id=chat_id,
                    name=_clip(name),
                    alt_id=_clip(alt_id),
                    is_group=is_group,
                )
        except IntegrityError:  # created by a concurrent delivery
            chat = Chat.objects.get(client=client, chat_id=chat_id)
    changes = {}
    if name and chat.name != name[:255]:
        changes["name"] = _clip(name)
    if alt_id and not chat.alt_id:
        changes["alt_id"] = _clip(alt_id)
    if changes:
        Chat.objects.filter(pk=chat.pk).update(**changes)
        for field, value in changes.items():
            setattr(chat, field, value)
    return chat


def is_lid(jid: str) -> bool:
    return jid.endswith("@lid")


def sender_upsert(
    *,
    client: Client,
    sender_id: str,
    name: str = "",
    alt_id: str = "",
    is_me: bool = False,
) -> Sender:
    """One Sender per contact, found under its id or its alternate (LID <-> phone)."""
    sender_id, alt_id = _clip(sender_id), _clip(alt_id)
    if is_lid(sender_id) and alt_id and not is_lid(alt_id):
        sender_id, alt_id = alt_id, sender_id  # the phone is the primary id, the LID its alternate
    ids = [i for i in (sender_id, alt_id) if i]
    sender = (
        Sender.objects.filter(client=client)
        .filter(Q(sender_id__in=ids) | Q(alt_id__in=ids))
        .order_by("pk")
        .first()
    )
    if sender is None:
        try:
            with transaction.atomic():
                return Sender.objects.create(
                    client=client,
                    sender_id=sender_id,
                    alt_id=alt_id,
                    name=_clip(name),
                    is_me=is_me,
                )
        except IntegrityError:
            sender = Sender.objects.get(client=client, sender_id=sender_id)
    changes: dict[str, Any] = {}
    if name and sender.name != name[:255]:
        changes["name"] = _clip(name)
    other = next((i for i in ids if i != sender.sender_id), "")
    if other and is_lid(sender.sender_id) and not is_lid(other):
        # Whatever arrived first, the phone is the primary id and the LID its alternate.
        changes["sender_id"], changes["alt_id"] = other, sender.sender_id
    elif other and not sender.alt_id:
        changes["alt_id"] = other
    if is_me and not sender.is_me:
        changes["is_me"] = True
    if changes:
        Sender.objects.filter(pk=sender.pk).update(**changes)
        for field, value in changes.items():
            setattr(sender, field, value)
    return sender


def _media_fields(event: MessageEvent) -> dict[str, Any]:
    media = event.media
    if media is None:
        return {}
    return {
        "media_url": media.url,
        "media_id": _clip(media.media_id),
        "media_mimetype": _clip(media.mimetype),
        "media_sha256": _clip(media.sha256),
        "media_size": media.size,
        "media_file_name": _clip(media.file_name, 500),
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
        "location_name": _clip(loc.name, 500),
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
        "external_id": _clip(event.message_id),
        "chat": chat,
        "sender": sender,
        "from_me": event.from_me,
        "type": event.type if event.type in _MESSAGE_TYPES else Message.Type.UNKNOWN,
        "subtype": _clip(event.subtype, 60),
        "text": event.text,
        "timestamp": timestamp,
        "timestamp_estimated": event.timestamp is None,
        "family": family,
        "contacts": [dataclasses.asdict(c) for c in event.contacts],
        "quoted_id": _clip(event.quoted_id),
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
        history.insert(0, {"text": fields["text"], "replaced_at": _iso(row.timestamp)})
    update["edit_history"] = history
    update["created_by_edit"] = False
    if fields["status"] and status_advances(row.status, fields["status"]):
        update["status"] = fields["status"]
    for field in STEP_FIELDS.values():
        mine, theirs = getattr(row, field), fields.get(field)
        update[field] = min(filter(None, (mine, theirs)), default=None)
    return update


def message_upsert(
    *,
    client: Client,
    event: MessageEvent,
    family: str,
    received_at: datetime,
    webhook_event: WebhookEvent | None = None,
) -> bool:
    """Store one message once per (client, external id); True when it was new.

    The batch path (``webhook.services.bulk``) with a batch of one.
    """
    from webhook.services.bulk import MessageWork, messages_apply

    accumulator = stats.StatsAccumulator()
    work = MessageWork(
        index=0,
        client_id=client.pk,
        event=event,
        family=family,
        webhook_event_id=webhook_event.pk if webhook_event else None,
        received_at=received_at,
    )
    created = messages_apply([work], accumulator)
    accumulator.flush()
    return bool(created)


def _message(client: Client, external_id: str) -> Message | None:
    return Message.objects.filter(client=client, external_id=external_id[:255]).first()


def _fingerprint(kind: str, data: dict[str, Any]) -> str:
    encoded = json.dumps([kind, data], sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8", "surrogatepass")).hexdigest()


def _pending_store(
    *, client: Client, target_id: str, kind: str, data: dict[str, Any], received_at: datetime
) -> bool:
    """Park an update for a message not stored yet; a redelivery of it is parked once.

    The fingerprint covers what the update says, not when it reached us: the time of receipt
    (used when the payload carries no time) is stored beside it.
    """
    fingerprint = _fingerprint(kind, data)
    data = {**data, "received_at": received_at.isoformat()}
    try:
        with transaction.atomic():
            PendingUpdate.objects.create(
                client=client,
                target_id=_clip(target_id),
                kind=kind,
                fingerprint=fingerprint,
                data=data,
            )
    except IntegrityError:
        return False
    return True


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _status_steps_apply(message: Message, status: str, moment: datetime) -> bool:
    """Record when each implied step was reached (earliest time wins) and count it."""
    changed = False
    for step in IMPLIED_STEPS.get(status, ()):
        field = STEP_FIELDS[step]
        first = Message.objects.filter(pk=message.pk, **{f"{field}__isnull": True}).update(
            **{field: moment}
        )
        if first:
            changed = True
            stats.stats_record_step(message=message, step=step)
        elif Message.objects.filter(pk=message.pk, **{f"{field}__gt": moment}).update(
            **{field: moment}
        ):
            changed = True
    return changed


def message_status_apply(*, client: Client, event: StatusEvent, received_at: datetime) -> bool:
    """Move a message's delivery status forward; park it when the message is unknown."""
    if event.status == DeliveryStatus.UNKNOWN:
        return False
    message = _message(client, event.message_id)
    if message is None:
        data = {
            "status": str(event.status),
            "timestamp": _iso(event.timestamp),
            "error": event.error,
        }
        return _pending_store(
            client=client,
            target_id=event.message_id,
            kind="status",
            data=data,
            received_at=received_at,
        )
    moment = event.timestamp or received_at
    changed = _status_steps_apply(message, event.status, moment)
    lower = [s for s in Message.Status.values if status_advances(s, event.status)] + [""]
    advanced = Message.objects.filter(pk=message.pk, status__in=lower).update(
        status=event.status, status_error=event.error[:2000] if event.error else F("status_error")
    )
    return bool(changed or advanced)


def reaction_apply(*, client: Client, event: ReactionEvent, received_at: datetime) -> bool:
    """Attach (or with an empty emoji, remove) a reaction on its target message."""
    message = (
        Message.objects.select_for_update()
        .filter(client=client, external_id=event.target_id[:255])
        .first()
    )
    who = event.sender_id or ("me" if event.from_me else "?")
    if message is None:
        data = {
            "emoji": event.emoji,
            "sender_id": event.sender_id,
            "from_me": event.from_me,
            "timestamp": _iso(event.timestamp),
        }
        return _pending_store(
            client=client,
            target_id=event.target_id,
            kind="reaction",
            data=data,
            received_at=received_at,
        )
    # The newest reaction of each sender wins, whatever order they arrive or are replayed in:
    # the time of each sender's last reaction (or removal) is kept beside the emoji.
    moment = event.timestamp or received_at
    times = dict(message.reaction_times or {})
    known = _from_iso(times.get(who))
    if known is not None and known > moment:
        return False
    reactions = dict(message.reactions or {})
    if event.emoji:
        reactions[who] = event.emoji
    else:
        reactions.pop(who, None)
    times[who] = moment.isoformat()
    if reactions == (message.reactions or {}) and times == (message.reaction_times or {}):
        return False
    Message.objects.filter(pk=message.pk).update(reactions=reactions, reaction_times=times)
    return True


def edit_apply(*, client: Client, event: EditEvent, received_at: datetime) -> bool:
    """Replace a message's text, keeping the previous text in its history."""
    message = (
        Message.objects.select_for_update()
        .filter(client=client, external_id=event.target_id[:255])
        .first()
    )
    if message is None:
        data = {"text": event.new_text, "timestamp": _iso(event.timestamp)}
        return _pending_store(
            client=client,
            target_id=event.target_id,
            kind="edit",
            data=data,
            received_at=received_at,
        )
    if message.text == event.new_text:
        return False
    history = list(message.edit_history or [])
    history.append({"text": message.text, "replaced_at": _iso(event.timestamp or received_at)})
    Message.objects.filter(pk=message.pk).update(text=event.new_text, edit_history=history)
    return True


def delete_apply(*, client: Client, event: DeleteEvent, received_at: datetime) -> bool:
    """Mark a message deleted; the row and its text are kept."""
    message = _message(client, event.target_id)
    if message is None:
        data = {"timestamp": _iso(event.timestamp)}
        return _pending_store(
            client=client,
            target_id=event.target_id,
            kind="delete",
            data=data,
            received_at=received_at,
        )
    moment = event.timestamp or received_at
    changed = Message.objects.filter(pk=message.pk, is_deleted=False).update(
        is_deleted=True, deleted_at=moment, status=DeliveryStatus.DELETED
    )
    return bool(changed)


def _from_iso(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def pending_apply(*, client: Client, message: Message) -> None:
    """Apply, in arrival order, every parked update that targets a newly stored message."""
    pending = list(
        PendingUpdate.objects.filter(client=client, target_id=message.external_id).order_by("pk")
    )
    if not pending:
        return
    ordered = sorted(
        pending,
        key=lambda p: (p.kind != "status", STATUS_RANK.get(p.data.get("status", ""), 0), p.pk),
    )
    for item in ordered:
        data = item.data
        when = _from_iso(data.get("timestamp"))
        received_at = _from_iso(data.get("received_at")) or message.timestamp
        if item.kind == "status":
            message_status_apply(
                client=client,
                event=StatusEvent(
                    client_key="",
                    message_id=message.external_id,
                    status=DeliveryStatus(data.get("status", "unknown")),
                    timestamp=when,
                    error=data.get("error", ""),
                ),
                received_at=received_at,
            )
        elif item.kind == "reaction":
            reaction_apply(
                client=client,
                event=ReactionEvent(
                    client_key="",
                    target_id=message.external_id,
                    emoji=data.get("emoji", ""),
                    sender_id=data.get("sender_id", ""),
                    from_me=bool(data.get("from_me")),
                    timestamp=when,
                ),
                received_at=received_at,
            )
        elif item.kind == "edit":
            edit_apply(
                client=client,
                event=EditEvent(
                    client_key="",
                    target_id=message.external_id,
                    new_text=data.get("text", ""),
                    timestamp=when,
                ),
                received_at=received_at,
            )
        elif item.kind == "delete":
            delete_apply(
                client=client,
                event=DeleteEvent(client_key="", target_id=message.external_id, timestamp=when),
                received_at=received_at,
            )
    PendingUpdate.objects.filter(pk__in=[p.pk for p in pending]).delete()
