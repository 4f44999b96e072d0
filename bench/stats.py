"""Small statistics and timing helpers, and interleaved measurement of several targets."""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bench.procs import cpu_seconds


@dataclass(frozen=True, slots=True)
class Sample:
    """Latencies of one measured thing, in milliseconds, and the CPU its server process spent per call."""

    name: str
    p50_ms: float
    p99_ms: float
    n: int
    server_cpu_ms: float | None = None


@dataclass(frozen=True, slots=True)
class Target:
    """One thing to time: a call, and the server process (if any) whose CPU time it costs."""

    name: str
    call: Callable[[], Awaitable[object]]
    server_pid: int | None = None


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by nearest rank."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def summarize(name: str, seconds: list[float], server_cpu_ms: float | None = None) -> Sample:
    """p50/p99 of a list of durations in seconds."""
    ms = [s * 1000 for s in seconds]
    cpu = round(server_cpu_ms, 3) if server_cpu_ms is not None else None
    return Sample(name, round(statistics.median(ms), 3), round(percentile(ms, 99), 3), len(ms), cpu)


async def time_calls(call: Callable[[], Awaitable[object]], n: int, warmup: int = 20) -> list[float]:
    """Durations of ``n`` sequential calls after ``warmup`` unmeasured ones."""
    for _ in range(warmup):
        await call()
    durations: list[float] = []
    for _ in range(n):
        start = time.perf_counter()
        await call()
        durations.append(time.perf_counter() - start)
    return durations


async def interleaved(targets: list[Target], n: int, warmup: int = 30) -> list[Sample]:
    """``n`` timed calls of each target, taken in turn: one of each, then again.

    Taking them in turn rather than one target after another means a burst of noise on a shared machine
    (another process, a frequency change) lands on every target alike, so differences between them hold up
    better than their absolute values do.
    """
    for target in targets:
        for _ in range(warmup):
            await target.call()
    durations: list[list[float]] = [[] for _ in targets]
    cpu_before = [_cpu(t) for t in targets]
    for _ in range(n):
        for target, spent in zip(targets, durations, strict=True):
            start = time.perf_counter()
            await target.call()
            spent.append(time.perf_counter() - start)
    cpu_after = [_cpu(t) for t in targets]
    return [
        summarize(t.name, spent, None if before is None or after is None else (after - before) * 1000 / n)
        for t, spent, before, after in zip(targets, durations, cpu_before, cpu_after, strict=True)
    ]


def _cpu(target: Target) -> float | None:
    return None if target.server_pid is None else cpu_seconds(target.server_pid)
