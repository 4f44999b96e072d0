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
from tests.standin import Standin

from bench import offline_throughput
from bench.latency import server_env, stdio_latency
from bench.startup import cold_starts, memory

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
    report["offline_throughput"] = offline_throughput.measure(megabytes, "3.0")
    return report


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
    out.write(
        f"memory: idle {mem['idle_rss_mb']} MB; peak {mem['peak_rss_mb']} MB for a {mem['payload_mb']} MB "
        f"payload ({mem['peak_over_idle_per_payload']}x the payload above idle)\n"
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
    print_table(report)


if __name__ == "__main__":
    main()
