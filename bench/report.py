"""`make bench`'s Markdown tables: throughput and latency per database, connections and target;
then start-up, the burst and `webhook_reprocess`."""

from __future__ import annotations

import os
import platform

from bench.servers import workers_for


def fmt(value: float | None, spec: str = ".0f") -> str:
    if value is None:
        return "–"
    if value == float("inf"):
        return "nunca"
    return format(value, spec)


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
