"""WhatsAppWebhookProcessor: applies a stored WebhookEvent's normalised events, idempotently.

The raw event is already committed when this runs. Applying happens in one transaction: either
every row the delivery implies is written, or (on any error) none is and the event ends
``failed`` with the error and traceback, ready to be replayed.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import DatabaseError, OperationalError, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from webhook import parsers
from webhook.clients import client_directory
from webhook.conf import webhook_settings
from webhook.events import (
    ConnectionEvent,
    ContactEvent,
    DeleteEvent,
    EditEvent,
    Event,
    MessageEvent,
    ParseContext,
    ParseResult,
    PresenceEvent,
    QrCodeEvent,
    ReactionEvent,
    StatusEvent,
)
from webhook.exceptions import WebhookError
from webhook.models import Client, RealTimeStats, WebhookEvent
from webhook.services import instance, messages
from webhook.services.stats import realtime_row
from webhook.validators import WebhookValidator

logger = logging.getLogger(__name__)

Handler = Callable[..., bool]

# Event class -> service. Each returns True when it changed something.
HANDLERS: dict[type[Event], Handler] = {
    MessageEvent: messages.message_upsert,
    StatusEvent: messages.message_status_apply,
    ReactionEvent: messages.reaction_apply,
    EditEvent: messages.edit_apply,
    DeleteEvent: messages.delete_apply,
    ConnectionEvent: instance.connection_apply,
    QrCodeEvent: instance.qrcode_apply,
    ContactEvent: instance.contact_apply,
    PresenceEvent: instance.presence_apply,
}
# Kinds whose "nothing changed" means the delivery was a duplicate.
DEDUPLICATED = (MessageEvent, StatusEvent, ReactionEvent, EditEvent, DeleteEvent)


def path_event_of(path: str) -> str:
    """The per-event URL segment: /webhook/messages-upsert -> messages-upsert."""
    parts = [p for p in path.split("/") if p]
    if len(parts) >= 2 and parts[0] == "webhook" and parts[-1] not in ("webhook", "k"):
        if len(parts) >= 3 and parts[1] == "k":
            return parts[3] if len(parts) > 3 else ""
        return parts[-1]
    return ""


class WhatsAppWebhookProcessor:
    """Parse (when not already parsed) and apply one stored event, then mark it."""

    def __init__(self, *, validator: WebhookValidator | None = None) -> None:
        self.validator = validator or WebhookValidator(
            max_body_bytes=webhook_settings.MAX_BODY_BYTES, max_depth=webhook_settings.MAX_JSON_DEPTH
        )

    def parse(self, event: WebhookEvent) -> ParseResult:
        payload = self.validator.decode(event.body.encode("utf-8", "surrogatepass"))
        context = ParseContext(gateway_tz=webhook_settings.GATEWAY_TZ)
        return parsers.parse(payload, path_event=path_event_of(event.path), context=context)

    def process(self, event: WebhookEvent, parsed: ParseResult | None = None) -> str:
        return self.process_batch([(event, parsed)])[0]

    def process_batch(
        self, items: list[tuple[WebhookEvent, ParseResult | None]], *, deadline: float | None = None
    ) -> list[str]:
        """Apply several stored events in one transaction, each in its own savepoint.

        One event's failure rolls back only that event's rows and marks it failed; a database
        outage rolls back the whole batch and leaves every event ``received`` for a retry.
        With a ``deadline`` (perf_counter), it stops early and returns the statuses of the
        events it did apply (always at least one): the caller keeps the rest.
        """
        outcomes: list[_Outcome] = []
        with transaction.atomic():
            for event, parsed in items:
                outcomes.append(self._process_one(event, parsed))
                if deadline is not None and time.perf_counter() > deadline:
                    break
            latest: dict[int, datetime] = {}
            for o in outcomes:
                if o.client_id is not None:
                    latest[o.client_id] = max(latest.get(o.client_id, o.event.received_at), o.event.received_at)
            for client_id, moment in latest.items():
                self._touch_realtime(Client(pk=client_id), moment)
            self._mark(outcomes)
        for outcome in outcomes:
            outcome.log()
        return [o.status for o in outcomes]

    def _process_one(self, event: WebhookEvent, parsed: ParseResult | None) -> _Outcome:
        started = time.perf_counter()
        outcome = _Outcome(event=event, parsed=parsed)
        try:
            if parsed is None:
                parsed = outcome.parsed = self.parse(event)
            client = self._client_of(event, parsed)
            if client is None:
                outcome.status = WebhookEvent.Status.UNASSIGNED
                outcome.error = f"no client for instance '{parsed.client_key}'"
            elif not parsed.events:
                outcome.status = WebhookEvent.Status.IGNORED
                outcome.error = parsed.ignored_reason or "no events"
            else:
                outcome.client_id = client.pk
                with transaction.atomic():
                    outcome.status, outcome.error = self._apply(event, parsed, client)
        except WebhookError as exc:
            outcome.status, outcome.error = WebhookEvent.Status.FAILED, exc.message
        except DatabaseError as exc:
            if isinstance(exc, OperationalError):
                raise  # the database itself is unavailable: the whole batch is retried later
            outcome.status, outcome.error = WebhookEvent.Status.FAILED, f"{type(exc).__name__}: {exc}"
            outcome.traceback = traceback.format_exc()
        except Exception as exc:  # keep the evidence; the event can be replayed once fixed
            outcome.status, outcome.error = WebhookEvent.Status.FAILED, f"{type(exc).__name__}: {exc}"
            outcome.traceback = traceback.format_exc()
        outcome.elapsed_ms = (time.perf_counter() - started) * 1000
        return outcome

    def _client_of(self, event: WebhookEvent, parsed: ParseResult) -> Client | None:
        if event.client_id is not None:
            return Client(pk=event.client_id)
        info = client_directory.get(parsed.client_key or event.client_key) or client_directory.fallback()
        if info is None:
            return None
        WebhookEvent.objects.filter(pk=event.pk).update(client_id=info.id)
        event.client_id = info.id
        return Client(pk=info.id)

    def _apply(self, event: WebhookEvent, parsed: ParseResult, client: Client) -> tuple[str, str]:
        received_at = event.received_at
        changed, dedupable, skipped = False, True, []
        for item in parsed.events:
            target = self._event_client(item, parsed, client)
            if target is None:
                skipped.append(item.client_key)
                continue
            handler = HANDLERS[type(item)]
            kwargs: dict[str, Any] = {"client": target, "event": item, "received_at": received_at}
            if isinstance(item, MessageEvent):
                kwargs.update(family=parsed.family, webhook_event=event)
            changed = handler(**kwargs) or changed
            dedupable = dedupable and isinstance(item, DEDUPLICATED)
        self._touch_realtime(client, event.received_at)
        error = f"skipped events of unknown instances: {', '.join(sorted(set(skipped)))}" if skipped else ""
        if skipped and len(skipped) == len(parsed.events):
            return WebhookEvent.Status.UNASSIGNED, error
        if not changed and dedupable:
            return WebhookEvent.Status.DUPLICATE, error
        return WebhookEvent.Status.PROCESSED, error

    @staticmethod
    def _event_client(item: Event, parsed: ParseResult, client: Client) -> Client | None:
        """Batches may mix instances (Meta: one phone_number_id per change)."""
        if not item.client_key or item.client_key == parsed.client_key:
            return client
        info = client_directory.get(item.client_key)
        return Client(pk=info.id) if info else None

    @staticmethod
    def _touch_realtime(client: Client, moment: datetime) -> None:
        row = realtime_row(client)
        RealTimeStats.objects.filter(pk=row.pk).update(
            last_event_at=Greatest(F("last_event_at"), moment) if row.last_event_at else moment
        )

    @staticmethod
    def _mark(outcomes: list[_Outcome]) -> None:
        now = timezone.now()
        rows = []
        for o in outcomes:
            event = o.event
            event.status, event.error, event.traceback = o.status, o.error[:5000], o.traceback
            event.processing_ms = round(o.elapsed_ms, 3)
            event.parser_version = parsers.PARSER_VERSION
            event.processed_at = now
            event.attempts = (event.attempts or 0) + 1
            if o.parsed is not None:
                event.family, event.event_type = o.parsed.family, o.parsed.event_type[:100]
            rows.append(event)
        WebhookEvent.objects.bulk_update(rows, MARKED_FIELDS)


MARKED_FIELDS = [
    "status", "error", "traceback", "processing_ms", "parser_version", "processed_at", "attempts",
    "family", "event_type",
]


@dataclass(slots=True)
class _Outcome:
    event: WebhookEvent
    parsed: ParseResult | None
    status: str = WebhookEvent.Status.FAILED
    error: str = ""
    traceback: str = ""
    elapsed_ms: float = 0.0
    client_id: int | None = None

    def log(self) -> None:
        level = logging.WARNING if self.status == WebhookEvent.Status.FAILED else logging.INFO
        logger.log(
            level,
            "event %s family=%s type=%s status=%s events=%s %.1fms%s",
            self.event.pk,
            self.parsed.family if self.parsed else "?",
            self.parsed.event_type if self.parsed else "?",
            self.status,
            len(self.parsed.events) if self.parsed else 0,
            self.elapsed_ms,
            f" error={self.error}" if self.status == WebhookEvent.Status.FAILED else "",
        )
