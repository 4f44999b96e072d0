"""The retry policy through a real MCP client against the stand-in; backoff runs on a fake clock."""

from email.utils import formatdate

import anyio
import pytest

from mcp_token_counter.upstream.retry import backoff_delay
from tests.reliability import WALL_START, FakeClock, connected_with, counts, no_jitter, structured
from tests.standin import (
    DEFAULT_KEY,
    Drop,
    Reply,
    Stall,
    Standin,
    garbage,
    html_bad_gateway,
    overloaded,
    rate_limited,
    retry_headers,
    server_error,
)
from tests.support import HELLO, answered, env_for, error_text, sent

NO_FALLBACK = {"TOKEN_COUNTER_FALLBACK": "error"}


@pytest.mark.anyio
@pytest.mark.parametrize(
    "fault",
    [
        Reply(408),
        Reply(409),
        rate_limited(retry_after="0"),
        server_error(500),
        html_bad_gateway(),
        server_error(503),
        Reply(504),
        overloaded(),
        Drop(),
        garbage(status=500),
    ],
    ids=["408", "409", "429", "500", "502-html", "503", "504", "529", "dropped", "500-garbage"],
)
async def test_retryable_failures_are_retried_with_the_sdks_backoff(standin: Standin, fault: Reply | Drop) -> None:
    """Two failures, then the real count: three attempts, 0.5 s then 1 s apart (jitter fixed)."""
    standin.faults.push(fault, times=2)
    clock = FakeClock()
    async with connected_with(env_for(standin, **NO_FALLBACK), clock=clock, policy=no_jitter()) as client:
        result = structured(await client.call_tool("count_tokens", HELLO))
    attempts = counts(standin)
    assert len(attempts) == 3
    assert result["source"] == "api"
    assert result["input_tokens"] == answered(attempts[-1])["input_tokens"]
    assert clock.sleeps == [0.5, 1.0]


@pytest.mark.anyio
async def test_timeouts_are_retried(standin: Standin) -> None:
    """A request that gets no answer within TOKEN_COUNTER_TIMEOUT is abandoned and tried again."""
    stall = Stall()
    standin.faults.push(stall)
    env = env_for(standin, TOKEN_COUNTER_TIMEOUT="0.2", **NO_FALLBACK)
    with anyio.fail_after(10):
        async with connected_with(env, policy=no_jitter()) as client:
            result = structured(await client.call_tool("count_tokens", HELLO))
        await stall.wait_disconnected()
    assert result["source"] == "api"
    assert len(counts(standin)) == 2


@pytest.mark.anyio
@pytest.mark.parametrize(("max_retries", "attempts"), [("0", 1), ("2", 3), ("4", 5)])
async def test_retries_stop_at_max_retries(standin: Standin, max_retries: str, attempts: int) -> None:
    standin.faults.push(overloaded(), times=10)
    env = env_for(standin, TOKEN_COUNTER_MAX_RETRIES=max_retries, **NO_FALLBACK)
    async with connected_with(env) as client:
        result = await client.call_tool("count_tokens", HELLO)
    assert "529" in error_text(result)
    assert len(counts(standin)) == attempts


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("fault", "key"),
    [
        (Reply(400), DEFAULT_KEY),
        (None, "sk-wrong"),  # the stand-in's own 401
        (Reply(403), DEFAULT_KEY),
        (Reply(404), DEFAULT_KEY),
        (Reply(413), DEFAULT_KEY),
        (Reply(422), DEFAULT_KEY),
        (garbage(), DEFAULT_KEY),
    ],
    ids=["400", "401", "403", "404", "413", "422", "200-garbage"],
)
async def test_client_errors_and_garbage_are_not_retried(standin: Standin, fault: Reply | None, key: str) -> None:
    if fault is not None:
        standin.faults.push(fault, times=5)
    clock = FakeClock()
    async with connected_with({**env_for(standin, **NO_FALLBACK), "ANTHROPIC_API_KEY": key}, clock=clock) as client:
        assert (await client.call_tool("count_tokens", HELLO)).is_error
    assert len(counts(standin)) == 1
    assert clock.sleeps == []


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("fault", "attempts"),
    [
        (Reply(400, headers=retry_headers(should_retry=True)), 2),
        (overloaded(should_retry=False), 1),
        (rate_limited(retry_after="1", should_retry=False), 1),
    ],
    ids=["400-should-retry", "529-should-not", "429-should-not"],
)
async def test_x_should_retry_wins_over_the_status(standin: Standin, fault: Reply, attempts: int) -> None:
    standin.faults.push(fault)
    async with connected_with(env_for(standin, **NO_FALLBACK)) as client:
        result = await client.call_tool("count_tokens", HELLO)
    assert result.is_error == (attempts == 1)
    assert len(counts(standin)) == attempts


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("headers", "delay"),
    [
        ({"retry-after": "3"}, 3.0),
        ({"retry-after": "2.5"}, 2.5),
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after": formatdate(WALL_START + 5, usegmt=True)}, 5.0),
        ({"retry-after": "60"}, 60.0),
        # Outside (0, 60] s, or unreadable: the SDK's backoff instead (0.5 s with the jitter fixed).
        ({"retry-after": "0"}, 0.5),
        ({"retry-after": "61"}, 0.5),
        ({"retry-after": formatdate(WALL_START - 5, usegmt=True)}, 0.5),
        ({"retry-after": "soon"}, 0.5),
    ],
)
async def test_retry_after_is_honoured_between_0_and_60_s(
    standin: Standin, headers: dict[str, str], delay: float
) -> None:
    standin.faults.push(Reply(429, headers=headers))
    clock = FakeClock()
    env = env_for(standin, TOKEN_COUNTER_DEADLINE="120", **NO_FALLBACK)
    async with connected_with(env, clock=clock, policy=no_jitter()) as client:
        assert not (await client.call_tool("count_tokens", HELLO)).is_error
    assert clock.sleeps == [delay]
    assert len(counts(standin)) == 2


