"""Run the benchmark suite: ``make bench`` (full) or ``python -m bench --quick`` (a ~10 s smoke run).

Every figure is measured beside its baseline in the same run and reported as a ratio plus absolute
p50/p99. Results: a table on stdout and ``bench/results/latest.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import anyio
from tests.served import base_env
from tests.standin import Standin

from bench import offline_throughput
from bench.cache_bench import cache_hit
from bench.chart import sweep_chart
from bench.http_bench import bare_http, http_latency, ours_http, sweep
from bench.latency import HELLO, direct, server_env, stdio_latency
from bench.startup import cold_starts, memory

SWEEP_LATENCY_S = 0.020
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


def run(quick: bool) -> dict[str, Any]:
    """All figures, as one JSON-ready mapping."""
    n, runs, megabytes = (50, 2, 0.2) if quick else (400, 7, 2.0)
    report: dict[str, Any] = {"machine": machine(), "quick": quick}
    with Standin() as standin:
        samples = anyio.run(stdio_latency, standin, n)
        direct, floor, ours = samples
        report["stdio_latency"] = [asdict(s) for s in samples]
        report["stdio_added_ms_p50"] = round(ours.p50_ms - direct.p50_ms - floor.p50_ms, 3)
        env = server_env(standin)
        report["cold_start"] = cold_starts(env, runs)
        report["memory"] = asdict(memory(env, 3.0 if quick else 30.0))
        report["http_latency"], report["http_added_ms_p50"] = _http_figures(standin, env, n)
        hit, upstream_calls = anyio.run(cache_hit, standin, n)
        report["cache_hit"] = {**asdict(hit), "upstream_requests_for_all_hits": upstream_calls - 1}
        report["sweep"] = _sweep(standin, env, [1, 10, 100] if quick else [1, 10, 100, 1000])
    report["offline_throughput"] = offline_throughput.measure(megabytes, "3.0")
    return report


def _http_figures(standin: Standin, env: dict[str, str], n: int) -> tuple[list[dict[str, Any]], float]:
    with bare_http() as bare_url, ours_http(base_env(**env)) as ours_url:
        floor = anyio.run(http_latency, bare_url, "echo", {"value": 1}, "bare MCPServer tool (HTTP)", n)
        ours = anyio.run(http_latency, ours_url, "count_tokens", HELLO, "count_tokens (HTTP)", n)
    baseline = anyio.run(direct, standin, n)
    return [asdict(s) for s in (baseline, floor, ours)], round(ours.p50_ms - baseline.p50_ms - floor.p50_ms, 3)


def _sweep(standin: Standin, env: dict[str, str], levels: list[int]) -> list[dict[str, float]]:
    standin.faults.latency = SWEEP_LATENCY_S
    try:
        with ours_http(base_env(**env, TOKEN_COUNTER_MAX_CONCURRENCY=str(SWEEP_BOUND))) as url:
            return anyio.run(sweep, url, levels, SWEEP_LATENCY_S, SWEEP_BOUND)
    finally:
        standin.faults.latency = 0.0


def print_table(report: dict[str, Any]) -> None:
    """A human summary of ``report``."""
    out = sys.stdout
    out.write(f"machine: {report['machine']}\n\nper-call latency over stdio (ms)\n")
    for sample in report["stdio_latency"]:
        out.write(f"  {sample['name']:32} p50 {sample['p50_ms']:8.3f}  p99 {sample['p99_ms']:8.3f}  n={sample['n']}\n")
    out.write(f"  added by us (ours - direct - floor), p50: {report['stdio_added_ms_p50']} ms\n\n")
    cold = report["cold_start"]
    out.write(
        f"cold start to first tools/list: ours {cold['ours_s']} s, bare {cold['bare_s']} s, ratio {cold['ratio']}x\n"
    )
    mem = report["memory"]
    out.write(f"peak RSS for one {mem['payload_mb']} MB base64 payload over stdio (x = above idle per payload)\n")
    for name, label in (("floor", "bare MCPServer tool"), ("ours", "count_tokens")):
        row = mem[name]
        out.write(
            f"  {label:32} idle {row['idle_rss_mb']:6.1f} MB  peak {row['peak_rss_mb']:6.1f} MB  "
            f"{row['peak_over_idle_per_payload']}x\n"
        )
    out.write(f"  ours / floor: {mem['ratio']}x\n")
    out.write("\nper-call latency over streamable HTTP (ms)\n")
    for sample in report["http_latency"]:
        out.write(f"  {sample['name']:32} p50 {sample['p50_ms']:8.3f}  p99 {sample['p99_ms']:8.3f}  n={sample['n']}\n")
    out.write(f"  added by us (ours - direct - floor), p50: {report['http_added_ms_p50']} ms\n")
    hit = report["cache_hit"]
    out.write(
        f"cache hit, server side: p50 {hit['p50_ms']} ms, p99 {hit['p99_ms']} ms, "
        f"upstream requests for {hit['n']} hits: {hit['upstream_requests_for_all_hits']}\n"
    )
    out.write(f"concurrency sweep (stand-in +{SWEEP_LATENCY_S * 1000:g} ms, {SWEEP_BOUND} in flight upstream)\n")
    for row in report["sweep"]:
        out.write(
            f"  {row['concurrency']:>5} calls: {row['answered']:>5} answered, wall {row['wall_s']} s, "
            f"ideal {row['ideal_s']} s, {row['ratio']}x\n"
        )
    off = report["offline_throughput"]
    out.write(
        f"offline estimate on {off['megabytes']} MB: {off['cold_vs_ctok']}x ctok's own speed "
        f"(ctok {off['ctok_s']} s, cold {off['estimate_cold_s']} s, warm {off['estimate_warm_s']} s)\n"
    )


def main() -> None:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="a short smoke run with small iteration counts")
    args = parser.parse_args()
    report = run(args.quick)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / ("quick.json" if args.quick else "latest.json")).write_text(
        json.dumps(report, indent=2) + "\n", encoding="utf-8"
    )
    sweep_chart(report["sweep"], RESULTS / "concurrency.png", bound=SWEEP_BOUND, latency_ms=SWEEP_LATENCY_S * 1000)
    print_table(report)


if __name__ == "__main__":
    main()
