"""Nothing lost: real receiver processes, real crashes, real database outages.

Each test starts ``servidor_webhook_local.py`` as a user would (group-commit acks, applier
process) against its own database, and checks the database directly afterwards.
"""

from __future__ import annotations

import glob
import signal
import sqlite3
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit, urlunsplit

import pytest

from webhook.sample import sample_payload
from webhook.tests.live import LiveReceiver, TcpProxy, postgres_database, postgres_url

needs_postgres = pytest.mark.skipif(
    postgres_url() is None,
    reason="needs DATABASE_URL pointing at PostgreSQL (CI's second pass sets it)",
)


def _ids(n: int, prefix: str) -> list[str]:
    run = uuid.uuid4().hex[:8]
    return [f"{prefix}-{run}-{i}" for i in range(n)]


@pytest.fixture
def sqlite_receiver(tmp_path):
    receiver = LiveReceiver(tmp_path, env={"WEBHOOK_SQLITE_TIMEOUT": "1"})
    receiver.prepare()
    yield receiver
    receiver.kill()


@pytest.fixture
def postgres_receiver(tmp_path):
    url, drop = postgres_database(f"multichat_live_{uuid.uuid4().hex[:8]}")
    target = urlsplit(url)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 5432)
    proxy.start()
    proxied = urlunsplit(
        target._replace(netloc=f"{target.username or 'postgres'}@127.0.0.1:{proxy.port}")
    )
    receiver = LiveReceiver(tmp_path, database_url=proxied, env={"WEBHOOK_DB_CONNECT_TIMEOUT": "2"})
    receiver._direct_url = url
    receiver.prepare()
    receiver.proxy = proxy
    yield receiver
    receiver.kill()
    proxy.stop()
    drop()


def test_every_acknowledged_delivery_survives_a_kill_9(sqlite_receiver):
    """Killing the receiver while requests are in flight loses none that were answered 2xx."""
    receiver = sqlite_receiver
    receiver.start()
    ids = _ids(400, "kill")
    acked: list[str] = []
    lock = threading.Lock()
    killed = threading.Event()

    def deliver(message_id: str) -> None:
        if killed.is_set():
            return
        try:
            status, _ = receiver.post(sample_payload(message_id=message_id), timeout=10)
        except OSError:
            return  # the connection died with the process: never acknowledged
        if 200 <= status < 300:
            with lock:
                acked.append(message_id)
                if len(acked) == 150:
                    receiver.kill(signal.SIGKILL)
                    killed.set()

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(deliver, ids))
    assert killed.is_set() and len(acked) >= 150

    receiver.start()  # the applier picks up whatever the kill left in the inbox or unapplied
    quoted = ",".join(f"'{i}'" for i in acked)
    applied = receiver.wait_for(
        f"SELECT count(*) FROM webhook_message WHERE external_id IN ({quoted})",
        len(acked),  # noqa: S608
    )
    assert applied == len(acked), receiver.log()[-3000:]
    stored = receiver.scalar(
        f"SELECT count(DISTINCT body) FROM webhook_webhookevent WHERE {_any_id_in_body(acked)}"  # noqa: S608
    )
    assert stored == len(acked)


def _any_id_in_body(ids: list[str]) -> str:
    return "(" + " OR ".join(f"body LIKE '%\"{i}\"%'" for i in ids) + ")"


def _outage_then_recovery(receiver, take_down, bring_back) -> None:
    receiver.start()
    warm_status, _ = receiver.post(sample_payload(message_id=f"warm-{uuid.uuid4().hex[:6]}"))
    assert warm_status in (200, 202)
    ids = _ids(5, "outage")
    take_down()
    answers = [receiver.post(sample_payload(message_id=i), timeout=30) for i in ids]
    for status, body in answers:
        # Durably spooled (202) — or, if even the spool were unwritable, a 503 to retry.
        assert status == 202 and body.get("spooled") is True, (status, body)
    assert len(list((receiver.workdir / "spool").glob("*.jsonl"))) >= 1
    bring_back()
    quoted = ",".join(f"'{i}'" for i in ids)
    applied = receiver.wait_for(
        f"SELECT count(*) FROM webhook_message WHERE external_id IN ({quoted})",
        len(ids),
        timeout=40,  # noqa: S608
    )
    assert applied == len(ids), receiver.log()[-3000:]
    events = receiver.scalar(
        f"SELECT count(*) FROM webhook_webhookevent WHERE {_any_id_in_body(ids)}"
    )  # noqa: S608
    assert events == len(ids)  # every spooled delivery arrived exactly once
    assert not list((receiver.workdir / "spool").glob("*.jsonl"))


