"""Small statistics and timing helpers."""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Sample:
    """Latencies of one measured thing, in milliseconds."""

    name: str
    p50_ms: float
    p99_ms: float
    n: int


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by nearest rank."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def summarize(name: str, seconds: list[float]) -> Sample:
    """p50/p99 of a list of durations in seconds."""
    ms = [s * 1000 for s in seconds]
    return Sample(name, round(statistics.median(ms), 3), round(percentile(ms, 99), 3), len(ms))


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
