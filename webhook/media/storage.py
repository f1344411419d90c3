"""Where fetched files go: a Django storage (``STORAGES["webhook_media"]``), by content.

Names are ``<client id>/<sha256[:2]>/<sha256><ext>``: the same file delivered twice (or sent
to two chats) is stored once, and a name never comes from the payload. File names from the
payload are only shown (sanitised) in ``Content-Disposition``.
"""

from __future__ import annotations

import io
import logging
import mimetypes
import re
import unicodedata
from typing import BinaryIO

from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages

logger = logging.getLogger(__name__)
THUMBNAIL_SIZE = (320, 320)
THUMBNAIL_TYPES = frozenset({"image", "sticker"})
THUMBNAIL_MAX_PIXELS = 40_000_000  # bigger images (or decompression bombs) get no thumbnail

# (offset, magic bytes, type): enough to tell what WhatsApp carries from what it claims.
_MAGIC: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\xff\xd8\xff", "image/jpeg"),
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"GIF87a", "image/gif"),
    (0, b"GIF89a", "image/gif"),
    (0, b"%PDF-", "application/pdf"),
    (0, b"OggS", "audio/ogg"),
    (0, b"#!AMR", "audio/amr"),
    (0, b"ID3", "audio/mpeg"),
    (0, b"\xff\xfb", "audio/mpeg"),
    (0, b"\xff\xf3", "audio/mpeg"),
    (0, b"\xff\xf1", "audio/aac"),
    (0, b"\x1aE\xdf\xa3", "video/webm"),
    (0, b"PK\x03\x04", "application/zip"),
    (0, b"\xd0\xcf\x11\xe0", "application/x-ole-storage"),
)

# Types a browser may render inline from our origin; anything else is served as a download.
INLINE_TYPES = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/webp",
        "audio/ogg",
        "audio/mpeg",
        "audio/aac",
        "audio/mp4",
        "audio/amr",
        "audio/wav",
        "video/mp4",
        "video/3gpp",
        "video/webm",
        "application/pdf",
    }
)


def media_storage() -> Storage:
    return storages["webhook_media"]


def sniff(head: bytes) -> str:
    """The type the first bytes show, or "" when they match nothing we know."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand.startswith(b"M4A"):
            return "audio/mp4"
        if brand.startswith(b"3gp"):
            return "video/3gpp"
        return "video/mp4"
    for offset, magic, kind in _MAGIC:
        if head[offset : offset + len(magic)] == magic:
            return kind
    return ""


def base_type(mimetype: str) -> str:
    return mimetype.split(";", 1)[0].strip().lower()


def extension_for(mimetype: str) -> str:
    kind = base_type(mimetype)
    special = {
        "image/jpeg": ".jpg",
        "audio/ogg": ".ogg",
        "audio/mpeg": ".mp3",
        "image/webp": ".webp",
    }
    if kind in special:
        return special[kind]
    ext = mimetypes.guess_extension(kind) or ".bin"
    return ext if re.fullmatch(r"\.[a-z0-9]{1,8}", ext) else ".bin"


def safe_file_name(name: str, *, fallback: str = "arquivo") -> str:
    """A display name without directories, control characters or quotes; at most 150 chars."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>:|?*;')
    name = name.strip(" .")[:150]
    return name or fallback


def storage_name(*, client_id: int, sha256: str, mimetype: str) -> str:
    return f"{client_id}/{sha256[:2]}/{sha256}{extension_for(mimetype)}"


def store(tmp: BinaryIO, name: str) -> str:
    """Save ``tmp`` under ``name`` unless a file of that content is already there."""
    storage = media_storage()
    if storage.exists(name):
        return name
    tmp.seek(0)
    return storage.save(name, File(tmp, name=name.rsplit("/", 1)[-1]))


def make_thumbnail(tmp: BinaryIO, name: str) -> str:
    """A small WebP beside the image (Pillow); "" when the image cannot be read."""
    from PIL import Image, UnidentifiedImageError

    thumb_name = name.rsplit(".", 1)[0] + ".thumb.webp"
    storage = media_storage()
    if storage.exists(thumb_name):
        return thumb_name
    tmp.seek(0)
    try:
        with Image.open(tmp) as image:
            if image.width * image.height > THUMBNAIL_MAX_PIXELS:
                logger.info("media: no thumbnail for %s (%sx%s)", name, image.width, image.height)
                return ""
            image.draft("RGB", THUMBNAIL_SIZE)  # JPEG: decode at reduced size, less memory
            image.thumbnail(THUMBNAIL_SIZE)
            out = io.BytesIO()
            image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB").save(
                out, "WEBP", quality=80
            )
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError) as exc:
        logger.info("media: no thumbnail for %s (%s)", name, exc.__class__.__name__)
        return ""
    return storage.save(thumb_name, ContentFile(out.getvalue()))
