"""The servers' front door: bodies are read without holding a thread, within limits.

A WSGI server hands each request to a Python thread that then blocks reading the body: a few
hundred connections sending one byte a second take every thread, and a 1 GiB body is held
in memory before any size check can run. :class:`BufferedFront` is an RSGI application
(granian's native asynchronous interface) that wraps any WSGI application — the Flask
receiver and Django alike — and reads each body on granian's event loop:

* ``Content-Length`` over the limit is refused before a byte is read; a chunked body is
  counted while it arrives and cut off at the limit (413): memory stays at the limit plus a
  chunk;
* a body not complete within ``WEBHOOK_BODY_TIMEOUT_SECONDS`` is answered 408 and dropped:
  slow senders hold a coroutine and a socket, never a thread;
* only complete requests reach the WSGI application, in a pool of ``threads`` threads; when
  more than ``max_waiting`` complete requests wait for a thread the answer is 503 with
  ``Retry-After`` (the sender retries; nothing was acknowledged).

Each trip is counted (``webhook.limits``) and shown on the status page.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import sys
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from webhook import limits

logger = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 5
SWITCH_INTERVAL_SECONDS = 0.0005
_OVER_BUDGET = "too many large bodies arriving at once; retry later"
# Bodies up to this size (every webhook but inline media) are counted in the budget but never
# refused by it: large bodies held at once cannot lock ordinary deliveries out.
SMALL_BODY_BYTES = 64 * 1024
_REASONS = {408: "Request Timeout", 413: "Payload Too Large", 503: "Service Unavailable"}


class _TooLarge(Exception):
    pass


class _OverBudget(Exception):
    pass


class BufferedFront:
    def __init__(
        self,
        wsgi_app: Callable[..., Iterable[bytes]],
        *,
        threads: int,
        max_body_bytes: Callable[[], int],
        body_timeout: Callable[[], float],
        max_buffered_bytes: Callable[[], int] = lambda: 256 * 1024 * 1024,
        max_waiting: int | None = None,
    ) -> None:
        self.app = wsgi_app
        self.threads = threads
        self.max_body_bytes = max_body_bytes  # read per request: override_settings works
        self.body_timeout = body_timeout
        # All bodies held at once by this worker (arriving or being handled): many
        # connections each sending a body just under the limit must not add up to gigabytes.
        self.max_buffered_bytes = max_buffered_bytes
        self._buffered = 0  # touched only on the event loop: no lock
        self.max_waiting = max_waiting if max_waiting is not None else threads * 8
        self._pool: ThreadPoolExecutor | None = None
        self._waiting = 0
        self._lock = threading.Lock()

    @property
    def pool(self) -> ThreadPoolExecutor:
        if self._pool is None:  # made in the worker process, after the fork
            # The event loop thread hands every request over and back: with Python's default
            # 5 ms GIL switch interval it waited up to 5 ms each time behind a busy thread.
            sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
            self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="wsgi")
        return self._pool

    async def __rsgi__(self, scope: Any, proto: Any) -> None:
        if scope.proto != "http":
            return
        body = await self._read_body(scope, proto)
        if body is None:
            return
        try:
            await self.handle(scope, proto, body)
        finally:
            self._buffered -= len(body)

    async def handle(self, scope: Any, proto: Any, body: bytes) -> None:
        """Answer a request whose body arrived whole: here, the WSGI application."""
        await self._to_wsgi(scope, proto, body)

    async def _read_body(self, scope: Any, proto: Any) -> bytes | None:
        """The whole body (counted in the worker's budget until the request is answered),
        or None once the request was refused (too large, too slow, too much held at once)."""
        limit = self.max_body_bytes()
        declared = scope.headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            self._refuse(proto, 413, "body_too_large", _too_large(declared, limit))
            return None
        # A declared length is reserved before a byte is read; a chunked body as it grows.
        reserved = int(declared) if declared is not None else 0
        if reserved > SMALL_BODY_BYTES and self._buffered + reserved > self.max_buffered_bytes():
            self._refuse(proto, 503, "body_budget", _OVER_BUDGET)
            return None
        self._buffered += reserved
        try:
            async with asyncio.timeout(self.body_timeout()):
                # A declared length is framed by granian (never more bytes than declared):
                # read it in one go. Without one (chunked), count while it arrives.
                body = await proto() if declared is not None else await self._read(proto, limit)
        except _TooLarge:
            self._refuse(proto, 413, "body_too_large", _too_large("more", limit))
            return None
        except _OverBudget:
            self._refuse(proto, 503, "body_budget", _OVER_BUDGET)
            return None
        except TimeoutError:
            detail = f"the body did not arrive within {self.body_timeout():g} s"
            self._refuse(proto, 408, "body_timeout", detail)
            return None
        finally:
            self._buffered -= reserved  # from here on, what the body really holds
        self._buffered += len(body)
        return body

    async def _read(self, proto: Any, limit: int) -> bytes:
        """A chunked body, counted (and reserved in the budget) while it arrives."""
        buffer = bytearray()
        budget = self.max_buffered_bytes()
        try:
            async for chunk in proto:
                buffer += chunk
                self._buffered += len(chunk)
                if len(buffer) > limit:
                    raise _TooLarge
                if self._buffered > budget and len(buffer) > SMALL_BODY_BYTES:
                    raise _OverBudget
        finally:
            self._buffered -= len(buffer)
        return bytes(buffer)

    async def in_thread(self, proto: Any, call: Callable[[], Any]) -> tuple[bool, Any]:
        """Run ``call`` in the pool: (True, its result), or (False, None) once the pool is
        too busy and the request was answered 503."""
        with self._lock:
            if self._waiting >= self.max_waiting:
                overloaded = True
            else:
                overloaded, self._waiting = False, self._waiting + 1
        if overloaded:
            self._refuse(proto, 503, "overloaded", "too many requests waiting; retry later")
            return False, None
        try:
            return True, await asyncio.get_running_loop().run_in_executor(self.pool, call)
        finally:
            with self._lock:
                self._waiting -= 1

    async def _to_wsgi(self, scope: Any, proto: Any, body: bytes) -> None:
        # The thread answers the client itself: the reply leaves without waiting for this
        # loop to wake up; the loop only learns afterwards that the request is done.
        environ = _environ(scope, body)
        await self.in_thread(proto, lambda: self._respond(proto, environ))

    def _respond(self, proto: Any, environ: dict[str, Any]) -> None:
        status, headers, content = self._call(environ)
        proto.response_bytes(status, headers, content)

    def _call(self, environ: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
        started: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info=None):
            started[:] = [status, headers]
            return lambda data: chunks.append(data)  # the legacy write() callable

        chunks: list[bytes] = []
        result = self.app(environ, start_response)
        try:
            chunks.extend(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        status, headers = started
        return int(status[:3]), list(headers), b"".join(chunks)

    @staticmethod
    def _refuse(proto: Any, status: int, error: str, detail: str) -> None:
        limits.record_trip(error)
        logger.warning("refused a request before reading it whole: %s (%s)", error, detail)
        body = json.dumps({"ok": False, "error": error, "detail": detail}).encode()
        headers = [("content-type", "application/json"), ("connection", "close")]
        if status == 503:
            headers.append(("retry-after", str(RETRY_AFTER_SECONDS)))
        proto.response_bytes(status, headers, body)


def _too_large(declared: str, limit: int) -> str:
    return f"body of {declared[:20]} bytes exceeds the limit of {limit} bytes"


def _environ(scope: Any, body: bytes) -> dict[str, Any]:
    host, _, port = (scope.server or "").rpartition(":")
    client, _, client_port = (scope.client or "").rpartition(":")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": scope.path.encode("utf-8", "surrogateescape").decode("latin-1"),
        "QUERY_STRING": scope.query_string,
        "SERVER_NAME": host or "localhost",
        "SERVER_PORT": port or "80",
        "SERVER_PROTOCOL": f"HTTP/{scope.http_version}",
        "REMOTE_ADDR": client.strip("[]"),
        "REMOTE_PORT": client_port,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.scheme,
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "CONTENT_LENGTH": str(len(body)) if body else "",
    }
    for name, value in scope.headers.items():
        key = name.upper().replace("-", "_")
        if key == "CONTENT_TYPE":
            environ["CONTENT_TYPE"] = value
        elif key != "CONTENT_LENGTH":
            key = f"HTTP_{key}"
            environ[key] = f"{environ[key]},{value}" if key in environ else value
    return environ


def read_bounded(stream: Any, declared: int | None, limit: int) -> tuple[bytes, int | None]:
    """The body of a WSGI request, never more than ``limit`` + 1 bytes of it.

    Returns (body, declared length). A declared length over the limit is not read at all;
    otherwise the body is read in 64 KiB steps up to the declared length (or one byte past
    the limit when none is declared), stopping when the server has nothing more to give:
    enough for the size check (``WebhookValidator.check_size``) to refuse a huge body, never
    the whole of a 1 GiB POST."""
    if declared is not None and declared > limit:
        return b"", declared
    wanted = declared if declared is not None else limit + 1
    chunks, size = [], 0
    while size < wanted:
        chunk = stream.read(min(65536, wanted - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks), declared


def front_for(wsgi_app: Callable[..., Iterable[bytes]], *, threads: int) -> BufferedFront:
    """The front with this project's settings (``WEBHOOK_MAX_BODY_BYTES``,
    ``WEBHOOK_BODY_TIMEOUT_SECONDS`` and ``WEBHOOK_MAX_BUFFERED_BYTES``, read per request)."""
    from webhook.conf import webhook_settings

    return BufferedFront(
        wsgi_app,
        threads=threads,
        max_body_bytes=lambda: webhook_settings.MAX_BODY_BYTES,
        body_timeout=lambda: webhook_settings.BODY_TIMEOUT_SECONDS,
        max_buffered_bytes=lambda: webhook_settings.MAX_BUFFERED_BYTES,
    )
