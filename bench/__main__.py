"""Run the benchmark suite: ``make bench`` (full) or ``python -m bench --quick`` (a ~25 s smoke run).

Every figure is measured beside its baseline in the same run and reported as a ratio plus absolute
p50/p99. Results: a table on stdout and ``bench/results/latest.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any, TextIO

import anyio
from tests.standin import Standin

from bench import offline_memory, offline_throughput, team_bench
from bench.cache_bench import cache_hit
from bench.chart import sweep_chart
from bench.http_bench import HttpServer, SweepTarget, http_latency, http_servers, ours_http, script_http, sweep
from bench.latency import BARE, FLOOR, OURS, SDK_JOB, SDK_UPSTREAM, SHAPE, added_cost, server_env, stdio_latency
from bench.procs import standin_process, together
from bench.startup import cold_start_and_memory, cold_starts, memory

SWEEP_LATENCY_MS = 20.0
SWEEP_BOUND = 16

RESULTS = Path(__file__).with_name("results")


def machine() -> dict[str, Any]:
    """Where the figures were taken."""
    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": len(_cpus()),
        "system": platform.system(),
    }


def _cpus() -> list[str]:
    lines = Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.startswith("processor")]


@dataclass(frozen=True, slots=True)
class Sizes:
    """How much each figure measures: the full suite, or the smoke run (``--quick``) that proves it works."""

    calls: int
    cold_runs: int
    payload_mb: float
    offline_mb: float
    levels: tuple[int, ...]
    rounds: int
    team_calls: int
    warmup: int  # untimed calls before each latency figure's timed ones
    sweep_warmup: int  # untimed calls on each of the sweep's servers
    # Fewer server processes, each figure still measured (--quick): cold start and memory on the same two
    # servers; the HTTP latency on the sweep's servers (against its slower stand-in), floor+shape and
    # sdk+upstream on one SDK server per transport; the team's single replica is the pair's first.
    shared: bool


FULL = Sizes(
    calls=600,
    cold_runs=15,
    payload_mb=30.0,
    offline_mb=4.0,
    levels=(1, 10, 100, 1000),
    rounds=5,
    team_calls=1000,
    warmup=30,
    sweep_warmup=20,
    shared=False,
)
QUICK = Sizes(
    calls=10,
    cold_runs=1,
    payload_mb=1.0,
    offline_mb=0.02,
    levels=(1, 10),
    rounds=1,
    team_calls=10,
    warmup=2,
    sweep_warmup=2,
    shared=True,
)


def run(sizes: Sizes) -> dict[str, Any]:
    """All figures, as one JSON-ready mapping."""
    report: dict[str, Any] = {"machine": machine(), "quick": sizes == QUICK}
    with standin_process() as base_url:
        report |= _stdio_figures(base_url, sizes)
        if not sizes.shared:
            with http_servers(server_env(base_url)) as servers:
                report |= _http_figures(base_url, servers, sizes)
    # In-process on purpose: the figure is Counter.count's own time on a hit, and the request log proves
    # that no hit reached the stand-in; nothing goes upstream while it is timed.
    with Standin() as standin:
        hit, upstream_calls = anyio.run(cache_hit, standin, sizes.calls)
    report["cache_hit"] = {**asdict(hit), "upstream_requests_for_all_hits": upstream_calls - 1}
    report |= _sweep(sizes)
    report["offline_throughput"] = offline_throughput.measure(sizes.offline_mb, "3.0")
    report["offline_memory"] = offline_memory.measure(sizes.offline_mb)
    report["team"] = team_bench.run(sizes.team_calls, sizes.warmup, alone_in_pair=sizes.shared)
    return report


def _stdio_figures(base_url: str, sizes: Sizes) -> dict[str, Any]:
    """Latency over stdio, cold start and memory, against the stand-in at ``base_url``."""
    latency = partial(stdio_latency, warmup=sizes.warmup, one_sdk_process=sizes.shared)
    samples = anyio.run(latency, base_url, sizes.calls)
    env = server_env(base_url)
    if sizes.shared:
        cold, mem = cold_start_and_memory(env, sizes.payload_mb)
    else:
        cold, mem = cold_starts(env, sizes.cold_runs), memory(env, sizes.payload_mb)
    return {"stdio_latency": [asdict(s) for s in samples], "stdio_added": added_cost(samples)} | {
        "cold_start": cold,
        "memory": asdict(mem),
    }


def _http_figures(base_url: str, servers: dict[str, HttpServer], sizes: Sizes) -> dict[str, Any]:
    samples = anyio.run(partial(http_latency, warmup=sizes.warmup), base_url, servers, sizes.calls)
    return {"http_latency": [asdict(s) for s in samples], "http_added": added_cost(samples)}


def _sweep(sizes: Sizes) -> dict[str, Any]:
    """Ours, the SDK doing our job, and the SDK's floor, taking turns; the stand-in adds SWEEP_LATENCY_MS.

    The floor is a bare tool that only sleeps that long in one of the same number of slots: no upstream at
    all, so its wall time is the best any MCPServer reaches at that concurrency on this machine. With
    ``sizes.shared`` the HTTP latency figures are taken on these servers first.
    """
    latency_s = SWEEP_LATENCY_MS / 1000
    with standin_process(SWEEP_LATENCY_MS) as base_url:
        env = server_env(
            base_url,
            TOKEN_COUNTER_MAX_CONCURRENCY=str(SWEEP_BOUND),
            BENCH_BOUND=str(SWEEP_BOUND),
            BENCH_SLEEP_MS=str(SWEEP_LATENCY_MS),
        )
        servers = [ours_http(env), script_http(SDK_UPSTREAM, env), script_http(BARE, env)]
        with together(servers) as (ours, job, bare):
            figures: dict[str, Any] = {}
            # The env above differs from the latency's only in bounds equal to the defaults and the floor's
            # `wait`, which the latency does not call; the stand-in's 20 ms is in every upstream call.
            if sizes.shared:
                figures = _http_figures(base_url, {FLOOR: bare, SHAPE: job, SDK_JOB: job, OURS: ours}, sizes)
            targets = [
                SweepTarget("ours", ours, "count_tokens"),
                SweepTarget("sdk_upstream", job, "count_upstream"),
                SweepTarget("sdk_floor", bare, "wait"),
            ]
            run_sweep = partial(sweep, warmup=sizes.sweep_warmup)
            levels = list(sizes.levels)
            return figures | {"sweep": anyio.run(run_sweep, targets, levels, latency_s, SWEEP_BOUND, sizes.rounds)}


def _latency_rows(out: TextIO, samples: list[dict[str, Any]], added: dict[str, float | None]) -> None:
    for sample in samples:
        cpu = sample["server_cpu_ms"]
        cpu_text = f"  server CPU {cpu:6.3f} ms/call" if cpu is not None else ""
        times = f"p50 {sample['p50_ms']:8.3f}  p99 {sample['p99_ms']:8.3f}"
        out.write(f"  {sample['name']:14} {times}{cpu_text}  n={sample['n']}\n")
    out.write(
        f"  ours - direct - floor: {added['ours_minus_direct_minus_floor_ms']} ms p50, made of: "
        f"our result's shape in the SDK {added['shape_minus_floor_ms']} ms; "
        f"the SDK hosting a tool that does I/O {added['sdk_upstream_minus_shape_minus_direct_ms']} ms; "
        f"ours alone {added['ours_minus_sdk_upstream_ms']} ms "
        f"({added['server_cpu_ours_minus_sdk_upstream_ms']} ms server CPU per call)\n"
    )


def _memory_rows(out: TextIO, mem: dict[str, Any]) -> None:
    out.write(f"peak RSS for one {mem['payload_mb']} MB base64 payload over stdio (x = above idle per payload)\n")
    for name, label in (("floor", "bare MCPServer tool"), ("ours", "count_tokens")):
        row = mem[name]
        out.write(
            f"  {label:32} idle {row['idle_rss_mb']:6.1f} MB  peak {row['peak_rss_mb']:6.1f} MB  "
            f"{row['peak_over_idle_per_payload']}x\n"
        )
    out.write(f"  ours / floor: {mem['ratio']}x\n")


def _sweep_rows(out: TextIO, sweep: dict[str, Any]) -> None:
    out.write(f"\nconcurrency sweep (stand-in +{SWEEP_LATENCY_MS:g} ms, {SWEEP_BOUND} in flight upstream)\n")
    for ours, job, floor in zip(sweep["ours"], sweep["sdk_upstream"], sweep["sdk_floor"], strict=True):
        out.write(
            f"  {ours['concurrency']:>5} calls: {ours['answered']:>5} answered, ideal {ours['ideal_s']} s; "
            f"ours {ours['wall_s']} s ({ours['ratio']}x ideal, server CPU {ours['server_cpu_s']} s); "
            f"sdk+upstream {job['wall_s']} s ({job['ratio']}x, CPU {job['server_cpu_s']} s); "
            f"sdk floor {floor['wall_s']} s ({floor['ratio']}x, CPU {floor['server_cpu_s']} s)\n"
        )


def print_table(report: dict[str, Any]) -> None:
    """A human summary of ``report``."""
    out = sys.stdout
    out.write(f"machine: {report['machine']}\n\nper-call latency over stdio (ms)\n")
    _latency_rows(out, report["stdio_latency"], report["stdio_added"])
    cold = report["cold_start"]
    out.write(
        f"\ncold start to first tools/list: ours {cold['ours_s']} s, bare {cold['bare_s']} s, ratio {cold['ratio']}x\n"
    )
    _memory_rows(out, report["memory"])
    out.write("\nper-call latency over streamable HTTP (ms)\n")
    _latency_rows(out, report["http_latency"], report["http_added"])
    hit = report["cache_hit"]
    out.write(
        f"\ncache hit, server side: p50 {hit['p50_ms']} ms, p99 {hit['p99_ms']} ms, "
        f"upstream requests for {hit['n']} hits: {hit['upstream_requests_for_all_hits']}\n"
    )
    _sweep_rows(out, report["sweep"])
    off = report["offline_throughput"]
    out.write(
        f"\noffline counting on {off['megabytes']} MB of real text: ctok {off['ctok_s']} s "
        f"({off['ctok_mb_s']} MB/s); before {off['before_s']} s ({off['before_vs_ctok']}x ctok); "
        f"after, cold {off['after_s']} s ({off['after_vs_ctok']}x ctok, {off['after_mb_s']} MB/s, "
        f"{off['after_vs_before']}x before), warm {off['after_warm_s']} s; by CPU time "
        f"{off['after_vs_ctok_cpu']}x ctok, {off['after_vs_before_cpu']}x before, "
        f"{off['after_vs_python_cpu']}x the pure-Python engine "
        f"({off['python_vs_ctok_cpu']}x ctok)\n"
        f"offline estimate of it as a conversation: cold {off['estimate_cold_s']} s ({off['cold_vs_ctok']}x ctok), "
        f"warm {off['estimate_warm_s']} s; pure-Python engine cold {off['estimate_cold_python_s']} s "
        f"({off['cold_python_vs_ctok']}x ctok)\n"
    )
    counted = report["offline_memory"]
    out.write(
        f"peak RSS counting one {counted['megabytes']} MB text: before {counted['before_peak_mb']} MB, "
        f"after {counted['after_peak_mb']} MB ({counted['after_vs_before']}x)\n"
    )
    team_bench.print_team(report["team"])


def main() -> None:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="a smoke run: every figure, tiny sizes, no meaning")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where to write the JSON and the chart")
    args = parser.parse_args()
    report = run(QUICK if args.quick else FULL)
    results: Path = args.results
    results.mkdir(parents=True, exist_ok=True)
    (results / ("quick.json" if args.quick else "latest.json")).write_text(
        json.dumps(report, indent=2) + "\n", encoding="utf-8"
    )
    chart = results / ("quick.png" if args.quick else "concurrency.png")
    sweep_chart(report["sweep"], chart, bound=SWEEP_BOUND, latency_ms=SWEEP_LATENCY_MS)
    print_table(report)


if __name__ == "__main__":
    main()
