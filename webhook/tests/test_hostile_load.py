"""Hostile load without credentials against real servers on 127.0.0.1 (issue 10), bounded in
count and time. The Django server is started exactly as `make run` starts it."""

from __future__ import annotations

import json
import os
import socket
import time
import urllib.request
from pathlib import Path

import pytest

from webhook.sample import sample_payload
from webhook.tests.live import DjangoServer, LiveReceiver

pytestmark = pytest.mark.skipif(
    os.name == "nt" or not Path("/proc").is_dir(), reason="POSIX servers, RSS read from /proc"
)
LIMIT = 1024 * 1024  # WEBHOOK_MAX_BODY_BYTES for these servers


def _tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MB."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(next(x for x in status.splitlines() if x.startswith("VmRSS")).split()[1])
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except (OSError, StopIteration):
            continue
        todo += [int(c) for c in children]
    return total / 1024


@pytest.fixture
def live(tmp_path):
    receiver = LiveReceiver(
        tmp_path,
        env={
            "WEBHOOK_MAX_BODY_BYTES": str(LIMIT),
            "WEBHOOK_BODY_TIMEOUT_SECONDS": "3",
            "WEBHOOK_APPLY_MODE": "background",
        },
    )
    receiver.prepare()
    yield receiver
    receiver.kill()


@pytest.fixture
def django_server(live):
    server = DjangoServer(live)
    yield server
    server.stop()


