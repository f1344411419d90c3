"""Writes for the gateway instance itself: connection, QR code, contacts, presence."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q

from webhook.events import ConnectionEvent, ContactEvent, PresenceEvent, QrCodeEvent
from webhook.models import Chat, Client, RealTimeStats
from webhook.services.contacts import chat_upsert, sender_upsert
from webhook.services.stats import realtime_row


def connection_apply(*, client: Client, event: ConnectionEvent, received_at: datetime) -> bool:
    """Record the connection state; an older report never overwrites a newer one."""
    moment = event.timestamp or received_at
    row = realtime_row(client)
    changes = {
        "connection_state": str(event.state),
        "connection_reason": event.reason[:255],
        "connection_changed_at": moment,
    }
    if event.phone:
        changes["connected_phone"] = event.phone[:64]
    newer = Q(connection_changed_at__isnull=True) | Q(connection_changed_at__lte=moment)
    changed = RealTimeStats.objects.filter(newer, pk=row.pk).update(**changes)
    if event.phone:  # the number is known even from an older report, if none is known yet
        changed += RealTimeStats.objects.filter(pk=row.pk, connected_phone="").update(
            connected_phone=event.phone[:64]
        )
    return bool(changed)


def qrcode_apply(*, client: Client, event: QrCodeEvent, received_at: datetime) -> bool:
    """Keep the newest QR code; it means "waiting for a scan" unless a newer state is known."""
    moment = event.timestamp or received_at
    row = realtime_row(client)
    newer_qr = Q(last_qr_at__isnull=True) | Q(last_qr_at__lte=moment)
    stored = RealTimeStats.objects.filter(newer_qr, pk=row.pk).update(
        last_qr_code=event.code, last_qr_image=event.image, last_qr_at=moment
    )
    newer_state = Q(connection_changed_at__isnull=True) | Q(connection_changed_at__lte=moment)
    RealTimeStats.objects.filter(newer_state, pk=row.pk).update(
        connection_state="qr_required", connection_changed_at=moment
    )
    return bool(stored)


def contact_apply(*, client: Client, event: ContactEvent, received_at: datetime) -> bool:
    """An address-book entry: names the Sender (and the Chat when it already exists).

    A group announced with its name becomes its Chat right away, so the name is there
    whether the group's first message arrives before or after.
    """
    if event.is_group:
        if not event.name:
            return False
        before = (
            Chat.objects.filter(client=client, chat_id=event.contact_id[:255])
            .values_list("name", flat=True)
            .first()
        )
        chat_upsert(client=client, chat_id=event.contact_id, name=event.name, is_group=True)
        return before != event.name[:255]
    sender_upsert(client=client, sender_id=event.contact_id, name=event.name, alt_id=event.alt_id)
    if event.name:
        Chat.objects.filter(client=client, chat_id=event.contact_id[:255], name="").update(
            name=event.name[:255]
        )
    return True


def presence_apply(*, client: Client, event: PresenceEvent, received_at: datetime) -> bool:
    """Presence is transient: it only marks the client as alive (last event time)."""
    return False
