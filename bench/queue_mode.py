#!/usr/bin/env python
"""`make bench`, queue part: the queue mode (Celery over RabbitMQ) beside the embedded applier.

On PostgreSQL, with a RabbitMQ vhost of this run's own (added and deleted with rabbitmqctl):
  - acks: servidor_webhook_local.py as `make run` starts it (embedded) and the same receiver
    with WEBHOOK_PROCESSING=celery plus one Celery worker (`-Q apply -c 2`) and beat, as
    Procfile.queue starts them (queue); wrk with post.lua at 16 and 64 connections, --seconds
    each, --reps times alternating which mode goes first; medians and the ratio queue/embedded
    (target: at least 0.9). Both stacks run side by side on databases of their own.
  - lag: a --burst-second burst at 64 connections from --clients clients (an integrator with
    many numbers: post_many.lua gives each request the next client's instance and token) on a
    fresh copy of one database, against the embedded mode, and the queue mode with one worker
    of concurrency 1 and of concurrency 2 (the operator's knob on one machine: Procfile.queue's
    `-c`), each started and answering a ping before the burst: from the burst's end to no event
    left `received`, and the events applied in that time per second and per worker process
    (target: 2 faster than 1).
Prints Markdown tables; exits 1 when a target is missed (after printing everything). Skipped,
exit 0, with one line when PostgreSQL or RabbitMQ does not answer.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, where its name would hide the
# standard library's ``queue`` module from everything imported below.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
ROOT = _HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402

from bench.databases import Database  # noqa: E402
from bench.measures import Result, measure, stored_rows, wait_applied, wrk  # noqa: E402
from bench.queue_stack import Celery, Vhost, add_clients, clone, queue_env, unreachable  # noqa: E402
from bench.servers import prepare, start, stop  # noqa: E402

CONNECTIONS = (16, 64)
MODES = ("embedded", "queue")
RATIO_FLOOR = 0.90
PORTS = {"embedded": 5390, "queue": 5391}
LAG_PORT = 5392
MANY_LUA = ROOT / "bench" / "post_many.lua"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8, help="duração de cada rodada do wrk")
    parser.add_argument("--reps", type=int, default=3, help="rodadas por medida (mediana)")
    parser.add_argument("--burst", type=int, default=20, help="duração da rajada, em segundos")
    parser.add_argument("--clients", type=int, default=8, help="clientes na rajada")
    parser.add_argument(
        "--part", choices=["all", "acks", "lag"], default="all", help="só uma das partes"
    )
    parser.add_argument(
        "--drain-timeout", type=int, default=180, help="espera máxima pela aplicação (s)"
    )
    return parser.parse_args(argv)


@dataclass
class Lag:
    mode: str  # embedded | queue
    workers: int  # worker processes applying (embedded: its one applier)
    acks_per_s: float
    acked: int
    lost: int
    backlog: int  # events still `received` as the burst ended
    drain_s: float  # from the burst's end to none left `received`

    @property
    def rate(self) -> float | None:
        """Events applied per second after the burst (all workers together)."""
        if not self.backlog or self.drain_s in (0, float("inf")):
            return None
        return self.backlog / self.drain_s

    @property
    def rate_per_worker(self) -> float | None:
        return None if self.rate is None else self.rate / self.workers


def ratio(queue: float | None, embedded: float | None) -> float | None:
    """queue / embedded, None when either is missing or embedded is 0."""
    if not queue or not embedded:
        return None
    return queue / embedded


def two_faster(one: Lag, two: Lag) -> bool:
    """Two workers applied faster than one: a higher apply rate after the burst; when two
    left no backlog to measure a rate on, a drain no longer than one's."""
    if two.rate is not None and one.rate is not None:
        return two.rate > one.rate
    return two.drain_s <= one.drain_s and two.drain_s != float("inf")


