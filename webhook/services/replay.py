"""Replaying stored deliveries, and rebuilding the chat fields derived from Message rows.

Used by the admin's "reprocess" action and by the ``webhook_reprocess`` and
``webhook_rebuild_stats`` commands. Replaying is idempotent because the processor is: a stored
event replayed any number of times leaves the same rows.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterator

from django.db import transaction
from django.db.models import Count, Max, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from webhook.models import Chat, Client, Message, WebhookEvent
from webhook.processor import WhatsAppWebhookProcessor

logger = logging.getLogger(__name__)

CHUNK_SIZE = 500
APPLY_CHUNK = 0  # events applied per transaction; 0: the applier's (webhook.applier.chunk_size)
# Summary keys of the events left alone: a rejected body was never authenticated; a body
# blanked by retention (webhook.retention) or never kept cannot be parsed again.
SKIPPED_REJECTED = "skipped_rejected"
SKIPPED_NO_BODY = "skipped_no_body"


def _events_in_pk_order(queryset: QuerySet[WebhookEvent]) -> Iterator[WebhookEvent]:
    """Every event of ``queryset`` in pk order, CHUNK_SIZE rows per query.

    Keyset batches rather than one open cursor: each event is written (and, when it fails
    again, rolled back) while we walk, and SQLite gives an open cursor no isolation from
    writes on its own connection. Memory stays bounded the same way.
    """
    last_pk = 0
    while True:
        batch = list(queryset.filter(pk__gt=last_pk).order_by("pk")[:CHUNK_SIZE])
        yield from batch
        if len(batch) < CHUNK_SIZE:
            return
        last_pk = batch[-1].pk


def _chunks(events: Iterator[WebhookEvent], size: int) -> Iterator[list[WebhookEvent]]:
    chunk: list[WebhookEvent] = []
    for event in events:
        chunk.append(event)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def events_reprocess(
    *, queryset: QuerySet[WebhookEvent], progress: Callable[[int], object] | None = None
) -> dict[str, int]:
    """Replay stored events through today's parsers; returns {resulting status: count}.

    Events whose status is ``rejected`` are not replayed (their bodies never passed
    authentication): they are counted under :data:`SKIPPED_REJECTED`; events without a raw
    body (blanked by ``webhook_prune``) keep their status and rows, under
    :data:`SKIPPED_NO_BODY`. ``progress`` is called with the number of events handled so far
    after each chunk.
    """
    processor = WhatsAppWebhookProcessor()
    summary: Counter[str] = Counter()
    done = 0
    from webhook.applier import chunk_size

    for chunk in _chunks(_events_in_pk_order(queryset), APPLY_CHUNK or chunk_size()):
        kept = [e for e in chunk if e.status != WebhookEvent.Status.REJECTED]
        summary[SKIPPED_REJECTED] += len(chunk) - len(kept)
        replayable = [e for e in kept if e.body]
        summary[SKIPPED_NO_BODY] += len(kept) - len(replayable)
        # No parsed result: the processor re-parses the stored body (and, for an event stored
        # without a client, tries to identify it again). One transaction per chunk.
        summary.update(
            processor.process_batch([(event, None) for event in replayable]) if replayable else []
        )
        done += len(chunk)
        if progress is not None:
            progress(done)
    summary = +summary  # drop zero counts
    logger.info("reprocessed %s stored events: %s", done, dict(summary))
    return dict(summary)


def events_release(*, queryset: QuerySet[WebhookEvent], operator: str) -> dict[str, int]:
    """An operator's decision: apply unassigned deliveries that carried no credential of the
    client they name (``webhook.authentication.authorized_later``), then replay them.

    Only ``unassigned`` events are released; the operator's name and the time are kept on each
    event as the evidence of the decision. Returns the replay summary."""
    unassigned = queryset.filter(status=WebhookEvent.Status.UNASSIGNED)
    ids = list(unassigned.values_list("pk", flat=True))
    WebhookEvent.objects.filter(pk__in=ids).update(
        approved_by=operator[:150], approved_at=timezone.now()
    )
    logger.warning("operator %s released %s unassigned events: %s", operator, len(ids), ids[:50])
    return events_reprocess(queryset=WebhookEvent.objects.filter(pk__in=ids))


def summary_rows(summary: dict[str, int]) -> list[tuple[str, int]]:
    """(Portuguese label, count) for each key of an :func:`events_reprocess` summary."""
    labels = dict(WebhookEvent.Status.choices)
    labels[SKIPPED_REJECTED] = _("rejected, not reprocessed (body never authenticated)")
    labels[SKIPPED_NO_BODY] = _("no raw body (blanked by retention), not replayed")
    order = [*WebhookEvent.Status.values, SKIPPED_REJECTED, SKIPPED_NO_BODY]
    keys = sorted(summary, key=lambda k: order.index(k) if k in order else len(order))
    return [(str(labels.get(key, key)), summary[key]) for key in keys]


def chat_counters_rebuild(*, client: Client) -> int:
    """Recompute message_count, last_message_at and last_message_from_me of a client's chats.

    The last message is the newest by timestamp, ties going to the one stored last (as the
    running update does). Returns how many chats had a wrong value and were corrected.
    """
    newest = Message.objects.filter(chat=OuterRef("pk")).order_by("-timestamp", "-pk")
    chats = (
        Chat.objects.filter(client=client)
        .annotate(
            real_count=Count("messages"),
            real_last_at=Max("messages__timestamp"),
            real_last_from_me=Subquery(newest.values("from_me")[:1]),
        )
        .order_by("pk")
    )
    fields = ("message_count", "last_message_at", "last_message_from_me")
    changed: list[Chat] = []
    for chat in chats.iterator(chunk_size=CHUNK_SIZE):  # read only: writes come after
        real = (chat.real_count, chat.real_last_at, bool(chat.real_last_from_me))
        if tuple(getattr(chat, name) for name in fields) != real:
            chat.message_count, chat.last_message_at, chat.last_message_from_me = real
            changed.append(chat)
    with transaction.atomic():
        Chat.objects.bulk_update(changed, fields, batch_size=CHUNK_SIZE)
    if changed:
        logger.info("client %s: corrected the counters of %s chats", client.pk, len(changed))
    return len(changed)
