"""/healthz and /readyz on both servers (webhook.health): alive without the database, ready only
with a database that answers in time and a writable spool, the broker reported but never
failing readiness, and no secret in any answer."""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

import pytest
from django.db import connection

from webhook import health


def get(server: str, path: str, request) -> tuple[int, dict]:
    if server == "django":
        from django.test import Client

        response = Client().get(path)
        return response.status_code, json.loads(response.content)
    app = request.getfixturevalue("flask_app")
    response = app.test_client().get(path)
    return response.status_code, json.loads(response.data)


@pytest.fixture(params=["django", "flask"])
def server(request) -> str:
    return request.param


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def database_down(monkeypatch, tmp_path):
    """New connections (the probe's thread makes its own) go to a database that is not there."""
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        monkeypatch.setitem(settings_dict, "NAME", str(tmp_path / "missing" / "db.sqlite3"))
    else:
        monkeypatch.setitem(settings_dict, "HOST", "127.0.0.1")
        monkeypatch.setitem(settings_dict, "PORT", str(closed_port()))
    return settings_dict


def test_healthz_answers_without_touching_the_database(server, request, db, database_down):
    status, body = get(server, "/healthz", request)
    assert status == 200
    assert body["ok"] is True and body["server"] == ("django" if server == "django" else "flask")


def test_healthz_makes_no_query(server, request, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        status, _ = get(server, "/healthz", request)
    assert status == 200


def test_readyz_is_ready_with_database_and_spool(server, request, db, settings):
    status, body = get(server, "/readyz", request)
    assert status == 200, body
    assert body["ok"] is True
    assert body["checks"] == {"database": "ok", "spool": "ok"}
    assert body["processing"] == "embedded" and body["broker"] == "not used"
    assert "reasons" not in body
    assert not list(Path(settings.WEBHOOK_SPOOL_DIR).glob(".ready-*"))  # the probe file is gone


def test_readyz_is_503_with_the_reason_when_the_database_is_down(
    server, request, db, database_down
):
    status, body = get(server, "/readyz", request)
    assert status == 503
    assert body["ok"] is False
    assert body["checks"]["spool"] == "ok"
    assert body["checks"]["database"].startswith("database unavailable (")
    assert body["reasons"] == [body["checks"]["database"]]
    # The error's class only: the message would name the database file, host or user.
    assert str(database_down.get("NAME")) not in json.dumps(body)


def test_readyz_is_ready_again_once_the_database_is_back(server, request, db, monkeypatch):
    name = connection.settings_dict["NAME"]
    port = connection.settings_dict.get("PORT")
    monkeypatch.setitem(connection.settings_dict, "NAME", "/nonexistent/dir/db.sqlite3")
    if connection.vendor != "sqlite":
        monkeypatch.setitem(connection.settings_dict, "PORT", str(closed_port()))
    assert get(server, "/readyz", request)[0] == 503
    monkeypatch.setitem(connection.settings_dict, "NAME", name)
    monkeypatch.setitem(connection.settings_dict, "PORT", port)
    assert get(server, "/readyz", request)[0] == 200


def test_readyz_is_503_when_the_spool_is_not_writable(server, request, db, settings, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    settings.WEBHOOK_SPOOL_DIR = str(blocker / "spool")
    status, body = get(server, "/readyz", request)
    assert status == 503
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["spool"].startswith("spool folder not writable (")


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_readyz_gives_up_on_a_hung_database_within_its_timeout(
    server, request, db, settings, monkeypatch
):
    """A database host that takes the connection and never answers (the probe must not wait
    for the driver's own connect timeout)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)  # never accepted: the handshake completes, no byte ever comes back
    monkeypatch.setitem(connection.settings_dict, "HOST", "127.0.0.1")
    monkeypatch.setitem(connection.settings_dict, "PORT", str(listener.getsockname()[1]))
    settings.WEBHOOK_READY_TIMEOUT_SECONDS = 0.5
    try:
        started = time.monotonic()
        status, body = get(server, "/readyz", request)
        assert time.monotonic() - started < 2
        assert status == 503
        assert body["checks"]["database"] == "database did not answer within 0.5 s"
        status, body = get(server, "/readyz", request)  # the first check still hangs
        assert status == 503
        assert body["checks"]["database"].startswith("database check still waiting after ")
    finally:
        listener.close()  # the hung connection attempt fails now
        health.database_check._pending.exception(timeout=30)


def test_bounded_check_runs_one_at_a_time_and_times_out():
    bounded = health.Bounded("thing")
    release = threading.Event()
    assert bounded.run(lambda: release.wait(5), timeout=0.05) == (
        False,
        "thing did not answer within 0.05 s",
    )
    answered, reason = bounded.run(lambda: "never called", timeout=0.05)
    assert not answered and reason.startswith("thing check still waiting after ")
    release.set()
    bounded._pending.result(timeout=5)
    assert bounded.run(lambda: 42, timeout=1) == (True, 42)

    def broken():
        raise ConnectionResetError("secret detail")

    assert bounded.run(broken, timeout=1) == (False, "thing unavailable (ConnectionResetError)")


def test_broker_is_reported_and_never_fails_readiness(server, request, db, settings):
    settings.WEBHOOK_PROCESSING = "celery"
    settings.CELERY_BROKER_URL = f"amqp://multichat:s3cr3t@127.0.0.1:{closed_port()}//"
    status, body = get(server, "/readyz", request)
    assert status == 200
    assert body["processing"] == "celery"
    assert body["broker"] == "unreachable (ConnectionRefusedError)"
    assert body["broker_kind"] == "amqp"
    assert "s3cr3t" not in json.dumps(body) and "multichat:" not in json.dumps(body)

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
        status, body = get(server, "/readyz", request)
    assert status == 200
    assert body["broker"] == "reachable" and body["broker_kind"] == "redis"
