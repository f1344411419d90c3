"""The servers under test: ceiling, baseline and ours, started on a prepared database, stopped.

- ceiling  : bench/minimal_flask.py (parse the JSON, answer 200) under gunicorn
- baseline : bench/baseline.py (the straightforward receiver) under gunicorn
- ours     : servidor_webhook_local.py as `make run` starts it
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.request

from bench.config import INSTANCE, PY, ROOT, SAMPLE
from bench.databases import Database


def env_for(db: Database, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=db.url,
        WEBHOOK_ENV_FILE="/nonexistent",
        WEBHOOK_LOG_LEVEL="WARNING",
        DJANGO_SECRET_KEY="bench-only-" + "x" * 40,
        PYTHONPATH=str(ROOT),
    )
    env.update(extra or {})
    return env


def prepare(db: Database) -> str:
    """Fresh database, migrated, with the bench client; returns its webhook token."""
    db.create()
    env = env_for(db)
    subprocess.run(
        [PY, "manage.py", "migrate", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    code = (
        "import django,os;os.environ.setdefault('DJANGO_SETTINGS_MODULE','django_project.settings');"
        "django.setup();from webhook.models import Client;"
        f"c,_=Client.objects.get_or_create(instance_id='{INSTANCE}',defaults={{'name':'Bench'}});"
        "print(c.webhook_token)"
    )
    out = subprocess.run(
        [PY, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return out.stdout.strip().splitlines()[-1]


def server_command(target: str, port: int, workers: int, threads: int) -> list[str]:
    if target == "ours":
        return [
            PY,
            "servidor_webhook_local.py",
            "--no-tunnel",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--threads",
            str(threads),
        ]
    module = {"ceiling": "bench.minimal_flask:app", "baseline": "bench.baseline:app"}[target]
    return [
        PY,
        "-m",
        "gunicorn",
        module,
        "-b",
        f"127.0.0.1:{port}",
        "-w",
        str(workers),
        "-k",
        "gthread",
        "--threads",
        str(threads),
        "--no-control-socket",
        "--log-level",
        "warning",
    ]


def post_once(port: int, token: str, n: int) -> int:
    body = (SAMPLE % (INSTANCE, n, int(time.time()))).encode()
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/webhook",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "X-Webhook-Token": token},
    )
    try:
        with urllib.request.urlopen(req, timeout=2) as response:  # noqa: S310 - loopback only
            return response.status
    except OSError:
        return 0


def start(
    target: str,
    db: Database,
    token: str,
    port: int,
    workers: int,
    threads: int,
    extra_env: dict[str, str] | None = None,
) -> tuple[subprocess.Popen, float]:
    """Start a server (``extra_env``: more settings for it); returns it and the seconds from
    launch to its first 2xx."""
    launched = time.perf_counter()
    proc = subprocess.Popen(
        server_command(target, port, workers, threads),
        cwd=ROOT,
        env=env_for(db, extra_env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = launched + 30
    n = 0
    while time.perf_counter() < deadline:
        n += 1
        if 200 <= post_once(port, token, n) < 300:
            return proc, time.perf_counter() - launched
        time.sleep(0.01)
    stop(proc)
    raise RuntimeError(f"{target} did not start on port {port}")


def stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)


def workers_for(target: str, kind: str, args) -> int:
    """The ceiling keeps the issue's reference set-up; ours and the baseline run alike."""
    if target == "ceiling":
        return args.ceiling_workers
    return args.workers or max(1, min(4, os.cpu_count() or 1))  # the receiver's default
