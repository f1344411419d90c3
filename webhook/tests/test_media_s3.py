"""S3-compatible storage (django-storages) against moto's local S3 server on 127.0.0.1."""

from __future__ import annotations

import socket
import threading

import pytest
from django.urls import reverse

from webhook.media import loop
from webhook.models import MediaFile
from webhook.tests import test_media_fetch
from webhook.tests.media_support import Reply
from webhook.tests.test_media_fetch import PLAIN, fixture, fresh, only_media, post

pytestmark = pytest.mark.django_db
env = test_media_fetch.env
BUCKET = "multichat-midias-test"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def s3(env, settings, monkeypatch):
    boto3 = pytest.importorskip("boto3")
    moto_server = pytest.importorskip("moto.server")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "test")
    port = _free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        api = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
        api.create_bucket(Bucket=BUCKET)
        settings.STORAGES = {
            **settings.STORAGES,
            "webhook_media": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {
                    "bucket_name": BUCKET,
                    "endpoint_url": endpoint,
                    "region_name": "us-east-1",
                    "access_key": "test",
                    "secret_key": "test",
                    "file_overwrite": True,
                },
            },
        }
        yield api
    finally:
        server.stop()


def test_fetched_file_lands_in_s3_and_is_served_with_range(
    s3, env, settings, client, django_user_model
):
    settings.WEBHOOK_MEDIA_ALLOWED_HOSTS = ["127.0.0.1"]
    payload = fresh(fixture("zapi", "image"))
    payload["image"]["imageUrl"] = env.server.route("/s3.jpeg", Reply(200, PLAIN))
    post(env, "zapi", payload)
    loop.run(threading.Event(), once=True, concurrency=1)
    media = only_media()
    assert media.state == MediaFile.State.STORED, media.last_error
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert media.storage_name in keys and media.thumbnail_name in keys
    assert s3.get_object(Bucket=BUCKET, Key=media.storage_name)["Body"].read() == PLAIN
    assert not env.root.exists() or not any(env.root.rglob("*.jpg"))
    user = django_user_model.objects.create_user("s3op", password="x", is_staff=True)
    media.client.members.add(user)  # a member of the file's client
    client.force_login(user)
    response = client.get(reverse("webhook:media-file", args=[media.pk]), HTTP_RANGE="bytes=0-9")
    assert response.status_code == 206
    assert b"".join(response.streaming_content) == PLAIN[:10]
