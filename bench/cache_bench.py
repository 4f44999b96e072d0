"""Cache hit: server-side time of a repeated count, and proof that it made no upstream request."""

from __future__ import annotations

import time

import httpx2
from tests.standin import COUNT_PATH, DEFAULT_KEY, Standin

from bench.latency import HELLO
from bench.stats import Sample, summarize
from token_counter.app import build_state
from token_counter.config import Settings
from token_counter.request import Message, build_request


async def cache_hit(standin: Standin, n: int) -> tuple[Sample, int]:
    """p50/p99 of ``Counter.count`` on a cached request, and the upstream requests it made (expected 1)."""
    settings = Settings.from_env({"ANTHROPIC_API_KEY": DEFAULT_KEY, "ANTHROPIC_BASE_URL": standin.base_url})
    request = build_request(
        model=HELLO["model"],
        messages=[Message.model_validate(m) for m in HELLO["messages"]],
        fields={},
        betas=None,
        raw_arguments=None,
    )
    before = len(standin.log.to(COUNT_PATH))
    async with httpx2.AsyncClient(base_url=settings.base_url) as http:
        counter = build_state(settings, http).counter
        await counter.count(request)
        durations: list[float] = []
        for _ in range(n):
            start = time.perf_counter()
            counted = await counter.count(request)
            durations.append(time.perf_counter() - start)
            assert counted.cached
    return summarize("cache hit (Counter.count)", durations), len(standin.log.to(COUNT_PATH)) - before
