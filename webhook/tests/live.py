"""A real receiver process for durability tests: its own database, port and spool.

``LiveReceiver`` migrates a fresh database (a SQLite file, or a new PostgreSQL database when
the suite runs on PostgreSQL), creates a client, starts ``servidor_webhook_local.py`` exactly
as a user would (background apply, its applier process included) and talks to it over HTTP on
127.0.0.1. ``TcpProxy`` sits between the receiver and PostgreSQL so a test can take the
database away and bring it back.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a target; ``stop`` is an outage, ``start`` the recovery."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        with self._lock:
            if self._listener is not None:
                try:  # wakes the thread blocked in accept(); close() alone would not
                    self._listener.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                self._listener.close()
                self._listener = None
            for sock in self._sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
            self._sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


class LiveReceiver:
    def __init__(
        self, workdir: Path, *, database_url: str | None = None, env: dict[str, str] | None = None
    ):
        self.workdir = workdir
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.pg_admin = None
        if database_url is None:
            self.sqlite_path = workdir / "live.sqlite3"
            self.database_url = f"sqlite:///{self.sqlite_path}"
        else:
            self.sqlite_path = None
            self.database_url = database_url
        self.env = dict(os.environ)
        self.env.update(
            DATABASE_URL=self.database_url,
            WEBHOOK_ENV_FILE="/nonexistent",
            DJANGO_SECRET_KEY="live-test-" + "k" * 40,
            WEBHOOK_SPOOL_DIR=str(workdir / "spool"),
            WEBHOOK_LOG_LEVEL="WARNING",
            WEBHOOK_APPLY_MODE="background",
            PYTHONPATH=str(ROOT),
        )
        self.env.update(env or {})
        self.token = ""

    # --- set-up ---
    def prepare(self, instance_id: str = "test_instance") -> None:
        self._run([sys.executable, "manage.py", "migrate", "-v0"])
        code = (
            "import django,os;os.environ.setdefault('DJANGO_SETTINGS_MODULE','django_project.settings');"
            "django.setup();from webhook.models import Client;"
            f"c,_=Client.objects.get_or_create(instance_id={instance_id!r},defaults={{'name':'Live'}});"
            "print(c.webhook_token)"
        )
        self.token = self._run([sys.executable, "-c", code]).strip().splitlines()[-1]

    def _run(self, command: list[str]) -> str:
        done = subprocess.run(
            command, cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=120
        )
        if done.returncode != 0:
            raise RuntimeError(f"{command} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def start(self, timeout: float = 30) -> None:
        log = open(self.workdir / f"server-{self.port}.log", "ab")  # noqa: SIM115 - kept for the process
        self.process = subprocess.Popen(
            [
                sys.executable,
                "servidor_webhook_local.py",
                "--no-tunnel",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--threads",
                "8",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/webhook", timeout=1):  # noqa: S310
                    return
            except (urllib.error.URLError, OSError):
                time.sleep(0.05)
        raise RuntimeError(f"receiver did not start: {self.log()}")

    def log(self) -> str:
        return "".join(p.read_text(errors="replace") for p in self.workdir.glob("server-*.log"))

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            self.process.wait(timeout=30)
        # the applier is a child in the same session: make sure nothing of it survives
        if self.process is not None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def children(self) -> dict[int, bytes]:
        """The server's live child processes and their command lines (Linux /proc); exited
        children the server has not reaped yet are left out."""
        assert self.process is not None
        found: dict[int, bytes] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                status = (entry / "status").read_text()
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
            if fields.get("State", "").strip().startswith("Z"):
                continue
            if fields.get("PPid", "").strip() == str(self.process.pid):
                found[int(entry.name)] = cmdline
        return found

    def applier_pid(self) -> int | None:
        """The ``webhook_apply`` process the server started."""
        return next((pid for pid, cmd in self.children().items() if b"webhook_apply" in cmd), None)

    def worker_pids(self) -> set[int]:
        """The WSGI server's worker processes: its children that are not the applier."""
        return {pid for pid, cmd in self.children().items() if b"webhook_apply" not in cmd}

    def kill_applier(self) -> int:
        pid = self.applier_pid()
        assert pid is not None, "no applier process"
        os.kill(pid, signal.SIGKILL)
        return pid

    # --- traffic ---
    def post(self, payload: dict[str, Any], timeout: float = 30) -> tuple[int, dict[str, Any]]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/webhook",
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json", "X-Webhook-Token": self.token},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - loopback
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")
        except http.client.HTTPException as exc:  # the answer was cut: never acknowledged
            raise ConnectionError(str(exc)) from exc

    # --- looking at the database directly ---
    def scalar(self, sql: str) -> Any:
        if self.sqlite_path is not None:
            with sqlite3.connect(self.sqlite_path, timeout=30) as conn:
                return conn.execute(sql).fetchone()[0]
        import psycopg

        with psycopg.connect(self.direct_url(), connect_timeout=5) as conn:
            return conn.execute(sql).fetchone()[0]

    def direct_url(self) -> str:
        return getattr(self, "_direct_url", self.database_url)

    def wait_for(self, sql: str, expected: Any, timeout: float = 30) -> Any:
        deadline = time.monotonic() + timeout
        value = None
        while time.monotonic() < deadline:
            try:
                value = self.scalar(sql)
            except Exception:  # noqa: BLE001 - the database may be coming back
                value = None
            if value == expected:
                return value
            time.sleep(0.1)
        return value


class DjangoServer:
    """`make run`'s Django command (`manage.py webhook_serve`) on a free port."""

    def __init__(self, live: LiveReceiver) -> None:
        self.port = free_port()
        self.log = live.workdir / "django.log"
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "manage.py",
                    "webhook_serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                ],
                cwd=ROOT,
                env=live.env,
                stdout=out,
                stderr=out,
                start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/webhook/", timeout=1)  # noqa: S310
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(self.log.read_text(errors="replace")[-2000:])

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def postgres_database(name: str) -> tuple[str, callable]:
    """A fresh PostgreSQL database next to the suite's; returns its URL and a drop function."""
    import psycopg

    base = urlsplit(postgres_url())
    admin = urlunsplit(base._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return urlunsplit(base._replace(path=f"/{name}")), drop
