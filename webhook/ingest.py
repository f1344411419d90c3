"""The one entry point both servers call: bytes and headers in, status and JSON out.

``receive`` runs the stages in order: IP allow-list -> size -> strict JSON -> client ->
authenticity -> parse (pure, in memory) -> store the raw event (committed) -> apply (inline,
or handed to the background applier) -> answer. Nothing here knows Flask or Django's request
objects (see ``webhook.views`` and ``servidor_webhook_local``).
"""

from __future__ import annotations

import logging
import time
import traceback
import uuid
from collections.abc import Generator
from types import ModuleType
from typing import Any

from django.db import DatabaseError, InterfaceError
from django.utils import timezone

from webhook import authentication, limits, metrics, parsers, spool
from webhook.clients import ClientInfo, client_directory
from webhook.conf import webhook_settings
from webhook.drift import drift_of
from webhook.events import ParseContext, ParseResult
from webhook.exceptions import (
    PayloadError,
    StorageUnavailable,
    WebhookError,
)
from webhook.inbound import InboundRequest, IngestResponse
from webhook.models import WebhookEvent
from webhook.parsers import meta_cloud
from webhook.processor import WhatsAppWebhookProcessor, classify, path_event_of
from webhook.quota import body_quota
from webhook.rejections import masked_path, record_rejected
from webhook.steps import Blocking, drive
from webhook.validators import WebhookValidator, stored_body, valid_ip
from webhook.writer import StoredEvent, writer

logger = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 30


def _validator() -> WebhookValidator:
    return WebhookValidator(
        max_body_bytes=webhook_settings.MAX_BODY_BYTES,
        max_depth=webhook_settings.MAX_JSON_DEPTH,
        max_nodes=webhook_settings.MAX_JSON_NODES,
    )


def _content_type(request: InboundRequest) -> str:
    return request.headers.get("content-type", "")


def _error_response(error: WebhookError, event_id: int | None = None) -> IngestResponse:
    body = {"ok": False, **error.as_dict()}
    if event_id is not None:
        body["event_id"] = event_id
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if error.status_code == 503 else {}
    return IngestResponse(error.status_code, body, headers)


class StoreEvent(Blocking):
    """Commit the raw event (``_store``): the acknowledgement waits for it."""

    __slots__ = ()

    def __init__(self, fields: dict[str, Any]) -> None:
        super().__init__(_store, fields)

    @property
    def fields(self) -> dict[str, Any]:
        return self.args[0]


Steps = Generator[Blocking, Any, "IngestResponse"]


def receive(request: InboundRequest) -> IngestResponse:
    """Handle one POSTed delivery from any family (the synchronous driver of the steps)."""
    return drive(receive_steps(request))


def receive_steps(request: InboundRequest) -> Steps:
    """The stages of :func:`receive`, yielding what may block (see :class:`Blocking`); each
    answer is counted with its family and ack latency (``webhook.metrics``)."""
    started = time.perf_counter()
    seen = _Seen()
    response = yield from _receive_steps(request, seen)
    metrics.delivery_answered(response.status, seen.family, time.perf_counter() - started)
    return response


class _Seen:
    """What the stages learnt that the answer does not say: the family (for the metrics)."""

    __slots__ = ("family",)

    def __init__(self) -> None:
        self.family = parsers.UNKNOWN_FAMILY


def _receive_steps(request: InboundRequest, seen: _Seen) -> Steps:
    received_at = timezone.now()
    validator = _validator()
    ip = validator.client_ip(
        request.remote_addr,
        request.headers.get("x-forwarded-for", ""),
        webhook_settings.TRUSTED_PROXIES,
    )
    credentials = authentication.presented(request.headers, request.query, request.path_token)
    decoded = yield from _decoded(request, validator, ip, credentials)
    if isinstance(decoded, IngestResponse):
        return decoded
    payload, early = decoded
    module = parsers.detect(payload)
    if module is not None:
        seen.family = module.FAMILY
    authorized = yield from _authorized(request, ip, module, payload, credentials, early)
    if isinstance(authorized, IngestResponse):
        return authorized
    auth, family, key = authorized
    parsed, parse_error, tb = _parse(module, payload, request.path)
    if parse_error is not None:
        return (yield from _parse_failed(request, ip, parse_error, tb, family, auth.client, key))
    fields = _event_fields(request, validator, ip, received_at, parsed, auth, key)
    if fields is None:
        limits.record_trip("unassigned_body_quota")
        return _error_response(
            StorageUnavailable(
                "delivery for an instance without a client and without credentials: the "
                "quota for such bodies is used up; retry later"
            )
        )
    try:
        event = yield StoreEvent(fields)
    except (DatabaseError, InterfaceError) as exc:
        return (yield Blocking(_store_elsewhere, fields, exc))
    spool.drain_soon()
    return _apply(event, parsed)


