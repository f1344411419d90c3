"""The Flask receiver's front door: deliveries acknowledged on granian's event loop.

:class:`~webhook.front.BufferedFront` reads every body on the event loop, within its size and
time limits, so slow or huge bodies never hold a thread. For the receiver's hot path (``POST``
to the ``/webhook`` routes) :class:`ReceiverFront` goes one step further: the quick, pure
stages of :func:`webhook.ingest.receive_steps` run on the loop too, and the acknowledgement
waits for its group commit there (``writer.store_async``). A waiting delivery then costs a
future, not a thread, and no request is handed to a thread and back (that hand-over alone cost
the plain front a fifth to two fifths of the receiver's acknowledgements per second in ``make
bench``). What may block (recording a refused delivery, spooling during a database outage)
runs in the front's thread pool; so do the other routes (status, ``/test``, Meta's ``GET``
handshake) and, with ``WEBHOOK_APPLY_MODE=inline``, the whole delivery: that is the Flask app,
exactly as under a WSGI server.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from webhook import ingest
from webhook.front import SWITCH_INTERVAL_SECONDS, BufferedFront
from webhook.writer import writer

logger = logging.getLogger(__name__)
PREFIX = "/webhook"
_INTERNAL_ERROR = {"ok": False, "error": "internal_error", "detail": "unexpected server error"}


def webhook_route(path: str) -> str | None:
    """The path token of one of the receiver's webhook routes ("" when it holds none), or
    None when ``path`` is not one: ``/webhook``, ``/webhook/<event>``, ``/webhook/k/<token>``
    and ``/webhook/k/<token>/<event>``, each with or without a final slash (as the Flask
    routes, ``strict_slashes=False``)."""
    if not path.startswith(PREFIX):
        return None
    rest = path[len(PREFIX) :]
    if rest in ("", "/"):
        return ""
    if rest[0] != "/":
        return None  # /webhookfoo
    segments = rest[1:].removesuffix("/").split("/")
    if "" in segments:
        return None
    if len(segments) == 1:
        return ""  # /webhook/<event> (also /webhook/k)
    if segments[0] == "k" and len(segments) in (2, 3):
        return segments[1]
    return None


def inbound(scope: Any, body: bytes, token: str) -> ingest.InboundRequest:
    """What the Flask route builds from its request, built from granian's RSGI scope."""
    headers: dict[str, str] = {}
    for name, value in scope.headers.items():
        name = name.lower()
        headers[name] = f"{headers[name]},{value}" if name in headers else value
    query: dict[str, str] = {}
    for name, value in parse_qsl(scope.query_string, keep_blank_values=True):
        query.setdefault(name, value)  # the first one wins, as request.args.to_dict()
    declared = headers.get("content-length")
    return ingest.InboundRequest(
        body=body,
        declared_length=int(declared) if declared else None,  # the front checked it
        headers=headers,
        query=query,
        remote_addr=(scope.client or "").rpartition(":")[0].strip("[]"),
        path=scope.path,
        path_token=token,
        method=scope.method,
    )


class ReceiverFront(BufferedFront):
    def __init__(
        self,
        wsgi_app: Callable[..., Any],
        *,
        background: Callable[[], bool],
        on_answer: Callable[[int], None] = lambda _status: None,
        **front_options: Any,
    ) -> None:
        super().__init__(wsgi_app, **front_options)
        self.background = background  # read per request, like the front's limits
        self.on_answer = on_answer

    async def handle(self, scope: Any, proto: Any, body: bytes) -> None:
        token = webhook_route(scope.path) if scope.method == "POST" else None
        if token is None:
            await self._to_wsgi(scope, proto, body)
            return
        request = inbound(scope, body, token)
        try:
            if self.background():
                result = await self._drive(proto, ingest.receive_steps(request))
            else:  # inline: applying touches the database, so all of it runs in a thread
                _, result = await self.in_thread(proto, lambda: ingest.receive(request))
        except Exception:  # a bug of ours: a clear answer, and the traceback in the log
            logger.exception("unexpected error while receiving a delivery")
            result = ingest.IngestResponse(500, _INTERNAL_ERROR)
        if result is not None:  # None: answered already (the pool was full)
            self._answer(proto, result)

    async def _drive(self, proto: Any, steps: ingest.Steps) -> ingest.IngestResponse | None:
        """:func:`webhook.steps.drive` for the event loop: the commit is awaited, the other
        blocking steps run in the pool."""
        try:
            step = next(steps)
            while True:
                try:
                    if isinstance(step, ingest.StoreEvent):
                        result = await writer.store_async(step.fields)
                    else:
                        ran, result = await self.in_thread(proto, step)
                        if not ran:
                            steps.close()
                            return None
                except Exception as exc:  # handed back: the step's caller decides
                    step = steps.throw(exc)
                else:
                    step = steps.send(result)
        except StopIteration as done:
            return done.value

    def _answer(self, proto: Any, result: ingest.IngestResponse) -> None:
        if isinstance(result.body, str):
            content, kind = result.body.encode(), "text/plain; charset=utf-8"
        else:
            content, kind = json.dumps(result.body).encode(), "application/json"
        headers = [("content-type", kind), *result.headers.items()]
        proto.response_bytes(result.status, headers, content)
        self.on_answer(result.status)


def receiver_front(flask_app: Any, *, threads: int) -> ReceiverFront:
    """The front for the receiver's Flask app, with this project's settings, read per request
    (``WEBHOOK_MAX_BODY_BYTES``, ``WEBHOOK_BODY_TIMEOUT_SECONDS``,
    ``WEBHOOK_MAX_BUFFERED_BYTES``, ``WEBHOOK_APPLY_MODE``)."""
    from webhook.clients import client_directory
    from webhook.conf import webhook_settings

    client_directory.refresh_in_background()  # the event loop never waits on the database
    # The loop thread and the writer thread hand each batch over and back: with Python's
    # default 5 ms GIL switch interval the writer waited up to 5 ms behind a busy loop.
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    state = flask_app.extensions["multichat"]
    return ReceiverFront(
        flask_app,
        threads=threads,
        max_body_bytes=lambda: webhook_settings.MAX_BODY_BYTES,
        body_timeout=lambda: webhook_settings.BODY_TIMEOUT_SECONDS,
        max_buffered_bytes=lambda: webhook_settings.MAX_BUFFERED_BYTES,
        background=lambda: webhook_settings.APPLY_MODE == "background",
        on_answer=state.count,
    )
