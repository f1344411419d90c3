"""Real Celery processes for the queue-mode proof suite (``test_queue_proof.py``).

``CeleryProcess`` starts ``celery -A django_project worker|beat`` in a session of its own, so
``kill`` takes the whole process (a prefork worker's children included) exactly as SIGKILL on
its group would; ``broker_reachable`` tells whether a broker listens on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from webhook.tests.live import ROOT


def rabbitmq_vhost(name: str = "webhook_proof") -> str:
    """A vhost of our own on this machine's RabbitMQ (nothing else that runs here, a bench
    say, shares our queues); "" (the default vhost) when rabbitmqctl is not at hand."""
    try:
        subprocess.run(["rabbitmqctl", "add_vhost", name], capture_output=True, timeout=60)
        done = subprocess.run(
            ["rabbitmqctl", "set_permissions", "-p", name, "guest", ".*", ".*", ".*"],
            capture_output=True,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return name if done.returncode == 0 else ""


BROKERS = {
    "rabbitmq": ("amqp://guest:guest@127.0.0.1:{port}/{vhost}", 5672),
    "redis": ("redis://127.0.0.1:{port}/7", 6379),
}


def broker_reachable(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


class CeleryProcess:
    def __init__(self, workdir: Path, env: dict[str, str], *arguments: str, name: str) -> None:
        self.workdir, self.env, self.arguments, self.name = workdir, env, arguments, name
        self.process: subprocess.Popen | None = None
        self.kills = 0

    def start(self) -> None:
        log = open(self.workdir / f"{self.name}.log", "ab")  # noqa: SIM115 - kept for the process
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "django_project", *self.arguments],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            self.process.wait(timeout=30)
            self.kills += sig == signal.SIGKILL
        if self.process is not None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)  # nothing of it survives
            except ProcessLookupError:
                pass

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
        self.kill()

    def log(self) -> str:
        path = self.workdir / f"{self.name}.log"
        return path.read_text(errors="replace") if path.exists() else ""


def worker(workdir: Path, env: dict[str, str], name: str) -> CeleryProcess:
    return CeleryProcess(
        workdir,
        env,
        "worker",
        "-Q",
        "apply,media",
        "-c",
        "1",
        "-n",
        f"{name}@%h",
        "--without-gossip",
        "--without-mingle",
        "-l",
        "WARNING",
        name=name,
    )


def beat(workdir: Path, env: dict[str, str]) -> CeleryProcess:
    schedule = str(workdir / "beat-schedule")
    return CeleryProcess(workdir, env, "beat", "-l", "WARNING", "-s", schedule, name="beat")


def purge(env: dict[str, str]) -> None:
    """Empty our queues of what an earlier run left on this broker."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "django_project",
            "purge",
            "-f",
            "-Q",
            "apply,media",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )


STATISTICS_CHECK = (
    "import django,json,os;os.environ.setdefault('DJANGO_SETTINGS_MODULE','django_project.settings');"
    "django.setup();from webhook.tests import queue_support as q;"
    "live=q.statistics();q.rebuild_all();print(json.dumps({'equal':live==q.statistics(),"
    "'live':live,'rebuilt':q.statistics()}))"
)


def statistics_equal_rebuild(env: dict[str, str]) -> tuple[bool, str]:
    """In a process on the live database: the statistics as applied, then rebuilt."""
    done = subprocess.run(
        [sys.executable, "-c", STATISTICS_CHECK],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        return False, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["equal"], json.dumps(result)[:3000]


def wait_until(predicate, timeout: float, step: float = 0.25) -> float | None:
    """Seconds until ``predicate()`` held, or None when it did not within ``timeout``."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            if predicate():
                return time.monotonic() - started
        except Exception:  # noqa: BLE001 - the database may be coming back
            pass
        time.sleep(step)
    return None
