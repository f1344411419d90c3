"""Messages of a whole batch in a handful of statements.

The processor gathers every MessageEvent of a batch of deliveries and hands them here: chats
and senders are looked up once per batch, new messages go in with one INSERT, and their
statistics are accumulated in memory and written once (``StatsAccumulator.flush``). A batch
of one (the inline mode) runs the very same code.

Duplicates are decided by the database: a message counts as created only when the row that
now exists carries this delivery's event id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from webhook.events import MessageEvent
from webhook.media.services import media_rows_create
from webhook.models import Chat, Message, PendingUpdate, Sender
from webhook.services import contacts, messages, updates
from webhook.services.rows import insert_ignoring_conflicts
from webhook.services.stats import StatsAccumulator


@dataclass(slots=True)
class MessageWork:
    """One MessageEvent to store, with where it came from."""

    index: int  # position of its delivery in the batch
    client_id: int
    event: MessageEvent
    family: str
    webhook_event_id: int | None
    received_at: datetime


def messages_apply(works: list[MessageWork], stats: StatsAccumulator) -> set[int]:
    """Store the messages; returns the indexes of the deliveries that created at least one."""
    created: set[int] = set()
    by_client: dict[int, list[MessageWork]] = {}
    for work in works:
        by_client.setdefault(work.client_id, []).append(work)
    for client_id, client_works in by_client.items():
        created |= _client_messages_apply(client_id, client_works, stats)
    return created


def _client_messages_apply(
    client_id: int, works: list[MessageWork], stats: StatsAccumulator
) -> set[int]:
    chats = _chats_resolve(client_id, works)
    senders = _senders_resolve(client_id, works)
    first_of = _first_of(works)
    existing = dict(
        Message.objects.filter(client_id=client_id, external_id__in=list(first_of)).values_list(
            "external_id", "created_by_edit"
        )
    )
    created = _originals_apply(
        client_id,
        [w for i, w in first_of.items() if existing.get(i) and not w.event.from_edit],
        chats,
        senders,
        stats,
    )
    rows = [
        Message(
            **messages.message_fields(
                client_id=client_id,
                event=w.event,
                family=w.family,
                received_at=w.received_at,
                chat=chats[w.event.chat_id[:255]],
                sender=senders.get(w.event.sender_id[:255]) if w.event.sender_id else None,
                webhook_event_id=w.webhook_event_id,
            )
        )
        for external_id, w in first_of.items()
        if external_id not in existing
    ]
    if not rows:
        return created
    new_messages = _rows_insert(client_id, rows, first_of, created, stats)
    media_rows_create(
        items=[
            (m, first_of[m.external_id].event, first_of[m.external_id].family)
            for m in new_messages
            if first_of[m.external_id].event.media is not None
        ]
    )
    _pending_for(client_id, new_messages)
    return created


def _first_of(works: list[MessageWork]) -> dict[str, MessageWork]:
    """External id -> the delivery that stores it: the first of the batch wins and the rest
    are duplicates, except that an original beats its edit."""
    first_of: dict[str, MessageWork] = {}
    for work in works:
        first = first_of.setdefault(work.event.message_id[:255], work)
        if first.event.from_edit and not work.event.from_edit:
            first_of[work.event.message_id[:255]] = work
    return first_of


def _rows_insert(
    client_id: int,
    rows: list[Message],
    first_of: dict[str, MessageWork],
    created: set[int],
    stats: StatsAccumulator,
) -> list[Message]:
    """Insert the new rows in one statement; the ones this batch stored, counted and with
    their delivery's index added to ``created``."""
    insert_ignoring_conflicts(Message, rows)
    stored = {
        external_id: (pk, event_id)
        for external_id, pk, event_id in Message.objects.filter(
            client_id=client_id, external_id__in=[r.external_id for r in rows]
        ).values_list("external_id", "pk", "webhook_event_id")
    }
    new_messages = []
    for row in rows:
        pk, event_id = stored.get(row.external_id, (None, None))
        work = first_of[row.external_id]
        # Ours only if the stored row is this delivery's (a concurrent process may have won);
        # then it holds exactly what we built, so the built object stands for it.
        if pk is not None and event_id == work.webhook_event_id:
            row.pk = pk
            row._state.adding, row._state.db = False, Message.objects.db
            created.add(work.index)
            new_messages.append(row)
            stats.add_message(row)
    return new_messages


