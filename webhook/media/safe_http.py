"""SSRF-safe streaming HTTP for URLs that come from payloads (so from whoever can post one).

Each hop (the first request and every redirect) is checked: http(s) only, the host on the
caller's allow-list, every address it resolves to public unless its network is explicitly
allowed (``WEBHOOK_MEDIA_ALLOWED_NETWORKS``), and the connection made to the very address
that was checked (no second DNS lookup to rebind). Bodies stream to a file with a byte cap
and a deadline: nothing is held whole in memory.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import socket
import ssl
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, BinaryIO
from urllib.parse import urljoin, urlsplit

from django.utils.translation import gettext as _

from webhook.exceptions import WebhookError

CHUNK = 64 * 1024
MAX_REDIRECTS = 3
RETRYABLE_STATUSES = frozenset({404, 408, 425, 429, 500, 502, 503, 504})


class FetchError(WebhookError):
    """A download that did not give the file; ``retryable`` says whether trying later may."""

    def __init__(self, message: str, *, retryable: bool = True, status: int | None = None):
        super().__init__(message)
        self.retryable = retryable
        self.status = status


class BlockedURL(FetchError):
    """Refused before connecting: scheme, host or address not allowed."""

    def __init__(self, message: str):
        super().__init__(message, retryable=False)


@dataclass(frozen=True)
class Policy:
    """Where a download may go. Hosts: exact names, or ``.example.com`` for its subdomains."""

    hosts: frozenset[str]
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    timeout: float = 30.0

    @classmethod
    def build(cls, hosts: Iterable[str], networks: Iterable[str], timeout: float) -> Policy:
        return cls(
            hosts=frozenset(h.strip().lower() for h in hosts if h and h.strip()),
            networks=tuple(ipaddress.ip_network(n.strip(), strict=False) for n in networks if n),
            timeout=timeout,
        )

    def host_allowed(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        for allowed in self.hosts:
            if allowed.startswith("."):
                if host.endswith(allowed) or host == allowed[1:]:
                    return True
            elif host == allowed:
                return True
        return False

    def address_allowed(self, address: str) -> bool:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if any(ip in net for net in self.networks):
            return True
        return ip.is_global and not ip.is_multicast


@dataclass
class Response:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    size: int = 0
    url: str = ""


def _resolve(host: str, port: int, policy: Policy) -> str:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise FetchError(
            _("could not resolve %(host)s: %(error)s") % {"host": host, "error": exc}
        ) from exc
    addresses = [info[4][0] for info in infos]
    refused = [a for a in addresses if not policy.address_allowed(a)]
    if not addresses or refused:
        raise BlockedURL(
            _("address not allowed for %(host)s: %(addresses)s")
            % {"host": host, "addresses": ", ".join(refused) or "?"}
        )
    return addresses[0]


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _open(
    method: str, url: str, policy: Policy, headers: dict[str, str], body: bytes | None
) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BlockedURL(
            _("URL refused (http/https only): %(scheme)s://") % {"scheme": parts.scheme or "?"}
        )
    host = parts.hostname
    if not policy.host_allowed(host):
        raise BlockedURL(_("host not allowed for this source: %(host)s") % {"host": host})
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = _resolve(host, port, policy)
    kind = _PinnedHTTPS if parts.scheme == "https" else _PinnedHTTP
    conn = kind(host, port, address, policy.timeout)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    try:
        conn.request(method, target, body=body, headers=headers)
        return conn, conn.getresponse()
    except (OSError, http.client.HTTPException) as exc:
        conn.close()
        raise FetchError(
            _("connection to %(host)s failed: %(error)s")
            % {"host": host, "error": exc.__class__.__name__}
        ) from exc


def request(
    url: str,
    sink: BinaryIO,
    *,
    policy: Policy,
    max_bytes: int,
    headers: dict[str, str] | None = None,
    method: str = "GET",
    body: bytes | None = None,
) -> Response:
    """Fetch ``url`` (following up to 3 checked redirects) and stream a 200 body to ``sink``.

    Authorization headers are only sent to the host they were given for. Raises FetchError
    (BlockedURL for policy refusals) for anything but a complete 2xx body within limits."""
    deadline = time.monotonic() + policy.timeout * 4
    first_host = urlsplit(url).hostname or ""
    for _hop in range(MAX_REDIRECTS + 1):
        same_host = (urlsplit(url).hostname or "") == first_host
        sent = dict(headers or {}) if same_host else {}
        sent.setdefault("User-Agent", "MultiChat-Webhook/1 media-fetch")
        conn, response = _open(method, url, policy, sent, body)
        try:
            if response.status in (301, 302, 303, 307, 308):
                location = response.getheader("Location")
                if not location:
                    raise FetchError(_("redirect without Location"), status=response.status)
                url = urljoin(url, location)
                if response.status == 303:
                    method, body = "GET", None
                continue
            if not 200 <= response.status < 300:
                raise FetchError(
                    _("HTTP %(status)s from %(host)s")
                    % {"status": response.status, "host": urlsplit(url).hostname},
                    retryable=response.status in RETRYABLE_STATUSES,
                    status=response.status,
                )
            return _stream(response, sink, url, max_bytes, deadline)
        finally:
            conn.close()
    raise FetchError(_("too many redirects"), retryable=False)


def _stream(
    response: http.client.HTTPResponse, sink: BinaryIO, url: str, max_bytes: int, deadline: float
) -> Response:
    declared = response.getheader("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(
            _("file too large (%(n)s bytes; limit %(limit)s)")
            % {"n": int(declared), "limit": max_bytes},
            retryable=False,
        )
    size = 0
    try:
        while chunk := response.read(CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise FetchError(
                    _("file too large (limit %(limit)s bytes)") % {"limit": max_bytes},
                    retryable=False,
                )
            if time.monotonic() > deadline:
                raise FetchError("tempo esgotado baixando o arquivo")
            sink.write(chunk)
    except (OSError, http.client.HTTPException) as exc:  # socket timeout, reset, short body
        raise FetchError(
            _("download interrupted: %(error)s") % {"error": exc.__class__.__name__}
        ) from exc
    headers = {k.lower(): v for k, v in response.getheaders()}
    return Response(status=response.status, headers=headers, size=size, url=url)


def get_json(
    url: str,
    *,
    policy: Policy,
    headers: dict[str, str] | None = None,
    method: str = "GET",
    payload: Any = None,
    max_bytes: int = 1024 * 1024,
) -> Any:
    """A small JSON answer (an API lookup), capped at ``max_bytes``."""
    import io

    sink = io.BytesIO()
    body = None
    sent = dict(headers or {})
    if payload is not None:
        body = json.dumps(payload).encode()
        sent["Content-Type"] = "application/json"
    request(url, sink, policy=policy, max_bytes=max_bytes, headers=sent, method=method, body=body)
    try:
        return json.loads(sink.getvalue())
    except ValueError as exc:
        raise FetchError(_("invalid JSON answer"), retryable=False) from exc