def missed_targets(acks: dict[tuple[str, int], list[Result]], lags: list[Lag]) -> list[str]:
    """The targets missed, in pt-BR (empty when all were met)."""
    missed = []
    for conns in CONNECTIONS if acks else ():
        r = ratio(median(acks, "queue", conns, "rps"), median(acks, "embedded", conns, "rps"))
        if r is None or r < RATIO_FLOOR:
            missed.append(f"vazão do modo fila com {conns} conexões abaixo de {RATIO_FLOOR}×")
    queue = {lag.workers: lag for lag in lags if lag.mode == "queue"}
    if 1 in queue and 2 in queue and not two_faster(queue[1], queue[2]):
        missed.append("2 workers não aplicaram mais rápido que 1")
    if any(lag.lost for lag in lags) or any(r.lost for runs in acks.values() for r in runs):
        missed.append("houve entregas confirmadas e não gravadas")
    return missed


def median(acks, mode: str, conns: int, attr: str) -> float | None:
    values = [getattr(r, attr) for r in acks.get((mode, conns), []) if getattr(r, attr) is not None]
    return statistics.median(values) if values else None


def ack_throughput(args, vhost: Vhost, logs: Path) -> dict[tuple[str, int], list[Result]]:
    """Both stacks up side by side; --reps rounds, alternating which mode goes first."""
    dbs = {mode: Database("postgres", f"multichat_bench_q_{mode}") for mode in MODES}
    tokens = {mode: prepare(db) for mode, db in dbs.items()}
    acks: dict[tuple[str, int], list[Result]] = {}
    procs = []
    try:
        with Celery(dbs["queue"], vhost.url, 2, logs):
            for mode, db in dbs.items():
                extra = queue_env(vhost.url) if mode == "queue" else None
                procs.append(start("ours", db, tokens[mode], PORTS[mode], 0, 32, extra)[0])
            servers = dict(zip(MODES, procs, strict=True))
            for rep in range(args.reps):
                for mode in MODES if rep % 2 == 0 else MODES[::-1]:
                    for conns in CONNECTIONS:
                        runs = acks.setdefault((mode, conns), [])
                        db, port, prefix = dbs[mode], PORTS[mode], f"q{mode[0]}{conns}r{rep}"
                        runs.append(
                            measure(
                                "ours",
                                db,
                                port,
                                tokens[mode],
                                conns,
                                args.seconds,
                                prefix,
                                servers[mode],
                            )
                        )
                        if mode == "queue":
                            vhost.wait_idle()
                        print(f"  {mode} c={conns} #{rep + 1}: {runs[-1]}", file=sys.stderr)
    finally:
        for proc in procs:
            stop(proc)
        for db in dbs.values():
            db.drop()
    return acks


def burst_lags(args, vhost: Vhost, logs: Path) -> list[Lag]:
    """The same multi-client burst against embedded, queue with 1 and with 2 worker processes."""
    template = Database("postgres", "multichat_bench_q_template")
    token = prepare(template)
    clients = add_clients(template, args.clients)
    lags = []
    try:
        for mode, workers in (("embedded", 1), ("queue", 1), ("queue", 2)):
            db = clone(template, f"multichat_bench_q_lag_{mode}_{workers}")
            try:
                lags.append(burst_once(db, mode, workers, token, clients, args, vhost, logs))
            finally:
                db.drop()
            print(f"  rajada {mode} workers={workers}: {lags[-1]}", file=sys.stderr)
    finally:
        template.drop()
    return lags


