"""The processes and services of bench/queue_mode.py: a RabbitMQ vhost of its own, the Celery
worker and beat of the queue mode, and the bench databases with several clients.

Nothing here touches the machine's RabbitMQ beyond the vhost it adds (and deletes at the end);
every process is started in its own session and stopped with its whole group.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

from bench.config import PG_ADMIN_URL, PY, ROOT
from bench.databases import Database
from bench.servers import env_for, stop

AMQP_HOST, AMQP_PORT = "127.0.0.1", 5672
AMQP_URL = f"amqp://guest:guest@{AMQP_HOST}:{AMQP_PORT}/"
MANY_PREFIX = "bench_many_"


def unreachable() -> str | None:
    """Why the queue bench cannot run here, in one pt-BR line; None when it can."""
    try:
        import psycopg

        psycopg.connect(PG_ADMIN_URL, connect_timeout=3).close()
    except Exception as exc:  # noqa: BLE001 - any failure means: skip
        return f"PostgreSQL inalcançável em {PG_ADMIN_URL} ({type(exc).__name__})"
    try:
        socket.create_connection((AMQP_HOST, AMQP_PORT), timeout=3).close()
    except OSError as exc:
        return f"RabbitMQ inalcançável em {AMQP_HOST}:{AMQP_PORT} ({exc})"
    if not shutil.which("rabbitmqctl"):
        return "rabbitmqctl não encontrado (o bench cria um vhost próprio no RabbitMQ)"
    return None


class Vhost:
    """A RabbitMQ vhost for this run (guest may use it), deleted with its queues at the end."""

    def __init__(self) -> None:
        self.name = f"multichat_bench_{os.getpid()}"
        self.url = AMQP_URL + self.name

    def __enter__(self) -> Vhost:
        _rabbitmqctl("add_vhost", self.name)
        _rabbitmqctl("set_permissions", "-p", self.name, "guest", ".*", ".*", ".*")
        return self

    def __exit__(self, *_exc) -> None:
        _rabbitmqctl("delete_vhost", self.name)

    def wait_idle(self, queue: str = "apply", timeout: float = 60) -> bool:
        """Until no task waits in ``queue``: after a run, the tasks whose events others took
        (one per receiver batch) are still being consumed, and must not run into the next
        measure. Whether it emptied in time."""
        from kombu import Connection

        deadline = time.monotonic() + timeout
        with Connection(self.url, connect_timeout=5) as conn:
            while time.monotonic() < deadline:
                try:
                    ready = conn.default_channel.queue_declare(queue, passive=True).message_count
                except conn.channel_errors:  # not declared yet: nothing was published
                    return True
                if ready == 0:
                    time.sleep(0.5)  # the tasks the worker holds (prefetch) finish
                    return True
                time.sleep(0.2)
        return False


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(
        ["rabbitmqctl", "-q", *args], check=True, capture_output=True, text=True, timeout=60
    )


def queue_env(broker_url: str) -> dict[str, str]:
    """The settings of the queue mode, as `make run-queue` gives them."""
    return {"WEBHOOK_PROCESSING": "celery", "CELERY_BROKER_URL": broker_url}


class Celery:
    """One apply worker (``-c concurrency``) and beat, as Procfile.queue starts them."""

    def __init__(self, db: Database, broker_url: str, concurrency: int, logs: Path) -> None:
        self.db, self.env = db, env_for(db, queue_env(broker_url))
        self.concurrency, self.logs = concurrency, logs
        self.procs: list[subprocess.Popen] = []

    def _spawn(self, name: str, args: list[str]) -> None:
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        self.procs.append(
            subprocess.Popen(
                [PY, "-m", "celery", "-A", "django_project", *args],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
        log.close()  # the child holds its own copy

    def __enter__(self) -> Celery:
        try:
            self._spawn(
                f"worker-c{self.concurrency}",
                ["worker", "-Q", "apply", "-n", "bench-apply@%h", "-c", str(self.concurrency)]
                + ["-l", "WARNING", "--without-gossip", "--without-mingle"],
            )
            beat = self.logs / f"beat-{len(os.listdir(self.logs))}"
            self._spawn(
                "beat",
                ["beat", "-l", "WARNING", "-s", f"{beat}.schedule", "--pidfile", f"{beat}.pid"],
            )
            self.wait_ready()
        except BaseException:
            self.__exit__()
            raise
        return self

    def wait_ready(self, timeout: float = 90) -> None:
        """Until the worker answers a ping (its pool is up): start-up is not measured."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(p.poll() is not None for p in self.procs):
                raise RuntimeError(f"a Celery process ended early; see {self.logs}")
            ping = subprocess.run(
                [PY, "-m", "celery", "-A", "django_project", "inspect", "ping", "--timeout", "2"],
                cwd=ROOT,
                env=self.env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            if ping.returncode == 0 and "pong" in ping.stdout:
                return
            time.sleep(0.5)
        raise RuntimeError("the Celery worker did not answer a ping in time")

    def __exit__(self, *_exc) -> None:
        for proc in self.procs:
            stop(proc)
        self.procs = []


def add_clients(db: Database, count: int) -> list[tuple[str, str]]:
    """``count`` more clients (an integrator's numbers); returns (instance, token) of each."""
    code = (
        "import django,os;os.environ.setdefault('DJANGO_SETTINGS_MODULE','django_project.settings');"
        "django.setup();from webhook.models import Client\n"
        f"for n in range({count}):\n"
        f" c,_=Client.objects.get_or_create(instance_id='{MANY_PREFIX}%d'%n,"
        "defaults={'name':'Bench %d'%n});print(c.instance_id, c.webhook_token)"
    )
    out = subprocess.run(
        [PY, "-c", code], cwd=ROOT, env=env_for(db), check=True, capture_output=True, text=True
    )
    pairs = [line.split() for line in out.stdout.splitlines() if line.startswith(MANY_PREFIX)]
    return [(instance, token) for instance, token in pairs]


def clone(template: Database, name: str) -> Database:
    """A fresh copy of a prepared (and idle) database."""
    import psycopg

    db = Database("postgres", name)
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template.name}"')
    return db
