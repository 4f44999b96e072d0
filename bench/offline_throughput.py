"""Offline counting speed against ctok itself, on a few MB of real mixed text, before and after.

    .venv/bin/python -m bench.offline_throughput [--mb 4] [--version 3.0]

The text is ``bench.real_text``: man pages in nine languages, Python source, Markdown, JSON and an emoji
table, cut into message blocks. Timed in one run, on the same blocks:

* ``ctok``: ``ctok.token_count`` on each block, the baseline;
* ``before``: the previous fast path (``ctok_fast.engine_counter``: ctok's tiling without rendering);
* ``uncompiled``: the per-word counter with ctok's own tiling loop for unseen words, as it runs without
  numba (the counter of the release before the compiled tiling), empty memo;
* ``after``: the per-word counter (``ctok_fast.fast_counter``, unseen words tiled by the numba kernels)
  with an empty memo, i.e. cold first counts, then again warm;
* ``estimate_request`` over the blocks as one conversation, cold (every cache emptied) and warm.

Every counter's vocabulary is loaded before any timing, and ``after``'s counts are checked equal to ctok's.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import ctok  # pyright: ignore[reportMissingTypeStubs]  # no stubs shipped; its public functions are annotated

from bench.real_text import real_blocks
from mcp_token_counter.catalog import builtin_catalog
from mcp_token_counter.offline import clear_text_cache, estimate_request, text_cache_info
from mcp_token_counter.offline.batch_tiling import Kernels
from mcp_token_counter.offline.ctok_fast import ctok_internal, engine_counter, fast_counter, wait_compiled
from mcp_token_counter.offline.ctok_internals import ctok_parts
from mcp_token_counter.offline.fast_count import FastCounter


def _no_numba() -> Kernels:
    raise ImportError("numba left out for the comparison")


def uncompiled_counter(version: str) -> FastCounter:
    """The per-word counter as it counts without numba: ctok's tiling loop for unseen words."""
    model = ctok_internal("main", "_model")(ctok_internal("main", "_family")(version))
    return FastCounter(ctok_parts(), model, _no_numba)


def _timed[T](run: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = run()
    return result, time.perf_counter() - start


def _cpu[T](run: Callable[[], T]) -> tuple[T, float, float]:
    """``run``'s result, wall seconds and this process's CPU seconds: on a shared machine the CPU ratio is
    the steadier of the two, since other processes stretch wall time unevenly between the timed runs."""
    cpu = time.process_time()
    result, wall = _timed(run)
    return result, wall, time.process_time() - cpu


def _counts(blocks: list[str], version: str) -> dict[str, float]:
    before = engine_counter(version)
    before("warm up")
    fast_counter(version)("warm up")  # loads what every fresh counter shares; its memo is not reused below
    uncompiled = uncompiled_counter(version)
    uncompiled.wait_compiled()  # sure to fail: its loader only records that numba is left out
    after = fast_counter(version)
    if not after.fast.wait_compiled():
        raise AssertionError("the compiled path did not load: is numba installed?")
    expected, ctok_s, ctok_cpu = _cpu(lambda: [ctok.token_count(b, version) for b in blocks])
    _, before_s, before_cpu = _cpu(lambda: [before(b) for b in blocks])
    uncounted, uncompiled_s, uncompiled_cpu = _cpu(lambda: [uncompiled(b) for b in blocks])
    counted, after_s, after_cpu = _cpu(lambda: [after(b) for b in blocks])
    if counted != expected or uncounted != expected:
        raise AssertionError("the fast counter differs from ctok.token_count on the bench text")
    _, warm_s = _timed(lambda: [after(b) for b in blocks])
    mb = sum(map(len, blocks)) / 1_000_000
    return {
        "ctok_s": round(ctok_s, 3),
        "before_s": round(before_s, 3),
        "after_s": round(after_s, 3),
        "after_warm_s": round(warm_s, 4),
        "before_vs_ctok": round(ctok_s / before_s, 2),
        "after_vs_ctok": round(ctok_s / after_s, 2),
        "after_vs_before": round(before_s / after_s, 2),
        "ctok_mb_s": round(mb / ctok_s, 3),
        "after_mb_s": round(mb / after_s, 3),
        "ctok_cpu_s": round(ctok_cpu, 3),
        "before_cpu_s": round(before_cpu, 3),
        "after_cpu_s": round(after_cpu, 3),
        "after_vs_ctok_cpu": round(ctok_cpu / after_cpu, 2),
        "after_vs_before_cpu": round(before_cpu / after_cpu, 2),
        "after_mb_per_cpu_s": round(mb / after_cpu, 3),
        "uncompiled_s": round(uncompiled_s, 3),
        "uncompiled_cpu_s": round(uncompiled_cpu, 3),
        "uncompiled_vs_ctok_cpu": round(ctok_cpu / uncompiled_cpu, 2),
        "after_vs_uncompiled_cpu": round(uncompiled_cpu / after_cpu, 2),
    }


def _estimates(blocks: list[str], version: str, ctok_s: float) -> dict[str, float]:
    spec = next(m for m in builtin_catalog().models if m.ctok_version == version and m.ctok_confirmed)
    roles = ("user", "assistant")
    body: dict[str, Any] = {"messages": [{"role": roles[i % 2], "content": b} for i, b in enumerate(blocks)]}
    estimate_request({"messages": [{"role": "user", "content": "warm up"}]}, spec)
    clear_text_cache()
    wait_compiled(version)  # a fresh counter, its compiled path loaded: what a server has after its first count
    _, cold_s = _timed(lambda: estimate_request(body, spec))
    _, warm_s = _timed(lambda: estimate_request(body, spec))
    return {
        "estimate_cold_s": round(cold_s, 3),
        "estimate_warm_s": round(warm_s, 4),
        "cold_vs_ctok": round(ctok_s / cold_s, 2),
    }


def measure(megabytes: float, version: str) -> dict[str, float]:
    """Seconds and ratios for ctok, the previous and the new counter, and a cold and warm estimate."""
    blocks = real_blocks(megabytes)
    counts = _counts(blocks, version)
    return {
        "megabytes": round(sum(map(len, blocks)) / 1_000_000, 2),
        **counts,
        **_estimates(blocks, version, counts["ctok_s"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--mb", type=float, default=4.0, help="megabytes of text (default 4)")
    parser.add_argument("--version", default="3.0", help="ctok version (default 3.0)")
    args = parser.parse_args()
    figures = measure(args.mb, args.version)
    for name, value in figures.items():
        print(f"{name:18} {value}")
    print(f"text cache: {text_cache_info()}")


if __name__ == "__main__":
    main()
