"""The store channel: receivers hand raw events to the applier process, the database's one writer.

With SQLite only one connection writes at a time. When every receiver process commits its own
acks while the applier commits its batches, they queue for the same lock, and the receivers'
writer threads, competing for the GIL with their request threads, hold it several times longer
than the work takes. Instead, in background mode the applier process listens on a local Unix
socket; request threads send the prepared event fields there and wait for the reply. The
applier's loop commits all requests that are waiting in one transaction (one fsync), answers
each with its row id, and applies stored events in small slices between ack batches. A reply
is only sent after the commit, so a 2xx still means "the raw event is in the database".

When the channel is not there (applier not started yet, restarting, or Windows), the receiver
stores through its own group-commit writer (``webhook.writer``) exactly as before. A reply lost
after a commit makes the receiver store the event again under the same unique ``delivery_id``:
the database refuses the copy and the event is spooled, where the drain skips ids already stored.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
import selectors
import socket
import stat
import struct
import tempfile
import threading
from datetime import datetime
from typing import Any

from django.db import DatabaseError, InterfaceError, OperationalError, connection

from webhook.models import WebhookEvent

logger = logging.getLogger(__name__)
FRAME = struct.Struct("!I")
MAX_FRAME = 256 * 1024 * 1024
REPLY_TIMEOUT_SECONDS = 60.0


class ChannelUnavailable(Exception):
    """The applier's socket is not there or broke: store in-process instead."""


def socket_path() -> str | None:
    """The socket of this database's applier: only file SQLite databases on POSIX use one."""
    if os.name != "posix" or connection.vendor != "sqlite":
        return None
    return _socket_path_for(str(connection.settings_dict["NAME"]))


@functools.lru_cache(maxsize=8)
def _socket_path_for(name: str) -> str | None:
    if name == ":memory:" or name.startswith("file:"):
        return None
    folder = _private_folder()
    if folder is None:
        return None
    # Short and fixed-length (Unix socket paths are limited to ~100 bytes), one per database.
    digest = hashlib.sha256(os.path.abspath(name).encode()).hexdigest()[:16]
    return os.path.join(folder, f"{digest}.sock")


def _private_folder() -> str | None:
    """A folder only this user can enter, so no one else can stand in for the applier."""
    folder = os.path.join(tempfile.gettempdir(), f"multichat-{os.getuid()}")
    with contextlib.suppress(FileExistsError):
        os.mkdir(folder, 0o700)
    try:
        info = os.lstat(folder)
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        logger.warning("%s is not a private folder of this user: acks commit in-process", folder)
        return None
    return folder


def _encode(message: dict[str, Any]) -> bytes:
    data = json.dumps(
        message,
        ensure_ascii=False,
        default=lambda v: v.isoformat() if isinstance(v, datetime) else str(v),
    ).encode("utf-8", "surrogatepass")
    return FRAME.pack(len(data)) + data


def _decode(data: bytes) -> dict[str, Any]:
    return json.loads(data.decode("utf-8", "surrogatepass"))


def _recv_exactly(sock: socket.socket, size: int) -> bytes:
    chunks, missing = [], size
    while missing:
        chunk = sock.recv(min(missing, 1 << 20))
        if not chunk:
            raise ConnectionError("channel closed")
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


class ChannelClient:
    """One connection per request thread; each call is one round trip."""

    def __init__(self) -> None:
        self._local = threading.local()

    def store(self, fields: dict[str, Any], path: str) -> WebhookEvent:
        sock = self._socket(path)
        try:
            sock.sendall(_encode(fields))
            (size,) = FRAME.unpack(_recv_exactly(sock, FRAME.size))
            reply = _decode(_recv_exactly(sock, size))
        except OSError as exc:
            self.close()
            raise ChannelUnavailable(str(exc)) from exc
        if "error" in reply:
            raise OperationalError(reply["error"])
        event = WebhookEvent(**fields)
        event.pk = reply["id"]
        return event

    def _socket(self, path: str) -> socket.socket:
        sock = getattr(self._local, "sock", None)
        if sock is not None and self._local.pid == os.getpid() and self._local.path == path:
            return sock
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(REPLY_TIMEOUT_SECONDS)
        try:
            sock.connect(path)
        except OSError as exc:
            sock.close()
            raise ChannelUnavailable(str(exc)) from exc
        self._local.sock, self._local.pid, self._local.path = sock, os.getpid(), path
        return sock

    def close(self) -> None:
        sock = getattr(self._local, "sock", None)
        self._local.sock = None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()


