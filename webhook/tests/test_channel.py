"""SQLite's one writer: receivers hand their events to the applier over a local socket.

The promises are the same as with in-process commits: a 2xx only after the raw event is
committed, nothing stored twice when a reply is lost, and acks keep working when the applier
is away. These tests run the real applier loop in a thread against the test database.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from webhook import applier, channel, ingest, spool
from webhook.models import Message, WebhookEvent
from webhook.sample import sample_payload
from webhook.writer import writer

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(sys.platform == "win32", reason="Unix sockets"),
]


@pytest.fixture(autouse=True)
def _sqlite_only():
    if connection.vendor != "sqlite":
        pytest.skip("the channel is SQLite's single writer; PostgreSQL takes writers side by side")


@pytest.fixture
def background(settings):
    settings.WEBHOOK_APPLY_MODE = "background"
    yield
    writer.shutdown()
    channel.client.close()


def _deliver(token: str, message_id: str) -> ingest.IngestResponse:
    body = json.dumps(sample_payload(message_id=message_id)).encode()
    try:
        return ingest.receive(ingest.InboundRequest(body=body, headers={"x-webhook-token": token}))
    finally:
        channel.client.close()
        connections.close_all()


class _Applier:
    """The applier loop (socket and all) in a thread, as ``webhook_apply`` runs it."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.applied = 0

    def _run(self) -> None:
        try:
            self.applied = applier.run(self.stop)
        finally:
            connections.close_all()

    def __enter__(self) -> _Applier:
        self.thread.start()
        path = channel.socket_path()
        deadline = time.monotonic() + 10
        while not _listening(path):
            assert time.monotonic() < deadline, "the applier did not open its socket"
            time.sleep(0.01)
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(10)


def _listening(path: str) -> bool:
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(path)
    except OSError:
        return False
    finally:
        probe.close()
    return True


def _no_local_commits(monkeypatch) -> None:
    def refuse(fields):
        raise AssertionError("acked by the receiver's own writer, not through the channel")

    monkeypatch.setattr(writer, "store", refuse)


def test_acks_go_through_the_applier_and_get_applied(sample_client, background, monkeypatch):
    _no_local_commits(monkeypatch)
    ids = [f"ch-{i}" for i in range(60)]
    with _Applier():
        with ThreadPoolExecutor(max_workers=16) as pool:
            responses = list(pool.map(lambda i: _deliver(sample_client.webhook_token, i), ids))
        # every 202 names a committed row, before anything is applied or not
        assert [r.status for r in responses] == [202] * 60
        event_ids = {r.body["event_id"] for r in responses}
        assert WebhookEvent.objects.filter(pk__in=event_ids).count() == 60
        deadline = time.monotonic() + 15
        while Message.objects.filter(external_id__in=ids).count() < 60:
            assert time.monotonic() < deadline, "not applied"
            time.sleep(0.05)
    assert WebhookEvent.objects.filter(pk__in=event_ids, status="processed").count() == 60


def test_without_the_applier_the_receiver_commits_itself(sample_client, background):
    response = _deliver(sample_client.webhook_token, "no-applier")
    assert response.status == 202 and response.body["status"] == "received"
    assert WebhookEvent.objects.filter(pk=response.body["event_id"]).exists()


def test_a_reply_lost_after_the_commit_stores_the_delivery_once(
    sample_client, background, monkeypatch
):
    """The applier commits, then the connection breaks before the reply: the receiver stores
    again under the same delivery id, the database refuses the copy, the spool keeps it, and
    the drain skips it. One row in the end, and the sender still got its 2xx."""
    real_answer = channel.ChannelServer.answer

    def commit_then_break(self, requests, results):
        for peer, _ in requests:
            peer.sock.shutdown(socket.SHUT_RDWR)
        monkeypatch.setattr(channel.ChannelServer, "answer", real_answer)

    monkeypatch.setattr(channel.ChannelServer, "answer", commit_then_break)
    with _Applier():
        response = _deliver(sample_client.webhook_token, "lost-reply")
        assert response.status == 202 and response.body.get("spooled") is True
        delivery_id = response.body["delivery_id"]
        assert WebhookEvent.objects.filter(delivery_id=delivery_id).count() == 1
        assert spool.pending_count() == 1
        spool.drain()
    assert WebhookEvent.objects.filter(delivery_id=delivery_id).count() == 1
    assert not spool.pending_files()


def test_a_database_error_in_the_applier_is_spooled_not_acked_as_stored(
    sample_client, background, monkeypatch
):
    from django.db import OperationalError

    def locked(batch):
        return [OperationalError("database is locked")] * len(batch)

    monkeypatch.setattr("webhook.writer.commit_events", locked)
    monkeypatch.setattr(applier, "SPOOL_CHECK_SECONDS", 3600.0)  # keep it spooled for the check
    with _Applier():
        response = _deliver(sample_client.webhook_token, "locked")
    assert response.status == 202 and response.body.get("spooled") is True
    assert not WebhookEvent.objects.filter(body__contains="locked").exists()
    assert spool.pending_count() == 1


def test_garbage_on_the_socket_does_not_stop_the_applier(sample_client, background):
    with _Applier() as running:
        path = channel.socket_path()
        for junk in (b"\xff\xff\xff\xff", b"\x00\x00\x00\x05nope!", b"\x00\x00"):
            probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            probe.connect(path)
            probe.sendall(junk)
            probe.close()
        response = _deliver(sample_client.webhook_token, "after-junk")
        assert response.status == 202
        assert running.thread.is_alive()
    assert WebhookEvent.objects.filter(pk=response.body["event_id"]).exists()


def test_the_socket_is_private_to_its_user(sample_client, background):
    import os
    import stat

    with _Applier():
        mode = stat.S_IMODE(os.stat(channel.socket_path()).st_mode)
    assert mode & 0o077 == 0
