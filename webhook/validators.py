"""WebhookValidator: everything a request must pass before its events are trusted.

Size limit, strict JSON (no NaN/Infinity, no duplicate keys, valid UTF-8, no lone
surrogates, bounded nesting), the client's authenticity (family signature or per-client
token, constant-time compares), the optional IP allow-list behind trusted proxies, and the
masking of credentials before anything is stored or logged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import re
import time
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from webhook.exceptions import AuthenticationFailed, Forbidden, PayloadError, PayloadTooLarge
from webhook.parsers import meta_cloud, waha

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
TOKEN_HEADERS = ("x-webhook-token", "apikey", "x-api-key", "client-token")
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

    def __init__(self, *, max_body_bytes: int, max_depth: int) -> None:
        self.max_body_bytes = max_body_bytes
        self.max_depth = max_depth

    # --- body ---
    def check_size(self, body: bytes) -> None:
        if len(body) > self.max_body_bytes:
            raise PayloadTooLarge(
                f"body of {len(body)} bytes exceeds the limit of {self.max_body_bytes} bytes "
                "(WEBHOOK_MAX_BODY_BYTES)"
            )

    def decode(self, body: bytes) -> dict[str, Any]:
        """Strict JSON object from the raw bytes, or a PayloadError naming the problem."""
        self.check_size(body)
        if not body.strip():
            raise PayloadError("empty body: a JSON object is expected")
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
        """Enforce the nesting limit, drop NUL characters and refuse lone surrogates.

        PostgreSQL refuses both in text; paired surrogate escapes (emoji) decode to one
        character and are fine.
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
    def mask_body(raw_text: str, payload: Any) -> str:
        """The raw text with the string values of credential keys replaced by ***."""
        for value in set(_secret_values(payload)):
            raw_text = raw_text.replace(json.dumps(value), json.dumps(MASK))
            raw_text = raw_text.replace(json.dumps(value, ensure_ascii=False), json.dumps(MASK))
        return raw_text

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


def _clean(value: str, check_surrogates: bool) -> str:
    if check_surrogates:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise PayloadError("invalid Unicode: lone surrogate escape in a string") from None
    return value.replace("\x00", "") if "\x00" in value else value


_SECRET_PAIR = re.compile(
    r'("(?:apikey|api_key|token|client-token|password|secret|authorization)"\s*:\s*)"(?:[^"\\]|\\.)*"',
    re.IGNORECASE,
)


def mask_unparsed(raw_text: str) -> str:
    """Mask credential values in a body that could not be parsed (best effort, by pattern)."""
    return _SECRET_PAIR.sub(lambda m: f'{m.group(1)}"{MASK}"', raw_text)


def _secret_values(node: Any) -> Iterable[str]:
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            for key, value in current.items():
                if (
                    isinstance(value, str)
                    and value
                    and str(key).lower() in SECRET_KEYS
                    and value != MASK
                ):
                    yield value
                elif isinstance(value, dict | list):
                    stack.append(value)
        elif isinstance(current, list):
            stack.extend(v for v in current if isinstance(v, dict | list))


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


# --- authenticity ---


def _same(presented: str, expected: str) -> bool:
    return (
        bool(presented)
        and bool(expected)
        and hmac.compare_digest(
            presented.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass")
        )
    )


def presented_tokens(
    headers: Mapping[str, str], query: Mapping[str, str], path_token: str, payload: dict[str, Any]
) -> list[str]:
    """Every place a gateway can put a shared secret: headers, query, path, Evolution body."""
    explicit = explicit_tokens(headers, query, path_token)
    implicit = [headers.get(name, "") for name in TOKEN_HEADERS[1:]]
    auth = headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        implicit.append(auth[7:].strip())
    if isinstance(payload.get("apikey"), str):
        implicit.append(payload["apikey"])
    return [t for t in explicit + implicit if t]


def explicit_tokens(
    headers: Mapping[str, str], query: Mapping[str, str], path_token: str
) -> list[str]:
    """Tokens put there for us alone: a wrong one is always an error (not so a gateway's apikey)."""
    return [
        t for t in (headers.get("x-webhook-token", ""), query.get("token", ""), path_token) if t
    ]


def verify_evolution_jwt(token: str, key: str, *, now: float | None = None) -> bool:
    """Evolution's ``jwt_key`` header: HS256 JWT {app: evolution, action: webhook}, exp checked."""
    parts = token.split(".")
    if len(parts) != 3 or not key:
        return False
    signing_input = f"{parts[0]}.{parts[1]}".encode("ascii", "replace")
    expected = base64.urlsafe_b64encode(
        hmac.new(key.encode(), signing_input, hashlib.sha256).digest()
    )
    if not _same(parts[2], expected.rstrip(b"=").decode()):
        return False
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        header = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except (ValueError, TypeError):
        return False
    if not isinstance(claims, dict) or not isinstance(header, dict) or header.get("alg") != "HS256":
        return False
    exp = claims.get("exp")
    return isinstance(exp, int | float) and exp > (now or time.time())


def authenticate(
    *,
    family: str,
    body: bytes,
    headers: Mapping[str, str],
    query: Mapping[str, str],
    path_token: str,
    payload: dict[str, Any],
    client_token: str | None,
    token_required: bool,
    meta_app_secret: str,
) -> str:
    """Check the delivery's credentials; returns how it was authenticated ("" = not at all).

    Raises AuthenticationFailed when a credential is required and none is valid, or when a
    credential is presented and it is wrong (a misconfigured or forged sender).
    """
    signature = headers.get("x-hub-signature-256", "")
    if family == meta_cloud.FAMILY and meta_app_secret:
        if meta_cloud.verify_signature(body, signature, meta_app_secret):
            return "meta-signature"
        raise AuthenticationFailed(
            "invalid or missing X-Hub-Signature-256 (WEBHOOK_META_APP_SECRET)"
        )
    if client_token is None:  # no client to check against: stored unassigned, never applied
        return ""
    hmac_header = headers.get("x-webhook-hmac", "")
    if hmac_header:
        algorithm = headers.get("x-webhook-hmac-algorithm", "sha512")
        if waha.verify_hmac(body, hmac_header, client_token, algorithm):
            return "hmac"
        raise AuthenticationFailed("invalid X-Webhook-Hmac signature")
    presented = presented_tokens(headers, query, path_token, payload)
    for token in presented:
        if _same(token, client_token):
            return "token"
        if token.count(".") == 2 and verify_evolution_jwt(token, client_token):
            return "jwt"
    if token_required or explicit_tokens(headers, query, path_token):
        raise AuthenticationFailed(
            "missing or invalid webhook token "
            "(send X-Webhook-Token, apikey, ?token= or /webhook/k/<token>/)"
        )
    return ""
