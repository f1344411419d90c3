#!/usr/bin/env python
"""`make bench`, console part: the pages people look at, on a big seeded database.

For SQLite and PostgreSQL: bench/console_seed.py fills a fresh database (5 clients, 2,000
chats, 200,000 messages, one chat of 10,000) and rebuilds its statistics; then, against
`manage.py webhook_serve` as `make run` starts it, logged in as a superuser:
  - the dashboard, the chat list and the newest and oldest pages of the 10,000-message
    transcript are each fetched --requests times one after another (keep-alive, loopback):
    p50/p95/max of the whole request, which is the server-side render plus loopback;
  - the receiver's ack throughput (wrk, 16 connections, --seconds each) is measured alone and
    with --pollers open dashboards polling what the page polls (the hx-get URLs of the page,
    at their hx-trigger interval), alternating, --reps times each: the medians are compared.
Prints one Markdown table; exits 1 when a page's p95 is over 150 ms or the throughput with
dashboards is more than 10 % below the one without.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.config import PY  # noqa: E402
from bench.databases import Database  # noqa: E402
from bench.measures import wrk  # noqa: E402
from bench.servers import env_for, prepare, start, stop  # noqa: E402

P95_LIMIT_MS = 150
THROUGHPUT_FLOOR = 0.90
_POLL = re.compile(r'hx-get="([^"]+)"[^>]*hx-trigger="[^"]*every (\d+)s')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--requests", type=int, default=40, help="pedidos por página")
    parser.add_argument("--pollers", type=int, default=20, help="painéis abertos")
    parser.add_argument("--seconds", type=int, default=8, help="duração de cada rodada do wrk")
    parser.add_argument("--reps", type=int, default=3, help="rodadas com e sem painéis")
    return parser.parse_args()


class Browser:
    """One keep-alive connection with the bench user's session cookie."""

    def __init__(self, port: int, session: str) -> None:
        self.port, self.cookie = port, f"sessionid={session}"
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, str, float]:
        started = time.perf_counter()
        self.conn.request("GET", path, headers={"Cookie": self.cookie, **(headers or {})})
        response = self.conn.getresponse()
        body = response.read().decode("utf-8", "replace")
        return response.status, body, (time.perf_counter() - started) * 1000


def seed(db: Database) -> dict:
    out = subprocess.run(
        [PY, "manage.py", "shell", "-c", "import runpy; runpy.run_path('bench/console_seed.py')"],
        cwd=ROOT,
        env=env_for(db),
        check=True,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def start_django(db: Database, port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [PY, "manage.py", "webhook_serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env_for(db),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/webhook/status/?format=json")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.1)
    stop(proc)
    raise RuntimeError("the Django server did not start")


def oldest_page_path(browser: Browser, chat_path: str) -> str:
    """Follow the transcript's "older messages" links down to its first page."""
    path, hops = chat_path, 0
    while hops < 1000:
        _status, body, _ms = browser.get(path)
        older = re.search(r'<a[^>]+href="([^"]*(?:before|antes|cursor)[^"]*)"', body)
        if not older:
            return path
        path, hops = older.group(1).replace("&amp;", "&"), hops + 1
    return path


def page_times(browser: Browser, path: str, count: int) -> dict[str, float]:
    for _ in range(3):  # warm the server's caches and connection
        status, _body, _ms = browser.get(path)
        if status != 200:
            raise RuntimeError(f"{path} answered {status}")
    times = sorted(browser.get(path)[2] for _ in range(count))
    return {
        "p50": statistics.median(times),
        "p95": times[max(0, round(0.95 * len(times)) - 1)],
        "max": times[-1],
    }


def polled_urls(browser: Browser, pages: list[str]) -> list[tuple[str, int]]:
    """What open pages poll: (hx-get URL, seconds) of each page."""
    found: list[tuple[str, int]] = []
    for page in pages:
        body = browser.get(page)[1]
        found += [(url.replace("&amp;", "&"), int(s)) for url, s in _POLL.findall(body)]
    return found


class Pollers:
    """``count`` open dashboards: each polls every polled URL at its interval, as htmx does."""

    def __init__(self, port: int, session: str, urls: list[tuple[str, int]], count: int):
        self.port, self.session, self.urls, self.count = port, session, urls, count
        self.stopping = threading.Event()
        self.requests = 0
        self.errors = 0
        self.threads = [threading.Thread(target=self._run, args=(n,)) for n in range(count)]

    def _run(self, index: int) -> None:
        browser = Browser(self.port, self.session)
        due = {url: time.monotonic() + (index % max(1, every)) for url, every in self.urls}
        while not self.stopping.wait(0.05):
            for url, every in self.urls:
                if time.monotonic() >= due[url]:
                    due[url] += every
                    try:
                        status = browser.get(url, {"HX-Request": "true"})[0]
                        self.errors += status != 200
                    except (OSError, http.client.HTTPException):
                        self.errors += 1
                        browser = Browser(self.port, self.session)
                    self.requests += 1

    def __enter__(self) -> Pollers:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=30)


