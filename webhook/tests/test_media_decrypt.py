"""WhatsApp media decryption against an independent encryption written in the test."""

from __future__ import annotations

import base64
import io
import os

import pytest

from webhook.media import decrypt
from webhook.tests.media_support import encrypt


@pytest.mark.parametrize("media_type", ["image", "video", "audio", "document", "sticker"])
@pytest.mark.parametrize("size", [0, 1, 15, 16, 17, 200_001])
def test_decrypts_what_the_independent_encryption_made(media_type: str, size: int) -> None:
    plain = os.urandom(size)
    enc = encrypt(plain, media_type)
    out = io.BytesIO()
    got_size, sha = decrypt.decrypt_file(
        io.BytesIO(enc.blob),
        out,
        media_key=base64.b64decode(enc.media_key),
        media_type=media_type,
        file_enc_sha256=base64.b64decode(enc.file_enc_sha256),
        file_sha256=base64.b64decode(enc.file_sha256),
    )
    assert out.getvalue() == plain
    assert got_size == size


def test_stickers_use_the_image_keys_and_other_types_do_not() -> None:
    enc = encrypt(b"webp bytes", "image")
    key = base64.b64decode(enc.media_key)
    out = io.BytesIO()
    decrypt.decrypt_file(io.BytesIO(enc.blob), out, media_key=key, media_type="sticker")
    assert out.getvalue() == b"webp bytes"
    with pytest.raises(decrypt.MediaIntegrityError, match="MAC"):
        decrypt.decrypt_file(io.BytesIO(enc.blob), io.BytesIO(), media_key=key, media_type="video")


def test_a_flipped_byte_is_a_mac_mismatch_and_nothing_is_written() -> None:
    enc = encrypt(b"x" * 1000, "document")
    blob = bytearray(enc.blob)
    blob[100] ^= 1
    out = io.BytesIO()
    with pytest.raises(decrypt.MediaIntegrityError, match="MAC"):
        decrypt.decrypt_file(
            io.BytesIO(bytes(blob)),
            out,
            media_key=base64.b64decode(enc.media_key),
            media_type="document",
        )
    assert out.getvalue() == b""


def test_enc_and_plain_hash_mismatches_are_refused() -> None:
    enc = encrypt(b"y" * 100, "audio")
    key = base64.b64decode(enc.media_key)
    with pytest.raises(decrypt.MediaIntegrityError, match="fileEncSha256"):
        decrypt.decrypt_file(
            io.BytesIO(enc.blob), io.BytesIO(), media_key=key, media_type="audio",
            file_enc_sha256=b"\0" * 32,
        )  # fmt: skip
    with pytest.raises(decrypt.MediaIntegrityError, match="fileSha256"):
        decrypt.decrypt_file(
            io.BytesIO(enc.blob), io.BytesIO(), media_key=key, media_type="audio",
            file_sha256=b"\0" * 32,
        )  # fmt: skip


def test_bad_key_and_truncated_file() -> None:
    with pytest.raises(decrypt.MediaIntegrityError, match="32"):
        decrypt.expand_key(b"short", "image")
    enc = encrypt(b"z" * 64, "image")
    with pytest.raises(decrypt.MediaIntegrityError, match="tamanho"):
        decrypt.decrypt_file(
            io.BytesIO(enc.blob[:-3]), io.BytesIO(),
            media_key=base64.b64decode(enc.media_key), media_type="image",
        )  # fmt: skip


def test_key_encodings() -> None:
    raw = bytes(range(32))
    assert decrypt.b64_bytes(base64.b64encode(raw).decode()) == raw
    assert decrypt.b64_bytes(base64.urlsafe_b64encode(raw).decode().rstrip("=")) == raw
    assert decrypt.b64_bytes(raw.hex()) == raw
