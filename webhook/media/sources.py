"""Where each family's file comes from, and how it is fetched (docs/formats.md, the gateways' docs).

``source_for`` decides, when the message is applied, which way the file will be fetched;
``fetch`` writes the file's plaintext bytes into a temporary file. Credentials come from the
client row and are sent only in headers, never logged or put in an error text.
"""

from __future__ import annotations

import base64
import binascii
import json
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, BinaryIO
from urllib.parse import quote, urlsplit

from django.utils import timezone
from django.utils.translation import gettext as _

from webhook.conf import webhook_settings
from webhook.events import Media
from webhook.exceptions import WebhookError
from webhook.forms import is_form
from webhook.media import decrypt
from webhook.media.safe_http import FetchError, Policy, get_json, request
from webhook.models import Client, MediaFile
from webhook.validators import WebhookValidator

Source = MediaFile.Source
WHATSAPP_HOSTS = (".whatsapp.net",)
META_HOSTS = (".fbsbx.com", ".fbcdn.net", ".facebook.com", ".whatsapp.net")
ZAPI_HOSTS = (".z-api.io",)
PLAIN_COPY_FAMILIES = frozenset({"evolution", "wppconnect", "ultramsg", "wuzapi"})
META_ID_LIFETIME = timedelta(days=7)  # media ids from webhooks expire after 7 days
# Gateways keep files for a while, then answer 404: past this age that means expired.
EXPIRY_AFTER: dict[str, timedelta] = {
    Source.META_GRAPH: META_ID_LIFETIME,
    Source.DIRECT_URL: timedelta(days=30),  # Z-API keeps files 30 days
    Source.WHATSAPP_CDN: timedelta(days=14),
}


class MediaExpired(FetchError):
    def __init__(self, message: str):
        super().__init__(message, retryable=False)


@dataclass
class Fetched:
    content_type: str = ""  # what the server or API said


def source_for(*, family: str, media: Media) -> str:
    """The way this message's file will be fetched, decided from the payload alone."""
    if family == "meta_cloud":
        return Source.META_GRAPH if media.media_id or media.url else Source.NONE
    if family == "waha":
        return Source.WAHA if media.url else Source.NONE
    if family == "zapi":
        return Source.DIRECT_URL if media.url else Source.NONE
    if media.has_inline_data:
        return Source.INLINE_BASE64
    if family in PLAIN_COPY_FAMILIES and media.url and not _on_whatsapp_cdn(media.url):
        # A gateway's own copy, not encrypted: Evolution's S3/MinIO (message.mediaUrl),
        # WPPConnect's S3 (fileUrl), Wuzapi's S3 (s3.url), UltraMsg's storage (media).
        return Source.DIRECT_URL
    if media.media_key and (media.url or media.direct_path):
        return Source.WHATSAPP_CDN
    if family == "evolution":
        return Source.EVOLUTION_API
    return Source.NONE


def _on_whatsapp_cdn(url: str) -> bool:
    host = _host(url).lower()
    cdn = _host(webhook_settings.WHATSAPP_CDN_URL).lower()
    return host == cdn or any(host.endswith(suffix) for suffix in WHATSAPP_HOSTS)


def _policy(*hosts: str) -> Policy:
    return Policy.build(
        [*hosts, *webhook_settings.MEDIA_ALLOWED_HOSTS],
        webhook_settings.MEDIA_ALLOWED_NETWORKS,
        webhook_settings.MEDIA_TIMEOUT,
    )


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "") if url else ""


def message_age(media: MediaFile) -> timedelta:
    when: datetime = media.message.timestamp or media.created_at
    return timezone.now() - when


def fetch(media: MediaFile, sink: BinaryIO) -> Fetched:
    """Write the file of ``media`` (plaintext) into ``sink``; raises FetchError."""
    handler = _HANDLERS.get(media.source)
    if handler is None:
        raise FetchError(_("no source for this media in the payload"), retryable=False)
    try:
        return handler(media, sink)
    except FetchError as exc:
        limit = EXPIRY_AFTER.get(media.source)
        if exc.status in (403, 404, 410) and limit and message_age(media) > limit:
            raise MediaExpired(
                _("expired on the source server (%(error)s)") % {"error": exc}
            ) from exc
        raise


def _max() -> int:
    return webhook_settings.MEDIA_MAX_BYTES


