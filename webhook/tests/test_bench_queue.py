"""bench/queue_mode.py's pure parts: the BENCH line of the wrk scripts, the ratio, the apply rates
and which targets were missed (no timing here: the bench itself measures)."""

from __future__ import annotations

from bench.measures import Result, parse_bench_line
from bench.queue_mode import Lag, missed_targets, parse_args, ratio, two_faster


def _result(rps: float, lost: int = 0) -> Result:
    return Result(rps=rps, p50_ms=1.0, p99_ms=2.0, non2xx=0, lost=lost)


def _lag(workers: int, backlog: int, drain_s: float, mode: str = "queue") -> Lag:
    return Lag(mode, workers, 2000.0, 40_000, 0, backlog, drain_s)


def _acks(embedded: float, queue: float) -> dict:
    return {
        (mode, conns): [_result(rps), _result(rps * 1.1), _result(rps * 0.5)]
        for conns in (16, 64)
        for mode, rps in (("embedded", embedded), ("queue", queue))
    }


def test_the_bench_line_of_the_wrk_scripts_is_read_as_numbers():
    out = "Running 8s test\nBENCH 2xx=100 non2xx=2 errors=0 requests=102 duration_us=8000000 p50_us=900 p99_us=4000\n"
    assert parse_bench_line(out) == {
        "2xx": 100.0,
        "non2xx": 2.0,
        "errors": 0.0,
        "requests": 102.0,
        "duration_us": 8e6,
        "p50_us": 900.0,
        "p99_us": 4000.0,
    }


def test_ratio_is_none_without_both_figures():
    assert ratio(1800, 2000) == 0.9
    assert ratio(None, 2000) is None
    assert ratio(1800, 0) is None


def test_rates_are_per_second_of_drain_and_per_worker_process():
    lag = _lag(2, backlog=12_000, drain_s=4.0)
    assert (lag.rate, lag.rate_per_worker) == (3000.0, 1500.0)
    assert _lag(1, backlog=0, drain_s=0.1).rate is None  # kept up: nothing to drain
    assert _lag(1, backlog=500, drain_s=float("inf")).rate is None


def test_two_workers_must_apply_faster_than_one():
    one = _lag(1, backlog=10_000, drain_s=5.0)  # 2,000 events/s
    assert two_faster(one, _lag(2, backlog=10_000, drain_s=4.0))
    assert not two_faster(one, _lag(2, backlog=9_000, drain_s=5.0))
    assert two_faster(one, _lag(2, backlog=0, drain_s=0.2))  # two kept up with the burst
    assert not two_faster(one, _lag(2, backlog=0, drain_s=float("inf")))


def test_missed_targets_use_the_medians():
    lags = [_lag(1, 10_000, 5.0, "embedded"), _lag(1, 10_000, 5.0), _lag(2, 10_000, 4.0)]
    assert missed_targets(_acks(2000, 1900), lags) == []  # medians 2000 and 1900: 0.95
    missed = missed_targets(_acks(2000, 1700), [*lags[:2], _lag(2, 10_000, 6.0)])
    assert missed == [
        "vazão do modo fila com 16 conexões abaixo de 0.9×",
        "vazão do modo fila com 64 conexões abaixo de 0.9×",
        "2 workers não aplicaram mais rápido que 1",
    ]
    lost = _acks(2000, 2000)
    lost[("queue", 16)][0].lost = 3
    assert missed_targets(lost, lags) == ["houve entregas confirmadas e não gravadas"]


def test_the_defaults_fit_the_six_minute_budget():
    args = parse_args([])
    assert (args.seconds, args.reps, args.burst, args.clients) == (8, 3, 20, 8)
