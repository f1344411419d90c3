#!/usr/bin/env python
"""`make bench`: our receiver beside the ceiling and the baseline, in one run.

For SQLite and PostgreSQL, at 16 and 64 connections, wrk posts README-shaped deliveries (a
unique message id each) to 127.0.0.1 for a bounded time, against:
  - ceiling  : bench/minimal_flask.py (parse the JSON, answer 200) under gunicorn
  - baseline : bench/baseline.py (the straightforward receiver) under gunicorn
  - ours     : servidor_webhook_local.py as `make run` starts it (granian, group commit,
               batched background apply)
Each figure is the median of --reps runs. Then a 20-second burst against ours measures how long
normalisation lags behind and the peak memory, the start-up time is measured, and
`webhook_reprocess` is timed on the burst's events. Prints one Markdown table.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
LUA = ROOT / "bench" / "post.lua"
INSTANCE = "bench_instance"
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
SAMPLE = (
    '{"instanceId":"%s","key":{"remoteJid":"5511900000000@s.whatsapp.net","fromMe":false,'
    '"id":"ready-%s"},"message":{"conversationMessage":{"conversation":"oi"}},'
    '"messageTimestamp":"%d","pushName":"x","msgContent":{"conversation":"oi"}}'
)


@dataclass
class Database:
    kind: str  # sqlite | postgres
    name: str
    path: Path | None = None

    @property
    def url(self) -> str:
        if self.kind == "sqlite":
            return f"sqlite:///{self.path}"
        return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + self.name

    def create(self) -> None:
        if self.kind == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        else:
            import psycopg

            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{self.name}"')

    def count(self, sql: str) -> int:
        if self.kind == "sqlite":
            with sqlite3.connect(self.path, timeout=30) as conn:
                return conn.execute(sql).fetchone()[0]
        import psycopg

        with psycopg.connect(self.url) as conn:
            return conn.execute(sql).fetchone()[0]

    def drop(self) -> None:
        if self.kind == "postgres":
            import psycopg

            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


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
    target: str, db: Database, token: str, port: int, workers: int, threads: int
) -> tuple[subprocess.Popen, float]:
    """Start a server; returns it and the seconds from launch to its first 2xx."""
    launched = time.perf_counter()
    proc = subprocess.Popen(
        server_command(target, port, workers, threads),
        cwd=ROOT,
        env=env_for(db),
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


def tree_memory_mb(pid: int) -> tuple[float, float]:
    """Resident memory of a process and all its descendants (Linux /proc): the sum of their
    RSS, which counts each page shared after fork once per process, and the sum of their PSS,
    which shares such pages out (the memory the tree really holds)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    rss = pss = 0
    stack = [pid]
    while stack:
        current = stack.pop()
        stack.extend(children.get(current, []))
        rss += _proc_kb(f"/proc/{current}/status", "VmRSS:")
        pss += _proc_kb(f"/proc/{current}/smaps_rollup", "Pss:")
    return rss / 1024, pss / 1024


def _proc_kb(path: str, key: str) -> int:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class RssSampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self._done = pid, threading.Event()
        self.peak_rss = self.peak_pss = 0.0

    def _sample(self) -> None:
        rss, pss = tree_memory_mb(self.pid)
        self.peak_rss, self.peak_pss = max(self.peak_rss, rss), max(self.peak_pss, pss)

    def run(self) -> None:
        while not self._done.wait(0.2):
            self._sample()

    def finish(self) -> tuple[float, float]:
        self._done.set()
        self.join()
        self._sample()
        return self.peak_rss, self.peak_pss


def wrk(port: int, token: str, conns: int, seconds: int, prefix: str) -> dict[str, float]:
    env = dict(os.environ, BENCH_TOKEN=token, BENCH_INSTANCE=INSTANCE, BENCH_PREFIX=prefix)
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{conns}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(LUA),
            f"http://127.0.0.1:{port}/webhook",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    ).stdout
    match = re.search(r"BENCH (.*)", out)
    if not match:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    values = dict(kv.split("=") for kv in match.group(1).split())
    return {k: float(v) for k, v in values.items()}


def wait_applied(db: Database, timeout: float = 120) -> float:
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