def _cdn(media: MediaFile, sink: BinaryIO) -> Fetched:
    """Baileys shapes (Evolution, W-API, the README sample): encrypted file on the CDN."""
    cdn = webhook_settings.WHATSAPP_CDN_URL
    urls = [u for u in (media.url, cdn + media.direct_path if media.direct_path else "") if u]
    key = decrypt.b64_bytes(media.media_key)
    enc_sha = decrypt.b64_bytes(media.file_enc_sha256) if media.file_enc_sha256 else None
    plain_sha = decrypt.b64_bytes(media.declared_sha256) if media.declared_sha256 else None
    policy = _policy(*WHATSAPP_HOSTS, _host(cdn))
    error: FetchError | None = None
    for url in urls:
        with tempfile.TemporaryFile() as encrypted:
            try:
                request(url, encrypted, policy=policy, max_bytes=_max() + 26)
            except FetchError as exc:
                error = exc
                continue
            decrypt.decrypt_file(
                encrypted,
                sink,
                media_key=key,
                media_type=media.media_type,
                file_enc_sha256=enc_sha,
                file_sha256=plain_sha,
            )
            return Fetched()
    if media.family == "evolution" and _gateway_configured(media.client):
        return _evolution_api(media, sink)
    assert error is not None
    raise error


def _inline(media: MediaFile, sink: BinaryIO) -> Fetched:
    """Evolution with webhook_base64, Wuzapi's ``base64``: the bytes are in the stored raw
    event only (a Wuzapi form post is decoded as it was on arrival)."""
    event = media.message.webhook_event
    if event is None:
        raise FetchError(_("source event deleted: base64 unavailable"), retryable=False)
    content_type = next((v for k, v in event.headers.items() if k.lower() == "content-type"), "")
    try:
        if is_form(content_type, event.body[:64].encode("utf-8", "replace")):
            payload = form_payload(event.body, content_type)
        else:
            payload = json.loads(event.body)
    except (ValueError, WebhookError) as exc:
        raise FetchError(_("unreadable event body"), retryable=False) from exc
    found = _find_base64(payload, media.message.external_id)
    if not found:
        if _gateway_configured(media.client):
            return _evolution_api(media, sink)
        raise FetchError(_("base64 not found in the event"), retryable=False)
    _write_base64(found, sink)
    return Fetched(content_type=_data_url_type(found))


def form_payload(body: str, content_type: str) -> dict[str, Any]:
    """A stored form post decoded as on arrival (its size was checked then)."""
    validator = WebhookValidator(
        max_body_bytes=max(len(body) * 4, 1), max_depth=webhook_settings.MAX_JSON_DEPTH
    )
    return validator.decode(body.encode("utf-8", "surrogatepass"), content_type)


def _find_base64(payload: Any, message_id: str) -> str:
    event = payload.get("event") if isinstance(payload, dict) else None
    info = event.get("Info") if isinstance(event, dict) else None
    if isinstance(info, dict) and info.get("ID") == message_id:  # Wuzapi: beside its event
        value = payload.get("base64")
        return value if isinstance(value, str) else ""
    data = payload.get("data") if isinstance(payload, dict) else None
    for item in data if isinstance(data, list) else [data]:
        if not isinstance(item, dict):
            continue
        key = item.get("key") if isinstance(item.get("key"), dict) else {}
        if key.get("id") not in (None, message_id):
            continue
        message = item.get("message") if isinstance(item.get("message"), dict) else {}
        value = message.get("base64") or item.get("base64")
        if isinstance(value, str) and value:
            return value
    return ""


def _data_url_type(value: str) -> str:
    if value.startswith("data:") and ";" in value[:100]:
        return value[5 : value.index(";")]
    return ""


def _write_base64(value: str, sink: BinaryIO) -> None:
    if value.startswith("data:"):
        value = value.split(",", 1)[-1]
    if len(value) * 3 // 4 > _max() + 3:
        raise FetchError(
            _("file too large (limit %(limit)s bytes)") % {"limit": _max()}, retryable=False
        )
    step = 4 * 16 * 1024  # decode in slices: the string is in memory, its bytes need not be
    value = "".join(value.split())
    try:
        for start in range(0, len(value), step):
            sink.write(base64.b64decode(value[start : start + step], validate=True))
    except (binascii.Error, ValueError) as exc:
        raise FetchError(_("invalid base64 in the event"), retryable=False) from exc


