"""An offline estimate honours TOKEN_COUNTER_DEADLINE, and one past it does not hold up anyone else.

Through the real server and the SDK's in-memory client, with no key (every count is an offline estimate).
The large texts take seconds to count (600,000 letters of random DNA: its stream is ctok's own, a couple of
seconds in either engine); the deadline is half a second. Each must come back as an isError saying what to
change, while its thread keeps counting (a Python thread cannot be stopped): a tiny count sent meanwhile is
answered, and no more than the lane's places are ever counting at once.
"""

from __future__ import annotations

import contextlib
from typing import Any

import anyio
import pytest
from bench.linear_cases import CASES
from tests.offline.conftest import spec_of
from tests.support import connected, error_text

from mcp_token_counter.core.estimate import LANE, LARGE_AT_ONCE, EstimateTimedOut, Estimator
from mcp_token_counter.offline.request.profile import profile_for
from mcp_token_counter.offline.text.count import text_tokens

MODEL = "claude-sonnet-4-6"
ENV = {"TOKEN_COUNTER_DEADLINE": "0.5"}
LARGE = 600_000
_DNA = CASES["dna"](LARGE)
# Long enough that its thread is still counting seconds after the deadline on a busy machine, where a tiny call
# sharing the GIL with it can take a second: with _DNA alone the check below failed now and then.
_LONG_DNA = CASES["dna"](3 * LARGE)


def arguments(text: str) -> dict[str, Any]:
    return {"model": MODEL, "messages": [{"role": "user", "content": text}]}


@pytest.fixture(autouse=True)
def warm_and_drain() -> Any:
    # The vocabulary loads on the first count (~0.6 s, more than the deadline): loaded here, not timed.
    text_tokens("warm", profile_for(spec_of(MODEL)).version)
    yield
    # The timed-out estimates' threads finish counting: wait for them, so no later test shares the CPU.
    assert LANE.wait_until(0, timeout=300)


@pytest.mark.anyio
async def test_a_large_estimate_past_the_deadline_is_a_clear_error_and_a_tiny_count_is_answered() -> None:
    async with connected(ENV) as client:
        with anyio.fail_after(60):
            large = await client.call_tool("count_tokens", arguments(_LONG_DNA))
            message = error_text(large)
            assert "too large to estimate offline within TOKEN_COUNTER_DEADLINE (0.5 s)" in message
            for remedy in ("Raise TOKEN_COUNTER_DEADLINE", "API key", "split the text"):
                assert remedy in message
            tiny = await client.call_tool("count_tokens", arguments("Hello, Claude"))
            # Answered while the timed-out estimate's thread was still counting its text.
            assert LANE.counting == 1
            assert not tiny.is_error, tiny
            assert tiny.structured_content is not None
            assert tiny.structured_content["source"] == "estimate"
            assert tiny.structured_content["input_tokens"] > 0


def large_text(n: int, dna: str = _DNA) -> str:
    """A distinct large text for each ``n`` (no cache answers one from another), made from one DNA line."""
    return dna + "A" * n


@pytest.mark.anyio
async def test_concurrent_large_estimates_take_the_lane_in_turn_and_small_ones_pass_them() -> None:
    crowd = LARGE_AT_ONCE + 2
    errors: list[str] = []
    busiest = 0

    async with connected(ENV) as client:

        async def large(n: int) -> None:
            result = await client.call_tool("count_tokens", arguments(large_text(n + 1)))
            errors.append(error_text(result))

        with anyio.fail_after(120):
            async with anyio.create_task_group() as tasks:
                for n in range(crowd):
                    tasks.start_soon(large, n)
                assert await anyio.to_thread.run_sync(LANE.wait_until, LARGE_AT_ONCE, 60)
                for _ in range(5):
                    tiny = await client.call_tool("count_tokens", arguments("Hello, Claude"))
                    assert not tiny.is_error, tiny
                    busiest = max(busiest, LANE.counting)
    assert len(errors) == crowd
    assert all("too large to estimate offline" in e for e in errors)
    assert busiest == LARGE_AT_ONCE
    assert LANE.counting <= LARGE_AT_ONCE


@pytest.mark.anyio
async def test_large_estimates_waiting_for_the_lane_hold_no_thread_a_small_one_needs() -> None:
    # More than anyio's default pool of 40 threads, all at once. Waiting in threads, they would hold every
    # thread of it until their deadline, and the small estimate would come back after them. Passing them, it
    # comes back in some 50 ms, while the two taking the lane count half a DNA line each (over a second
    # together); past the deadline of 1 s, no more take the lane after them.
    estimator = Estimator(1.0)
    half = _DNA[: LARGE // 2]
    spec = spec_of(MODEL)
    finished: list[str] = []

    async def estimate(name: str, text: str) -> None:
        with contextlib.suppress(EstimateTimedOut):
            await estimator({"model": MODEL, "messages": [{"role": "user", "content": text}]}, spec)
        finished.append(name)

    with anyio.fail_after(120):
        async with anyio.create_task_group() as tasks:
            for n in range(44):
                tasks.start_soon(estimate, "large", large_text(100 + n, half))
            assert await anyio.to_thread.run_sync(LANE.wait_until, LARGE_AT_ONCE, 60)
            await estimate("small", "Hello, Claude")
    assert finished[0] == "small"
    assert finished.count("large") == 44