def _originals_apply(
    client_id: int,
    works: list[MessageWork],
    chats: dict[str, Chat],
    senders: dict[str, Sender],
    stats: StatsAccumulator,
) -> set[int]:
    """Originals of messages their edit created (``_common.edit_events``): each completes its
    row (``messages.original_merge``); the hours and the chat it moved are recounted."""
    if not works:
        return set()
    rows = {
        m.external_id: m
        for m in Message.objects.select_for_update().filter(
            client_id=client_id,
            external_id__in=[w.event.message_id[:255] for w in works],
            created_by_edit=True,
        )
    }
    completed: set[int] = set()
    for work in works:
        row = rows.get(work.event.message_id[:255])
        if row is None:  # completed meanwhile by another applier
            continue
        fields = messages.message_fields(
            client_id=client_id,
            event=work.event,
            family=work.family,
            received_at=work.received_at,
            chat=chats[work.event.chat_id[:255]],
            sender=senders.get(work.event.sender_id[:255]) if work.event.sender_id else None,
            webhook_event_id=work.webhook_event_id,
        )
        update = messages.original_merge(row=row, fields=fields)
        Message.objects.filter(pk=row.pk).update(**update)
        stats.recount(
            client_id=client_id, chat_id=row.chat_id, moments=[row.timestamp, fields["timestamp"]]
        )
        if work.event.media is not None:
            for name, value in update.items():
                setattr(row, name, value)
            media_rows_create(items=[(row, work.event, work.family)])
        completed.add(work.index)
    return completed


def _pending_for(client_id: int, new_messages: list[Message]) -> None:
    """Apply parked statuses/reactions/edits/deletes that were waiting for these messages."""
    by_id = {m.external_id: m for m in new_messages}
    targets = set(
        PendingUpdate.objects.filter(client_id=client_id, target_id__in=list(by_id)).values_list(
            "target_id", flat=True
        )
    )
    for target in sorted(targets):
        message = by_id[target]
        updates.pending_apply(client=_client(client_id), message=message)


def _chats_resolve(client_id: int, works: list[MessageWork]) -> dict[str, Chat]:
    wanted: dict[str, MessageEvent] = {}
    for work in works:
        # The latest name wins; an event without one (our own message) keeps the name seen
        # before it, exactly as when the same events are applied one at a time.
        previous = wanted.get(work.event.chat_id[:255])
        if previous is None or work.event.chat_name or not previous.chat_name:
            wanted[work.event.chat_id[:255]] = work.event
    chats = {
        c.chat_id: c for c in Chat.objects.filter(client_id=client_id, chat_id__in=list(wanted))
    }
    for chat_id, event in wanted.items():
        chat = chats.get(chat_id)
        needs_update = chat is not None and (
            (event.chat_name and chat.name != event.chat_name[:255])
            or (event.chat_alt_id and not chat.alt_id)
        )
        if chat is None or needs_update:
            chats[chat_id] = contacts.chat_upsert(
                client=_client(client_id),
                chat_id=chat_id,
                name=event.chat_name,
                alt_id=event.chat_alt_id,
                is_group=event.is_group,
            )
    return chats


def _senders_resolve(client_id: int, works: list[MessageWork]) -> dict[str, Sender]:
    wanted: dict[str, MessageEvent] = {}
    for work in works:
        if work.event.sender_id:
            previous = wanted.get(work.event.sender_id[:255])
            if previous is None or work.event.sender_name or not previous.sender_name:
                wanted[work.event.sender_id[:255]] = work.event
    if not wanted:
        return {}
    ids = set(wanted) | {e.sender_alt_id[:255] for e in wanted.values() if e.sender_alt_id}
    known: dict[str, Sender] = {}
    for sender in (
        Sender.objects.filter(client_id=client_id)
        .filter(Q(sender_id__in=list(ids)) | Q(alt_id__in=list(ids)))
        .order_by("-pk")
    ):
        known[sender.sender_id] = sender
        if sender.alt_id:
            known[sender.alt_id] = sender
    resolved: dict[str, Sender] = {}
    for sender_id, event in wanted.items():
        sender = known.get(sender_id) or known.get(event.sender_alt_id[:255])
        stale = sender is None or (
            (event.sender_name and sender.name != event.sender_name[:255])
            or (event.sender_alt_id and not sender.alt_id)
            or (event.from_me and not sender.is_me)
            or (contacts.is_lid(sender.sender_id) and not contacts.is_lid(sender_id))
            or (
                contacts.is_lid(sender.sender_id)
                and event.sender_alt_id
                and not contacts.is_lid(event.sender_alt_id)
            )
        )
        if stale:
            sender = contacts.sender_upsert(
                client=_client(client_id),
                sender_id=sender_id,
                name=event.sender_name,
                alt_id=event.sender_alt_id,
                is_me=event.from_me,
            )
        resolved[sender_id] = sender
    return resolved


def _client(client_id: int):
    from webhook.models import Client

    return Client(pk=client_id)
