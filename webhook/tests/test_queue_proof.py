"""Proof of the queue mode with real processes: nothing acknowledged is lost or applied twice.

2 receivers (``servidor_webhook_local.py``, ``WEBHOOK_PROCESSING=celery``) + 2 Celery workers +
beat, on a fresh PostgreSQL database and a real broker (RabbitMQ, then Redis), every process
talking to the broker through a ``TcpProxy``. A paced burst of deliveries, 10 % of them exact
copies, goes to both receivers while (a) one worker is killed with SIGKILL mid-batch and
started again, (b) the broker is unreachable for 10 s (the proxy is stopped, then started; the
machine's broker is never touched), (c) a receiver is killed with SIGKILL mid-burst and
started again; deliveries it did not answer are sent again to the other one, as a gateway
does. Then: every 2xx is stored and applied exactly once (``attempts`` = 1) within 30 s of the
last delivery, duplicates stay one message, and the statistics equal ``webhook_rebuild_stats``.

Bounded: WEBHOOK_PROOF_DELIVERIES deliveries (default 3,000; the issue's 20,000 by hand) over
WEBHOOK_PROOF_SECONDS seconds (default 30). Skipped when PostgreSQL (DATABASE_URL) or the
broker is not reachable on 127.0.0.1.
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from webhook.tests import queue_live, queue_support
from webhook.tests.live import LiveReceiver, TcpProxy, postgres_database, postgres_url

pytestmark = pytest.mark.postgres
DELIVERIES = int(os.environ.get("WEBHOOK_PROOF_DELIVERIES", "3000"))
SECONDS = float(os.environ.get("WEBHOOK_PROOF_SECONDS", "30"))
APPLIED_WITHIN = 30.0
SENDERS = 12
# Worker w0 holds a client's advisory lock: it is inside an apply transaction (mid-batch).
APPLYING = (
    "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
    "WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = 'w0'"
)


@pytest.fixture(params=sorted(queue_live.BROKERS))
def broker(request) -> str:
    if postgres_url() is None:
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgresql://... (.ci/run does)")
    url, port = queue_live.BROKERS[request.param]
    if not queue_live.broker_reachable(port):
        if os.environ.get("WEBHOOK_REQUIRE_BROKERS") == "1":  # .ci/run: a failure, not a skip
            pytest.fail(f"{request.param} is not reachable on 127.0.0.1:{port}")
        pytest.skip(f"{request.param} is not reachable on 127.0.0.1:{port}")
    return request.param


class Stack:
    """The processes of one run, and what the test counted."""

    def __init__(self, workdir, broker: str, *, receivers: int = 2, workers: int = 2) -> None:
        url, port = queue_live.BROKERS[broker]
        if broker == "rabbitmq":
            url = url.replace("{vhost}", queue_live.rabbitmq_vhost())
        self.database_url, self.drop = postgres_database(f"webhook_queue_proof_{broker}")
        self.proxy = TcpProxy("127.0.0.1", port)
        env = {
            "WEBHOOK_PROCESSING": "celery",
            "CELERY_BROKER_URL": url.format(port=self.proxy.port),
            "WEBHOOK_QUEUE_LEASE_SECONDS": "6",
            "WEBHOOK_QUEUE_SWEEP_SECONDS": "2",
            "WEBHOOK_WORKERS": "1",
            "WEBHOOK_MEDIA_FETCH": "0",
            # A small publish buffer: the outage loses publishes for real, the sweeper covers.
            "WEBHOOK_QUEUE_PUBLISH_BUFFER": "4",
        }
        self.receivers = []
        for index in range(receivers):
            folder = workdir / f"receiver{index}"
            folder.mkdir()
            self.receivers.append(LiveReceiver(folder, database_url=self.database_url, env=env))
        self.env = self.receivers[0].env
        direct = dict(self.env, CELERY_BROKER_URL=url.format(port=port))
        if broker == "redis":
            import redis

            redis.Redis(port=port, db=7).flushdb()  # our own database number only
        else:
            queue_live.purge(direct)
        self.workers = [  # each named in pg_stat_activity, to be killed while it applies
            queue_live.worker(
                workdir,
                dict(self.env, DATABASE_URL=f"{self.database_url}?application_name=w{i}"),
                f"w{i}",
            )
            for i in range(workers)
        ]
        self.beat = queue_live.beat(workdir, self.env)
        self.acked: dict[int, int] = {}  # event id -> index of the delivery
        self.unanswered: list[int] = []
        self.lock = threading.Lock()
        self.faults: list[str] = []

    def start(self) -> None:
        self.proxy.start()
        self.receivers[0].prepare()
        for receiver in self.receivers[1:]:
            receiver.token = self.receivers[0].token
        for process in (*self.receivers, *self.workers, self.beat):
            process.start()

    def stop(self) -> None:
        for process in (*self.workers, self.beat):
            process.stop()
        for receiver in self.receivers:
            receiver.kill()
        self.proxy.stop()
        self.drop()

    def deliver(self, index: int, payload: dict, receiver: LiveReceiver) -> bool:
        try:
            status, body = receiver.post(payload, timeout=20)
        except OSError:  # refused or cut: never acknowledged, the gateway sends it again
            status, body = 0, {}
        with self.lock:
            if 200 <= status < 300 and body.get("event_id"):
                self.acked[body["event_id"]] = index
                return True
            self.unanswered.append(index)
        return False

    def scalar(self, sql: str):
        return self.receivers[0].scalar(sql)


def _burst(stack: Stack, deliveries: list[dict]) -> None:
    """The deliveries paced over SECONDS, alternating receivers, from SENDERS threads."""
    started = time.monotonic()

    def send(index: int) -> None:
        delay = started + index * SECONDS / len(deliveries) - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        stack.deliver(index, deliveries[index], stack.receivers[index % 2])

    with ThreadPoolExecutor(max_workers=SENDERS) as pool:
        list(pool.map(send, range(len(deliveries))))


def _faults(stack: Stack) -> None:
    """(a) a worker SIGKILLed mid-batch, (b) the broker away 10 s, (c) a receiver SIGKILLed."""
    time.sleep(SECONDS * 0.15)
    applying = queue_live.wait_until(lambda: stack.scalar(APPLYING) > 0, timeout=SECONDS * 0.3)
    backlog = stack.scalar("SELECT count(*) FROM webhook_webhookevent WHERE status = 'received'")
    stack.workers[0].kill(signal.SIGKILL)
    where = "inside an apply transaction" if applying is not None else "NOT seen applying"
    stack.faults.append(f"worker w0 SIGKILL {where} ({backlog} events waiting)")
    time.sleep(2)
    stack.workers[0].start()
    time.sleep(SECONDS * 0.1)
    stack.proxy.stop()
    time.sleep(10)
    stack.proxy.start()
    stack.faults.append("broker unreachable for 10 s")
    time.sleep(SECONDS * 0.1)
    stack.receivers[1].kill(signal.SIGKILL)
    stack.faults.append("receiver 1 SIGKILL")
    time.sleep(1)
    stack.receivers[1].start()


def test_every_acknowledged_delivery_is_applied_once_through_kills_and_a_broker_outage(
    broker, tmp_path
):
    deliveries = queue_support.workload(DELIVERIES, chats=40)
    stack = Stack(tmp_path, broker)
    try:
        stack.start()
        faults = threading.Thread(target=_faults, args=(stack,), daemon=True)
        faults.start()
        _burst(stack, deliveries)
        faults.join(timeout=120)
        resent = sorted(set(stack.unanswered))
        stack.unanswered = []
        for index in resent:  # as a gateway retries what was not acknowledged
            assert stack.deliver(index, deliveries[index], stack.receivers[0])
        last_ack = time.monotonic()
        waited = queue_live.wait_until(
            lambda: (
                stack.scalar("SELECT count(*) FROM webhook_webhookevent WHERE status = 'received'")
                == 0
            ),
            timeout=APPLIED_WITHIN,
        )
        _check(stack, deliveries, waited, time.monotonic() - last_ack, resent)
    finally:
        stack.stop()


def test_events_whose_publish_was_lost_are_applied_by_the_sweeper(broker, tmp_path):
    """The broker away from the start: acks stay fast; then the receiver is SIGKILLed, so
    every publish is lost (given up, dropped, or still in its memory); once the broker is back
    the sweeper (beat) has the events applied, each once."""
    stack = Stack(tmp_path, broker, receivers=1, workers=1)
    try:
        stack.start()
        stack.proxy.stop()
        deliveries = queue_support.workload(200, chats=5, seed=3)
        slowest = 0.0
        for index, payload in enumerate(deliveries):
            started = time.monotonic()
            assert stack.deliver(index, payload, stack.receivers[0])
            slowest = max(slowest, time.monotonic() - started)
        assert slowest < 1.0, f"an ack waited {slowest:.2f} s for the absent broker"
        stack.receivers[0].kill(signal.SIGKILL)  # what it still held to publish is gone
        stack.proxy.start()
        waited = queue_live.wait_until(
            lambda: (
                stack.scalar("SELECT count(*) FROM webhook_webhookevent WHERE status <> 'received'")
                == len(deliveries)
            ),
            timeout=APPLIED_WITHIN,
        )
        assert waited is not None, stack.workers[0].log()[-3000:]
        ids = ",".join(str(pk) for pk in stack.acked)
        assert stack.scalar(
            f"SELECT count(*) FROM webhook_webhookevent WHERE id IN ({ids}) AND attempts = 1 "
            "AND status IN ('processed', 'duplicate')"
        ) == len(deliveries)
        logs = "".join(p.log() for p in (*stack.workers, stack.beat))
        swept = sum(int(n) for n in re.findall(r"sweep: (\d+) events still received", logs))
        assert swept > 0  # nothing else could publish them: the receiver died with them
        print(
            f"\nsweeper: {len(deliveries)} deliveries acked while the broker was away "
            f"(slowest ack {slowest * 1000:.0f} ms), receiver killed with its publishes, "
            f"sweeper re-published {swept}; all applied {waited:.1f} s after the broker came back"
        )
    finally:
        stack.stop()


def _check(stack: Stack, deliveries: list[dict], waited, since_last_ack: float, resent) -> None:
    logs = "".join(p.log() for p in (*stack.workers, stack.beat)) + stack.receivers[0].log()
    assert waited is not None, f"events still received {since_last_ack:.0f} s after the last ack"
    assert len(stack.acked) >= len(deliveries)
    ids = ",".join(str(pk) for pk in stack.acked)
    counts = stack.scalar(
        "SELECT json_build_object('applied', count(*) FILTER (WHERE status IN "
        "('processed','duplicate') AND attempts = 1), 'all', count(*)) "
        f"FROM webhook_webhookevent WHERE id IN ({ids})"
    )
    assert counts == {"applied": len(stack.acked), "all": len(stack.acked)}, counts
    messages = stack.scalar("SELECT count(*) FROM webhook_message")
    assert messages == queue_support.distinct_messages(deliveries)
    equal, detail = queue_live.statistics_equal_rebuild(stack.env)
    assert equal, detail
    gave_up = sum(_given_up(receiver.log()) for receiver in stack.receivers)
    swept = sum(int(n) for n in re.findall(r"sweep: (\d+) events still received", logs))
    assert gave_up > 0, "the outage should have lost publishes (then applied anyway)"
    print(
        f"\nqueue proof: {len(deliveries)} deliveries, {len(stack.acked)} acknowledged "
        f"({len(resent)} sent again), {messages} messages, all applied once; "
        f"applied {waited:.1f} s after the last ack; faults: {'; '.join(stack.faults)}; "
        f"publishers gave up on or dropped at least {gave_up} events, "
        f"the sweeper re-published {swept}"
    )


def _given_up(log: str) -> int:
    """Events a receiver's publishers gave up on or dropped, from their warnings (running
    totals, at most one line per 5 s, that start again in a restarted process)."""
    total = previous = 0
    pattern = r"in this process so far: (\d+) events given up, (\d+) dropped"
    for value in (int(a) + int(b) for a, b in re.findall(pattern, log)):
        if value < previous:
            total += previous
        previous = value
    return total + previous
