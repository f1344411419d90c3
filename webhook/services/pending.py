"""Where updates wait for a message not stored yet: the ``PendingUpdate`` rows.

Storage only. What each kind of update keeps and how it is applied again is the table in
``webhook.services.updates`` (``PARKED``), which parks through ``park`` and replays what
``waiting`` returns.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from webhook.models import Client, PendingUpdate
from webhook.services.contacts import clip


def _fingerprint(kind: str, data: dict[str, Any]) -> str:
    encoded = json.dumps([kind, data], sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8", "surrogatepass")).hexdigest()


def park(
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
                target_id=clip(target_id),
                kind=kind,
                fingerprint=fingerprint,
                data=data,
            )
    except IntegrityError:
        return False
    return True


def waiting(*, client: Client, target_id: str) -> list[PendingUpdate]:
    """The updates parked for ``target_id``, in arrival order."""
    return list(PendingUpdate.objects.filter(client=client, target_id=target_id).order_by("pk"))


def discard(items: list[PendingUpdate]) -> None:
    """Forget updates once they were applied."""
    PendingUpdate.objects.filter(pk__in=[p.pk for p in items]).delete()