def _decoded(
    request: InboundRequest,
    validator: WebhookValidator,
    ip: str,
    credentials: authentication.Presented,
) -> Generator[Blocking, Any, tuple[Any, Any] | IngestResponse]:
    """(payload, what was authenticated before decoding), or the refusal."""
    try:
        validator.check_ip(ip, webhook_settings.IP_ALLOWLIST)
        validator.check_size(request.body, declared=request.declared_length)
        early = authentication.check_before_decoding(credentials, request.body)
        return validator.decode(request.body, _content_type(request)), early
    except WebhookError as error:
        logger.warning("rejected delivery from %s: %s", ip, error.message)
        return _error_response(error, (yield Blocking(record_rejected, request, ip, error)))
    except DatabaseError:
        return _error_response(StorageUnavailable("database unavailable and no client cache yet"))


def _authorized(
    request: InboundRequest,
    ip: str,
    module: ModuleType | None,
    payload: Any,
    credentials: authentication.Presented,
    early: Any,
) -> Generator[Blocking, Any, tuple[authentication.Authorization, str, str] | IngestResponse]:
    """(authorization, family, instance key), or the refusal (recorded)."""
    family = module.FAMILY if module else parsers.UNKNOWN_FAMILY
    keys = parsers.client_keys(payload, module)
    key = keys[0] if keys else ""
    try:
        auth = authentication.authorize(
            family=family,
            keys=keys,
            payload=payload,
            body=request.body,
            credentials=credentials,
            early=early,
        )
    except DatabaseError:
        return _error_response(StorageUnavailable("database unavailable and no client cache yet"))
    except WebhookError as error:
        logger.warning("rejected %s delivery for '%s' from %s: %s", family, key, ip, error.message)
        client = client_directory.lookup(key) if key else None
        event_id = yield Blocking(
            record_rejected, request, ip, error, family=family, client=client, client_key=key
        )
        return _error_response(error, event_id)
    return auth, family, key


def _parse_failed(
    request: InboundRequest,
    ip: str,
    error: WebhookError,
    tb: str,
    family: str,
    client: ClientInfo | None,
    key: str,
) -> Steps:
    """A delivery the parser refused (400, recorded) or crashed on (kept for replay)."""
    logger.warning("failed %s delivery for '%s' from %s: %s", family, key, ip, error.message)
    status = WebhookEvent.Status.FAILED
    event_id = yield Blocking(
        record_rejected,
        request,
        ip,
        error,
        status=status,
        family=family,
        client=client,
        client_key=key,
        tb=tb,
    )
    if isinstance(error, PayloadError):
        return _error_response(error, event_id)
    # A bug of ours: the body is kept (failed, with traceback) for replay once fixed.
    metrics.delivery_failed(family)
    return IngestResponse(
        202, {"ok": True, "event_id": event_id, "status": status, "error": error.message}
    )


def _store(fields: dict[str, Any]) -> WebhookEvent | StoredEvent:
    """Commit the raw event: through the group-commit writer in background mode."""
    if webhook_settings.APPLY_MODE == "background":
        return writer.store(fields)
    return WebhookEvent.objects.create(**fields)


def _parse(
    module: ModuleType | None, payload: dict[str, Any], path: str
) -> tuple[ParseResult | None, WebhookError | None, str]:
    context = ParseContext(gateway_tz=webhook_settings.GATEWAY_TZ)
    try:
        result = parsers.parse_as(module, payload, path_event=path_event_of(path), context=context)
        return result, None, ""
    except WebhookError as error:
        return None, error, ""
    except Exception as exc:  # a parser bug must never lose the body
        logger.exception("parser crashed")
        return (
            None,
            WebhookError(f"parser error {type(exc).__name__}: {exc}"),
            traceback.format_exc(),
        )