def burst_once(db, mode, workers, token, clients, args, vhost, logs) -> Lag:
    celery = Celery(db, vhost.url, workers, logs) if mode == "queue" else None
    extra = queue_env(vhost.url) if mode == "queue" else None
    if celery:
        celery.__enter__()  # ready (answers a ping) before the receiver takes any delivery
    proc = None
    try:
        proc, _startup = start("ours", db, token, LAG_PORT, 0, 32, extra)
        if wait_applied(db, 60) == float("inf"):
            raise RuntimeError("the start-up delivery was never applied")
        before = stored_rows("ours", db)
        many = {"BENCH_CLIENTS": ",".join(f"{i}:{t}" for i, t in clients)}
        stats = wrk(LAG_PORT, token, 64, args.burst, f"lag{mode}{workers}", lua=MANY_LUA, env=many)
        ended = time.perf_counter()
        backlog = db.count("SELECT count(*) FROM webhook_webhookevent WHERE status = 'received'")
        drain = wait_applied(db, args.drain_timeout)
        drain = drain if drain == float("inf") else time.perf_counter() - ended
        acked = int(stats["2xx"])
        return Lag(
            mode=mode,
            workers=workers,
            acks_per_s=acked / (stats["duration_us"] / 1e6),
            acked=acked,
            lost=max(0, acked - (stored_rows("ours", db) - before)),
            backlog=backlog,
            drain_s=drain,
        )
    finally:
        if proc is not None:
            stop(proc)
        if celery:
            celery.__exit__()


def fmt(value: float | None, spec: str = ".0f") -> str:
    if value is None:
        return "–"
    return "nunca" if value == float("inf") else format(value, spec)


def report(acks, lags: list[Lag], args) -> list[str]:
    print(
        f"\n### Modo fila: acks (PostgreSQL + RabbitMQ; wrk -t2, {args.seconds} s por rodada, "
        f"mediana de {args.reps}, ordem alternada; fila: 1 worker -c 2 e beat)\n"
    )
    print(
        "| conexões | embutido req/s | fila req/s | fila/embutido | p99 embutido ms | p99 fila ms "
        "| não-2xx | perdidos | aplicado após (s) emb./fila |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for conns in CONNECTIONS:
        e, q = (median(acks, m, conns, "rps") for m in MODES)
        bad = sum(median(acks, m, conns, "non2xx") or 0 for m in MODES)
        lost = sum(median(acks, m, conns, "lost") or 0 for m in MODES)
        applied = [fmt(median(acks, m, conns, "applied_after_s"), ".2f") for m in MODES]
        print(
            f"| {conns} | {fmt(e)} | {fmt(q)} | {fmt(ratio(q, e), '.2f')} "
            f"| {fmt(median(acks, 'embedded', conns, 'p99_ms'), '.1f')} "
            f"| {fmt(median(acks, 'queue', conns, 'p99_ms'), '.1f')} | {bad:.0f} | {lost:.0f} "
            f"| {applied[0]} / {applied[1]} |"
        )
    print(
        f"\n### Modo fila: atraso depois de uma rajada de {args.burst} s "
        f"({args.clients} clientes, 64 conexões)\n"
    )
    print(
        "| modo | processos aplicando | acks/s na rajada | perdidos | à espera no fim "
        "| tudo aplicado após (s) | eventos/s | eventos/s por processo |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for lag in lags:
        name = (
            "embutido (aplicador)" if lag.mode == "embedded" else f"fila (worker -c {lag.workers})"
        )
        print(
            f"| {name} | {lag.workers} | {lag.acks_per_s:.0f} | {lag.lost} | {lag.backlog} "
            f"| {fmt(lag.drain_s, '.2f')} | {fmt(lag.rate)} | {fmt(lag.rate_per_worker)} |"
        )
    missed = missed_targets(acks, lags)
    print()
    for line in missed or ["Metas do modo fila cumpridas (vazão ≥ 0,9× e 2 workers > 1)."]:
        print(f"- {line}")
    return missed


def main() -> None:
    args = parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk não encontrado. Instale: `sudo apt-get install wrk`.")
    if problem := unreachable():
        print(f"Bench do modo fila pulado: {problem}.")
        return
    logs = Path(tempfile.mkdtemp(prefix="multichat-queue-bench-"))
    with Vhost() as vhost:
        acks = ack_throughput(args, vhost, logs) if args.part != "lag" else {}
        lags = burst_lags(args, vhost, logs) if args.part != "acks" else []
    missed = report(acks, lags, args)
    shutil.rmtree(logs, ignore_errors=True)
    if missed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
