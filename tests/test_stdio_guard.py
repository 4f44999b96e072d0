"""The stdio guard alone, between memory streams standing for the SDK's: what it answers, what it passes on,
and when it ends."""

import os
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import mcp_types as types
import pytest
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from mcp.shared.message import SessionMessage

from mcp_token_counter.serving.stdio import Guard, StdinLines

WAIT_S = 5


def frame(text: str) -> SessionMessage | Exception:
    """What the SDK's reader makes of a line: the message, or the exception standing for it."""
    try:
        return SessionMessage(types.jsonrpc_message_adapter.validate_json(text, by_name=False))
    except Exception as exc:  # noqa: BLE001  # the SDK passes on whatever validation raised
        return exc


type Streams = tuple[Guard, MemoryObjectSendStream[Any], MemoryObjectReceiveStream[Any]]


@asynccontextmanager
async def guarded(grace_s: float = 60) -> AsyncGenerator[Streams]:
    """The guard, the client's side of its input, and what it writes."""
    to_guard, from_client = anyio.create_memory_object_stream[SessionMessage | Exception](16)
    to_client, written = anyio.create_memory_object_stream[SessionMessage](16)
    guard = Guard(from_client, to_client, grace_s=grace_s)
    with to_guard, from_client, to_client, written, anyio.fail_after(WAIT_S):
        yield guard, to_guard, written


def request(request_id: int) -> SessionMessage | Exception:
    return frame(f'{{"jsonrpc":"2.0","id":{request_id},"method":"ping"}}')


@pytest.mark.anyio
async def test_a_frame_with_an_id_but_a_bad_shape_is_answered_with_its_id() -> None:
    async with guarded() as (guard, client, written):
        await client.send(frame('{"jsonrpc":"2.0","id":9,"method":5}'))
        await client.send(frame('{"jsonrpc":"2.0","method":5}'))  # a notification: never answered
        await client.send(frame('{"jsonrpc":"2.0","id":4,"result":5}'))  # a reply to the server: neither
        await client.send(request(1))
        delivered = await guard.receive()
        answer = written.receive_nowait()
        with pytest.raises(anyio.WouldBlock):
            written.receive_nowait()  # one answer only: the notification and the reply got none
    assert isinstance(answer.message, types.JSONRPCError)
    assert (answer.message.id, answer.message.error.code) == (9, types.INVALID_REQUEST)
    assert isinstance(delivered, SessionMessage)
    assert delivered.message == types.JSONRPCRequest(jsonrpc="2.0", id=1, method="ping")


@pytest.mark.anyio
async def test_a_cancelled_request_does_not_hold_up_the_end() -> None:
    """The SDK never answers a request the client cancelled; the end of input must not wait for it."""
    async with guarded(grace_s=60) as (guard, client, _):
        await client.send(request(1))
        await guard.receive()
        await client.send(frame('{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}'))
        await guard.receive()
        client.close()
        with pytest.raises(anyio.EndOfStream):
            await guard.receive()


@pytest.mark.anyio
async def test_after_stop_replies_still_pass_new_requests_are_refused_and_the_end_comes_when_idle() -> None:
    """A call waiting on the client (roots/list) still gets its reply after SIGTERM."""
    async with guarded(grace_s=60) as (guard, client, written):
        await client.send(request(1))
        await guard.receive()
        guard.stop()
        await client.send(frame('{"jsonrpc":"2.0","id":0,"result":{"roots":[]}}'))
        reply = await guard.receive()
        await client.send(request(2))
        ended = anyio.Event()

        async def until_the_end() -> None:
            with pytest.raises(anyio.EndOfStream):
                await guard.receive()
            ended.set()

        async with anyio.create_task_group() as group:
            group.start_soon(until_the_end)
            refused = await written.receive()
            assert isinstance(refused.message, types.JSONRPCError)
            assert refused.message.id == 2
            assert not ended.is_set()  # call 1 is still in flight
            await guard.writer.send(SessionMessage(types.JSONRPCResponse(jsonrpc="2.0", id=1, result={})))
            await ended.wait()
    assert isinstance(reply, SessionMessage)
    assert isinstance(reply.message, types.JSONRPCResponse)


@pytest.mark.anyio
async def test_stdin_that_cannot_be_read_ends_the_input_instead_of_hanging() -> None:
    read_end, write_end = os.pipe()
    os.close(write_end)
    os.close(read_end)  # reading it now fails with EBADF
    lines = StdinLines(read_end)
    with anyio.fail_after(WAIT_S):
        lines.start()
        assert [line async for line in lines] == []


@pytest.mark.anyio
async def test_an_open_listen_subscription_does_not_hold_up_the_end() -> None:
    """Protocol 2026-07-28: subscriptions/listen stays open to carry notifications; it is not a call in flight."""
    async with guarded(grace_s=60) as (guard, client, _):
        await client.send(frame('{"jsonrpc":"2.0","id":3,"method":"subscriptions/listen","params":{}}'))
        await guard.receive()
        client.close()
        with pytest.raises(anyio.EndOfStream):
            await guard.receive()


@pytest.mark.anyio
async def test_after_stop_an_open_listen_subscription_does_not_hold_up_the_end() -> None:
    async with guarded(grace_s=60) as (guard, client, _):
        await client.send(frame('{"jsonrpc":"2.0","id":3,"method":"subscriptions/listen","params":{}}'))
        await guard.receive()
        guard.stop()
        with pytest.raises(anyio.EndOfStream):
            await guard.receive()
