"""Shared by the queue-mode tests: a reproducible workload and a snapshot of every table.

``workload`` builds deliveries of several chats of one or more instances: messages in and out,
timestamps partly out of order (so the response figures are recomputed from the rows),
delivery/read statuses (some arriving before their message, so they are parked), and
``duplicates`` of the deliveries as exact copies (a gateway's redelivery). ``snapshot`` reads
every table the apply writes, keyed by natural keys (no row ids, no event ids, no creation
times), so two databases, or one database before and after a rebuild, compare with ``==``.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from typing import Any

BASE_MOMENT = 1_764_400_000  # 2025-11-29, whole hours apart below


def _message(instance: str, chat: int, index: int, moment: int, from_me: bool) -> dict[str, Any]:
    return {
        "instanceId": instance,
        "key": {
            "remoteJid": f"55119{chat:08d}@s.whatsapp.net",
            "fromMe": from_me,
            "id": f"{instance}-m{index}",
        },
        "message": {"conversationMessage": {"conversation": f"mensagem {index}"}},
        "messageTimestamp": str(moment),
        "pushName": "Atendente" if from_me else f"Contato {chat}",
    }


def _status(instance: str, chat: int, index: int, status: str, moment: int) -> dict[str, Any]:
    return {
        "event": "webhookStatus",
        "instanceId": instance,
        "messageId": f"{instance}-m{index}",
        "status": status,
        "moment": moment,
        "chat": {"id": f"55119{chat:08d}"},
    }


def workload(
    total: int, *, instances: tuple[str, ...] = ("test_instance",), chats: int = 25, seed: int = 7
) -> list[dict[str, Any]]:
    """``total`` deliveries, 10 % of them exact copies of others, in a shuffled order."""
    rng = random.Random(seed)
    unique = total - total // 10
    originals: list[dict[str, Any]] = []
    index = 0
    while len(originals) < unique:
        instance = rng.choice(instances)
        chat = rng.randrange(chats)
        # Minutes apart, across a few hours; one in eight arrives from the past.
        moment = BASE_MOMENT + index * 60 - (rng.randrange(3600) if rng.random() < 0.125 else 0)
        from_me = rng.random() < 0.45
        originals.append(_message(instance, chat, index, moment, from_me))
        if from_me and rng.random() < 0.3 and len(originals) < unique:
            status = rng.choice(("DELIVERY", "READ"))
            originals.append(_status(instance, chat, index, status, moment + 30))
        index += 1
    copies = [rng.choice(originals) for _ in range(total - len(originals))]
    deliveries = originals + copies
    rng.shuffle(deliveries)
    return deliveries


def distinct_messages(deliveries: list[dict[str, Any]]) -> int:
    return len({d["key"]["id"] for d in deliveries if "key" in d})


SKIPPED_FIELDS = {"id", "created_at", "updated_at", "webhook_event"}


def _rows(model, natural: dict[str, str]) -> list[str]:
    fields = [
        f.attname
        for f in model._meta.concrete_fields
        if f.name not in SKIPPED_FIELDS and f.attname not in natural
    ]
    extra = list(natural.values())
    rows = model.objects.values_list(*fields, *extra)
    return sorted(json.dumps(row, default=str, sort_keys=True) for row in rows)


def snapshot() -> dict[str, Any]:
    """Every table the apply writes, as sorted JSON rows with natural keys."""
    from webhook.models import (
        Chat,
        ContactStats,
        MediaFile,
        Message,
        MessageStats,
        PendingUpdate,
        RealTimeStats,
        Sender,
        WebhookEvent,
    )

    statuses = Counter(WebhookEvent.objects.values_list("status", flat=True))
    return {
        "chats": _rows(Chat, {}),
        "senders": _rows(Sender, {}),
        "messages": _rows(Message, {"chat_id": "chat__chat_id", "sender_id": "sender__sender_id"}),
        "pending": _rows(PendingUpdate, {}),
        "message_stats": _rows(MessageStats, {}),
        "contact_stats": _rows(ContactStats, {"chat_id": "chat__chat_id"}),
        "media": _rows(MediaFile, {"message_id": "message__external_id"}),
        "last_event_at": sorted(
            str(v) for v in RealTimeStats.objects.values_list("last_event_at", flat=True)
        ),
        "event_statuses": dict(sorted(statuses.items())),
    }


def statistics() -> dict[str, Any]:
    """The derived tables only (what ``webhook_rebuild_stats`` recomputes)."""
    from webhook.models import Chat, ContactStats, MessageStats

    return {
        "message_stats": _rows(MessageStats, {}),
        "contact_stats": _rows(ContactStats, {"chat_id": "chat__chat_id"}),
        "chat_counters": sorted(
            json.dumps(row, default=str)
            for row in Chat.objects.values_list(
                "chat_id", "message_count", "last_message_at", "last_message_from_me"
            )
        ),
    }


def rebuild_all() -> None:
    """``webhook_rebuild_stats`` for every client."""
    from webhook.models import Client
    from webhook.services.stats import stats_rebuild

    for client in Client.objects.all():
        stats_rebuild(client=client)
