"""Retention: the raw bodies of settled deliveries are dropped after a while; rows stay.

A delivery's raw body (and its masked headers) is the evidence kept for replay. Once the event
is settled (``processed``, ``duplicate`` or ``ignored``) and old, it only costs disk and holds
private conversations twice: ``raw_bodies_prune`` blanks them. It never touches an event that
may still need its body: ``received`` (not applied yet), ``failed`` (to replay once fixed),
``unassigned`` (applied when its client exists) or ``rejected`` (the evidence of an attack).
The event row itself, and every normalised row (chats, messages, statuses, statistics), stay.

Work is done in batches by primary key, one short transaction each, so a big table is never
locked for long and the receivers' inserts go on meanwhile. A pruned event cannot be replayed
(``webhook.services.replay`` says so instead of failing it).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models.functions import Length

from webhook.dblock import write_lock
from webhook.models import WebhookEvent

BATCH_SIZE = 1000
PRUNABLE = (
    WebhookEvent.Status.PROCESSED,
    WebhookEvent.Status.DUPLICATE,
    WebhookEvent.Status.IGNORED,
)


@dataclass
class PruneSummary:
    cutoff: datetime
    dry_run: bool
    by_status: Counter[str] = field(default_factory=Counter)
    characters: int = 0
    batches: int = 0

    @property
    def events(self) -> int:
        return sum(self.by_status.values())

    def as_dict(self) -> dict[str, object]:
        return {
            "cutoff": self.cutoff.isoformat(),
            "dry_run": self.dry_run,
            "events": self.events,
            "by_status": dict(self.by_status),
            "characters": self.characters,
        }


def prunable(*, older_than: datetime):
    """Settled events received before ``older_than`` that still hold a body."""
    return WebhookEvent.objects.filter(status__in=PRUNABLE, received_at__lt=older_than).exclude(
        body=""
    )


def raw_bodies_prune(
    *,
    older_than: datetime,
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], object] | None = None,
) -> PruneSummary:
    """Blank body and headers of the settled events received before ``older_than``."""
    summary = PruneSummary(cutoff=older_than, dry_run=dry_run)
    last_pk = 0
    while True:
        rows = list(
            prunable(older_than=older_than)
            .filter(pk__gt=last_pk)
            .order_by("pk")
            .values_list("pk", "status", Length("body"))[:batch_size]
        )
        if not rows:
            return summary
        last_pk = rows[-1][0]
        if not dry_run:
            _blank([pk for pk, _, _ in rows], older_than)
        summary.by_status.update(status for _, status, _ in rows)
        summary.characters += sum(size or 0 for _, _, size in rows)
        summary.batches += 1
        if progress is not None:
            progress(summary.events)


def _blank(ids: list[int], older_than: datetime) -> None:
    """One short transaction per batch. The conditions are checked again by the UPDATE itself:
    an event replayed meanwhile (now ``failed``, say) keeps its body."""
    with write_lock(), transaction.atomic():
        prunable(older_than=older_than).filter(pk__in=ids).update(body="", headers={})
