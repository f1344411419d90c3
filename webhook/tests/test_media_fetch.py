"""Media end to end: each family's fixture posted, the file fetched from a local fake server
(CDN, Graph API, WAHA, Z-API storage, Evolution), checked and stored; and every way it fails."""

from __future__ import annotations

import base64
import copy
import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.test import Client as HttpClient

from webhook.media import loop
from webhook.models import MediaFile, Message
from webhook.tests.helpers import META_APP_SECRET, credentials_for, fixture, wuzapi_form
from webhook.tests.media_support import FakeServer, Reply, encrypt, jpeg

pytestmark = pytest.mark.django_db

INSTANCES = {
    "meta_cloud": "106540352242922",
    "evolution": "loja-centro",
    "zapi": "3D2B1A0C9E8F7A6B5C4D",
    "waha": "atendimento",
    "wapi": "LITE-7XK2P9-QW3R8T",
    "baileys_sample": "test_instance",
    "ultramsg": "instance105938",
    "wuzapi": "suporte",
}
TIME_KEYS = {"messageTimestamp", "timestamp", "moment", "momment", "time"}
PLAIN = jpeg((640, 480))


@pytest.fixture
def env(settings, tmp_path, make_client):
    settings.WEBHOOK_MEDIA_ALLOWED_NETWORKS = ["127.0.0.1/32"]  # the fake servers, only
    settings.WEBHOOK_MEDIA_TIMEOUT = 1
    settings.WEBHOOK_MEDIA_RETRY_BASE_SECONDS = 0
    settings.WEBHOOK_MEDIA_MAX_ATTEMPTS = 3
    settings.WEBHOOK_META_APP_SECRET = META_APP_SECRET
    settings.WEBHOOK_FALLBACK_CLIENT = False
    settings.STORAGES = {
        **settings.STORAGES,
        "webhook_media": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    clients = {family: make_client(iid) for family, iid in INSTANCES.items()}
    with FakeServer() as server:
        settings.WEBHOOK_WHATSAPP_CDN_URL = server.base
        settings.WEBHOOK_META_GRAPH_URL = server.base + "/v21.0"
        yield type("Env", (), {"server": server, "clients": clients, "root": tmp_path / "media"})


def fresh(value: Any) -> Any:
    """The payload with its message times set to now (fixtures are from 2025)."""
    now = int(time.time())
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key in TIME_KEYS and isinstance(item, str) and item.isdigit():
                out[key] = str(now)
            elif key in TIME_KEYS and isinstance(item, int) and not isinstance(item, bool):
                out[key] = now * 1000 if item > 10**12 else now
            else:
                out[key] = fresh(item)
        return out
    if isinstance(value, list):
        return [fresh(item) for item in value]
    return value


def post(env, family: str, payload: dict) -> None:
    body = json.dumps(payload, ensure_ascii=False).encode()
    headers = credentials_for(family, body, env.clients[family].webhook_token)
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    response = HttpClient().post("/webhook/", body, content_type="application/json", **extra)
    assert response.status_code == 200, response.content


def fetch_all() -> None:
    loop.run(threading.Event(), once=True, concurrency=1)


def only_media() -> MediaFile:
    return MediaFile.objects.select_related("message").get()


def stored_files(env) -> list[Path]:
    return [p for p in env.root.rglob("*") if p.is_file()] if env.root.exists() else []


def assert_stored(env, plain: bytes = PLAIN) -> MediaFile:
    media = only_media()
    assert media.state == MediaFile.State.STORED, media.last_error
    assert (env.root / media.storage_name).read_bytes() == plain
    assert media.size == len(plain)
    return media


def cdn_payload(env, family: str, name: str, plain: bytes = PLAIN, *, where: str) -> dict:
    """A Baileys-shaped fixture whose image points at the fake CDN, encrypted for real."""
    enc = encrypt(plain, "image")
    env.server.route("/cdn/file.enc", Reply(200, enc.blob))
    payload = fresh(copy.deepcopy(fixture(family, name)))
    for proto in _protos(payload):
        body = proto["imageMessage"]
        body.update(mediaKey=enc.media_key, fileSha256=enc.file_sha256)
        body.update(fileEncSha256=enc.file_enc_sha256, directPath="/cdn/file.enc")
        body["url"] = env.server.base + "/cdn/file.enc" if where == "url" else ""
    return payload


def _protos(payload: dict) -> list[dict]:
    found = []
    for holder in (payload, payload.get("data") or {}):
        for key in ("message", "msgContent"):
            if isinstance(holder.get(key), dict) and "imageMessage" in holder[key]:
                found.append(holder[key])
    return found


# --- each family, end to end ---


def test_readme_sample_cdn_url_decrypted(env) -> None:
    post(env, "baileys_sample", cdn_payload(env, "baileys_sample", "image", where="url"))
    assert only_media().state == MediaFile.State.PENDING  # the message did not wait
    assert env.server.seen == []
    assert Message.objects.get().type == "image"
    fetch_all()
    media = assert_stored(env)
    assert media.source == MediaFile.Source.WHATSAPP_CDN
    assert media.sniffed_mimetype == "image/jpeg"
    assert media.thumbnail_name and (env.root / media.thumbnail_name).exists()


def test_wapi_direct_path_on_the_cdn(env) -> None:
    post(env, "wapi", cdn_payload(env, "wapi", "image", where="directPath"))
    fetch_all()
    assert_stored(env)
    assert [s.path for s in env.server.seen] == ["/cdn/file.enc"]


def test_evolution_cdn(env) -> None:
    post(env, "evolution", cdn_payload(env, "evolution", "image", where="url"))
    fetch_all()
    assert assert_stored(env).family == "evolution"


def test_evolution_inline_base64_read_from_the_raw_event(env) -> None:
    payload = fresh(fixture("evolution", "image_base64"))
    payload["data"]["message"]["base64"] = base64.b64encode(PLAIN).decode()
    post(env, "evolution", payload)
    assert "base64" not in json.dumps(list(Message.objects.values("media_url", "media_id", "text")))
    fetch_all()
    assert assert_stored(env).source == MediaFile.Source.INLINE_BASE64
    assert env.server.seen == []  # nothing downloaded


def test_evolution_server_get_base64(env) -> None:
    client = env.clients["evolution"]
    client.gateway_url, client.gateway_api_key = env.server.base, "evo-key-123"
    client.save()
    env.server.route(
        "/chat/getBase64FromMediaMessage/loja-centro",
        Reply(200, json.dumps({"base64": base64.b64encode(PLAIN).decode()}).encode()),
    )
    payload = fresh(fixture("evolution", "image"))
    image = payload["data"]["message"]["imageMessage"]
    for key in ("url", "mediaKey", "directPath"):
        image.pop(key)
    post(env, "evolution", payload)
    fetch_all()
    assert assert_stored(env).source == MediaFile.Source.EVOLUTION_API
    seen = env.server.seen[0]
    assert seen.method == "POST" and seen.headers["apikey"] == "evo-key-123"
    assert json.loads(seen.body)["message"]["key"]["id"] == payload["data"]["key"]["id"]


def test_zapi_direct_url(env, settings) -> None:
    settings.WEBHOOK_MEDIA_ALLOWED_HOSTS = ["127.0.0.1"]  # stands in for storage.z-api.io
    payload = fresh(fixture("zapi", "image"))
    payload["image"]["imageUrl"] = env.server.route("/instances/x/photo.jpeg", Reply(200, PLAIN))
    post(env, "zapi", payload)
    fetch_all()
    assert assert_stored(env).source == MediaFile.Source.DIRECT_URL


def test_waha_with_its_api_key(env) -> None:
    client = env.clients["waha"]
    client.gateway_url, client.gateway_api_key = env.server.base, "waha-key-456"
    client.save()
    payload = fresh(fixture("waha", "message_image"))
    payload["payload"]["media"]["url"] = env.server.route("/api/files/a.jpeg", Reply(200, PLAIN))
    post(env, "waha", payload)
    fetch_all()
    assert_stored(env)
    assert env.server.seen[0].headers["X-Api-Key"] == "waha-key-456"


def test_meta_expired_url_requested_again_from_the_media_id(env) -> None:
    client = env.clients["meta_cloud"]
    client.meta_access_token = "EAAG-test-token"
    client.save()
    payload = fresh(fixture("meta_cloud", "image"))
    image = payload["entry"][0]["changes"][0]["value"]["messages"][0]["image"]
    image["url"] = env.server.route("/expired", Reply(404, b"{}"))
    fresh_url = env.server.route("/fresh?mid=1", Reply(200, PLAIN))
    env.server.route(
        f"/v21.0/{image['id']}",
        Reply(200, json.dumps({"url": fresh_url, "mime_type": "image/jpeg"}).encode()),
    )
    post(env, "meta_cloud", payload)
    fetch_all()
    assert assert_stored(env).source == MediaFile.Source.META_GRAPH
    assert [s.path for s in env.server.seen] == [
        "/expired",
        f"/v21.0/{image['id']}",
        "/fresh?mid=1",
    ]
    assert all(s.headers["Authorization"] == "Bearer EAAG-test-token" for s in env.server.seen)


def test_meta_media_id_older_than_7_days_is_expired_plainly(env) -> None:
    client = env.clients["meta_cloud"]
    client.meta_access_token = "EAAG-test-token"
    client.save()
    post(env, "meta_cloud", fixture("meta_cloud", "image"))  # 2025: long expired
    fetch_all()
    media = only_media()
    assert media.state == MediaFile.State.EXPIRED
    assert "7 dias" in media.last_error
    assert env.server.seen == []


def test_meta_without_token_fails_with_the_reason(env) -> None:
    post(env, "meta_cloud", fresh(fixture("meta_cloud", "image")))
    fetch_all()
    media = only_media()
    assert media.state == MediaFile.State.FAILED and "token" in media.last_error


# --- hostile or broken sources ---


def test_mac_mismatch_is_failed_and_nothing_stored(env) -> None:
    payload = cdn_payload(env, "baileys_sample", "image", where="url")
    blob = bytearray(env.server.routes["/cdn/file.enc"][0].body)
    blob[5] ^= 0xFF
    env.server.route("/cdn/file.enc", Reply(200, bytes(blob)))
    payload["message"]["imageMessage"]["fileEncSha256"] = ""
    payload["msgContent"]["imageMessage"]["fileEncSha256"] = ""
    post(env, "baileys_sample", payload)
    fetch_all()
    media = only_media()
    assert media.state == MediaFile.State.FAILED
    assert "MAC" in media.last_error and media.attempts == 1
    assert stored_files(env) == []


def test_file_hash_mismatch_is_failed(env) -> None:
    payload = cdn_payload(env, "baileys_sample", "image", where="url")
    for proto in _protos(payload):
        proto["imageMessage"]["fileSha256"] = base64.b64encode(b"\1" * 32).decode()
    post(env, "baileys_sample", payload)
    fetch_all()
    assert "fileSha256" in only_media().last_error
    assert stored_files(env) == []


@pytest.mark.parametrize("status", [404, 500, 503])
def test_not_found_and_server_errors_retried_then_failed(env, settings, status) -> None:
    settings.WEBHOOK_MEDIA_ALLOWED_HOSTS = ["127.0.0.1"]
    payload = fresh(fixture("zapi", "image"))
    payload["image"]["imageUrl"] = env.server.route("/gone.jpeg", Reply(status, b"no"))
    post(env, "zapi", payload)
    fetch_all()
    media = only_media()
    assert media.state == MediaFile.State.FAILED
    assert media.attempts == 3 and f"HTTP {status}" in media.last_error
    assert len(env.server.seen) == 3


def test_retry_waits_its_backoff(env, settings) -> None:
    settings.WEBHOOK_MEDIA_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.WEBHOOK_MEDIA_RETRY_BASE_SECONDS = 60
    payload = fresh(fixture("zapi", "image"))
    payload["image"]["imageUrl"] = env.server.route("/flaky.jpeg", Reply(503), Reply(200, PLAIN))
    post(env, "zapi", payload)
    fetch_all()
    media = only_media()
    assert media.state == MediaFile.State.PENDING and media.attempts == 1
    assert media.next_attempt_at is not None and len(env.server.seen) == 1
    MediaFile.objects.update(next_attempt_at=None)  # time passes
    fetch_all()
    assert_stored(env)


@pytest.mark.parametrize("declared", [True, False])
def test_oversize_refused_without_a_file(env, settings, declared) -> None:
    settings.WEBHOOK_MEDIA_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.WEBHOOK_MEDIA_MAX_BYTES = 100_000
    big = Reply(200, lambda: (b"\0" * 10_000 for _ in range(50)), length=False)
    if declared:
        big = Reply(200, b"\0" * 200_000)
    payload = fresh(fixture("zapi", "image"))
    payload["image"]["imageUrl"] = env.server.route("/big.jpeg", big)
    post(env, "zapi", payload)
    fetch_all()
    media = only_media()
    assert media.state == MediaFile.State.FAILED and "grande demais" in media.last_error
    assert media.attempts == 1 and stored_files(env) == []


def test_slow_server_times_out(env, settings) -> None:
    settings.WEBHOOK_MEDIA_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.WEBHOOK_MEDIA_MAX_ATTEMPTS = 1
    slow = Reply(200, lambda: iter([b"\xff\xd8\xff", b"more"]), delay=2.5, length=False)
    payload = fresh(fixture("zapi", "image"))
    payload["image"]["imageUrl"] = env.server.route("/slow.jpeg", slow)
    post(env, "zapi", payload)
    started = time.monotonic()
    fetch_all()
    assert time.monotonic() - started < 4
    media = only_media()
    assert media.state == MediaFile.State.FAILED and "interrompido" in media.last_error
    assert stored_files(env) == []


@pytest.mark.parametrize(
    "target",
    ["http://10.0.0.7/x.jpeg", "http://169.254.169.254/latest/meta-data/", "file:///etc/passwd"],
)
def test_redirect_to_a_private_address_refused(env, settings, target) -> None:
    settings.WEBHOOK_MEDIA_ALLOWED_HOSTS = ["127.0.0.1", "10.0.0.7", "169.254.169.254"]
    payload = fresh(fixture("zapi", "image"))
    payload["image"]["imageUrl"] = env.server.route("/r", Reply(302, headers={"Location": target}))
    post(env, "zapi", payload)
    fetch_all()
    media = only_media()
    assert media.state == MediaFile.State.FAILED and media.attempts == 1
    assert "não permitido" in media.last_error or "recusada" in media.last_error


def test_a_host_outside_the_family_list_is_refused(env) -> None:
    payload = fresh(fixture("zapi", "image"))
    payload["image"]["imageUrl"] = env.server.route("/x.jpeg", Reply(200, PLAIN))
    post(env, "zapi", payload)  # 127.0.0.1 is not storage.z-api.io
    fetch_all()
    assert "host não permitido" in only_media().last_error
    assert env.server.seen == []


def test_private_address_refused_unless_its_network_is_allowed(env, settings) -> None:
    settings.WEBHOOK_MEDIA_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.WEBHOOK_MEDIA_ALLOWED_NETWORKS = []
    payload = fresh(fixture("zapi", "image"))
    payload["image"]["imageUrl"] = env.server.route("/x.jpeg", Reply(200, PLAIN))
    post(env, "zapi", payload)
    fetch_all()
    assert "endereço não permitido" in only_media().last_error
    assert env.server.seen == []


# --- idempotency: the raw events stay the source of truth ---


def test_same_media_delivered_twice_is_one_row_and_one_file(env) -> None:
    payload = cdn_payload(env, "baileys_sample", "image", where="url")
    post(env, "baileys_sample", payload)
    fetch_all()
    post(env, "baileys_sample", payload)  # the gateway retried
    fetch_all()
    assert MediaFile.objects.count() == 1
    assert len(env.server.seen) == 1
    other = copy.deepcopy(payload)
    other["key"]["id"] = "BAE5C81D2F6A4E03"  # the same photo in another message
    post(env, "baileys_sample", other)
    fetch_all()
    assert MediaFile.objects.filter(state="stored").count() == 2
    names = set(MediaFile.objects.values_list("storage_name", flat=True))
    assert len(names) == 1
    assert len([p for p in stored_files(env) if ".thumb." not in p.name]) == 1


def test_replaying_the_event_never_downloads_again(env) -> None:
    from webhook.models import WebhookEvent
    from webhook.services.replay import events_reprocess

    post(env, "baileys_sample", cdn_payload(env, "baileys_sample", "image", where="url"))
    fetch_all()
    events_reprocess(queryset=WebhookEvent.objects.all())
    fetch_all()
    assert len(env.server.seen) == 1
    assert only_media().state == MediaFile.State.STORED


def test_evolution_s3_copy_is_a_plain_download(env, settings) -> None:
    settings.WEBHOOK_MEDIA_ALLOWED_HOSTS = ["127.0.0.1"]  # stands in for the instance's S3
    settings.WEBHOOK_WHATSAPP_CDN_URL = "https://mmg.whatsapp.net"  # 127.0.0.1 is the S3 here
    payload = fresh(fixture("evolution", "audio"))
    payload["data"]["message"]["mediaUrl"] = env.server.route(
        "/s3/a.ogg", Reply(200, b"OggS" + b"\0" * 500)
    )
    post(env, "evolution", payload)
    fetch_all()
    media = assert_stored(env, b"OggS" + b"\0" * 500)
    assert media.source == MediaFile.Source.DIRECT_URL and media.sniffed_mimetype == "audio/ogg"


def test_waha_localhost_file_url_is_fetched_from_the_clients_server(env) -> None:
    client = env.clients["waha"]
    client.gateway_url, client.gateway_api_key = env.server.base, "k"
    client.save()
    env.server.route("/api/files/atendimento/x.jpeg", Reply(200, PLAIN))
    payload = fresh(fixture("waha", "message_image"))
    payload["payload"]["media"]["url"] = "http://localhost:3000/api/files/atendimento/x.jpeg"
    post(env, "waha", payload)
    fetch_all()
    assert_stored(env)


def test_a_404_for_an_old_zapi_file_means_expired(env, settings) -> None:
    settings.WEBHOOK_MEDIA_ALLOWED_HOSTS = ["127.0.0.1"]
    payload = fixture("zapi", "image")  # from 2025: past Z-API's 30 days
    payload["image"]["imageUrl"] = env.server.route("/old.jpeg", Reply(404))
    post(env, "zapi", payload)
    fetch_all()
    media = only_media()
    assert media.state == MediaFile.State.EXPIRED and media.attempts == 1
    assert "expirada" in media.last_error


@pytest.mark.django_db(transaction=True)
def test_bounded_concurrency_with_a_connection_per_worker(env) -> None:
    blobs = []
    for index in range(8):
        plain = jpeg((32, 32), color=(index * 30, 0, 0))
        payload = cdn_payload(env, "baileys_sample", "image", plain, where="url")
        enc_path = f"/cdn/{index}.enc"
        env.server.route(enc_path, env.server.routes["/cdn/file.enc"][0])
        for proto in _protos(payload):
            proto["imageMessage"]["url"] = env.server.base + enc_path
        payload["key"]["id"] = f"CONC{index}"
        post(env, "baileys_sample", payload)
        blobs.append(plain)
    loop.run(threading.Event(), once=True, concurrency=4)
    states = list(MediaFile.objects.values_list("state", flat=True))
    assert states == ["stored"] * 8
    assert len(set(MediaFile.objects.values_list("sha256", flat=True))) == 8


@pytest.mark.parametrize("form", [False, True], ids=["json", "form"])
def test_wuzapi_inline_base64_read_from_the_raw_event(env, form) -> None:
    payload = copy.deepcopy(fixture("wuzapi", "image"))
    payload["event"]["Info"]["Timestamp"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    payload["base64"] = base64.b64encode(PLAIN).decode()
    token = env.clients["wuzapi"].webhook_token
    if form:
        body, content_type = wuzapi_form(payload, token=token)
        response = HttpClient().post("/webhook/", body, content_type=content_type)
        assert response.status_code == 200, response.content
    else:
        post(env, "wuzapi", payload)
    fetch_all()
    assert assert_stored(env).source == MediaFile.Source.INLINE_BASE64
    assert env.server.seen == []


def test_ultramsg_media_url_is_a_plain_download(env, settings) -> None:
    settings.WEBHOOK_MEDIA_ALLOWED_HOSTS = ["127.0.0.1"]  # stands in for UltraMsg's storage
    settings.WEBHOOK_WHATSAPP_CDN_URL = "https://mmg.whatsapp.net"
    payload = fresh(fixture("ultramsg", "image"))
    payload["data"]["media"] = env.server.route("/ultramsgmedia/a.jpg", Reply(200, PLAIN))
    post(env, "ultramsg", payload)
    fetch_all()
    media = assert_stored(env)
    assert media.source == MediaFile.Source.DIRECT_URL and media.sniffed_mimetype == "image/jpeg"
