"""WhatsApp end-to-end media encryption, decrypted as a stream.

A media message carries a 32-byte ``mediaKey``. HKDF-SHA256 of it (no salt, the type's info
string, 112 bytes) gives the IV (16), the AES-256 key (32) and the HMAC key (32). The CDN file
is ``AES-256-CBC(plaintext, PKCS#7) + HMAC-SHA256(mac_key, iv + ciphertext)[:10]``;
``fileEncSha256`` is the SHA-256 of that whole file and ``fileSha256`` of the plaintext.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from typing import BinaryIO

from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.utils.translation import gettext as _

from webhook.exceptions import WebhookError

MAC_LENGTH = 10
CHUNK = 64 * 1024

# Message type -> HKDF info string. Stickers use the image keys.
INFO: dict[str, bytes] = {
    "image": b"WhatsApp Image Keys",
    "sticker": b"WhatsApp Image Keys",
    "video": b"WhatsApp Video Keys",
    "audio": b"WhatsApp Audio Keys",
    "document": b"WhatsApp Document Keys",
}


class MediaIntegrityError(WebhookError):
    """The file is not what the message describes: MAC or hash mismatch, bad key or padding."""


def b64_bytes(value: str) -> bytes:
    """Bytes of a base64 (standard or URL-safe, padding optional) or hex string."""
    value = value.strip()
    if len(value) == 64 and all(c in "0123456789abcdefABCDEF" for c in value):
        return bytes.fromhex(value)
    padded = value + "=" * (-len(value) % 4)
    try:
        return base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MediaIntegrityError(_("invalid base64 value")) from exc


def expand_key(media_key: bytes, media_type: str) -> tuple[bytes, bytes, bytes]:
    """(iv, cipher_key, mac_key) for this media key and message type."""
    if len(media_key) != 32:
        raise MediaIntegrityError(
            _("mediaKey with %(n)s bytes (32 expected)") % {"n": len(media_key)}
        )
    info = INFO.get(media_type, INFO["document"])
    expanded = HKDF(algorithm=hashes.SHA256(), length=112, salt=None, info=info).derive(media_key)
    return expanded[:16], expanded[16:48], expanded[48:80]


def decrypt_file(
    source: BinaryIO,
    target: BinaryIO,
    *,
    media_key: bytes,
    media_type: str,
    file_enc_sha256: bytes | None = None,
    file_sha256: bytes | None = None,
) -> tuple[int, str]:
    """Decrypt the CDN file ``source`` (seekable) into ``target``, chunk by chunk.

    The MAC and ``fileEncSha256`` are checked before a byte is decrypted; ``fileSha256``
    after. Returns (plaintext size, plaintext SHA-256 hex). Raises MediaIntegrityError; the
    caller discards ``target`` then."""
    iv, cipher_key, mac_key = expand_key(media_key, media_type)
    total = source.seek(0, os.SEEK_END)
    if total <= MAC_LENGTH or (total - MAC_LENGTH) % 16:
        raise MediaIntegrityError(
            _("encrypted file with an invalid size (%(n)s bytes)") % {"n": total}
        )
    length = total - MAC_LENGTH
    mac = hmac.new(mac_key, iv, hashlib.sha256)
    enc_hash = hashlib.sha256()
    for chunk in _chunks(source, 0, length):
        mac.update(chunk)
        enc_hash.update(chunk)
    source.seek(length)
    expected_mac = source.read(MAC_LENGTH)
    enc_hash.update(expected_mac)
    if not hmac.compare_digest(mac.digest()[:MAC_LENGTH], expected_mac):
        raise MediaIntegrityError(_("the file's MAC does not match (wrong key or altered file)"))
    if file_enc_sha256 and not hmac.compare_digest(enc_hash.digest(), file_enc_sha256):
        raise MediaIntegrityError(_("fileEncSha256 does not match"))
    decryptor = Cipher(algorithms.AES(cipher_key), modes.CBC(iv)).decryptor()
    unpadder = padding.PKCS7(128).unpadder()
    plain_hash, size = hashlib.sha256(), 0
    try:
        for chunk in _chunks(source, 0, length):
            out = unpadder.update(decryptor.update(chunk))
            plain_hash.update(out)
            target.write(out)
            size += len(out)
        out = unpadder.update(decryptor.finalize()) + unpadder.finalize()
    except ValueError as exc:
        raise MediaIntegrityError(_("invalid padding after decrypting")) from exc
    plain_hash.update(out)
    target.write(out)
    size += len(out)
    if file_sha256 and not hmac.compare_digest(plain_hash.digest(), file_sha256):
        raise MediaIntegrityError(_("fileSha256 does not match the decrypted file"))
    return size, plain_hash.hexdigest()


def _chunks(source: BinaryIO, start: int, length: int):
    source.seek(start)
    left = length
    while left > 0:
        chunk = source.read(min(CHUNK, left))
        if not chunk:
            raise MediaIntegrityError(_("the encrypted file ended earlier than expected"))
        left -= len(chunk)
        yield chunk
