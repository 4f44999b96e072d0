"""Offline counting speed against ctok itself, on a few MB of real mixed text, before and after.

    .venv/bin/python -m bench.offline_throughput [--mb 4] [--version 3.0]

The text is ``bench.real_text``: man pages in nine languages, Python source, Markdown, JSON and an emoji
table, cut into message blocks. Timed in one run, on the same blocks:

* ``ctok``: ``ctok.token_count`` on each block, the baseline;
* ``before``: the previous fast path (``ctok_fast.engine_counter``: ctok's tiling without rendering);
* ``python``: the per-word counter on the pure-Python engine (``TOKEN_COUNTER_OFFLINE_ENGINE=python``, as
  where the extension was not built: ctok's own tiling loop for unseen words), empty memo;
* ``after``: the per-word counter on the compiled engine (the ``_engine`` extension: the scan, the word
  writer and the tiling in C) with an empty memo, i.e. cold first counts, then again warm;
* ``estimate_request`` over the blocks as one conversation, cold (every cache emptied) and warm, on the
  compiled engine, and cold on the pure-Python one.

Every counter's vocabulary is loaded before any timing, and ``after``'s counts are checked equal to ctok's.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from typing import Any

import ctok  # pyright: ignore[reportMissingTypeStubs]  # no stubs shipped; its public functions are annotated

from bench.real_text import real_blocks
from mcp_token_counter.catalog import builtin_catalog
from mcp_token_counter.offline.compiled.engine import FORCED, SETTING
from mcp_token_counter.offline.request.estimate import estimate_request
from mcp_token_counter.offline.text.count import clear_text_cache, text_cache_info
from mcp_token_counter.offline.text.ctok_fast import GuardedCounter, compiled_in_use, engine_counter, fast_counter


def python_counter(version: str) -> GuardedCounter:
    """The per-word counter on the pure-Python engine, as where the extension was not built."""
    return fast_counter(version, environ={SETTING: FORCED})


def compiled_counter(version: str) -> GuardedCounter:
    """The per-word counter on the compiled engine."""
    counter = fast_counter(version, environ={})
    if not counter.fast.compiled:
        raise AssertionError("the compiled engine is not in use: was the extension built (make setup)?")
    return counter


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
    compiled_counter(version)("warm up")  # loads what every fresh counter shares; its memo is not reused below
    python = python_counter(version)
    after = compiled_counter(version)
    expected, ctok_s, ctok_cpu = _cpu(lambda: [ctok.token_count(b, version) for b in blocks])
    _, before_s, before_cpu = _cpu(lambda: [before(b) for b in blocks])
    by_python, python_s, python_cpu = _cpu(lambda: [python(b) for b in blocks])
    counted, after_s, after_cpu = _cpu(lambda: [after(b) for b in blocks])
    if counted != expected or by_python != expected:
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
        "python_s": round(python_s, 3),
        "python_vs_ctok": round(ctok_s / python_s, 2),
        "python_cpu_s": round(python_cpu, 3),
        "python_vs_ctok_cpu": round(ctok_cpu / python_cpu, 2),
        "after_vs_python_cpu": round(python_cpu / after_cpu, 2),
    }


def _estimates(blocks: list[str], version: str, ctok_s: float) -> dict[str, float]:
    spec = next(m for m in builtin_catalog().models if m.ctok_version == version and m.ctok_confirmed)
    roles = ("user", "assistant")
    body: dict[str, Any] = {"messages": [{"role": roles[i % 2], "content": b} for i, b in enumerate(blocks)]}
    estimate_request({"messages": [{"role": "user", "content": "warm up"}]}, spec)
    clear_text_cache()
    if not compiled_in_use(version):  # a fresh counter: what a server has after its first count
        raise AssertionError("the compiled engine is not in use: was the extension built (make setup)?")
    _, cold_s = _timed(lambda: estimate_request(body, spec))
    _, warm_s = _timed(lambda: estimate_request(body, spec))
    os.environ[SETTING] = FORCED  # read when the process-wide counter is built, as a server reads it
    try:
        clear_text_cache()
        if compiled_in_use(version):
            raise AssertionError(f"{SETTING}={FORCED} did not force the pure-Python engine")
        _, python_cold_s = _timed(lambda: estimate_request(body, spec))
    finally:
        del os.environ[SETTING]
        clear_text_cache()
    return {
        "estimate_cold_s": round(cold_s, 3),
        "estimate_warm_s": round(warm_s, 4),
        "cold_vs_ctok": round(ctok_s / cold_s, 2),
        "estimate_cold_python_s": round(python_cold_s, 3),
        "cold_python_vs_ctok": round(ctok_s / python_cold_s, 2),
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
