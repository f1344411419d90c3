"""One measure of a running server: wrk's figures, what was lost, how long applying lagged, the
peak memory; and the rate of `webhook_reprocess` over the stored events."""

from __future__ import annotations

import os
import re
import sqlite3
import statistics
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.config import INSTANCE, LUA, PY, ROOT
from bench.databases import Database
from bench.memory import RssSampler
from bench.servers import env_for


@dataclass
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    non2xx: int
    lost: int | None = None
    applied_after_s: float | None = None
    peak_rss_mb: float = 0.0
    peak_pss_mb: float = 0.0


@dataclass
class Cell:
    runs: list[Result] = field(default_factory=list)

    def median(self, attr: str) -> float | None:
        values = [getattr(r, attr) for r in self.runs if getattr(r, attr) is not None]
        return statistics.median(values) if values else None


def wrk(
    port: int,
    token: str,
    conns: int,
    seconds: int,
    prefix: str,
    *,
    lua: Path = LUA,
    env: dict[str, str] | None = None,
) -> dict[str, float]:
    """One bounded wrk run of ``lua`` (post.lua: the bench client's deliveries); the BENCH line
    of the script's ``done``, parsed (:func:`parse_bench_line`). ``env``: more for the script."""
    env = dict(
        os.environ, BENCH_TOKEN=token, BENCH_INSTANCE=INSTANCE, BENCH_PREFIX=prefix, **(env or {})
    )
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{conns}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(lua),
            f"http://127.0.0.1:{port}/webhook",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    ).stdout
    return parse_bench_line(out)


def parse_bench_line(out: str) -> dict[str, float]:
    """The ``BENCH key=value ...`` line the wrk scripts print, as numbers."""
    match = re.search(r"BENCH (.*)", out)
    if not match:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    values = dict(kv.split("=") for kv in match.group(1).split())
    return {k: float(v) for k, v in values.items()}


def wait_applied(db: Database, timeout: float = 120) -> float:
    """Seconds until no event waits to be applied (``inf`` after ``timeout``)."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        waiting = db.count("SELECT count(*) FROM webhook_webhookevent WHERE status = 'received'")
        if waiting + inbox_rows(db) == 0:
            return time.perf_counter() - started
        time.sleep(0.05)
    return float("inf")


def inbox_rows(db: Database) -> int:
    """SQLite: deliveries committed to the receivers' inboxes, not moved in yet."""
    if db.kind != "sqlite":
        return 0
    total = 0
    for path in Path(db.path).parent.glob(f"{Path(db.path).name}-inbox.*"):
        if not path.suffix[1:].isdigit():
            continue  # -wal, -shm, .writelock
        with sqlite3.connect(path, timeout=30) as conn:
            try:
                total += conn.execute("SELECT count(*) FROM inbox").fetchone()[0]
            except sqlite3.OperationalError:  # not created yet
                pass
    return total


def stored_rows(target: str, db: Database) -> int:
    """Durably stored deliveries: WebhookEvents, and those still in the inbox."""
    return db.count("SELECT count(*) FROM webhook_webhookevent") + inbox_rows(db)


def measure(
    target: str,
    db: Database,
    port: int,
    token: str,
    conns: int,
    seconds: int,
    prefix: str,
    proc: subprocess.Popen,
) -> Result:
    before = stored_rows(target, db)
    sampler = RssSampler(proc.pid)
    sampler.start()
    stats = wrk(port, token, conns, seconds, prefix)
    stored = stored_rows(target, db) if target != "ceiling" else 0  # as wrk ends
    applied = wait_applied(db) if target == "ours" else None
    peak_rss, peak_pss = sampler.finish()
    result = Result(
        rps=stats["2xx"] / (stats["duration_us"] / 1e6),
        p50_ms=stats["p50_us"] / 1000,
        p99_ms=stats["p99_us"] / 1000,
        non2xx=int(stats["non2xx"] + stats["errors"]),
        peak_rss_mb=peak_rss,
        peak_pss_mb=peak_pss,
    )
    if target != "ceiling":
        # Acknowledged but not stored. (Negative would mean requests stored while wrk was
        # stopping, whose answers it never counted: not a loss.)
        result.lost = max(0, int(stats["2xx"]) - (stored - before))
    result.applied_after_s = applied
    return result


def reprocess_rate(db: Database) -> tuple[int, float]:
    """Wipe the normalised rows and time `webhook_reprocess --all` over the stored events."""
    tables = [
        "webhook_pendingupdate",
        "webhook_message",
        "webhook_contactstats",
        "webhook_chat",
        "webhook_sender",
        "webhook_messagestats",
    ]
    if db.kind == "sqlite":
        with sqlite3.connect(db.path) as conn:
            for table in tables:
                conn.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
    else:
        import psycopg

        with psycopg.connect(db.url) as conn:
            conn.execute("TRUNCATE " + ", ".join(tables) + " CASCADE")
    events = db.count("SELECT count(*) FROM webhook_webhookevent")
    code = (
        "import django,os,time;os.environ.setdefault('DJANGO_SETTINGS_MODULE','django_project.settings');"
        "django.setup();from webhook.models import WebhookEvent as E;"
        "from webhook.services.replay import events_reprocess as r;t=time.perf_counter();"
        "r(queryset=E.objects.all());print(time.perf_counter()-t)"
    )
    out = subprocess.run(
        [PY, "-c", code], cwd=ROOT, env=env_for(db), check=True, capture_output=True, text=True
    )
    return events, float(out.stdout.strip().splitlines()[-1])
