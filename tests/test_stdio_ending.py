"""The stdio server's guards: frames the SDK cannot read get an answer, and calls in flight are answered at
stdin EOF and at SIGTERM before the process exits 0."""

import json
import signal
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest
from anyio.abc import Process
from anyio.streams.buffered import BufferedByteReceiveStream

from tests.standin import Stall, Standin
from tests.support import env_for
from tests.test_stdio import INITIALIZE, SCRIPT, minimal_env

CALLS = 50
WAIT_S = 60


@asynccontextmanager
async def server(env: dict[str, str]) -> AsyncGenerator[tuple[Process, BufferedByteReceiveStream]]:
    """The console script on stdio, initialised, with a reader of its stdout."""
    async with await anyio.open_process([str(SCRIPT)], env=minimal_env(**env)) as process:
        assert process.stdout is not None
        reader = BufferedByteReceiveStream(process.stdout)
        await send(process, INITIALIZE)
        assert (await read_reply(reader))["id"] == 1
        await send(process, {"jsonrpc": "2.0", "method": "notifications/initialized"})
        yield process, reader


async def send(process: Process, message: dict[str, Any] | str) -> None:
    assert process.stdin is not None
    line = message if isinstance(message, str) else json.dumps(message)
    await process.stdin.send((line + "\n").encode())


async def read_reply(reader: BufferedByteReceiveStream) -> dict[str, Any]:
    return json.loads(await reader.receive_until(b"\n", 10_000_000))


async def read_replies(reader: BufferedByteReceiveStream) -> list[dict[str, Any]]:
    """Every reply until the server closes stdout."""
    replies: list[dict[str, Any]] = []
    while True:
        try:
            replies.append(await read_reply(reader))
        except (anyio.IncompleteRead, anyio.EndOfStream):
            return replies


def count_call(request_id: int, text: str = "Hello") -> dict[str, Any]:
    arguments = {"model": "claude-sonnet-4-6", "messages": [{"role": "user", "content": f"{text} {request_id}"}]}
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "tools/call",
        "params": {"name": "count_tokens", "arguments": arguments},
    }


@pytest.mark.anyio
async def test_a_request_the_sdk_cannot_parse_gets_an_error_and_serving_goes_on() -> None:
    """A lone surrogate made the SDK drop the request silently, and the client waited for ever."""
    surrogate = json.dumps(count_call(7)).replace("Hello 7", "bad \\ud800 text")
    with anyio.fail_after(WAIT_S):
        async with server({}) as (process, reader):
            await send(process, surrogate)
            refused = await read_reply(reader)
            await send(process, "this is not JSON at all")
            garbage = await read_reply(reader)
            await send(process, count_call(8))
            served = await read_reply(reader)
            process.terminate()
    assert refused["id"] == 7
    assert refused["error"]["code"] == -32700
    assert "unpaired surrogate" in refused["error"]["message"]
    assert garbage["id"] is None
    assert garbage["error"]["code"] == -32700
    assert served["id"] == 8
    assert served["result"]["isError"] is False


@pytest.mark.parametrize("ending", ["stdin EOF", "SIGTERM"])
@pytest.mark.anyio
async def test_calls_in_flight_are_answered_before_the_exit(standin: Standin, ending: str) -> None:
    """Fifty calls wait on the API; the client closes stdin (or the host sends SIGTERM); every call is still
    answered, and the process exits 0 without a traceback."""
    stall = Stall()
    standin.faults.push(stall, times=CALLS)
    with anyio.fail_after(WAIT_S):
        async with server(env_for(standin, TOKEN_COUNTER_MAX_CONCURRENCY=str(CALLS))) as (process, reader):
            for request_id in range(100, 100 + CALLS):
                await send(process, count_call(request_id))
            await stall.wait_arrived(CALLS)  # every call is in flight, waiting on the API
            if ending == "SIGTERM":
                process.send_signal(signal.SIGTERM)
            else:
                assert process.stdin is not None
                await process.stdin.aclose()
            stall.release()
            replies = await read_replies(reader)
            code = await process.wait()
            assert process.stderr is not None
            stderr = (await process.stderr.receive(1_000_000)).decode() if code else ""
    assert sorted(reply["id"] for reply in replies) == list(range(100, 100 + CALLS))
    assert all(reply["result"]["isError"] is False for reply in replies)
    assert code == 0, stderr


@pytest.mark.anyio
async def test_at_sigterm_calls_past_the_grace_are_given_up_and_the_exit_is_clean(standin: Standin) -> None:
    """An API that never answers: once the grace is over each call is answered with an error, and the exit is 0."""
    stall = Stall()
    standin.faults.push(stall, times=5)
    try:
        with anyio.fail_after(WAIT_S):
            async with server(env_for(standin, TOKEN_COUNTER_SHUTDOWN_GRACE="0.5")) as (process, reader):
                for request_id in range(5):
                    await send(process, count_call(request_id))
                await stall.wait_arrived(5)
                process.send_signal(signal.SIGTERM)
                replies = await read_replies(reader)
                assert await process.wait() == 0
    finally:
        stall.release()
    assert sorted(reply["id"] for reply in replies) == list(range(5))
    assert {reply["error"]["message"] for reply in replies} == {"Connection closed"}


@pytest.mark.anyio
async def test_a_line_nested_deeper_than_the_recursion_limit_gets_a_parse_error() -> None:
    """1,500 levels made the guard's own parse raise RecursionError, which killed the server."""
    with anyio.fail_after(WAIT_S):
        async with server({}) as (process, reader):
            await send(process, "[" * 1500 + "]" * 1500)
            refused = await read_reply(reader)
            await send(process, {"jsonrpc": "2.0", "id": 5, "method": "ping"})
            pong = await read_reply(reader)
            process.terminate()
    assert (refused["id"], refused["error"]["code"]) == (None, -32700)
    assert pong == {"jsonrpc": "2.0", "id": 5, "result": {}}