def _post_raw(port: int, head: str, body_chunks, *, path: str = "/webhook/") -> int:
    """Send a request by hand; returns the status the server answered (0: none)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}\r\n".encode())
        try:
            for chunk in body_chunks:
                sock.sendall(chunk)
        except OSError:
            pass  # the server stopped reading (and answered): exactly what we want
        sock.settimeout(10)
        try:
            reply = sock.recv(200)
        except OSError:
            return 0
    return int(reply.split()[1]) if reply.startswith(b"HTTP/") else 0


def _huge(total_mb: int):
    block = b"x" * (1024 * 1024)
    for _ in range(total_mb):
        yield block


def _chunked(total_mb: int):
    block = b"x" * (1024 * 1024)
    for _ in range(total_mb):
        yield b"%x\r\n" % len(block) + block + b"\r\n"
    yield b"0\r\n\r\n"


def _status(port: int, path: str) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as reply:  # noqa: S310
        return json.loads(reply.read())


@pytest.mark.parametrize("server", ["receiver", "django"])
@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_a_huge_body_costs_at_most_the_limit(live, request, server, framing):
    if server == "receiver":
        live.start()
        port, pid, path = live.port, live.process.pid, "/webhook"
    else:
        django = request.getfixturevalue("django_server")
        port, pid, path = django.port, django.process.pid, "/webhook/"
    before = _tree_rss_mb(pid)
    if framing == "content-length":
        head = f"Content-Type: application/json\r\nContent-Length: {1024**3}\r\n"
        status = _post_raw(port, head, _huge(200), path=path)
    else:
        head = "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
        status = _post_raw(port, head, _chunked(200), path=path)
    after = _tree_rss_mb(pid)
    assert status == 413, status
    assert after - before < 60, f"RSS grew {after - before:.0f} MB for one refused body"


@pytest.mark.parametrize("server", ["receiver", "django"])
def test_slow_bodies_never_delay_a_legitimate_delivery(live, request, server):
    """200 connections trickling a body one byte a second; a delivery in the middle of them is
    acknowledged within a second, and the slow ones are answered 408 once their time is up."""
    if server == "receiver":
        live.start()
        port, path = live.port, "/webhook"
    else:
        port, path = request.getfixturevalue("django_server").port, "/webhook/"
    slow: list[socket.socket] = []
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Content-Length: 1000\r\n\r\n{"
    )
    for _ in range(200):
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        sock.sendall(head.encode())
        slow.append(sock)
    try:
        time.sleep(1.0)
        for sock in slow:  # one more byte a second, as the attacker does
            sock.sendall(b" ")
        body = json.dumps(sample_payload(message_id="legit-under-attack")).encode()
        started = time.monotonic()
        req = urllib.request.Request(
            f"http://127.0.0.1:{port}{path}",
            data=body,
            headers={"Content-Type": "application/json", "X-Webhook-Token": live.token},
        )
        with urllib.request.urlopen(req, timeout=10) as reply:  # noqa: S310
            assert reply.status in (200, 202)
        assert time.monotonic() - started < 1.0
        time.sleep(3.5)  # past WEBHOOK_BODY_TIMEOUT_SECONDS: the slow ones get 408
        answered = 0
        for sock in slow[:20]:
            sock.settimeout(5)
            try:
                answered += sock.recv(20).startswith(b"HTTP/1.1 408")
            except OSError:
                pass
        assert answered == 20
        status_path = "/status" if server == "receiver" else "/webhook/status/?format=json"
        tripped = _status(port, status_path)["limits_tripped"]
        assert tripped.get("body_timeout", 0) >= 20, tripped
    finally:
        for sock in slow:
            sock.close()


def test_trips_are_counted_on_both_status_pages(live, django_server):
    live.start()
    head = f"Content-Type: application/json\r\nContent-Length: {LIMIT * 4}\r\n"
    assert _post_raw(live.port, head, [b"{}"], path="/webhook") == 413
    assert _post_raw(django_server.port, head, [b"{}"]) == 413
    time.sleep(1.5)  # counters are flushed to the shared file once a second
    for port, path in (
        (live.port, "/status"),
        (django_server.port, "/webhook/status/?format=json"),
    ):
        tripped = _status(port, path)["limits_tripped"]
        assert tripped.get("body_too_large", 0) >= 2, tripped  # one per server, shared totals


@pytest.mark.parametrize("server", ["receiver", "django"])
def test_large_bodies_held_at_once_stay_within_the_workers_budget(tmp_path, server):
    """Connections each sending a body just under the limit must not add up: past
    WEBHOOK_MAX_BUFFERED_BYTES a large body is answered 503 + Retry-After (counted), while an
    ordinary delivery still goes through."""
    live = LiveReceiver(
        tmp_path,
        env={
            "WEBHOOK_MAX_BODY_BYTES": str(LIMIT),
            "WEBHOOK_MAX_BUFFERED_BYTES": str(3 * LIMIT),
            "WEBHOOK_BODY_TIMEOUT_SECONDS": "20",
            "WEBHOOK_APPLY_MODE": "background",
            "WEBHOOK_WORKERS": "1",
        },
    )
    live.prepare()
    django = None
    try:
        if server == "receiver":
            live.start()
            port, path, status_path = live.port, "/webhook", "/status"
        else:
            django = DjangoServer(live)
            port, path, status_path = django.port, "/webhook/", "/webhook/status/?format=json"
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {LIMIT}\r\n\r\n{{"
        )
        held = []
        for _ in range(3):  # 3 x 1 MiB declared: the whole budget, still arriving
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            sock.sendall(head.encode())
            held.append(sock)
        time.sleep(0.5)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(head.encode())
            sock.settimeout(10)
            reply = sock.recv(400)
        assert reply.startswith(b"HTTP/1.1 503"), reply
        assert b"retry-after" in reply.lower() and b"body_budget" in reply
        body = json.dumps(sample_payload(message_id="small-under-budget")).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}{path}",
            data=body,
            headers={"Content-Type": "application/json", "X-Webhook-Token": live.token},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            assert answer.status in (200, 202)
        tripped = _status(port, status_path)["limits_tripped"]
        assert tripped.get("body_budget", 0) >= 1, tripped
        for sock in held:
            sock.close()
    finally:
        if django is not None:
            django.stop()
        live.kill()