def fmt(value: float | None, spec: str = ".0f") -> str:
    if value is None:
        return "–"
    if value == float("inf"):
        return "nunca"
    return format(value, spec)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8, help="duração de cada rodada do wrk")
    parser.add_argument("--reps", type=int, default=3, help="rodadas por medida (mediana)")
    parser.add_argument(
        "--burst", type=int, default=20, help="duração da rajada final, em segundos"
    )
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="processos do nosso receptor e do baseline (0: o padrão do receptor, um por núcleo)",
    )
    parser.add_argument(
        "--ceiling-workers",
        type=int,
        default=1,
        help="processos do teto (1: a referência de ~3.000 req/s do enunciado)",
    )
    parser.add_argument(
        "--threads", type=int, default=32, help="threads do nosso receptor e do baseline"
    )
    parser.add_argument(
        "--ceiling-threads", type=int, default=16, help="threads do teto (16: a referência)"
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit(
            "wrk não encontrado. Instale: `sudo apt-get install wrk` (Debian/Ubuntu) ou `brew install wrk` (macOS)."
        )
    tmp = Path(tempfile.mkdtemp(prefix="multichat-bench-"))
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    table: dict[tuple[str, str, int], Cell] = {}
    extras: dict[str, dict[str, float]] = {}
    port = 5190
    for kind in kinds:
        for target in ("ceiling", "baseline", "ours"):
            db = Database(kind, f"multichat_bench_{target}", tmp / f"{target}.sqlite3")
            token = prepare(db)
            port += 1
            workers = workers_for(target, kind, args)
            threads = args.ceiling_threads if target == "ceiling" else args.threads
            proc, startup = start(target, db, token, port, workers, threads)
            try:
                for conns in (16, 64):
                    cell = table.setdefault((kind, target, conns), Cell())
                    for rep in range(args.reps):
                        cell.runs.append(
                            measure(
                                target,
                                db,
                                port,
                                token,
                                conns,
                                args.seconds,
                                f"{target}{conns}r{rep}",
                                proc,
                            )
                        )
                        print(
                            f"  {kind} {target} c={conns} #{rep + 1}: {cell.runs[-1]}",
                            file=sys.stderr,
                        )
                if target == "ours":
                    burst = measure(target, db, port, token, 64, args.burst, "burst", proc)
                    extras[kind] = {
                        "startup_s": startup,
                        "burst_rps": burst.rps,
                        "burst_applied_after_s": burst.applied_after_s,
                        "burst_peak_rss_mb": burst.peak_rss_mb,
                        "burst_peak_pss_mb": burst.peak_pss_mb,
                        "burst_lost": burst.lost,
                    }
            finally:
                stop(proc)
            if target == "ours":
                events, seconds = reprocess_rate(db)
                extras[kind]["reprocess_rate"] = events / seconds
                extras[kind]["reprocess_events"] = events
            db.drop()
    report(table, extras, kinds, args)


def workers_for(target: str, kind: str, args) -> int:
    """The ceiling keeps the issue's reference set-up; ours and the baseline run alike."""
    if target == "ceiling":
        return args.ceiling_workers
    return args.workers or max(1, min(4, os.cpu_count() or 1))  # the receiver's default


def report(table, extras, kinds, args) -> None:
    print()
    print(
        f"Máquina: {platform.machine()}, {os.cpu_count()} núcleos, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}; wrk -t2, {args.seconds}s por rodada, mediana de "
        f"{args.reps}; teto e baseline em gunicorn gthread; teto com {args.ceiling_workers} "
        f"worker(s) x {args.ceiling_threads} threads; nosso receptor (granian, o padrão de "
        f"`servidor_webhook_local.py`) e baseline com {workers_for('ours', 'sqlite', args)} "
        f"worker(s) x {args.threads} threads."
    )
    print()
    print(
        "| banco | conexões | alvo | req/s | p50 ms | p99 ms | não-2xx | perdidos | aplicado após (s) "
        "| pico RSS/PSS MB | nosso/teto | nosso/base |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for kind in kinds:
        for conns in (16, 64):
            ceiling = table[(kind, "ceiling", conns)].median("rps")
            baseline = table[(kind, "baseline", conns)].median("rps")
            for target in ("ceiling", "baseline", "ours"):
                cell = table[(kind, target, conns)]
                rps = cell.median("rps")
                ratios = ("", "")
                if target == "ours":
                    ratios = (f"{rps / ceiling:.2f}", f"{rps / baseline:.1f}×")
                print(
                    f"| {kind} | {conns} | {target} | {fmt(rps)} | {fmt(cell.median('p50_ms'), '.1f')} | "
                    f"{fmt(cell.median('p99_ms'), '.1f')} | {fmt(cell.median('non2xx'))} | "
                    f"{fmt(cell.median('lost'))} | {fmt(cell.median('applied_after_s'), '.2f')} | "
                    f"{fmt(cell.median('peak_rss_mb'))}/{fmt(cell.median('peak_pss_mb'))} | "
                    f"{ratios[0]} | {ratios[1]} |"
                )
    print()
    print(
        "| banco | início até o 1º 200 (s) | rajada de %ss: req/s | perdidos | tudo aplicado após o fim (s) "
        "| pico RSS/PSS MB | webhook_reprocess (eventos/s) |" % args.burst
    )
    print("|---|---|---|---|---|---|---|")
    for kind in kinds:
        e = extras[kind]
        print(
            f"| {kind} | {e['startup_s']:.2f} | {e['burst_rps']:.0f} | {e['burst_lost']} | "
            f"{fmt(e['burst_applied_after_s'], '.2f')} | "
            f"{e['burst_peak_rss_mb']:.0f}/{e['burst_peak_pss_mb']:.0f} | "
            f"{e['reprocess_rate']:.0f} ({e['reprocess_events']} eventos) |"
        )


if __name__ == "__main__":
    main()