def _direct(media: MediaFile, sink: BinaryIO) -> Fetched:
    """Z-API (its storage) or Evolution's S3/MinIO copy: a plain download."""
    hosts = ZAPI_HOSTS if media.family == "zapi" else ()
    response = request(
        media.url,
        sink,
        policy=_policy(*hosts, _host(media.client.gateway_url)),
        max_bytes=_max(),
    )
    return Fetched(content_type=response.headers.get("content-type", ""))


def _waha(media: MediaFile, sink: BinaryIO) -> Fetched:
    """WAHA: payload.media.url on the client's own WAHA server, with its X-Api-Key."""
    client = media.client
    headers = {"X-Api-Key": client.gateway_api_key} if client.gateway_api_key else {}
    response = request(
        _on_gateway(media.url, client.gateway_url),
        sink,
        policy=_policy(_host(client.gateway_url)),
        max_bytes=_max(),
        headers=headers,
    )
    return Fetched(content_type=response.headers.get("content-type", ""))


def _on_gateway(url: str, gateway_url: str) -> str:
    """WAHA builds file URLs from its own base URL, often http://localhost:3000 when it was
    not configured: a file path (/api/files/...) is fetched from the client's server instead."""
    parts, gateway = urlsplit(url), urlsplit(gateway_url)
    if gateway.hostname and parts.hostname != gateway.hostname and parts.path.startswith("/api/"):
        query = f"?{parts.query}" if parts.query else ""
        return f"{gateway.scheme}://{gateway.netloc}{gateway.path.rstrip('/')}{parts.path}{query}"
    return url


def _meta(media: MediaFile, sink: BinaryIO) -> Fetched:
    """Cloud API: the webhook's url, else GET /{media-id} for a fresh 5-minute URL."""
    token = media.client.meta_access_token
    if not token:
        raise FetchError(
            _("client without a Meta access token (add it in the admin)"), retryable=False
        )
    if media.remote_id and message_age(media) > META_ID_LIFETIME:
        raise MediaExpired(_("Meta media IDs expire 7 days after the webhook"))
    graph = webhook_settings.META_GRAPH_URL
    policy = _policy(*META_HOSTS, _host(graph))
    auth = {"Authorization": f"Bearer {token}"}
    if media.url:
        try:
            response = request(media.url, sink, policy=policy, max_bytes=_max(), headers=auth)
            return Fetched(content_type=response.headers.get("content-type", ""))
        except FetchError as exc:
            if not media.remote_id or exc.status is None:
                raise
            sink.seek(0)
            sink.truncate()
    if not media.remote_id:
        raise FetchError(_("message without a media ID"), retryable=False)
    info = get_json(f"{graph}/{quote(media.remote_id, safe='')}", policy=policy, headers=auth)
    url = info.get("url") if isinstance(info, dict) else None
    if not isinstance(url, str) or not url:
        raise FetchError(_("the Graph API did not return the media URL"))
    response = request(url, sink, policy=policy, max_bytes=_max(), headers=auth)
    return Fetched(
        content_type=str(info.get("mime_type") or response.headers.get("content-type", ""))
    )


def _gateway_configured(client: Client) -> bool:
    return bool(client.gateway_url and client.gateway_api_key)


def _evolution_api(media: MediaFile, sink: BinaryIO) -> Fetched:
    """Evolution's own server: POST /chat/getBase64FromMediaMessage/{instance}."""
    client = media.client
    if not _gateway_configured(client):
        raise FetchError(
            _("no base64, no mediaKey and no Evolution server set for the client"),
            retryable=False,
        )
    url = f"{client.gateway_url.rstrip('/')}/chat/getBase64FromMediaMessage/"
    url += quote(client.instance_id, safe="")
    answer = get_json(
        url,
        policy=_policy(_host(client.gateway_url)),
        headers={"apikey": client.gateway_api_key},
        method="POST",
        payload={"message": {"key": {"id": media.message.external_id}}, "convertToMp4": False},
        max_bytes=_max() * 4 // 3 + 4096,
    )
    value = answer.get("base64") if isinstance(answer, dict) else None
    if not isinstance(value, str) or not value:
        raise FetchError(_("the Evolution server did not return the base64"))
    _write_base64(value, sink)
    return Fetched(content_type=str(answer.get("mimetype") or ""))


_HANDLERS = {
    Source.WHATSAPP_CDN: _cdn,
    Source.INLINE_BASE64: _inline,
    Source.DIRECT_URL: _direct,
    Source.WAHA: _waha,
    Source.META_GRAPH: _meta,
    Source.EVOLUTION_API: _evolution_api,
}