@pytest.fixture
def sqlite_single_receiver(tmp_path):
    """One receiver process, so that after one delivery its inbox file exists to be locked."""
    receiver = LiveReceiver(tmp_path, env={"WEBHOOK_SQLITE_TIMEOUT": "1", "WEBHOOK_WORKERS": "1"})
    receiver.prepare()
    yield receiver
    receiver.kill()


def test_sqlite_locked_past_its_timeout_spools_and_recovers(sqlite_single_receiver):
    """Every file locked: the database and the inbox the acks commit to."""
    receiver = sqlite_single_receiver
    holders: list[sqlite3.Connection] = []

    def take_down() -> None:
        inboxes = glob.glob(f"{glob.escape(str(receiver.sqlite_path))}-inbox.*[0-9]")
        assert inboxes, "the warm-up delivery created the receiver's inbox"
        for path in [receiver.sqlite_path, *inboxes]:
            conn = sqlite3.connect(path, timeout=30, isolation_level=None)
            conn.execute("BEGIN EXCLUSIVE")
            holders.append(conn)

    def bring_back() -> None:
        for conn in holders:
            conn.execute("COMMIT")
            conn.close()

    _outage_then_recovery(receiver, take_down, bring_back)


def test_sqlite_main_file_locked_acks_keep_coming_and_apply_after(sqlite_receiver):
    """A long write on the database (an admin action, a rebuild) does not hold up the acks:
    they commit to the inbox, and are applied once the database is free."""
    receiver = sqlite_receiver
    receiver.start()
    status, _ = receiver.post(sample_payload(message_id=f"warm-{uuid.uuid4().hex[:6]}"))
    assert status in (200, 202)
    conn = sqlite3.connect(receiver.sqlite_path, timeout=30, isolation_level=None)
    conn.execute("BEGIN EXCLUSIVE")
    try:
        ids = _ids(5, "busy")
        answers = [receiver.post(sample_payload(message_id=i), timeout=30) for i in ids]
    finally:
        time.sleep(0.3)
        conn.execute("COMMIT")
        conn.close()
    for status, body in answers:
        assert status == 202 and not body.get("spooled"), (status, body)
    assert not list((receiver.workdir / "spool").glob("*.jsonl"))
    quoted = ",".join(f"'{i}'" for i in ids)
    applied = receiver.wait_for(
        f"SELECT count(*) FROM webhook_message WHERE external_id IN ({quoted})",  # noqa: S608
        len(ids),
    )
    assert applied == len(ids), receiver.log()[-3000:]


@needs_postgres
def test_postgres_down_spools_and_recovers(postgres_receiver):
    receiver = postgres_receiver
    _outage_then_recovery(receiver, receiver.proxy.stop, receiver.proxy.start)


@needs_postgres
def test_postgres_kill_9_loses_nothing_acknowledged(postgres_receiver):
    receiver = postgres_receiver
    receiver.start()
    ids = _ids(200, "pgkill")
    acked: list[str] = []
    lock = threading.Lock()

    def deliver(message_id: str) -> None:
        try:
            status, _ = receiver.post(sample_payload(message_id=message_id), timeout=10)
        except OSError:
            return
        if 200 <= status < 300:
            with lock:
                acked.append(message_id)
                if len(acked) == 80:
                    receiver.kill(signal.SIGKILL)

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(deliver, ids))
    time.sleep(0.5)
    receiver.start()
    quoted = ",".join(f"'{i}'" for i in acked)
    applied = receiver.wait_for(
        f"SELECT count(*) FROM webhook_message WHERE external_id IN ({quoted})",
        len(acked),  # noqa: S608
    )
    assert applied == len(acked), receiver.log()[-3000:]


def test_killing_the_applier_mid_burst_loses_nothing_and_it_comes_back(sqlite_receiver):
    """Killed with -9 in the middle of a burst: the receivers keep acking (their commits do
    not depend on it), every 2xx ends up a stored, applied row, once, and the server starts a
    new applier that applies everything."""
    receiver = sqlite_receiver
    receiver.start()
    ids = _ids(300, "applier")
    acked: list[str] = []
    lock = threading.Lock()
    killed: list[int] = []

    def deliver(message_id: str) -> None:
        status, _ = receiver.post(sample_payload(message_id=message_id), timeout=30)
        if 200 <= status < 300:
            with lock:
                acked.append(message_id)
                if len(acked) == 100:
                    killed.append(receiver.kill_applier())

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(deliver, ids))
    assert killed and len(acked) == len(ids)
    quoted = ",".join(f"'{i}'" for i in acked)
    applied = receiver.wait_for(
        f"SELECT count(*) FROM webhook_message WHERE external_id IN ({quoted})",  # noqa: S608
        len(acked),
    )
    assert applied == len(acked), receiver.log()[-3000:]
    stored = receiver.scalar("SELECT count(*) FROM webhook_webhookevent")
    assert stored == len(ids)  # nothing twice
    assert receiver.applier_pid() not in (None, killed[0])
