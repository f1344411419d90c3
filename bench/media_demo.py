#!/usr/bin/env python
"""Media demo: every family's media fixtures posted, their files served by a local fake.

The fixtures name real hosts (mmg.whatsapp.net, lookaside.fbsbx.com, storage.z-api.io, a
WAHA server); here a fake server on 127.0.0.1 stands in for all of them, serving files the
script makes (a receipt picture, a tone, a PDF, a sticker), encrypted where WhatsApp encrypts.
Everything goes into a fresh SQLite database and media folder in ``--dir``:

    python bench/media_demo.py --dir /tmp/demo
    DATABASE_URL=sqlite:////tmp/demo/demo.sqlite3 WEBHOOK_MEDIA_ROOT=/tmp/demo/media \\
        python manage.py runserver     # then /admin/ with admin / admin
"""

from __future__ import annotations

import argparse
import base64
import copy
import io
import json
import math
import os
import struct
import sys
import threading
import time
import wave
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def receipt_jpeg(title: str, color: str) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (720, 960), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 720, 140), fill=color)
    draw.text((40, 50), title, fill="white", font_size=48)
    for row, line in enumerate(["Valor: R$ 149,90", "Para: Loja Exemplo LTDA", "29/11/2025 10:42"]):
        draw.text((40, 220 + row * 80), line, fill="black", font_size=36)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def sticker_webp() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (512, 512), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((40, 40, 472, 472), fill=(255, 200, 0, 255))
    out = io.BytesIO()
    image.save(out, "WEBP")
    return out.getvalue()


def tone_wav(seconds: float = 2.0) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        frames = (
            int(8000 * 0.3 * math.sin(2 * math.pi * 440 * i / 8000))
            for i in range(int(8000 * seconds))
        )
        wav.writeframes(b"".join(struct.pack("<h", f) for f in frames))
    return out.getvalue()


def pdf() -> bytes:
    out = io.BytesIO()
    from PIL import Image

    Image.open(io.BytesIO(receipt_jpeg("Orçamento", "#555"))).save(out, "PDF")
    return out.getvalue()


