"""Serving stored media (permissions, Range, headers), the admin and the fetch command."""

from __future__ import annotations

import io
import threading

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client as HttpClient
from django.urls import reverse

from webhook.media import loop
from webhook.models import MediaFile
from webhook.tests import test_media_fetch
from webhook.tests.media_support import Reply
from webhook.tests.test_media_fetch import PLAIN, cdn_payload, fixture, fresh, only_media, post

pytestmark = pytest.mark.django_db
env = test_media_fetch.env  # the fake servers and media folder fixture


@pytest.fixture
def staff(db) -> HttpClient:
    user = User.objects.create_user("op", password="x", is_staff=True, is_superuser=True)
    client = HttpClient()
    client.force_login(user)
    return client


def stored_image(env) -> MediaFile:
    post(env, "baileys_sample", cdn_payload(env, "baileys_sample", "image", where="url"))
    loop.run(threading.Event(), once=True, concurrency=1)
    return only_media()


def stored_document(env, settings, name: str = '../../etc/Boleto "março".pdf') -> MediaFile:
    settings.WEBHOOK_MEDIA_ALLOWED_HOSTS = ["127.0.0.1"]
    payload = fresh(fixture("zapi", "document"))
    payload["document"]["documentUrl"] = env.server.route(
        "/doc.pdf", Reply(200, b"%PDF-1.4 fake", {"Content-Type": "text/html"})
    )
    payload["document"]["fileName"] = name
    post(env, "zapi", payload)
    loop.run(threading.Event(), once=True, concurrency=1)
    return only_media()


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_staff_gets_the_file_with_safe_headers(env, staff) -> None:
    media = stored_image(env)
    response = staff.get(reverse("webhook:media-file", args=[media.pk]))
    assert response.status_code == 200 and body(response) == PLAIN
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Disposition"].startswith("inline")


def test_range_requests_for_seeking(env, staff) -> None:
    media = stored_image(env)
    url = reverse("webhook:media-file", args=[media.pk])
    part = staff.get(url, HTTP_RANGE="bytes=10-19")
    assert part.status_code == 206 and body(part) == PLAIN[10:20]
    assert part["Content-Range"] == f"bytes 10-19/{len(PLAIN)}"
    tail = staff.get(url, HTTP_RANGE="bytes=-5")
    assert body(tail) == PLAIN[-5:]
    beyond = staff.get(url, HTTP_RANGE=f"bytes={len(PLAIN) + 10}-")
    assert beyond.status_code == 416


def test_anonymous_and_non_staff_users_see_nothing(env) -> None:
    media = stored_image(env)
    url = reverse("webhook:media-file", args=[media.pk])
    anonymous = HttpClient().get(url)
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]
    user = User.objects.create_user("guest", password="x")
    other = HttpClient()
    other.force_login(user)
    assert other.get(url).status_code == 404


def test_thumbnail_is_a_small_webp(env, staff) -> None:
    from PIL import Image

    media = stored_image(env)
    response = staff.get(reverse("webhook:media-thumb", args=[media.pk]))
    assert response["Content-Type"] == "image/webp"
    with Image.open(io.BytesIO(body(response))) as image:
        assert max(image.size) <= 320


def test_document_is_an_attachment_with_a_sanitised_name(env, settings, staff) -> None:
    media = stored_document(env, settings)
    assert media.state == MediaFile.State.STORED
    assert media.sniffed_mimetype == "application/pdf"
    assert ".." not in media.storage_name and "etc" not in media.storage_name
    response = staff.get(reverse("webhook:media-file", args=[media.pk]))
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "/" not in disposition.split("filename=", 1)[1].split(";")[0]
    assert 'filename="Boleto _mar_o_.pdf"' in disposition or "Boleto" in disposition
    assert response["X-Content-Type-Options"] == "nosniff"


def test_html_claiming_file_is_never_served_as_html(env, settings, staff) -> None:
    settings.WEBHOOK_MEDIA_ALLOWED_HOSTS = ["127.0.0.1"]
    payload = fresh(fixture("zapi", "document"))
    payload["document"]["documentUrl"] = env.server.route(
        "/evil", Reply(200, b"<html><script>alert(1)</script></html>")
    )
    payload["document"]["mimeType"] = "text/html"
    post(env, "zapi", payload)
    loop.run(threading.Event(), once=True, concurrency=1)
    media = only_media()
    response = staff.get(reverse("webhook:media-file", args=[media.pk]))
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")


def test_message_admin_page_shows_the_media(env, settings, staff) -> None:
    media = stored_image(env)
    page = staff.get(reverse("admin:webhook_message_change", args=[media.message_id]))
    assert reverse("webhook:media-thumb", args=[media.pk]).encode() in page.content
    assert b"<img" in page.content