def acks_per_second(port: int, token: str, seconds: int, prefix: str) -> float:
    stats = wrk(port, token, 16, seconds, prefix)
    return stats["2xx"] / (stats["duration_us"] / 1e6)


def throughput(db, token, port, django_port, seeded, urls, args) -> dict[str, float]:
    proc, _startup = start("ours", db, token, port, 0, 32)
    alone, watched, polls, errors = [], [], 0, 0
    try:
        for rep in range(args.reps):
            for with_dashboards in (rep % 2 == 0, rep % 2 != 0):  # alternate the order
                prefix = f"c{rep}{int(with_dashboards)}-"
                if with_dashboards:
                    with Pollers(django_port, seeded["session"], urls, args.pollers) as pollers:
                        watched.append(acks_per_second(port, token, args.seconds, prefix))
                    polls += pollers.requests
                    errors += pollers.errors
                else:
                    alone.append(acks_per_second(port, token, args.seconds, prefix))
    finally:
        stop(proc)
    return {
        "alone": statistics.median(alone),
        "watched": statistics.median(watched),
        "polls": polls,
        "poll_errors": errors,
    }


def bench_database(kind: str, tmp: Path, args, ports: tuple[int, int]) -> dict:
    db = Database(kind, f"multichat_console_bench_{kind}", tmp / "console.sqlite3")
    token = prepare(db)
    started = time.perf_counter()
    seeded = seed(db)
    seconds_to_seed = time.perf_counter() - started
    django = start_django(db, ports[1])
    try:
        browser = Browser(ports[1], seeded["session"])
        chat = f"/painel/conversas/{seeded['long_chat']}/"
        pages = {
            "painel": "/painel/",
            "lista de conversas": "/painel/conversas/",
            "conversa de 10.000 (mais recentes)": chat,
            "conversa de 10.000 (mais antigas)": oldest_page_path(browser, chat),
        }
        result = {name: page_times(browser, path, args.requests) for name, path in pages.items()}
        urls = polled_urls(browser, ["/painel/"])
        acks = throughput(db, token, ports[0], ports[1], seeded, urls, args)
    finally:
        stop(django)
        db.drop()
    return {"pages": result, "acks": acks, "seed_s": seconds_to_seed, "polled": urls}


def report(results: dict[str, dict], args) -> bool:
    ok = True
    print(f"\n### Console ({args.requests} pedidos por página; p95 < {P95_LIMIT_MS} ms)\n")
    print("| banco | página | p50 ms | p95 ms | máx ms |")
    print("|---|---|---:|---:|---:|")
    for kind, result in results.items():
        for name, t in result["pages"].items():
            ok &= t["p95"] < P95_LIMIT_MS
            print(f"| {kind} | {name} | {t['p50']:.1f} | {t['p95']:.1f} | {t['max']:.1f} |")
    print(f"\n### Acks com {args.pollers} painéis abertos (wrk c16, mediana de {args.reps})\n")
    print("| banco | sem painéis req/s | com painéis req/s | razão | pedidos dos painéis |")
    print("|---|---:|---:|---:|---:|")
    for kind, result in results.items():
        a = result["acks"]
        ratio = a["watched"] / a["alone"] if a["alone"] else 0.0
        ok &= ratio >= THROUGHPUT_FLOOR and a["poll_errors"] == 0
        print(
            f"| {kind} | {a['alone']:.0f} | {a['watched']:.0f} | {ratio:.2f} | "
            f"{a['polls']:.0f} ({a['poll_errors']:.0f} erros) |"
        )
    for kind, result in results.items():
        polled = ", ".join(f"{u} a cada {s} s" for u, s in result["polled"]) or "nada"
        print(f"\n{kind}: banco semeado em {result['seed_s']:.0f} s; o painel consulta {polled}.")
    return ok


def main() -> None:
    args = parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk não encontrado. Instale: `sudo apt-get install wrk`.")
    tmp = Path(tempfile.mkdtemp(prefix="multichat-console-bench-"))
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    try:
        results = {kind: bench_database(kind, tmp, args, (5290, 5291)) for kind in kinds}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if not report(results, args):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
