"""Media rows and their lifecycle: pending -> fetching -> stored | failed | expired | skipped."""

from __future__ import annotations

import hashlib
import logging
import random
import tempfile
from collections.abc import Iterable
from datetime import timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from webhook.conf import webhook_settings
from webhook.dblock import write_lock
from webhook.events import MessageEvent
from webhook.media import sources, storage
from webhook.media.decrypt import MediaIntegrityError
from webhook.media.safe_http import FetchError
from webhook.models import MediaFile, Message
from webhook.services.rows import insert_ignoring_conflicts

logger = logging.getLogger(__name__)
State = MediaFile.State
STALE_FETCHING = timedelta(minutes=15)  # a fetch that long is a crashed worker's


def media_rows_create(*, items: Iterable[tuple[Message, MessageEvent, str]]) -> int:
    """One pending MediaFile per new media message (inside the apply transaction, one
    INSERT, a message's row never twice). ``items``: (stored message, its event, family)."""
    rows = []
    for message, event, family in items:
        media = event.media
        if media is None or message.pk is None:
            continue
        source = sources.source_for(family=family, media=media)
        rows.append(
            MediaFile(
                client_id=message.client_id,
                message_id=message.pk,
                family=family,
                media_type=str(event.type),
                source=source,
                state=State.PENDING if source != MediaFile.Source.NONE else State.SKIPPED,
                last_error=""
                if source != MediaFile.Source.NONE
                else _("the payload does not say where the file is"),
                url=media.url,
                remote_id=media.media_id[:255],
                media_key=media.media_key[:255],
                direct_path=media.direct_path,
                file_enc_sha256=media.file_enc_sha256[:255],
                declared_mimetype=media.mimetype[:255],
                declared_size=media.size if media.size is None or 0 <= media.size < 2**62 else None,
                declared_sha256=media.sha256[:255],
                file_name=storage.safe_file_name(media.file_name, fallback="")[:255],
            )
        )
    insert_ignoring_conflicts(MediaFile, rows)
    return len(rows)


def media_due(*, limit: int) -> list[int]:
    """Ids of pending rows whose time has come, oldest first."""
    now = timezone.now()
    queryset = MediaFile.objects.filter(state=State.PENDING).filter(
        next_attempt_at__isnull=True
    ) | MediaFile.objects.filter(state=State.PENDING, next_attempt_at__lte=now)
    return list(queryset.order_by("pk").values_list("pk", flat=True)[:limit])


def media_release_stale() -> int:
    """Rows left ``fetching`` by a worker that died go back to pending."""
    cutoff = timezone.now() - STALE_FETCHING
    with write_lock():
        return MediaFile.objects.filter(state=State.FETCHING, next_attempt_at__lt=cutoff).update(
            state=State.PENDING
        )


def media_retry(*, queryset: QuerySet[MediaFile]) -> int:
    """'Baixar de novo': failed, expired or skipped rows (and stored ones) go back to pending."""
    with write_lock():
        return queryset.exclude(state=State.FETCHING).update(
            state=State.PENDING, attempts=0, next_attempt_at=None, last_error=""
        )


def _claim(pk: int) -> bool:
    with write_lock():
        return bool(
            MediaFile.objects.filter(pk=pk, state=State.PENDING).update(
                state=State.FETCHING, next_attempt_at=timezone.now()
            )
        )


def backoff_seconds(attempts: int) -> float:
    """Exponential with full jitter: base * 2**(n-1), randomised in [50 %, 100 %], <= 6 h."""
    delay = min(webhook_settings.MEDIA_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), 6 * 3600)
    return delay * random.uniform(0.5, 1.0)