def _event_fields(
    request: InboundRequest,
    validator: WebhookValidator,
    ip: str,
    received_at,
    parsed: ParseResult,
    auth: authentication.Authorization,
    key: str,
) -> dict[str, Any] | None:
    """The WebhookEvent row to store; None when a body nobody vouched for is over its quota."""
    client = auth.client
    status, error = classify(parsed, has_client=client is not None, key=key)
    body = stored_body(request.body, _content_type(request))  # masked; forms as received
    # Bodies nobody vouched for (no credential verified, or none presented for a delivery
    # without client) are what a flood without credentials would fill the disk with.
    if status == WebhookEvent.Status.IGNORED:
        unvouched = not auth.how
    else:
        unvouched = client is None and not auth.proofs
    if unvouched and not body_quota.admit(ip, len(body)):
        if status != WebhookEvent.Status.IGNORED:
            return None  # nothing could ever apply it without its body: the sender retries
        body, error = "", f"{error} (body not kept: quota for unauthenticated bodies used up)"
    elif status == WebhookEvent.Status.IGNORED and drift_of(parsed):
        # Something the parsers did not recognise: the applier marks it ignored and counts
        # it (webhook.drift), so the ack path writes nothing more than the raw event.
        status, error = WebhookEvent.Status.RECEIVED, ""
    return {
        "delivery_id": uuid.uuid4().hex,
        "received_at": received_at,
        "path": masked_path(request)[:500],
        "source_ip": valid_ip(ip),
        "headers": validator.mask_headers(request.headers),
        "body": body,
        "family": parsed.family,
        "event_type": parsed.event_type[:100],
        "client_id": client.id if client else None,
        "client_key": (_bound_key(client, parsed) or key)[:255],
        "status": status,
        "error": error,
        "parser_version": parsers.PARSER_VERSION,
        "credential_proofs": list(auth.proofs),
    }


def _bound_key(client: ClientInfo | None, parsed: ParseResult) -> str:
    """The instance the event is filed under: its client's, when the delivery names it (a batch
    may start with a number that has no client yet), else the first one it names."""
    if client is not None and any(e.client_key == client.instance_id for e in parsed.events):
        return client.instance_id
    return parsed.client_key


def _store_elsewhere(fields: dict[str, Any], exc: Exception) -> IngestResponse:
    """The database refused the write: spool the event durably, or ask the sender to retry."""
    try:
        spool.append(fields)
    except OSError:
        logger.exception("database down (%s) and the spool is not writable", exc)
        return _error_response(StorageUnavailable("database unavailable; retry later"))
    logger.warning(
        "database unavailable (%s): delivery %s spooled to disk", exc, fields["delivery_id"]
    )
    return IngestResponse(202, {"ok": True, "spooled": True, "delivery_id": fields["delivery_id"]})


def _apply(event: WebhookEvent | StoredEvent, parsed: ParseResult) -> IngestResponse:
    body: dict[str, Any] = {
        "ok": True,
        "event_id": event.pk,  # None while a SQLite ack waits in the inbox (webhook.inbox)
        "delivery_id": event.delivery_id,
        "family": parsed.family,
        "event_type": parsed.event_type,
        "events": len(parsed.events),
    }
    if event.status in (WebhookEvent.Status.UNASSIGNED, WebhookEvent.Status.IGNORED):
        body.update(status=event.status, detail=event.error)
        return IngestResponse(202 if event.status == WebhookEvent.Status.UNASSIGNED else 200, body)
    background = webhook_settings.APPLY_MODE == "background"
    if background and not parsed.events:  # stored to have its drift counted: still ignored
        body.update(status=WebhookEvent.Status.IGNORED, detail=parsed.ignored_reason)
        return IngestResponse(200, body)
    if background:
        body["status"] = WebhookEvent.Status.RECEIVED  # the applier process takes it from here
        return IngestResponse(202, body)
    assert isinstance(event, WebhookEvent)  # inline mode: the model row itself
    started = time.perf_counter()
    try:
        body["status"] = WhatsAppWebhookProcessor().process(event, parsed)
    except (DatabaseError, InterfaceError):
        # Stored but not applied (the database went away in between): the applier's sweep or
        # `webhook_reprocess` applies it later. The delivery itself is safe.
        logger.exception("event %s stored but not applied", event.pk)
        body.update(status=WebhookEvent.Status.RECEIVED, detail="stored; will be applied later")
        return IngestResponse(202, body)
    body["processing_ms"] = round((time.perf_counter() - started) * 1000, 2)
    if event.error:
        body["detail"] = event.error
    return IngestResponse(200, body)


def handshake(request: InboundRequest) -> IngestResponse:
    """GET: Meta's verification handshake (hub.mode / hub.verify_token / hub.challenge)."""
    if "hub.mode" not in request.query and "hub.challenge" not in request.query:
        return IngestResponse(
            200,
            {
                "ok": True,
                "detail": "POST WhatsApp webhooks here; GET answers Meta's verification handshake.",
            },
        )
    verify_token = webhook_settings.META_VERIFY_TOKEN
    challenge = meta_cloud.verify_handshake(request.query, verify_token) if verify_token else None
    if challenge is None:
        logger.warning(
            "Meta verification handshake refused (wrong hub.verify_token or not configured)"
        )
        return IngestResponse(
            403, {"ok": False, "error": "forbidden", "detail": "verification token mismatch"}
        )
    return IngestResponse(200, challenge)
