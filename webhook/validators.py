"""WebhookValidator: everything a request must pass before its events are trusted.

Size limit, strict JSON (no NaN/Infinity, no duplicate keys, valid UTF-8, no lone
surrogates, bounded nesting), the client's authenticity (family signature or per-client
token, constant-time compares), the optional IP allow-list behind trusted proxies, and the
masking of credentials before anything is stored or logged.

Bodies are JSON, except form posts (``application/x-www-form-urlencoded`` or
``multipart/form-data``, Wuzapi's default): :meth:`WebhookValidator.decode` turns a form into
the payload its ``jsonData`` field holds (decoded as strictly as a JSON body) with the other
text fields (``token``, ``userID``, ``instanceName``) beside it, so parsers see one shape. The
stored body stays the bytes received, credentials masked by field name (``token=***``); only a
multipart file part that is not UTF-8 text is left out (:func:`stored_body`).
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, quote_plus, unquote_plus

from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData

from webhook.exceptions import Forbidden, JsonTooComplex, PayloadError, PayloadTooLarge

MASK = "***"
# Header names (lower case) whose values are credentials.
SECRET_HEADERS = frozenset(
    {
        "authorization",
        "apikey",
        "x-api-key",
        "client-token",
        "x-webhook-token",
        "x-hub-signature",
        "x-hub-signature-256",
        "x-webhook-hmac",
        "x-hmac-signature",
        "cookie",
        "proxy-authorization",
    }
)
# JSON keys (lower case) whose string values are credentials, masked in the stored body.
SECRET_KEYS = frozenset(
    {"apikey", "api_key", "token", "client-token", "password", "secret", "authorization"}
)
_LONE_SURROGATE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
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


def _reject_constant(name: str) -> Any:
    raise PayloadError(f"invalid JSON: {name} is not a valid JSON number")


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        duplicate = next(k for k, _ in pairs if k in seen or seen.add(k))
        raise PayloadError(f"invalid JSON: duplicate key '{duplicate[:50]}'", field=duplicate[:50])
    return result


class WebhookValidator:
    """Stateless checks; settings are passed in so the class is easy to test."""

    def __init__(self, *, max_body_bytes: int, max_depth: int, max_nodes: int = 0) -> None:
        self.max_body_bytes = max_body_bytes
        self.max_depth = max_depth
        self.max_nodes = max_nodes  # 0 = no bound on the number of JSON values

    # --- body ---
    def check_size(self, body: bytes, *, declared: int | None = None) -> None:
        size = max(len(body), declared or 0)
        if size > self.max_body_bytes:
            raise PayloadTooLarge(
                f"body of {size} bytes exceeds the limit of {self.max_body_bytes} bytes "
                "(WEBHOOK_MAX_BODY_BYTES)"
            )

    def check_complexity(self, body: bytes) -> None:
        """Bound what decoding can cost, on the raw bytes and before ``json.loads``.

        Every JSON value but the first follows a comma or opens a container, so commas plus
        brackets bound the number of values from above (commas inside strings only make the
        estimate larger); ``bytes.count`` looks at 50 MB in a few milliseconds, where decoding
        a 50 MB array takes tens of seconds."""
        if not self.max_nodes:
            return
        estimate = body.count(b",") + body.count(b"{") + body.count(b"[")
        if estimate > self.max_nodes:
            raise JsonTooComplex(
                f"JSON with about {estimate} values exceeds the limit of {self.max_nodes} "
                "(WEBHOOK_MAX_JSON_NODES)"
            )

    def decode(self, body: bytes, content_type: str = "") -> dict[str, Any]:
        """The payload from the raw bytes (a strict JSON object, or a form post's fields, see
        the module docstring), or a PayloadError naming the problem."""
        self.check_size(body)
        if is_form(content_type, body):
            return self._decode_form(body, content_type)
        stripped = body.lstrip(b" \t\r\n")
        if not stripped:
            raise PayloadError("empty body: a JSON object is expected")
        if stripped.startswith(b"["):  # refused before paying for decoding a large array
            raise PayloadError("top-level JSON must be an object, got an array")
        self.check_complexity(body)
        try:
            raw_text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PayloadError(f"body is not valid UTF-8 (byte {exc.start})") from None
        return self._decode_json(raw_text)

    def _decode_json(self, raw_text: str, *, where: str = "") -> dict[str, Any]:
        if raw_text.startswith("\ufeff"):
            raw_text = raw_text[1:]
        prefix = f"{where}: " if where else ""
        try:
            payload = json.loads(
                raw_text,
                object_pairs_hook=_object_without_duplicates,
                parse_constant=_reject_constant,
            )
        except json.JSONDecodeError as exc:
            raise PayloadError(
                f"{prefix}invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
            ) from None
        except RecursionError:
            raise PayloadError(f"JSON nested deeper than {self.max_depth} levels") from None
        except ValueError as exc:  # e.g. an integer literal of thousands of digits
            raise PayloadError(f"{prefix}invalid JSON: {exc}") from None
        if not isinstance(payload, dict):
            kind = {list: "an array", str: "a string", type(None): "null"}.get(
                type(payload), "a scalar"
            )
            raise PayloadError(f"{prefix}top-level JSON must be an object, got {kind}")
        return self._sanitise(
            payload,
            has_nul="\\u0000" in raw_text,
            has_surrogate=bool(_LONE_SURROGATE.search(raw_text)),
        )

    def _decode_form(self, body: bytes, content_type: str) -> dict[str, Any]:
        """A form post -> the JSON of its ``jsonData`` field with the other text fields beside
        it (a field already in that JSON keeps the JSON's value); no JSON field: the fields."""
        fields = form_fields(body, content_type)
        payload: dict[str, Any] = {}
        for name in FORM_JSON_FIELDS:
            if name in fields:
                raw_json = fields.pop(name)
                self.check_complexity(raw_json.encode("utf-8", "surrogatepass"))
                payload = self._decode_json(raw_json, where=f"form field '{name}'")
                break
        for name, value in fields.items():
            payload.setdefault(_clean(name, True), _clean(value, True))
        return payload

    def _sanitise(
        self, payload: dict[str, Any], *, has_nul: bool, has_surrogate: bool
    ) -> dict[str, Any]:
        """Enforce the nesting limit, drop NUL characters and replace lone surrogates.

        PostgreSQL refuses both in text; paired surrogate escapes (emoji) decode to one
        character and are fine; a lone one becomes U+FFFD.
        """
        stack: list[tuple[Any, int]] = [(payload, 1)]
        while stack:
            node, depth = stack.pop()
            if depth > self.max_depth:
                raise PayloadError(f"JSON nested deeper than {self.max_depth} levels")
            items = node.items() if isinstance(node, dict) else enumerate(node)
            for key, value in list(items):
                if isinstance(value, dict | list):
                    stack.append((value, depth + 1))
                elif isinstance(value, str) and (has_nul or has_surrogate):
                    node[key] = _clean(value, has_surrogate)
                if isinstance(node, dict) and (has_nul or has_surrogate):
                    cleaned = _clean(key, has_surrogate)
                    if cleaned != key:
                        node[cleaned] = node.pop(key)
        return payload

    # --- masking ---
    @staticmethod
    def mask_headers(headers: Mapping[str, str]) -> dict[str, str]:
        return {
            name: (MASK if name.lower() in SECRET_HEADERS else value[:1000])
            for name, value in headers.items()
        }

    @staticmethod
    def mask_body(raw_text: str, content_type: str = "") -> str:
        """The raw text with the values of credential fields replaced by ``***``.

        Masked by where credentials live (a field named ``apikey``, ``token``, ...), never by
        value: a message whose text happens to equal the apikey keeps its text. Works on text
        that does not parse too (a rejected body, or one cut for storage: mask, then cut).
        A urlencoded form is masked field by field (see :func:`mask_form`)."""
        if media_type(content_type) == FORM_URLENCODED and not raw_text.lstrip().startswith("{"):
            return mask_form(raw_text)
        return mask_credentials(raw_text)

    # --- network ---
    @staticmethod
    def client_ip(remote_addr: str, forwarded_for: str, trusted_proxies: Iterable[str]) -> str:
        """The real client address: walk X-Forwarded-For from the right past trusted proxies."""
        networks = _networks(tuple(trusted_proxies))
        chain = [p.strip() for p in forwarded_for.split(",") if p.strip()] if forwarded_for else []
        current = remote_addr
        while chain and _in(current, networks):
            current = chain.pop()
        return current

    @staticmethod
    def check_ip(ip: str, allowlist: Iterable[str]) -> None:
        allowed = tuple(allowlist)
        if allowed and not _in(ip, _networks(allowed)):
            raise Forbidden(f"source address {ip} is not in WEBHOOK_IP_ALLOWLIST")


_SURROGATE = re.compile("[\ud800-\udfff]")


def _clean(value: str, check_surrogates: bool) -> str:
    """Drop NUL; a lone UTF-16 surrogate (Node gateways cut an emoji in half) becomes U+FFFD,
    the replacement character, so the message still arrives. The raw body keeps its escape."""
    if check_surrogates and _SURROGATE.search(value):
        value = _SURROGATE.sub("\ufffd", value)
    return value.replace("\x00", "") if "\x00" in value else value


# A credential field and its value (a JSON string or number), at any depth. Inside a JSON
# string every quote is escaped, so text that merely mentions "apikey" never matches.
_SECRET_PAIR = re.compile(
    r'("(?:' + "|".join(re.escape(k) for k in sorted(SECRET_KEYS)) + r')"\s*:\s*)'
    r'(?:"(?:[^"\\]|\\.)*"|-?[0-9][0-9.eE+-]*)',
    re.IGNORECASE,
)


def mask_credentials(raw_text: str) -> str:
    """Mask credential values in a JSON text, parsed or not (see ``WebhookValidator.mask_body``)."""
    return _SECRET_PAIR.sub(lambda m: f'{m.group(1)}"{MASK}"', raw_text)


mask_unparsed = mask_credentials


# --- form posts (Wuzapi) ---


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


def _mask_multipart(body: bytes, content_type: str) -> bytes:
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


def stored_body(body: bytes, content_type: str = "", *, errors: str = "strict") -> str:
    """The body as it is stored: the text received with credentials masked (JSON fields and
    form fields by name). Never raises for ``errors != "strict"`` (rejected bodies)."""
    if is_form(content_type, body) and media_type(content_type) == MULTIPART:
        try:
            body = _mask_multipart(body, content_type)
        except PayloadError:
            pass  # no usable boundary: kept as it came (a rejected body, cut for audit)
        return mask_credentials(body.decode("utf-8", "backslashreplace"))
    return WebhookValidator.mask_body(body.decode("utf-8", errors), content_type)


@lru_cache(maxsize=32)
def _networks(cidrs: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(c, strict=False) for c in cidrs)


@lru_cache(maxsize=1024)  # senders are few; parsing one costs more than the rest of the check
def _address(ip: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address, with IPv4-mapped IPv6 (``::ffff:127.0.0.1``) read as the IPv4 it is."""
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def valid_ip(ip: str) -> str | None:
    """The address as text when it is one (for storage), else None."""
    address = _address(ip or "")
    return str(address) if address is not None else None


def _in(ip: str, networks: tuple) -> bool:
    address = _address(ip)
    if address is None:
        return False
    return any(address in net for net in networks if net.version == address.version)