def setup_env(directory: Path, base: str) -> None:
    os.environ.update(
        DATABASE_URL=f"sqlite:///{directory / 'demo.sqlite3'}",
        WEBHOOK_MEDIA_ROOT=str(directory / "media"),
        WEBHOOK_WHATSAPP_CDN_URL=base,
        WEBHOOK_META_GRAPH_URL=base + "/v21.0",
        WEBHOOK_MEDIA_ALLOWED_HOSTS="127.0.0.1",
        WEBHOOK_MEDIA_ALLOWED_NETWORKS="127.0.0.1/32",
        WEBHOOK_FALLBACK_CLIENT="false",
        WEBHOOK_APPLY_MODE="inline",
        WEBHOOK_LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="django_project.settings",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", required=True, help="pasta nova para o banco e as mídias")
    args = parser.parse_args()
    directory = Path(args.dir).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    from webhook.tests.media_support import FakeServer

    with FakeServer() as server:
        setup_django(directory, server.base)
        from webhook.media import loop

        send = sender(demo_clients(server))
        post_encrypted(server, send)
        post_fetched(server, send)
        loop.run(threading.Event(), once=True, concurrency=2)
        time.sleep(0.1)
        print_media()


def setup_django(directory: Path, base: str) -> None:
    """Django on the demo's database (migrated, with admin / admin), media fetched from ``base``."""
    setup_env(directory, base)
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.core.management import call_command

    from webhook.tests.helpers import META_APP_SECRET

    settings.WEBHOOK_META_APP_SECRET = META_APP_SECRET
    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    if not User.objects.filter(username="admin").exists():
        User.objects.create_superuser("admin", "admin@example.com", "admin")


def demo_clients(server) -> dict:
    """A client per family; WAHA's and Meta's with what fetching their files needs."""
    from webhook.models import Client
    from webhook.tests.test_media_fetch import INSTANCES

    clients = {}
    for family, iid in INSTANCES.items():
        clients[family], _ = Client.objects.get_or_create(
            instance_id=iid, defaults={"name": f"Demo {family}"}
        )
    clients["waha"].gateway_url, clients["waha"].gateway_api_key = server.base, "demo-waha"
    clients["waha"].save()
    clients["meta_cloud"].meta_access_token = "demo-meta-token"
    clients["meta_cloud"].save()
    return clients


def sender(clients: dict):
    """send(family, payload): posted to Django's /webhook/ with the client's credentials."""
    from django.test import Client as HttpClient

    from webhook.tests.helpers import credentials_for

    def send(family: str, payload: dict) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode()
        headers = credentials_for(family, body, clients[family].webhook_token)
        extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
        reply = HttpClient().post("/webhook/", body, content_type="application/json", **extra)
        print(f"{family:15} {reply.status_code}")

    return send


def post_encrypted(server, send) -> None:
    """The fixtures whose files WhatsApp encrypts: each file encrypted, served, its keys set."""
    from webhook.tests.helpers import fixture
    from webhook.tests.media_support import Reply, encrypt
    from webhook.tests.test_media_fetch import fresh

    def cdn(family: str, name: str, kind: str, plain: bytes, holders) -> None:
        enc = encrypt(plain, kind.replace("Message", ""))
        path = f"/cdn/{family}-{name}.enc"
        server.route(path, Reply(200, enc.blob))
        payload = fresh(copy.deepcopy(fixture(family, name)))
        for holder in holders(payload):
            body = holder[kind + "Message"]
            body.update(mediaKey=enc.media_key, fileSha256=enc.file_sha256)
            body.update(fileEncSha256=enc.file_enc_sha256, url=server.base + path)
        send(family, payload)

    baileys = lambda p: [p["message"], p["msgContent"]]  # noqa: E731
    cdn("baileys_sample", "image", "image", receipt_jpeg("Comprovante Pix", "#0a7"), baileys)
    cdn("baileys_sample", "document", "document", pdf(), baileys)
    cdn("wapi", "audio", "audio", tone_wav(), lambda p: [p["msgContent"]])
    cdn("evolution", "document", "document", pdf(), lambda p: [p["data"]["message"]])


def post_fetched(server, send) -> None:
    """The other sources: inline base64, plain URLs, Meta's media id, and a failing download."""
    from webhook.tests.helpers import fixture
    from webhook.tests.media_support import Reply
    from webhook.tests.test_media_fetch import fresh

    payload = fresh(fixture("evolution", "image_base64"))
    payload["data"]["message"]["base64"] = base64.b64encode(
        receipt_jpeg("Foto do produto", "#a50")
    ).decode()
    send("evolution", payload)
    payload = fresh(fixture("zapi", "sticker"))
    payload["sticker"]["stickerUrl"] = server.route(
        "/zapi/sticker.webp", Reply(200, sticker_webp())
    )
    send("zapi", payload)
    payload = fresh(fixture("waha", "message_video"))
    fake_mp4 = b"\0\0\0\x18ftypmp42" + b"\0" * 2000
    payload["payload"]["media"]["url"] = server.route("/api/files/v.mp4", Reply(200, fake_mp4))
    send("waha", payload)
    payload = fresh(fixture("meta_cloud", "image"))
    message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    message["image"]["url"] = server.route("/expired", Reply(404))
    fresh_url = server.route("/lookaside?mid=1", Reply(200, receipt_jpeg("Cloud API", "#36c")))
    server.route(
        f"/v21.0/{message['image']['id']}", Reply(200, json.dumps({"url": fresh_url}).encode())
    )
    send("meta_cloud", payload)
    payload = fresh(fixture("zapi", "image"))
    payload["image"]["imageUrl"] = server.route("/zapi/missing.jpeg", Reply(403))
    send("zapi", payload)  # a failure, visible with its reason


def print_media() -> None:
    from webhook.models import MediaFile

    for media in MediaFile.objects.select_related("message").order_by("pk"):
        print(
            f"#{media.pk} msg {media.message_id} {media.family:15} {media.media_type:9}"
            f" {media.state:8} {media.size or '':>7} {media.last_error}"
        )


if __name__ == "__main__":
    main()
