"""The benchmark suite runs from a clean checkout: ``python -m bench --quick`` end to end.

The quick run's numbers mean nothing (tiny sizes, a shared machine); what it proves is that every figure is
produced, with its baseline, and that nothing failed on the way: every call answered, no cache hit went
upstream, the chart is a PNG. Timing targets live in ``make bench``, never in tests.
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_TIMEOUT_S = 600
LATENCY_TARGETS = {"direct", "floor", "floor+shape", "sdk+upstream", "ours"}


def test_quick_bench_produces_every_figure(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--results", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=BENCH_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads((tmp_path / "quick.json").read_text(encoding="utf-8"))

    for transport in ("stdio", "http"):
        samples = report[f"{transport}_latency"]
        assert {s["name"] for s in samples} == LATENCY_TARGETS
        assert all(s["n"] == samples[0]["n"] > 0 and s["p50_ms"] > 0 for s in samples)
        assert set(report[f"{transport}_added"]) >= {"ours_minus_direct_minus_floor_ms", "ours_minus_sdk_upstream_ms"}
    assert set(report["sweep"]) == {"ours", "sdk_upstream", "sdk_floor"}
    for rows in report["sweep"].values():
        assert [row["answered"] for row in rows] == [row["concurrency"] for row in rows]
    assert report["cache_hit"]["upstream_requests_for_all_hits"] == 0
    assert report["cold_start"]["ours_s"] > 0
    assert report["cold_start"]["bare_s"] > 0
    for server in ("ours", "floor"):
        assert report["memory"][server]["peak_rss_mb"] >= report["memory"][server]["idle_rss_mb"] > 0
    assert report["offline_throughput"]["cold_vs_ctok"] > 0
    team = report["team"]
    assert [s["name"] for s in team["latency"]] == [
        "one replica, no Redis",
        "two replicas, no Redis",
        "two replicas + Redis",
    ]
    assert team["repeat_on_other_replica"]["answered_from_cache"] == team["repeat_on_other_replica"]["n"] > 0
    assert all(rate > 0 for rate in team["throughput_calls_per_s"].values())
    assert report["offline_throughput"]["after_vs_ctok"] > 0
    assert report["offline_memory"]["after_peak_mb"] >= report["offline_memory"]["after_loaded_mb"] > 0
    assert (tmp_path / "quick.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert "per-call latency over stdio" in done.stdout