def test_admin_lists_failures_with_reason_and_fetches_again(env, settings, staff) -> None:
    settings.WEBHOOK_MEDIA_ALLOWED_HOSTS = ["127.0.0.1"]
    payload = fresh(fixture("zapi", "image"))
    payload["image"]["imageUrl"] = env.server.route(
        "/later.jpeg", Reply(403, b"no"), Reply(200, PLAIN)
    )
    post(env, "zapi", payload)
    loop.run(threading.Event(), once=True, concurrency=1)
    media = only_media()
    assert media.state == MediaFile.State.FAILED
    listing = staff.get(reverse("admin:webhook_mediafile_changelist") + "?state__exact=failed")
    assert b"HTTP 403" in listing.content
    staff.post(
        reverse("admin:webhook_mediafile_changelist"),
        {"action": "fetch_again", "_selected_action": [media.pk]},
    )
    assert only_media().state == MediaFile.State.PENDING
    loop.run(threading.Event(), once=True, concurrency=1)
    assert only_media().state == MediaFile.State.STORED


def test_client_credentials_are_never_rendered_back(env, staff) -> None:
    client = env.clients["waha"]
    client.gateway_api_key, client.meta_access_token = "waha-secret-789", "EAAG-secret-000"
    client.save()
    page = staff.get(reverse("admin:webhook_client_change", args=[client.pk]))
    assert page.status_code == 200
    assert b"waha-secret-789" not in page.content and b"EAAG-secret-000" not in page.content
    form = {
        "name": client.name,
        "instance_id": client.instance_id,
        "active": "on",
        "webhook_token": client.webhook_token,
        "require_token": "unknown",
        "gateway_url": "https://waha.example.com",
        "meta_app_secret": "",
        "meta_access_token": "",
        "gateway_api_key": "",
        "notes": "",
    }
    response = staff.post(reverse("admin:webhook_client_change", args=[client.pk]), form)
    assert response.status_code == 302, response.content[:2000]
    client.refresh_from_db()
    assert client.gateway_api_key == "waha-secret-789"  # blank keeps the stored one
    assert client.gateway_url == "https://waha.example.com"


def test_fetch_command_retries_failed_ones(env, settings) -> None:
    settings.WEBHOOK_MEDIA_ALLOWED_HOSTS = ["127.0.0.1"]
    payload = fresh(fixture("zapi", "image"))
    payload["image"]["imageUrl"] = env.server.route("/c.jpeg", Reply(403), Reply(200, PLAIN))
    post(env, "zapi", payload)
    out = io.StringIO()
    call_command("webhook_fetch_media", "--concurrency", "1", stdout=out, stderr=io.StringIO())
    assert only_media().state == MediaFile.State.FAILED
    call_command(
        "webhook_fetch_media",
        "--failed",
        "--client",
        "3D2B1A0C9E8F7A6B5C4D",
        "--since",
        "2020-01-01",
        "--concurrency",
        "1",
        stdout=out,
        stderr=io.StringIO(),
    )
    assert only_media().state == MediaFile.State.STORED
    assert "guardada: 1" in out.getvalue()


def test_fetch_command_unknown_client(env) -> None:
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="Cliente"):
        call_command("webhook_fetch_media", "--client", "nope")


def test_status_page_counts_media(env, staff) -> None:
    stored_image(env)
    response = staff.get("/webhook/status/", HTTP_ACCEPT="application/json")
    data = response.json()
    assert data["media"]["stored"] == 1 and data["media"]["failed"] == 0


def test_huge_images_get_no_thumbnail_but_are_stored(env, settings, monkeypatch) -> None:
    from webhook.media import storage

    monkeypatch.setattr(storage, "THUMBNAIL_MAX_PIXELS", 100)
    media = stored_image(env)
    assert media.state == MediaFile.State.STORED and media.thumbnail_name == ""


def test_credentials_stay_out_of_the_read_api_and_status(env, settings) -> None:
    settings.WEBHOOK_API_TOKEN = "t" * 40
    client = env.clients["baileys_sample"]
    client.gateway_api_key, client.meta_access_token = "gw-secret-111", "EAAG-secret-222"
    client.gateway_url = "https://gw.example.com"
    client.save()
    stored_image(env)
    auth = {"HTTP_AUTHORIZATION": "Bearer " + "t" * 40}
    for url in ("/webhook/messages/", "/webhook/events/", "/webhook/status/"):
        response = HttpClient().get(url, HTTP_ACCEPT="application/json", **auth)
        assert response.status_code == 200
        assert b"gw-secret-111" not in response.content
        assert b"EAAG-secret-222" not in response.content


def test_fetch_loop_thread_is_off_when_disabled(settings) -> None:
    settings.WEBHOOK_MEDIA_FETCH = False
    assert loop.start_thread(threading.Event()) is None


def test_read_api_says_where_the_file_is(env, settings) -> None:
    settings.WEBHOOK_API_TOKEN = "t" * 40
    media = stored_image(env)
    response = HttpClient().get("/webhook/messages/", HTTP_AUTHORIZATION="Bearer " + "t" * 40)
    (item,) = response.json()["results"]
    assert item["media_state"] == "stored"
    assert item["media_file_url"] == reverse("webhook:media-file", args=[media.pk])
    assert item["media_size"] == len(PLAIN)
