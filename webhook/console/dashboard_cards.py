"""The dashboard's client cards: connection state, QR code, and what to paste in the gateway."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from webhook.console.dashboard_data import (
    QR_CURRENT_FOR,
    Responses,
    Traffic,
    realtime_of,
)
from webhook.models import Client, RealTimeStats

# connection_state as the gateways report it -> (badge class, label)
STATES = {
    "open": ("open", _("Connected")),
    "connecting": ("connecting", _("Connecting")),
    "close": ("close", _("Disconnected")),
    "closed": ("close", _("Disconnected")),
    "qr_required": ("qr_required", _("Waiting for the QR code")),
}
UNKNOWN_STATE = ("unknown", _("No information"))
MASK = "••••••"


def mask(secret: str) -> str:
    return f"{secret[:4]}{MASK}" if secret else ""


@dataclass(frozen=True, slots=True)
class Paste:
    """A value to paste into the gateway: shown masked, copied in full."""

    label: str
    full: str
    shown: str


@dataclass(frozen=True, slots=True)
class Card:
    client: Client
    state: str
    state_label: str
    phone: str
    last_event_at: datetime | None
    qr_image: str
    qr_at: datetime | None
    pastes: list[Paste]
    received: int
    sent: int
    waiting: int
    media: dict[str, int] | None = None  # stored / queued / failed, None when it has none


def qr_current(rt: RealTimeStats | None, now: datetime) -> bool:
    """The gateway's last QR code is worth showing: not connected, an image, under 2 minutes."""
    return bool(
        rt is not None
        and rt.connection_state != "open"
        and rt.last_qr_image.startswith("data:image/")
        and rt.last_qr_at is not None
        and now - rt.last_qr_at <= QR_CURRENT_FOR
    )


def pastes(request: HttpRequest, client: Client) -> list[Paste]:
    token = client.webhook_token
    with_token = request.build_absolute_uri(reverse("webhook:receive-token", args=[token]))
    plain = request.build_absolute_uri(reverse("webhook:receive"))
    return [
        Paste(
            str(_("Webhook URL (token in the path)")),
            with_token,
            with_token.replace(token, mask(token)),
        ),
        Paste(str(_("Or: this URL…")), plain, plain),
        Paste(
            str(_("…with this header")),
            f"X-Webhook-Token: {token}",
            f"X-Webhook-Token: {mask(token)}",
        ),
    ]


def client_cards(
    request: HttpRequest,
    clients: Sequence[Client],
    flow: Traffic,
    answers: Responses,
    now: datetime,
    media: dict[int, dict[str, int]] | None = None,
) -> list[Card]:
    cards = []
    for client in clients:
        rt = realtime_of(client)
        state, label = STATES.get(rt.connection_state if rt else "", UNKNOWN_STATE)
        mine = flow.per_client.get(client.pk, {})
        current = qr_current(rt, now)
        cards.append(
            Card(
                client=client,
                state=state,
                state_label=str(label),
                phone=rt.connected_phone if rt else "",
                last_event_at=rt.last_event_at if rt else None,
                qr_image=rt.last_qr_image if current else "",
                qr_at=rt.last_qr_at if current else None,
                pastes=pastes(request, client),
                received=mine.get("received", 0),
                sent=mine.get("sent", 0),
                waiting=answers.waiting_per_client.get(client.pk, 0),
                media=(media or {}).get(client.pk),
            )
        )
    return cards
