"""Writes for the updates that target a stored message: status, reaction, edit, delete.

Every function is idempotent: database constraints decide duplicates, statuses only move
forward, and an update whose message has not arrived yet is parked (``webhook.services.pending``)
and applied when the message is stored (``pending_apply``). Each returns whether it changed
anything. ``PARKED`` is the one table of what each kind of update keeps while it waits and how
it is applied again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import F

from webhook.events import (
    STATUS_RANK,
    DeleteEvent,
    DeliveryStatus,
    EditEvent,
    Event,
    ReactionEvent,
    StatusEvent,
    status_advances,
)
from webhook.models import Client, Message
from webhook.services import pending, stats
from webhook.services.messages import IMPLIED_STEPS, STEP_FIELDS, iso


def _message(client: Client, external_id: str) -> Message | None:
    return Message.objects.filter(client=client, external_id=external_id[:255]).first()


def _locked_message(client: Client, external_id: str) -> Message | None:
    return (
        Message.objects.select_for_update()
        .filter(client=client, external_id=external_id[:255])
        .first()
    )


def _from_iso(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _park(*, client: Client, event: Event, received_at: datetime) -> bool:
    """Park an update whose message is not stored yet, as its ``PARKED`` entry keeps it."""
    kind = KIND_OF[type(event)]
    parked = PARKED[kind]
    return pending.park(
        client=client,
        target_id=parked.target(event),
        kind=kind,
        data=parked.dump(event),
        received_at=received_at,
    )


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
        return _park(client=client, event=event, received_at=received_at)
    moment = event.timestamp or received_at
    changed = _status_steps_apply(message, event.status, moment)
    lower = [s for s in Message.Status.values if status_advances(s, event.status)] + [""]
    advanced = Message.objects.filter(pk=message.pk, status__in=lower).update(
        status=event.status, status_error=event.error[:2000] if event.error else F("status_error")
    )
    return bool(changed or advanced)


def reaction_apply(*, client: Client, event: ReactionEvent, received_at: datetime) -> bool:
    """Attach (or with an empty emoji, remove) a reaction on its target message."""
    message = _locked_message(client, event.target_id)
    who = event.sender_id or ("me" if event.from_me else "?")
    if message is None:
        return _park(client=client, event=event, received_at=received_at)
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
    message = _locked_message(client, event.target_id)
    if message is None:
        return _park(client=client, event=event, received_at=received_at)
    if message.text == event.new_text:
        return False
    history = list(message.edit_history or [])
    history.append({"text": message.text, "replaced_at": iso(event.timestamp or received_at)})
    Message.objects.filter(pk=message.pk).update(text=event.new_text, edit_history=history)
    return True


def delete_apply(*, client: Client, event: DeleteEvent, received_at: datetime) -> bool:
    """Mark a message deleted; the row and its text are kept."""
    message = _message(client, event.target_id)
    if message is None:
        return _park(client=client, event=event, received_at=received_at)
    moment = event.timestamp or received_at
    changed = Message.objects.filter(pk=message.pk, is_deleted=False).update(
        is_deleted=True, deleted_at=moment, status=DeliveryStatus.DELETED
    )
    return bool(changed)


@dataclass(frozen=True, slots=True)
class Parked:
    """One kind of update (``PendingUpdate.kind``) while its message is not stored yet.

    ``dump`` is what ``PendingUpdate.data`` keeps of the event (its fingerprint decides
    redeliveries, so the shape is part of the stored data); ``load`` rebuilds the event from
    (target id, data, its time) and ``apply`` applies it, exactly as on arrival.
    """

    event_type: type[Event]
    apply: Callable[..., bool]
    target: Callable[[Any], str]
    dump: Callable[[Any], dict[str, Any]]
    load: Callable[[str, dict[str, Any], datetime | None], Event]


PARKED: dict[str, Parked] = {
    "status": Parked(
        event_type=StatusEvent,
        apply=message_status_apply,
        target=lambda e: e.message_id,
        dump=lambda e: {"status": str(e.status), "timestamp": iso(e.timestamp), "error": e.error},
        load=lambda target, data, when: StatusEvent(
            client_key="",
            message_id=target,
            status=DeliveryStatus(data.get("status", "unknown")),
            timestamp=when,
            error=data.get("error", ""),
        ),
    ),
    "reaction": Parked(
        event_type=ReactionEvent,
        apply=reaction_apply,
        target=lambda e: e.target_id,
        dump=lambda e: {
            "emoji": e.emoji,
            "sender_id": e.sender_id,
            "from_me": e.from_me,
            "timestamp": iso(e.timestamp),
        },
        load=lambda target, data, when: ReactionEvent(
            client_key="",
            target_id=target,
            emoji=data.get("emoji", ""),
            sender_id=data.get("sender_id", ""),
            from_me=bool(data.get("from_me")),
            timestamp=when,
        ),
    ),
    "edit": Parked(
        event_type=EditEvent,
        apply=edit_apply,
        target=lambda e: e.target_id,
        dump=lambda e: {"text": e.new_text, "timestamp": iso(e.timestamp)},
        load=lambda target, data, when: EditEvent(
            client_key="", target_id=target, new_text=data.get("text", ""), timestamp=when
        ),
    ),
    "delete": Parked(
        event_type=DeleteEvent,
        apply=delete_apply,
        target=lambda e: e.target_id,
        dump=lambda e: {"timestamp": iso(e.timestamp)},
        load=lambda target, data, when: DeleteEvent(
            client_key="", target_id=target, timestamp=when
        ),
    ),
}
# Event class -> its kind in ``PARKED``.
KIND_OF: dict[type[Event], str] = {parked.event_type: kind for kind, parked in PARKED.items()}
# Event class -> service, for the processor's handler table.
HANDLERS: dict[type[Event], Callable[..., bool]] = {
    parked.event_type: parked.apply for parked in PARKED.values()
}


def pending_apply(*, client: Client, message: Message) -> None:
    """Apply every parked update that targets a newly stored message: statuses first (in
    the order of their steps), then the rest in arrival order."""
    items = pending.waiting(client=client, target_id=message.external_id)
    if not items:
        return
    ordered = sorted(
        items,
        key=lambda p: (p.kind != "status", STATUS_RANK.get(p.data.get("status", ""), 0), p.pk),
    )
    for item in ordered:
        parked = PARKED.get(item.kind)
        if parked is None:  # a kind this version does not know: dropped, as before
            continue
        data = item.data
        when = _from_iso(data.get("timestamp"))
        received_at = _from_iso(data.get("received_at")) or message.timestamp
        parked.apply(
            client=client,
            event=parked.load(message.external_id, data, when),
            received_at=received_at,
        )
    pending.discard(items)
