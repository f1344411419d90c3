"""Evidence of refused deliveries: a bounded, masked record of each, never failing the answer.

A refused body is kept (credentials masked first, then cut at ``REJECTED_BODY_LIMIT``) within
the disk quota for bodies nobody vouched for (``webhook.quota``); past it, and for bodies over
a size or complexity limit, only the record and the reason.
"""

from __future__ import annotations

import logging
import uuid

from django.db import DatabaseError
from django.utils import timezone

from webhook import limits, parsers
from webhook.clients import ClientInfo
from webhook.exceptions import JsonTooComplex, PayloadTooLarge, WebhookError
from webhook.inbound import InboundRequest
from webhook.masking import MASK
from webhook.models import WebhookEvent
from webhook.quota import body_quota
from webhook.validators import WebhookValidator, stored_body, valid_ip

logger = logging.getLogger(__name__)
REJECTED_BODY_LIMIT = 64 * 1024  # what is kept of a rejected body, for audit


def masked_path(request: InboundRequest) -> str:
    return request.path.replace(request.path_token, MASK) if request.path_token else request.path


def _kept_body(request: InboundRequest, ip: str, error: WebhookError) -> str:
    """What is kept of a refused body: masked first, then cut; within the disk quota."""
    if isinstance(error, PayloadTooLarge | JsonTooComplex):
        return ""  # over a limit: only the record of the refusal is kept
    text = stored_body(
        request.body, request.headers.get("content-type", ""), errors="backslashreplace"
    )
    text = text[:REJECTED_BODY_LIMIT].replace("\x00", "\\x00")
    return text if body_quota.admit(ip, len(text)) else ""


def record_rejected(
    request: InboundRequest,
    ip: str,
    error: WebhookError,
    *,
    status: str = WebhookEvent.Status.REJECTED,
    family: str = "",
    client: ClientInfo | None = None,
    client_key: str = "",
    tb: str = "",
    event_type: str = "",
) -> int | None:
    """Keep evidence of a refused delivery (bounded, credentials masked); never fails the answer."""
    if isinstance(error, JsonTooComplex):
        limits.record_trip("json_too_complex")
    elif isinstance(error, PayloadTooLarge):
        limits.record_trip("body_too_large")
    try:
        event = WebhookEvent.objects.create(
            delivery_id=uuid.uuid4().hex,
            received_at=timezone.now(),
            path=masked_path(request)[:500],
            source_ip=valid_ip(ip),
            headers=WebhookValidator.mask_headers(request.headers),
            body=_kept_body(request, ip, error),
            family=family,
            event_type=event_type[:100],
            client_id=client.id if client else None,
            client_key=client_key[:255],
            status=status,
            error=f"HTTP {error.status_code}: {error.message}"[:5000],
            traceback=tb,
            parser_version=parsers.PARSER_VERSION,
        )
    except (DatabaseError, ValueError):
        logger.exception("could not record a rejected delivery")
        return None
    return event.pk
