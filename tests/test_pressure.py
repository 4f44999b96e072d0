"""Pressure control through a real MCP client: cool-down, in-flight bound, RPM limit and single-flight."""

import anyio
import anyio.abc
import pytest
from mcp import Client
from mcp.types import CallToolResult

from tests.reliability import FakeClock, call_all, connected_with, counts, structured, user_says
from tests.standin import Stall, Standin, rate_limited
from tests.support import HELLO, Mode, env_for, error_text


async def start_call(
    group: anyio.abc.TaskGroup, client: Client, arguments: dict[str, object], into: list[CallToolResult]
) -> None:
    async def call() -> None:
        into.append(await client.call_tool("count_tokens", arguments))

    group.start_soon(call)


@pytest.mark.anyio
async def test_a_retry_after_holds_back_new_requests_from_other_calls(standin: Standin) -> None:
    """Call A is told to wait 3 s; call B, started meanwhile, waits out the same 3 s before sending."""
    standin.faults.push(rate_limited(retry_after="3"))
    clock = FakeClock(autojump=False)
    results: list[CallToolResult] = []
    with anyio.fail_after(10):
        async with connected_with(env_for(standin), clock=clock) as client, anyio.create_task_group() as group:
            await start_call(group, client, user_says("call A"), results)
            await clock.wait_sleepers(1)
            await start_call(group, client, user_says("call B"), results)
            await clock.wait_sleepers(2)
            assert len(counts(standin)) == 1, "B did not go out during the cool-down"
            assert clock.wake_times == [3.0, 3.0]
            clock.advance(3)
    assert [r.is_error for r in results] == [False, False]
    assert len(counts(standin)) == 3


@pytest.mark.anyio
async def test_requests_in_flight_are_bounded(standin: Standin) -> None:
    standin.faults.latency = 0.02
    env = env_for(standin, TOKEN_COUNTER_MAX_CONCURRENCY="3")
    with anyio.fail_after(20):
        async with connected_with(env) as client:
            results = await call_all(client, [user_says(f"message {i}") for i in range(24)])
    assert not any(r.is_error for r in results)
    assert len(counts(standin)) == 24
    assert standin.log.max_in_flight == 3


@pytest.mark.anyio
async def test_rpm_spaces_requests_evenly(standin: Standin) -> None:
    """At 60 requests a minute, three calls at once go out at 0 s, 1 s and 2 s."""
    clock = FakeClock(autojump=False)
    results: list[CallToolResult] = []
    with anyio.fail_after(10):
        async with connected_with(env_for(standin, TOKEN_COUNTER_RPM="60"), clock=clock) as client:
            async with anyio.create_task_group() as group:
                for i in range(3):
                    await start_call(group, client, user_says(f"message {i}"), results)
                await clock.wait_sleepers(2)
                await standin.log.wait_for_requests(1)
                assert clock.wake_times == [1.0, 2.0]
                await anyio.wait_all_tasks_blocked()
                assert len(counts(standin)) == 1
                clock.advance(1)
                await standin.log.wait_for_requests(2)
                assert clock.wake_times == [2.0]
                clock.advance(1)
            assert len(counts(standin)) == 3
    assert not any(r.is_error for r in results)


@pytest.mark.anyio
async def test_an_rpm_slot_past_the_deadline_fails_at_once(standin: Standin) -> None:
    env = env_for(standin, TOKEN_COUNTER_RPM="1", TOKEN_COUNTER_DEADLINE="10", TOKEN_COUNTER_FALLBACK="error")
    clock = FakeClock()
    async with connected_with(env, clock=clock) as client:
        first = await client.call_tool("count_tokens", user_says("first"))
        second = await client.call_tool("count_tokens", user_says("second"))
    assert not first.is_error
    assert "TOKEN_COUNTER_RPM=1" in error_text(second)
    assert clock.sleeps == []
    assert len(counts(standin)) == 1


@pytest.mark.anyio
async def test_identical_concurrent_calls_make_one_upstream_request(standin: Standin, mode: Mode) -> None:
    """With the cache off, 20 identical calls in flight together still share one request."""
    stall = Stall()
    standin.faults.push(stall, times=20)
    env = env_for(standin, TOKEN_COUNTER_CACHE="0")
    results: list[CallToolResult] = []
    with anyio.fail_after(10):
        async with connected_with(env, mode=mode) as client:
            async with anyio.create_task_group() as group:
                for _ in range(20):
                    await start_call(group, client, HELLO, results)
                await stall.wait_arrived()
                # Every call is now either the one held at the stand-in or waiting on it.
                await anyio.wait_all_tasks_blocked()
                stall.release()
            assert len(counts(standin)) == 1
            again = structured(await client.call_tool("count_tokens", HELLO))
    assert len({str(structured(r)) for r in results}) == 1
    assert len(counts(standin)) == 2  # the later call goes upstream again: the cache is off
    assert again["cached"] is False


@pytest.mark.anyio
async def test_a_shared_failure_reaches_every_waiting_call(standin: Standin) -> None:
    stall = Stall(then=rate_limited())
    standin.faults.push(stall)
    standin.faults.push(rate_limited(), times=10)
    env = env_for(standin, TOKEN_COUNTER_FALLBACK="error")
    results: list[CallToolResult] = []
    with anyio.fail_after(10):
        async with connected_with(env) as client, anyio.create_task_group() as group:
            for _ in range(5):
                await start_call(group, client, HELLO, results)
            await stall.wait_arrived()
            await anyio.wait_all_tasks_blocked()
            stall.release()
    assert all("spend cap" in error_text(r) for r in results)
    assert len(counts(standin)) == 3  # one call's three attempts, shared by all five


@pytest.mark.anyio
async def test_when_the_shared_call_is_cancelled_a_waiting_call_takes_over(standin: Standin) -> None:
    """Cancelling the call that went upstream aborts its request; an identical call waiting on it goes itself."""
    stall = Stall()
    standin.faults.push(stall)
    results: list[CallToolResult] = []
    with anyio.fail_after(10):
        async with connected_with(env_for(standin)) as client, anyio.create_task_group() as group:
            async with anyio.create_task_group() as leader:
                await start_call(leader, client, HELLO, results)
                await stall.wait_arrived()
                await start_call(group, client, HELLO, results)
                await anyio.wait_all_tasks_blocked()
                leader.cancel_scope.cancel()
            await stall.wait_disconnected()
    assert len(results) == 1
    assert structured(results[0])["source"] == "api"
    assert [r.client_disconnected for r in counts(standin)] == [True, False]
