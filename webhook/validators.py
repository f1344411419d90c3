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

import ipaddress
import json
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from webhook.exceptions import Forbidden, JsonTooComplex, PayloadError, PayloadTooLarge
from webhook.forms import (
    FORM_JSON_FIELDS,
    FORM_URLENCODED,
    MULTIPART,
    form_fields,
    is_form,
    mask_form,
    mask_multipart,
    media_type,
)
from webhook.masking import MASK, SECRET_HEADERS, mask_credentials

_LONE_SURROGATE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


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


mask_unparsed = mask_credentials


def stored_body(body: bytes, content_type: str = "", *, errors: str = "strict") -> str:
    """The body as it is stored: the text received with credentials masked (JSON fields and
    form fields by name). Never raises for ``errors != "strict"`` (rejected bodies)."""
    if is_form(content_type, body) and media_type(content_type) == MULTIPART:
        try:
            body = mask_multipart(body, content_type)
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