def test_backoff_is_capped_and_jittered_down_by_at_most_a_quarter() -> None:
    assert [backoff_delay(n, 0.0) for n in range(6)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    assert backoff_delay(0, 0.999999) == pytest.approx(0.375, abs=1e-6)
    assert backoff_delay(5000, 0.5) == 7.0


@pytest.mark.anyio
async def test_a_429_without_retry_after_is_reported_as_a_spend_cap(standin: Standin) -> None:
    """Retried like any 429 (a proxy may drop the header), but only max_retries times, then reported."""
    standin.faults.push(rate_limited(), times=50)
    clock = FakeClock()
    async with connected_with(env_for(standin, **NO_FALLBACK), clock=clock) as client:
        result = await client.call_tool("count_tokens", HELLO)
    assert "spend cap" in error_text(result)
    assert len(counts(standin)) == 3
    assert sum(clock.sleeps) <= 1.5


@pytest.mark.anyio
async def test_a_spend_cap_falls_back_to_a_labelled_estimate(standin: Standin) -> None:
    standin.faults.push(rate_limited(), times=50)
    async with connected_with(env_for(standin)) as client:
        result = structured(await client.call_tool("count_tokens", HELLO))
    assert (result["source"], result["fallback_reason"]) == ("estimate", "api_unavailable")
    assert "spend cap" in result["notes"][0]


@pytest.mark.anyio
async def test_no_wait_outlasts_the_deadline(standin: Standin) -> None:
    """Asked to wait 30 s with a 10 s deadline, the call reports the 429 at once."""
    standin.faults.push(rate_limited(retry_after="30"))
    clock = FakeClock()
    env = env_for(standin, TOKEN_COUNTER_DEADLINE="10", **NO_FALLBACK)
    async with connected_with(env, clock=clock) as client:
        result = await client.call_tool("count_tokens", HELLO)
    assert "Retry after 30 s" in error_text(result)
    assert clock.sleeps == []
    assert len(counts(standin)) == 1


@pytest.mark.anyio
async def test_the_deadline_bounds_a_stalled_call(standin: Standin) -> None:
    """However long the per-request timeout, the whole call ends at TOKEN_COUNTER_DEADLINE."""
    stall = Stall()
    standin.faults.push(stall)
    env = env_for(standin, TOKEN_COUNTER_TIMEOUT="30", TOKEN_COUNTER_DEADLINE="0.3", **NO_FALLBACK)
    with anyio.fail_after(10):
        async with connected_with(env) as client:
            result = await client.call_tool("count_tokens", HELLO)
        await stall.wait_disconnected()
    assert "TOKEN_COUNTER_DEADLINE" in error_text(result)


@pytest.mark.anyio
async def test_model_info_is_retried_at_most_once(standin: Standin) -> None:
    standin.faults.push(overloaded(), times=5, path="/v1/models/*")
    async with connected_with(env_for(standin)) as client:
        fit = structured(await client.call_tool("check_context_fit", HELLO))
    assert fit["window_source"] == "table"
    assert len(standin.log.to("/v1/models/claude-sonnet-4-6")) == 2


@pytest.mark.anyio
async def test_a_large_body_is_sent_whole_on_every_attempt(standin: Standin) -> None:
    """The body is streamed from the arguments, so each attempt re-reads it from the start."""
    standin.faults.push(overloaded())
    arguments = {**HELLO, "messages": [{"role": "user", "content": "QUJD" * 1_000_000}]}
    async with connected_with(env_for(standin, **NO_FALLBACK), clock=FakeClock(), policy=no_jitter()) as client:
        structured(await client.call_tool("count_tokens", arguments))
    first, second = counts(standin)
    assert first.body == second.body
    assert first.headers["content-length"] == str(len(first.body))
    assert sent(second)["messages"] == arguments["messages"]
