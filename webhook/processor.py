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
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from django.db import OperationalError, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from webhook import authentication, metrics, parsers
from webhook.clients import ClientInfo, client_directory
from webhook.conf import webhook_settings
from webhook.drift import drift_of
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
from webhook.queue.locks import lock_clients
from webhook.services import bulk, drift, instance, updates
from webhook.services.bulk import MessageWork
from webhook.services.stats import StatsAccumulator, realtime_refresh_due, realtime_row
from webhook.validators import WebhookValidator

logger = logging.getLogger(__name__)

Handler = Callable[..., bool]

# Event class -> service, for every event but MessageEvent (stored a batch at a time by
# ``services.bulk``). Each returns True when it changed something.
HANDLERS: dict[type[Event], Handler] = {
    **updates.HANDLERS,  # status, reaction, edit, delete (``updates.PARKED``)
    ConnectionEvent: instance.connection_apply,
    QrCodeEvent: instance.qrcode_apply,
    ContactEvent: instance.contact_apply,
    PresenceEvent: instance.presence_apply,
}
# Kinds whose "nothing changed" means the delivery was a duplicate.
DEDUPLICATED = (MessageEvent, StatusEvent, ReactionEvent, EditEvent, DeleteEvent)


def classify(parsed: ParseResult, *, has_client: bool, key: str = "") -> tuple[str, str]:
    """What becomes of a parsed delivery before anything is applied: (status, reason).

    ``ignored`` when it carries nothing to apply (whoever it belongs to), ``unassigned`` when
    no client takes it, else ``received`` (to apply). Ingest and the processor both ask here."""
    if not parsed.events:
        return WebhookEvent.Status.IGNORED, parsed.ignored_reason or "no events"
    if not has_client:
        instance = parsed.client_key or key
        return WebhookEvent.Status.UNASSIGNED, f"no client for instance '{instance}'"
    return WebhookEvent.Status.RECEIVED, ""


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
            max_body_bytes=webhook_settings.MAX_BODY_BYTES,
            max_depth=webhook_settings.MAX_JSON_DEPTH,
        )

    def parse(self, event: WebhookEvent) -> ParseResult:
        content_type = next(
            (v for k, v in (event.headers or {}).items() if k.lower() == "content-type"), ""
        )  # a form post (Wuzapi) is decoded as it was on arrival
        payload = self.validator.decode(event.body.encode("utf-8", "surrogatepass"), content_type)
        context = ParseContext(gateway_tz=webhook_settings.GATEWAY_TZ)
        return parsers.parse(payload, path_event=path_event_of(event.path), context=context)

    def process(self, event: WebhookEvent, parsed: ParseResult | None = None) -> str:
        return self.process_batch([(event, parsed)])[0]

    def process_batch(
        self, items: list[tuple[WebhookEvent, ParseResult | None]], *, deadline: float | None = None
    ) -> list[str]:
        """Apply several stored events in one transaction.

        The messages of the whole batch are stored together (``services.bulk``). If anything
        but the database itself fails, the batch is rolled back and retried one event per
        savepoint, so only the culprit ends ``failed`` and nothing of it stays half-applied. A
        database outage rolls back the whole batch and leaves every event ``received``.
        With a ``deadline`` (perf_counter) it stops taking events early and returns the
        statuses of those it did apply (always at least one): the caller keeps the rest.
        """
        started = time.perf_counter()
        outcomes: list[_Outcome] = []
        self._clients: dict[int, Client] = {}  # one reference object per client and batch
        with transaction.atomic():
            for event, parsed in items:
                outcomes.append(self._prepare(event, parsed))
                if deadline is not None and time.perf_counter() > deadline:
                    break
            ready = [o for o in outcomes if o.status == PENDING]
            if ready:
                lock_clients(self._clients_touched(ready))  # webhook.queue.locks
                self._apply_isolated(ready)
            elapsed = (time.perf_counter() - started) * 1000 / len(outcomes)
            for o in outcomes:
                o.elapsed_ms = elapsed
            self._touch_realtime(ready)
            self._count_drift(outcomes)
            # Counted once committed (webhook.metrics).
            transaction.on_commit(partial(metrics.events_applied, metrics.outcome_rows(outcomes)))
            self._mark(outcomes)
        for outcome in outcomes:
            outcome.log()
        return [o.status for o in outcomes]

    def _prepare(self, event: WebhookEvent, parsed: ParseResult | None) -> _Outcome:
        """Parse (when needed) and find the client; decides unassigned / ignored / failed."""
        outcome = _Outcome(event=event, parsed=parsed)
        try:
            if parsed is None:
                parsed = outcome.parsed = self.parse(event)
            if not parsed.events:  # nothing to apply, whoever it belongs to (see classify)
                outcome.status, outcome.error = classify(parsed, has_client=False)
                return outcome
            client = self._client_of(event, parsed)
        except WebhookError as exc:
            outcome.status, outcome.error = WebhookEvent.Status.FAILED, exc.message
            return outcome
        if isinstance(client, str):  # a client the delivery is not authenticated for
            outcome.status, outcome.error = WebhookEvent.Status.UNASSIGNED, client
            return outcome
        status, error = classify(parsed, has_client=client is not None)
        if status == WebhookEvent.Status.RECEIVED:
            outcome.client = client
        else:
            outcome.status, outcome.error = status, error
        return outcome

    def _apply_isolated(self, ready: list[_Outcome]) -> None:
        try:
            with transaction.atomic():
                self._apply_group(ready)
            return
        except OperationalError:
            raise  # the database itself is unavailable: the whole batch is retried later
        except Exception as exc:
            if len(ready) == 1:
                ready[0].fail(exc)
                return
        for outcome in ready:
            try:
                with transaction.atomic():
                    self._apply_group([outcome])
            except OperationalError:
                raise
            except Exception as exc:  # keep the evidence; the event can be replayed once fixed
                outcome.fail(exc)

    def _apply_group(self, outcomes: list[_Outcome]) -> None:
        accumulator = StatsAccumulator()
        works: list[MessageWork] = []
        updates: list[tuple[_Outcome, Event, Client]] = []
        for index, outcome in enumerate(outcomes):
            outcome.reset()
            parsed = outcome.parsed
            for item in parsed.events:
                target = self._event_client(item, parsed, outcome)
                if target is None:
                    outcome.skipped.append(item.client_key)
                elif isinstance(item, MessageEvent):
                    works.append(
                        MessageWork(
                            index=index,
                            client_id=target.pk,
                            event=item,
                            family=parsed.family,
                            webhook_event_id=outcome.event.pk,
                            received_at=outcome.event.received_at,
                        )
                    )
                else:
                    updates.append((outcome, item, target))
        for index in bulk.messages_apply(works, accumulator):
            outcomes[index].changed = True
        for outcome, item, target in updates:  # after the messages: updates find their targets
            handler = HANDLERS[type(item)]
            changed = handler(client=target, event=item, received_at=outcome.event.received_at)
            outcome.changed = changed or outcome.changed
        accumulator.flush()
        for outcome in outcomes:
            outcome.settle()

    @staticmethod
    def _clients_touched(ready: list[_Outcome]) -> set[int]:
        """Every client a batch may write to: its deliveries' and their events' instances'."""
        touched = {o.client.pk for o in ready if o.client is not None}
        for o in ready:
            for item in o.parsed.events if o.parsed else ():
                info = client_directory.get(item.client_key) if item.client_key else None
                if info is not None:
                    touched.add(info.id)
        return touched

    def _client_of(self, event: WebhookEvent, parsed: ParseResult) -> Client | str | None:
        """The event's client; None when there is none; the reason (str) when there is one
        that the delivery is not authenticated for (webhook.authentication.authorized_later)."""
        if event.client_id is not None:
            return self._client_ref(event.client_id)
        info = (
            client_directory.get(parsed.client_key or event.client_key)
            or client_directory.fallback()
        )
        if info is None:
            return None
        if not _authorized_later(info, event):
            return (
                f"received before client '{info.instance_id}' existed (or was active) without "
                "its credential: applied only if an operator releases it in the admin"
            )
        WebhookEvent.objects.filter(pk=event.pk).update(client_id=info.id)
        event.client_id = info.id
        return self._client_ref(info.id)

    def _client_ref(self, pk: int) -> Client:
        """A Client standing for its id (a foreign-key target), built once per batch: building
        one computes every field default, a new secret token included."""
        clients = getattr(self, "_clients", None)
        if clients is None:
            clients = self._clients = {}
        if pk not in clients:
            clients[pk] = Client(pk=pk)
        return clients[pk]

    def _event_client(self, item: Event, parsed: ParseResult, outcome: _Outcome) -> Client | None:
        """Batches may mix instances (Meta: one phone_number_id per change): each event goes
        to its own instance's client, if the delivery is authenticated for that client."""
        if not item.client_key:
            return outcome.client
        info = client_directory.get(item.client_key)
        if info is None:
            # WEBHOOK_FALLBACK_CLIENT: a delivery none of whose instances has a client is
            # bound to the fallback client as a whole.
            named = any(client_directory.get(e.client_key) for e in parsed.events if e.client_key)
            return None if named else outcome.client
        if info.id == outcome.event.client_id or _authorized_later(info, outcome.event):
            return self._client_ref(info.id)
        return None

    @staticmethod
    def _touch_realtime(outcomes: list[_Outcome]) -> None:
        latest: dict[int, datetime] = {}
        for o in outcomes:
            if o.client is not None:
                moment = o.event.received_at
                latest[o.client.pk] = max(latest.get(o.client.pk, moment), moment)
        for client_id, moment in latest.items():
            row = realtime_row(Client(pk=client_id))
            RealTimeStats.objects.filter(pk=row.pk).update(
                last_event_at=Greatest(F("last_event_at"), moment) if row.last_event_at else moment
            )
        # The figures over windows (active and waiting chats, messages per minute), after the
        # commit and at most every few seconds per client (services.stats).
        transaction.on_commit(partial(realtime_refresh_due, list(latest)))

    @staticmethod
    def _count_drift(outcomes: list[_Outcome]) -> None:
        """Count what the parsers did not recognise (``webhook.drift``), in the transaction
        that marks the events: only on an event's first application (``attempts`` is still
        0), so replays and ``webhook_reprocess`` never count a delivery twice."""
        sightings = [
            drift.Sighting(drift=item, event_id=o.event.pk, seen_at=o.event.received_at)
            for o in outcomes
            if o.parsed is not None and not o.event.attempts
            for item in drift_of(o.parsed)
        ]
        drift.drift_record(sightings=sightings)

    @staticmethod
    def _mark(outcomes: list[_Outcome]) -> None:
        """Record each event's outcome: one UPDATE per kind of outcome, not per event."""
        now = timezone.now()
        groups: dict[tuple, list[_Outcome]] = {}
        for o in outcomes:
            parsed = o.parsed
            kind = (
                o.status,
                o.error[:5000],
                o.traceback,
                parsed.family if parsed else None,
                parsed.event_type[:100] if parsed else None,
            )
            groups.setdefault(kind, []).append(o)
            event = o.event
            event.status, event.error, event.traceback = o.status, o.error[:5000], o.traceback
        for (status, error, tb, family, event_type), members in groups.items():
            fields: dict[str, Any] = {
                "status": status,
                "error": error,
                "traceback": tb,
                "processing_ms": round(members[0].elapsed_ms, 3),
                "parser_version": parsers.PARSER_VERSION,
                "processed_at": now,
                "attempts": F("attempts") + 1,
            }
            if family is not None:
                fields.update(family=family, event_type=event_type)
            WebhookEvent.objects.filter(pk__in=[o.event.pk for o in members]).update(**fields)


