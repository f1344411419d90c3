"""Form posts (Wuzapi's default body): decoding their fields and masking what they carry.

``application/x-www-form-urlencoded`` and ``multipart/form-data`` bodies hold the payload in a
JSON field (``jsonData``) with other text fields beside it (``token``, ``userID``,
``instanceName``); :meth:`webhook.validators.WebhookValidator.decode` turns them into one
payload, and the stored body stays the bytes received with credential fields masked.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, quote_plus, unquote_plus

from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData

from webhook.exceptions import PayloadError
from webhook.masking import MASK, SECRET_KEYS, mask_credentials

FORM_URLENCODED = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
# Form fields whose value is a JSON document: the payload itself (Wuzapi's jsonData).
FORM_JSON_FIELDS = ("jsonData",)
MAX_FORM_FIELDS = 100


def media_type(content_type: str) -> str:
    """``multipart/form-data; boundary=x`` -> ``multipart/form-data`` (lower case)."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_form(content_type: str, body: bytes = b"") -> bool:
    """A form post: a form Content-Type and a body that is not a JSON object (some senders
    label JSON as a form; JSON wins then)."""
    if media_type(content_type) not in (FORM_URLENCODED, MULTIPART):
        return False
    return not body.lstrip(b" \t\r\n").startswith(b"{")


def form_fields(body: bytes, content_type: str) -> dict[str, str]:
    """The text fields of a urlencoded or multipart form (file parts skipped), strictly:
    invalid UTF-8, a repeated field, too many fields or a broken multipart are PayloadErrors."""
    if media_type(content_type) == MULTIPART:
        pairs = _multipart_fields(body, content_type)
    else:
        try:
            pairs = parse_qsl(
                body.decode("utf-8"),
                keep_blank_values=True,
                errors="strict",
                max_num_fields=MAX_FORM_FIELDS,
            )
        except UnicodeDecodeError as exc:
            raise PayloadError(f"form body is not valid UTF-8 (byte {exc.start})") from None
        except ValueError:
            raise PayloadError(f"form with more than {MAX_FORM_FIELDS} fields") from None
    fields: dict[str, str] = {}
    for name, value in pairs:
        if name in fields:
            raise PayloadError(f"form field '{name[:50]}' repeated", field=name[:50])
        fields[name] = value
    return fields


def _boundary(content_type: str) -> bytes:
    boundary = parse_options_header(content_type)[1].get("boundary", "")
    if not boundary or len(boundary) > 200:
        raise PayloadError("multipart body without a valid boundary in Content-Type")
    return boundary.encode("latin-1", "replace")


def _multipart_fields(body: bytes, content_type: str) -> list[tuple[str, str]]:
    """Werkzeug's sans-IO multipart decoder over the whole body (already size-limited)."""
    decoder = MultipartDecoder(_boundary(content_type), max_parts=MAX_FORM_FIELDS)
    pairs: list[tuple[str, str]] = []
    current: Field | File | None = None
    chunks: list[bytes] = []
    try:
        decoder.receive_data(body)
        decoder.receive_data(None)
        while True:
            event = decoder.next_event()
            if isinstance(event, Field | File):
                current, chunks = event, []
            elif isinstance(event, Data):
                chunks.append(event.data)
                if not event.more_data and isinstance(current, Field):
                    pairs.append((current.name, _part_text(current.name, b"".join(chunks))))
            elif isinstance(event, Epilogue):
                return pairs
            elif isinstance(event, NeedData):
                raise PayloadError("multipart body ends before its closing boundary")
    except PayloadError:
        raise
    except Exception as exc:  # werkzeug raises ValueError / RequestEntityTooLarge
        raise PayloadError(f"invalid multipart body: {exc}"[:200]) from None


def _part_text(name: str, data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PayloadError(
            f"form field '{name[:50]}' is not valid UTF-8 (byte {exc.start})", field=name[:50]
        ) from None


def mask_form(raw_text: str) -> str:
    """A urlencoded form with credential fields' values replaced by ``***`` (by field name),
    and credentials inside a JSON field (``jsonData``) masked too; every other byte kept."""
    parts = raw_text.split("&")
    for index, part in enumerate(parts):
        name, sep, value = part.partition("=")
        key = unquote_plus(name)
        if key.lower() in SECRET_KEYS and sep:
            parts[index] = f"{name}={MASK}"
        elif key in FORM_JSON_FIELDS and sep:
            inner = unquote_plus(value)
            masked = mask_credentials(inner)
            if masked != inner:  # re-encoded only then (Go's QueryEscape = quote_plus)
                parts[index] = f"{name}={quote_plus(masked, safe='')}"
    return "&".join(parts)


_DISPOSITION_NAME = re.compile(rb'(?i)\bname="([^"]*)"')
_DISPOSITION_FILE = re.compile(rb"(?i)\bfilename\*?=")


def mask_multipart(body: bytes, content_type: str) -> bytes:
    """Each part kept as received, but a credential field's content is ``***`` and a file
    part that is not UTF-8 text (binary media: no database text column takes it) becomes a
    one-line note with its size and SHA-256."""
    delimiter = b"--" + _boundary(content_type)
    pieces = body.split(delimiter)
    for index in range(1, len(pieces)):
        piece = pieces[index]
        head_end = piece.find(b"\r\n\r\n")
        if piece.startswith(b"--") or head_end < 0:
            continue
        headers, content = piece[:head_end], piece[head_end + 4 :]
        trailing = b"\r\n" if content.endswith(b"\r\n") else b""
        data = content[: len(content) - len(trailing)]
        match = _DISPOSITION_NAME.search(headers)
        name = match.group(1).decode("utf-8", "replace") if match else ""
        if name.lower() in SECRET_KEYS and not _DISPOSITION_FILE.search(headers):
            data = MASK.encode()
        elif not _is_text(data):
            digest = hashlib.sha256(data).hexdigest()
            data = f"[binary part not stored: {len(data)} bytes, sha256 {digest}]".encode()
        elif name in FORM_JSON_FIELDS:
            data = mask_credentials(data.decode("utf-8")).encode("utf-8")
        pieces[index] = headers + b"\r\n\r\n" + data + trailing
    return delimiter.join(pieces)


def _is_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
