"""Cache hit: server-side time of a repeated count, and proof that it made no upstream request."""

from __future__ import annotations

import time

import httpx2
from tests.standin import COUNT_PATH, DEFAULT_KEY, Standin

from bench.latency import HELLO
from bench.stats import Sample, summarize
from mcp_token_counter.config import Settings
from mcp_token_counter.core.request import BodyFields, Message, build_request
from mcp_token_counter.core.state import build_state


async def cache_hit(standin: Standin, n: int) -> tuple[Sample, int]:
    """p50/p99 of ``RequestCounter.measure`` on a cached request, and the upstream requests it made (expected 1)."""
    settings = Settings.from_env({"ANTHROPIC_API_KEY": DEFAULT_KEY, "ANTHROPIC_BASE_URL": standin.base_url})
    request = build_request(
        model=HELLO["model"],
        messages=[Message.model_validate(m) for m in HELLO["messages"]],
        body_fields=BodyFields(),
        betas=None,
        raw_arguments=None,
    )
    before = len(standin.log.to(COUNT_PATH))
    async with httpx2.AsyncClient(base_url=settings.base_url) as http:
        counter = build_state(settings, http).counter
        await counter.measure(request)
        durations: list[float] = []
        for _ in range(n):
            start = time.perf_counter()
            counted = await counter.measure(request)
            durations.append(time.perf_counter() - start)
            assert counted.cached
    return summarize("cache hit (RequestCounter.measure)", durations), len(standin.log.to(COUNT_PATH)) - before