PENDING = "pending"


def _authorized_later(info: ClientInfo, event: WebhookEvent) -> bool:
    return authentication.authorized_later(
        info, proofs=event.credential_proofs or (), approved=event.approved_at is not None
    )


@dataclass(slots=True)
class _Outcome:
    """What happened to one delivery of a batch."""

    event: WebhookEvent
    parsed: ParseResult | None
    status: str = PENDING
    error: str = ""
    traceback: str = ""
    elapsed_ms: float = 0.0
    client: Client | None = None
    changed: bool = False
    skipped: list[str] = field(default_factory=list)

    def reset(self) -> None:
        self.status, self.error, self.changed, self.skipped = PENDING, "", False, []

    def settle(self) -> None:
        events = self.parsed.events if self.parsed else ()
        if self.skipped:
            self.error = (
                f"skipped events of unknown instances: {', '.join(sorted(set(self.skipped)))}"
            )
        if self.skipped and len(self.skipped) == len(events):
            self.status = WebhookEvent.Status.UNASSIGNED
        elif not self.changed and all(isinstance(e, DEDUPLICATED) for e in events):
            self.status = WebhookEvent.Status.DUPLICATE
        else:
            self.status = WebhookEvent.Status.PROCESSED

    def fail(self, exc: BaseException) -> None:
        self.status = WebhookEvent.Status.FAILED
        if isinstance(exc, WebhookError):
            self.error, self.traceback = exc.message, ""
        else:
            self.error = f"{type(exc).__name__}: {exc}"
            self.traceback = traceback.format_exc()

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
