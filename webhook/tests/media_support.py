"""Test support for media: a fake HTTP server on 127.0.0.1 and an independent WhatsApp
media encryption (RFC 5869 HKDF written out with hmac, not the code under test)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

INFO = {
    "image": b"WhatsApp Image Keys",
    "sticker": b"WhatsApp Image Keys",
    "video": b"WhatsApp Video Keys",
    "audio": b"WhatsApp Audio Keys",
    "document": b"WhatsApp Document Keys",
}


def hkdf_sha256(key: bytes, info: bytes, length: int) -> bytes:
    prk = hmac.new(b"\0" * 32, key, hashlib.sha256).digest()
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


@dataclass
class Encrypted:
    blob: bytes  # what the CDN serves
    media_key: str  # base64, as in the payload
    file_sha256: str
    file_enc_sha256: str


def encrypt(plain: bytes, media_type: str, media_key: bytes | None = None) -> Encrypted:
    key = media_key or hashlib.sha256(plain + media_type.encode()).digest()
    expanded = hkdf_sha256(key, INFO[media_type], 112)
    iv, cipher_key, mac_key = expanded[:16], expanded[16:48], expanded[48:80]
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plain) + padder.finalize()
    encryptor = Cipher(algorithms.AES(cipher_key), modes.CBC(iv)).encryptor()
    cipher = encryptor.update(padded) + encryptor.finalize()
    mac = hmac.new(mac_key, iv + cipher, hashlib.sha256).digest()[:10]
    blob = cipher + mac
    b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731
    return Encrypted(
        blob=blob,
        media_key=b64(key),
        file_sha256=b64(hashlib.sha256(plain).digest()),
        file_enc_sha256=b64(hashlib.sha256(blob).digest()),
    )


def jpeg(size: tuple[int, int] = (64, 48), color: str = "red") -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG")
    return out.getvalue()


@dataclass
class Reply:
    status: int = 200
    body: bytes | Callable[[], object] = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before each body chunk (a slow server)
    length: bool = True  # send Content-Length


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class FakeServer:
    """Routes: path (with query) -> list of replies, served in order, the last one repeated."""

    def __init__(self) -> None:
        self.routes: dict[str, list[Reply]] = {}
        self.seen: list[Seen] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            timeout = 10

            def log_message(self, *args) -> None:  # quiet
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                outer.seen.append(Seen(self.command, self.path, dict(self.headers), body))
                replies = outer.routes.get(self.path) or [Reply(404, b"not found")]
                reply = replies.pop(0) if len(replies) > 1 else replies[0]
                data = reply.body() if callable(reply.body) else reply.body
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if reply.length and isinstance(data, bytes):
                    self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                chunks = [data] if isinstance(data, bytes) else data
                try:
                    for chunk in chunks:
                        if reply.delay:
                            time.sleep(reply.delay)
                        self.wfile.write(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                self.close_connection = True

            do_GET = do_POST = _serve

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def route(self, path: str, *replies: Reply) -> str:
        self.routes[path] = list(replies)
        return self.base + path

    def __enter__(self) -> FakeServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)
