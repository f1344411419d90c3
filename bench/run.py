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

The parts, by job: bench/config.py (paths, BENCH_PG_ADMIN_URL), databases.py, servers.py,
memory.py, measures.py and report.py.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.databases import Database  # noqa: E402 - after the project is importable
from bench.measures import Cell, measure, reprocess_rate  # noqa: E402
from bench.report import report  # noqa: E402
from bench.servers import prepare, start, stop, workers_for  # noqa: E402

TARGETS = ("ceiling", "baseline", "ours")
CONNECTIONS = (16, 64)


def parse_args() -> argparse.Namespace:
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
    return parser.parse_args()


def main() -> None:
    args = parse_args()
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
        for target in TARGETS:
            db = Database(kind, f"multichat_bench_{target}", tmp / f"{target}.sqlite3")
            port += 1
            bench_target(db, target, port, args, table, extras)
    report(table, extras, kinds, args)


def bench_target(
    db: Database,
    target: str,
    port: int,
    args: argparse.Namespace,
    table: dict[tuple[str, str, int], Cell],
    extras: dict[str, dict[str, float]],
) -> None:
    """One target on a fresh database: its cells of the table; for ours, the burst, the
    start-up time and the reprocess rate too (``extras``)."""
    token = prepare(db)
    workers = workers_for(target, db.kind, args)
    threads = args.ceiling_threads if target == "ceiling" else args.threads
    proc, startup = start(target, db, token, port, workers, threads)
    try:
        for conns in CONNECTIONS:
            cell = table.setdefault((db.kind, target, conns), Cell())
            for rep in range(args.reps):
                prefix = f"{target}{conns}r{rep}"
                cell.runs.append(
                    measure(target, db, port, token, conns, args.seconds, prefix, proc)
                )
                print(
                    f"  {db.kind} {target} c={conns} #{rep + 1}: {cell.runs[-1]}", file=sys.stderr
                )
        if target == "ours":
            burst = measure(target, db, port, token, 64, args.burst, "burst", proc)
            extras[db.kind] = {
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
        extras[db.kind]["reprocess_rate"] = events / seconds
        extras[db.kind]["reprocess_events"] = events
    db.drop()


if __name__ == "__main__":
    main()
