"""A shared offline HTTP server under large estimates: how long another user's tiny count waits.

    .venv/bin/python -m bench.shared_offline [--large 45] [--chars 60000] [--case dna]

Issue 25's scenario: one offline server on streamable HTTP (no key), ``--large`` users each sending a
``--chars``-character text of one of ``bench.linear_cases`` at once (each text different, so no cache or
shared count answers them), and one more user counting "Hello, Claude" meanwhile. Printed: that tiny
count's latency on the idle server (the baseline, same run) and under the load, as a ratio, and how the
large requests ended (answered or an isError, with their latencies). To measure the code before a change,
run with ``PYTHONPATH`` pointing at the older tree's ``server/`` (the server process inherits it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Any

import anyio
from mcp import Client

from bench.http_bench import ours_http
from bench.linear_cases import CASES

MODEL = "claude-sonnet-4-6"
TINY = "Hello, Claude"


def _arguments(text: str) -> dict[str, Any]:
    return {"model": MODEL, "messages": [{"role": "user", "content": text}]}


async def _timed_count(url: str, text: str) -> tuple[float, bool]:
    """Seconds for one count from a fresh session (a user of its own), and whether it was an error."""
    async with Client(url) as client:
        start = time.perf_counter()
        result = await client.call_tool("count_tokens", _arguments(text))
        return time.perf_counter() - start, bool(result.is_error)


async def _tiny_latencies(url: str, n: int) -> list[float]:
    async with Client(url) as client:
        out: list[float] = []
        for _ in range(n):
            start = time.perf_counter()
            result = await client.call_tool("count_tokens", _arguments(TINY))
            assert not result.is_error, result
            out.append(time.perf_counter() - start)
        return out


async def run(url: str, large: int, chars: int, case: str) -> None:
    await _tiny_latencies(url, 3)  # the vocabulary loads outside any timing
    idle = await _tiny_latencies(url, 10)
    texts = [CASES[case](chars + i) for i in range(large)]  # each text different: no cache answers it
    results: list[tuple[float, bool]] = []
    loaded: list[float] = []

    async def one(text: str) -> None:
        results.append(await _timed_count(url, text))

    started = time.perf_counter()
    async with anyio.create_task_group() as tasks:
        for text in texts:
            tasks.start_soon(one, text)
        await anyio.sleep(1.0)  # the large requests have arrived and are counting
        loaded = await _tiny_latencies(url, 5)
    wall = time.perf_counter() - started
    idle_ms, loaded_ms = statistics.median(idle) * 1e3, statistics.median(loaded) * 1e3
    errors = sum(1 for _, error in results if error)
    large_s = sorted(seconds for seconds, _ in results)
    print(f"{large} x {chars:,} characters of {case!r} at once, offline HTTP server")
    print(f"tiny count, idle:       median {idle_ms:8.1f} ms")
    print(f"tiny count, under load: median {loaded_ms:8.1f} ms, max {max(loaded) * 1e3:8.1f} ms")
    print(f"ratio (under load / idle, medians): {loaded_ms / idle_ms:.1f}x")
    print(f"large requests: {large - errors} answered, {errors} isError; latency min {large_s[0]:.1f} s, ")
    print(f"  median {statistics.median(large_s):.1f} s, max {large_s[-1]:.1f} s; all done after {wall:.1f} s")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--large", type=int, default=45)
    parser.add_argument("--chars", type=int, default=60_000)
    parser.add_argument("--case", choices=sorted(CASES), default="dna")
    parser.add_argument("--deadline", default="60", help="TOKEN_COUNTER_DEADLINE for the server")
    args = parser.parse_args(argv)
    env = {"TOKEN_COUNTER_DEADLINE": args.deadline}
    if "PYTHONPATH" in os.environ:
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    with ours_http(env) as server:
        anyio.run(run, server.url, args.large, args.chars, args.case)


if __name__ == "__main__":
    main()