class _Peer:
    __slots__ = ("buffer", "sock")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = bytearray()


class ChannelServer:
    """The applier's side: accepts receivers, collects their requests, answers after commit."""

    def __init__(self, path: str) -> None:
        self.path = path
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)  # a socket left by a killed applier
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old_umask = os.umask(0o077)  # only this user may connect
        try:
            self._listener.bind(path)
        finally:
            os.umask(old_umask)
        self._listener.listen(256)
        self._listener.setblocking(False)
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._listener, selectors.EVENT_READ, None)

    def poll(self, timeout: float) -> list[tuple[_Peer, dict[str, Any]]]:
        """Requests that arrived (waiting up to ``timeout`` seconds for the first one)."""
        requests: list[tuple[_Peer, dict[str, Any]]] = []
        for key, _ in self._selector.select(timeout):
            if key.data is None:
                self._accept()
                continue
            peer: _Peer = key.data
            try:
                data = peer.sock.recv(1 << 20)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if not data:
                self._drop(peer)
                continue
            peer.buffer += data
            requests.extend((peer, message) for message in self._frames(peer))
        return requests

    def _frames(self, peer: _Peer) -> list[dict[str, Any]]:
        messages = []
        while len(peer.buffer) >= FRAME.size:
            (size,) = FRAME.unpack_from(peer.buffer)
            if size > MAX_FRAME:
                self._drop(peer)
                return []
            if len(peer.buffer) < FRAME.size + size:
                break
            payload = bytes(peer.buffer[FRAME.size : FRAME.size + size])
            del peer.buffer[: FRAME.size + size]
            try:
                messages.append(_decode(payload))
            except ValueError:
                logger.error("channel: undecodable request dropped (the receiver will retry)")
                self._drop(peer)
                return []
        return messages

    def _accept(self) -> None:
        while True:
            try:
                sock, _ = self._listener.accept()
            except BlockingIOError:
                return
            sock.setblocking(True)
            sock.settimeout(5.0)  # replies are small; a stuck receiver must not stall the loop
            self._selector.register(sock, selectors.EVENT_READ, _Peer(sock))

    def _drop(self, peer: _Peer) -> None:
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(peer.sock)
        with contextlib.suppress(OSError):
            peer.sock.close()

    def answer(self, requests: list[tuple[_Peer, dict[str, Any]]], results: list) -> None:
        for (peer, _), result in zip(requests, results, strict=True):
            if isinstance(result, BaseException):
                reply = {"error": f"{type(result).__name__}: {result}"}
            else:
                reply = {"id": result.pk}
            try:
                peer.sock.sendall(_encode(reply))
            except OSError:
                self._drop(peer)

    def close(self) -> None:
        for key in list(self._selector.get_map().values()):
            with contextlib.suppress(OSError):
                key.fileobj.close()
        self._selector.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)


def serve_requests(server: ChannelServer, requests: list[tuple[_Peer, dict[str, Any]]]) -> None:
    """Commit what the receivers sent, in one transaction, then answer each of them."""
    from webhook.writer import commit_events

    fields = [message for _, message in requests]
    try:
        results = commit_events(fields)
    except (DatabaseError, InterfaceError, ValueError, TypeError) as exc:
        results = [exc] * len(fields)
    server.answer(requests, results)


client = ChannelClient()
