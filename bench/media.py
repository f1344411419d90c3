#!/usr/bin/env python
"""`make bench` (media part): fetching speed and memory, against a local fake WhatsApp CDN.

1. files/s fetching, decrypting and storing 1,000 encrypted 200 KB images (each different)
   with the fetch loop's bounded concurrency;
2. RSS growth of this process while fetching one 100 MB file (must stay under 50 MB: the
   download streams to disk, decryption streams file to file).
The CDN runs in a subprocess (it encrypts on the fly), SQLite and the media folder in a
temporary directory. Prints a small Markdown table.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SMALL = 200 * 1024
BIG = 100 * 1000 * 1000


def media_key(index: int) -> bytes:
    return hashlib.sha256(b"bench-key-%d" % index).digest()


def _keys(index: int, media_type: str):
    from webhook.tests.media_support import INFO, hkdf_sha256

    expanded = hkdf_sha256(media_key(index), INFO[media_type], 112)
    return expanded[:16], expanded[16:48], expanded[48:80]


def encrypted_chunks(index: int, size: int, media_type: str):
    """The CDN file for ``index``: AES-256-CBC of deterministic bytes, then the 10-byte MAC."""
    import hmac

    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    iv, cipher_key, mac_key = _keys(index, media_type)
    encryptor = Cipher(algorithms.AES(cipher_key), modes.CBC(iv)).encryptor()
    padder = padding.PKCS7(128).padder()
    mac = hmac.new(mac_key, iv, hashlib.sha256)
    rng = random.Random(index)
    left = size
    while left > 0:
        n = min(1024 * 1024, left)
        left -= n
        out = encryptor.update(padder.update(b"\xff\xd8\xff" + rng.randbytes(n - 3)))
        mac.update(out)
        yield out
    out = encryptor.update(padder.finalize()) + encryptor.finalize()
    mac.update(out)
    yield out + mac.digest()[:10]


def serve(port_file: str) -> None:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            kind, _, index = self.path.strip("/").partition("/")
            size = BIG if kind == "big" else SMALL
            self.send_response(200)
            self.end_headers()
            media_type = "document" if kind == "big" else "image"
            for chunk in encrypted_chunks(int(index.split(".")[0]), size, media_type):
                self.wfile.write(chunk)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    Path(port_file).write_text(str(httpd.server_address[1]))
    httpd.serve_forever()


def rss_kb() -> int:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def setup(tmp: Path, port: int) -> None:
    os.environ.update(
        DATABASE_URL=f"sqlite:///{tmp / 'bench.sqlite3'}",
        WEBHOOK_MEDIA_ROOT=str(tmp / "media"),
        WEBHOOK_WHATSAPP_CDN_URL=f"http://127.0.0.1:{port}",
        WEBHOOK_MEDIA_ALLOWED_NETWORKS="127.0.0.1/32",
        WEBHOOK_MEDIA_MAX_BYTES=str(BIG + 1024),
        WEBHOOK_LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="django_project.settings",
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def make_rows(count: int, kind: str, offset: int) -> list[int]:
    from django.utils import timezone

    from webhook.models import Chat, Client, MediaFile, Message

    client, _ = Client.objects.get_or_create(instance_id="bench_media", defaults={"name": "b"})
    chat, _ = Chat.objects.get_or_create(client=client, chat_id="5511900000000@s.whatsapp.net")
    now = timezone.now()
    messages = Message.objects.bulk_create(
        Message(client=client, chat=chat, external_id=f"{kind}-{i}", type="image", timestamp=now)
        for i in range(offset, offset + count)
    )
    rows = MediaFile.objects.bulk_create(
        MediaFile(
            client=client,
            message=m,
            family="baileys_sample",
            media_type="document" if kind == "big" else "image",
            source=MediaFile.Source.WHATSAPP_CDN,
            direct_path=f"/{kind}/{i}.enc",
            media_key=base64.b64encode(media_key(i)).decode(),
        )
        for i, m in zip(range(offset, offset + count), messages, strict=True)
    )
    return [r.pk for r in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    tmp = Path(tempfile.mkdtemp(prefix="multichat-media-bench-"))
    port_file = tmp / "port"
    cdn = subprocess.Popen([sys.executable, __file__, "--serve", str(port_file)])
    try:
        setup(tmp, wait_for_port(port_file))
        small = fetch_small(args.files, args.concurrency)
        big, big_elapsed, growth_mb = fetch_big()
        print_table(args, small, big, big_elapsed, growth_mb)
        if big.state != "stored" or growth_mb >= 50:
            raise SystemExit(1)
    finally:
        cdn.terminate()
        cdn.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


def wait_for_port(port_file: Path) -> int:
    """The fake CDN's port, once its subprocess has written it."""
    deadline = time.monotonic() + 20
    while not port_file.exists() or not port_file.read_text():
        if time.monotonic() > deadline:
            raise SystemExit("fake CDN did not start")
        time.sleep(0.05)
    return int(port_file.read_text())


def fetch_small(files: int, concurrency: int) -> tuple[dict, float, int, set]:
    """``files`` 200 KB images fetched with ``concurrency``: (counts, seconds, stored, errors)."""
    from webhook.media import loop
    from webhook.models import MediaFile

    ids = make_rows(files, "small", 0)
    started = time.monotonic()
    counts = loop.fetch_batch(ids, concurrency=concurrency)
    elapsed = time.monotonic() - started
    stored = MediaFile.objects.filter(pk__in=ids, state="stored").count()
    errors = set(MediaFile.objects.filter(pk__in=ids).exclude(state="stored")
                 .values_list("last_error", flat=True)[:3])  # fmt: skip
    return counts, elapsed, stored, errors


def fetch_big():
    """A 100 MB file, this process's RSS sampled while it is fetched: (row, seconds, MB grown)."""
    from webhook.media import loop
    from webhook.models import MediaFile

    (big_id,) = make_rows(1, "big", 10**6)
    before, peak, done = rss_kb(), [0], threading.Event()

    def sample() -> None:
        while not done.wait(0.02):
            peak[0] = max(peak[0], rss_kb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    big_started = time.monotonic()
    loop.fetch_batch([big_id], concurrency=1)
    big_elapsed = time.monotonic() - big_started
    done.set()
    sampler.join()
    big = MediaFile.objects.get(pk=big_id)
    return big, big_elapsed, max(peak[0] - before, 0) / 1024


def print_table(args, small, big, big_elapsed: float, growth_mb: float) -> None:
    counts, elapsed, stored, errors = small
    print("\n## Mídias (CDN falsa local, arquivos cifrados)\n")
    print("| medida | valor |\n| --- | --- |")
    print(f"| {args.files} imagens de 200 KB, concorrência {args.concurrency} | "
          f"{stored} guardadas em {elapsed:.1f} s = **{stored / elapsed:.0f} arquivos/s** |")  # fmt: skip
    print(f"| 1 arquivo de 100 MB | {big.state} em {big_elapsed:.1f} s, "
          f"RSS +{growth_mb:.1f} MB (limite 50 MB: "
          f"{'ok' if growth_mb < 50 else 'ESTOUROU'}) |")  # fmt: skip
    if counts.get("stored", 0) != args.files or errors:
        print(f"\nFalhas: {counts} {errors}")
    if big.state != "stored":
        print(f"\n100 MB: {big.last_error}")


if __name__ == "__main__":
    main()
