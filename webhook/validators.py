"""WebhookValidator: everything a request must pass before its events are trusted.

Size limit, strict JSON (no NaN/Infinity, no duplicate keys, valid UTF-8, no lone
surrogates, bounded nesting), the client's authenticity (family signature or per-client
token, constant-time compares), the optional IP allow-list behind trusted proxies, and the
masking of credentials before anything is stored or logged.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

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
        "cookie",
        "proxy-authorization",
    }
)
# JSON keys (lower case) whose string values are credentials, masked in the stored body.
SECRET_KEYS = frozenset(
    {"apikey", "api_key", "token", "client-token", "password", "secret", "authorization"}
)
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

    def decode(self, body: bytes) -> dict[str, Any]:
        """Strict JSON object from the raw bytes, or a PayloadError naming the problem."""
        self.check_size(body)
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
        if raw_text.startswith("\ufeff"):
            raw_text = raw_text[1:]
        try:
            payload = json.loads(
                raw_text,
                object_pairs_hook=_object_without_duplicates,
                parse_constant=_reject_constant,
            )
        except json.JSONDecodeError as exc:
            raise PayloadError(
                f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
            ) from None
        except RecursionError:
            raise PayloadError(f"JSON nested deeper than {self.max_depth} levels") from None
        except ValueError as exc:  # e.g. an integer literal of thousands of digits
            raise PayloadError(f"invalid JSON: {exc}") from None
        if not isinstance(payload, dict):
            kind = {list: "an array", str: "a string", type(None): "null"}.get(
                type(payload), "a scalar"
            )
            raise PayloadError(f"top-level JSON must be an object, got {kind}")
        return self._sanitise(
            payload,
            has_nul="\\u0000" in raw_text,
            has_surrogate=bool(_LONE_SURROGATE.search(raw_text)),
        )

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
    def mask_body(raw_text: str) -> str:
        """The raw text with the values of credential fields replaced by ``***``.

        Masked by where credentials live (a field named ``apikey``, ``token``, ...), never by
        value: a message whose text happens to equal the apikey keeps its text. Works on text
        that does not parse too (a rejected body, or one cut for storage: mask, then cut)."""
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
