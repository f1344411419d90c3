"""Serving stored media files: authenticated, by client permission, streamed with Range.

A staff user who may see the file's client (``webhook.access``: superusers every client,
other staff their clients); ``media_visible_to`` is the one place that decides. Types a
browser could run as our origin's page (HTML, SVG, anything unknown) are always served as
downloads; ``nosniff`` everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import quote

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from webhook import access
from webhook.media import storage
from webhook.models import MediaFile

CHUNK = 64 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
INLINE_MEDIA_TYPES = frozenset({"image", "sticker", "audio", "video"})


def media_visible_to(user, media: MediaFile) -> bool:
    """Staff users who may see the file's client."""
    return bool(
        user.is_authenticated
        and user.is_active
        and user.is_staff
        and access.can_see_client(user, media.client_id)
    )


def _stream(handle, start: int, length: int) -> Iterator[bytes]:
    try:
        handle.seek(start)
        left = length
        while left > 0:
            chunk = handle.read(min(CHUNK, left))
            if not chunk:
                break
            left -= len(chunk)
            yield chunk
    finally:
        handle.close()


def _disposition(media: MediaFile, mimetype: str) -> str:
    inline = media.media_type in INLINE_MEDIA_TYPES and mimetype in storage.INLINE_TYPES
    ext = storage.extension_for(mimetype)
    name = storage.safe_file_name(media.file_name, fallback=f"{media.media_type or 'arquivo'}{ext}")
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_")
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


@require_GET
def media_file(request: HttpRequest, pk: int, thumbnail: bool = False) -> HttpResponse:
    media = get_object_or_404(MediaFile.objects.select_related("client"), pk=pk)
    if not media_visible_to(request.user, media):
        # Anonymous users go to the login page; logged-in users without access see nothing.
        if not request.user.is_authenticated:
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path())
        raise Http404
    name = media.thumbnail_name if thumbnail else media.storage_name
    if media.state != MediaFile.State.STORED or not name:
        raise Http404
    mimetype = "image/webp" if thumbnail else storage.base_type(media.mimetype)
    if mimetype not in storage.INLINE_TYPES:
        mimetype = mimetype if mimetype.startswith(("application/", "audio/", "video/")) else ""
        mimetype = mimetype or "application/octet-stream"
    backend = storage.media_storage()
    try:
        size = backend.size(name)
        handle = backend.open(name, "rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404 from exc
    start, end, status = 0, size - 1, 200
    match = _RANGE.match(request.headers.get("Range", "").strip())
    if match and size:
        first, last = match.groups()
        if first:
            start, end = int(first), min(int(last), size - 1) if last else size - 1
        elif last:
            start, end = max(size - int(last), 0), size - 1
        if start > end or start >= size:
            handle.close()
            response = HttpResponse(status=416)
            response["Content-Range"] = f"bytes */{size}"
            return response
        status = 206
    length = end - start + 1 if size else 0
    response = StreamingHttpResponse(
        _stream(handle, start, length), status=status, content_type=mimetype
    )
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    if status == 206:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Content-Disposition"] = (
        "inline" if thumbnail else _disposition(media, storage.base_type(media.mimetype))
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response
