"""An offline estimate honours TOKEN_COUNTER_DEADLINE, and one past it does not hold up anyone else.

Through the real server and the SDK's in-memory client, with no key (every count is an offline estimate).
The large texts take seconds to count (a rule of 400,000 "=" is about ctok's own time, a few seconds); the
deadline is half a second. Each must come back as an isError saying what to change, while its thread
keeps counting (a Python thread cannot be stopped): a tiny count sent meanwhile is answered, and no more
than the lane's places are ever counting at once.
"""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from tests.offline.conftest import spec_of
from tests.support import connected, error_text

from mcp_token_counter.core.estimate import LANE, LARGE_AT_ONCE
from mcp_token_counter.offline.profile import profile_for
from mcp_token_counter.offline.text import text_tokens

MODEL = "claude-sonnet-4-6"
ENV = {"TOKEN_COUNTER_DEADLINE": "0.5"}
LARGE = 400_000


def arguments(text: str) -> dict[str, Any]:
    return {"model": MODEL, "messages": [{"role": "user", "content": text}]}


@pytest.fixture(autouse=True)
def warm_and_drain() -> Any:
    # The vocabulary loads on the first count (~0.6 s, more than the deadline): loaded here, not timed.
    text_tokens("warm", profile_for(spec_of(MODEL)).version)
    yield
    # The timed-out estimates' threads finish counting: wait for them, so no later test shares the CPU.
    assert LANE.wait_idle(timeout=300)


@pytest.mark.anyio
async def test_a_large_estimate_past_the_deadline_is_a_clear_error_and_a_tiny_count_is_answered() -> None:
    async with connected(ENV) as client:
        with anyio.fail_after(60):
            large = await client.call_tool("count_tokens", arguments("=" * LARGE))
            message = error_text(large)
            assert "too large to estimate offline within TOKEN_COUNTER_DEADLINE (0.5 s" in message
            for remedy in ("Raise TOKEN_COUNTER_DEADLINE", "API key", "split the text"):
                assert remedy in message
            tiny = await client.call_tool("count_tokens", arguments("Hello, Claude"))
            # Answered while the timed-out estimate's thread was still counting its text.
            assert LANE.counting == 1
            assert not tiny.is_error, tiny
            assert tiny.structured_content is not None
            assert tiny.structured_content["source"] == "estimate"
            assert tiny.structured_content["input_tokens"] > 0


@pytest.mark.anyio
async def test_concurrent_large_estimates_take_the_lane_in_turn_and_small_ones_pass_them() -> None:
    errors: list[str] = []
    busiest = 0

    async with connected(ENV) as client:

        async def large(n: int) -> None:
            result = await client.call_tool("count_tokens", arguments("=" * (LARGE + 1 + n)))
            errors.append(error_text(result))

        with anyio.fail_after(60):
            async with anyio.create_task_group() as tasks:
                for n in range(LARGE_AT_ONCE + 2):
                    tasks.start_soon(large, n)
                for _ in range(5):
                    tiny = await client.call_tool("count_tokens", arguments("Hello, Claude"))
                    assert not tiny.is_error, tiny
                    busiest = max(busiest, LANE.counting)
    assert len(errors) == LARGE_AT_ONCE + 2
    assert all("too large to estimate offline" in e for e in errors)
    assert 1 <= busiest <= LARGE_AT_ONCE
    assert LANE.counting <= LARGE_AT_ONCE