def media_fetch_one(*, pk: int) -> str:
    """Fetch, check and store one file; returns the row's new state. Never raises for a
    fetch problem: it becomes the row's state and reason. Also the queue task's body."""
    if not _claim(pk):
        return ""
    media = MediaFile.objects.select_related("client", "message", "message__webhook_event").get(
        pk=pk
    )
    media.attempts += 1
    try:
        with tempfile.TemporaryFile() as tmp:
            fetched = sources.fetch(media, tmp)
            _finish(media, tmp, fetched)
    except sources.MediaExpired as exc:
        _fail(media, State.EXPIRED, str(exc))
    except MediaIntegrityError as exc:
        _fail(media, State.FAILED, f"integridade: {exc}")
    except FetchError as exc:
        if exc.retryable and media.attempts < webhook_settings.MEDIA_MAX_ATTEMPTS:
            _fail(media, State.PENDING, str(exc), retry=True)
        else:
            _fail(media, State.FAILED, str(exc))
    except OSError as exc:  # local disk or storage trouble: try again later
        logger.exception("media: storing #%s failed", pk)
        _retry_or_fail(media, f"armazenamento: {exc.__class__.__name__}")
    except Exception as exc:  # a bug must not leave the row "fetching" or stop the loop
        logger.exception("media: fetching #%s failed unexpectedly", pk)
        _retry_or_fail(media, _("internal error: %(error)s") % {"error": exc.__class__.__name__})
    return media.state


def _retry_or_fail(media: MediaFile, reason: str) -> None:
    if media.attempts < webhook_settings.MEDIA_MAX_ATTEMPTS:
        _fail(media, State.PENDING, reason, retry=True)
    else:
        _fail(media, State.FAILED, reason)


def _finish(media: MediaFile, tmp, fetched: sources.Fetched) -> None:
    size = tmp.tell()
    if size == 0:
        raise FetchError("arquivo vazio", retryable=True)
    digest = hashlib.sha256()
    tmp.seek(0)
    head = tmp.read(64)
    tmp.seek(0)
    while chunk := tmp.read(1024 * 1024):
        digest.update(chunk)
    sha = digest.hexdigest()
    sniffed = storage.sniff(head)
    declared = media.declared_mimetype or storage.base_type(fetched.content_type)
    name = storage.storage_name(client_id=media.client_id, sha256=sha, mimetype=sniffed or declared)
    stored_name = storage.store(tmp, name)
    thumb = ""
    if media.media_type in storage.THUMBNAIL_TYPES:
        thumb = storage.make_thumbnail(tmp, stored_name)
    media.state = State.STORED
    media.size, media.sha256, media.sniffed_mimetype = size, sha, sniffed
    if not media.declared_mimetype and fetched.content_type:
        media.declared_mimetype = storage.base_type(fetched.content_type)[:255]
    media.storage_name, media.thumbnail_name = stored_name, thumb
    media.fetched_at, media.last_error, media.next_attempt_at = timezone.now(), "", None
    _save(media)
    logger.info("media: #%s stored (%s, %s bytes)", media.pk, media.source, size)


def _fail(media: MediaFile, state: str, reason: str, *, retry: bool = False) -> None:
    media.state, media.last_error = state, reason[:1000]
    media.next_attempt_at = (
        timezone.now() + timedelta(seconds=backoff_seconds(media.attempts)) if retry else None
    )
    _save(media)
    logger.info("media: #%s %s after %s attempt(s): %s", media.pk, state, media.attempts, reason)


def _save(media: MediaFile) -> None:
    fields = [
        "state",
        "attempts",
        "next_attempt_at",
        "last_error",
        "declared_mimetype",
        "sniffed_mimetype",
        "size",
        "sha256",
        "storage_name",
        "thumbnail_name",
        "fetched_at",
    ]
    with write_lock(), transaction.atomic():
        media.save(update_fields=fields)


def media_state_counts(*, client_id: int | None = None) -> dict[str, int]:
    from django.db.models import Count

    queryset = MediaFile.objects.all()
    if client_id is not None:
        queryset = queryset.filter(client_id=client_id)
    return dict(queryset.values_list("state").annotate(n=Count("pk")).order_by())
