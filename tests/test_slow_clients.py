"""The HTTP server's read deadlines, on a real uvicorn server over loopback with short timeouts."""

import socket
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

import anyio
import pytest
import uvicorn
from anyio.abc import SocketStream
from starlette.types import Receive, Scope, Send

from mcp_token_counter.serving.protocol import GuardedH11Protocol
from mcp_token_counter.serving.web import HttpOptions, uvicorn_config

DEADLINE_S = 0.3
WAIT_S = 10  # far above every deadline: the bound only keeps a broken build from hanging


class QuickDeadlines(GuardedH11Protocol):
    header_timeout_s = DEADLINE_S
    body_timeout_s = DEADLINE_S


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.listening = anyio.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self.listening.set()


async def echo_length(scope: Scope, receive: Receive, send: Send) -> None:
    """Reads the whole body, then answers with its length; records a disconnect instead. ``/early`` answers
    before reading anything, as a server refusing a body does."""
    if scope["path"] == "/early":
        await send({"type": "http.response.start", "status": 413, "headers": [(b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})
        return
    body = b""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            DISCONNECTS.append(scope["path"])
            return
        body += message.get("body", b"")
        if not message.get("more_body", False):
            break
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": str(len(body)).encode()})


DISCONNECTS: list[str] = []


@asynccontextmanager
async def serving() -> AsyncGenerator[int]:
    config = uvicorn.Config(
        echo_length,
        host="127.0.0.1",
        port=0,
        http=QuickDeadlines,
        log_config=None,
        lifespan="off",
        timeout_keep_alive=DEADLINE_S,  # type: ignore[arg-type]  # uvicorn annotates it int; it takes seconds
    )
    server = _Server(config)
    async with anyio.create_task_group() as group:
        group.start_soon(server.serve)
        with anyio.fail_after(WAIT_S):
            await server.listening.wait()
        yield server.servers[0].sockets[0].getsockname()[1]
        server.should_exit = True


async def read_all(stream: SocketStream) -> bytes:
    """Everything the server sends until it closes the connection."""
    received = b""
    with anyio.fail_after(WAIT_S):
        while True:
            try:
                received += await stream.receive()
            except (anyio.EndOfStream, anyio.BrokenResourceError):
                return received


@pytest.mark.anyio
async def test_headers_that_trickle_in_get_408_and_the_connection_closes() -> None:
    async with serving() as port, await anyio.connect_tcp("127.0.0.1", port) as stream:
        await stream.send(b"POST /slow HTTP/1.1\r\nHost: localhost\r\n")  # and never the rest
        answer = await read_all(stream)
    assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n")


@pytest.mark.anyio
async def test_a_body_that_never_finishes_closes_the_connection_and_the_app_stops() -> None:
    DISCONNECTS.clear()
    async with serving() as port, await anyio.connect_tcp("127.0.0.1", port) as stream:
        await stream.send(b"POST /unfinished HTTP/1.1\r\nHost: localhost\r\ncontent-length: 100\r\n\r\n0123456789")
        answer = await read_all(stream)
    assert answer == b""
    assert DISCONNECTS == ["/unfinished"]


@pytest.mark.anyio
async def test_a_connection_that_sends_nothing_is_closed_after_the_keep_alive_time() -> None:
    async with serving() as port, await anyio.connect_tcp("127.0.0.1", port) as stream:
        assert await read_all(stream) == b""


@pytest.mark.anyio
async def test_a_prompt_client_is_served_and_kept_alive() -> None:
    request = b"POST /ok HTTP/1.1\r\nHost: localhost\r\ncontent-length: 5\r\n\r\nhello"
    async with serving() as port, await anyio.connect_tcp("127.0.0.1", port) as stream:
        answers = b""
        for _ in range(2):
            await stream.send(request)
            with anyio.fail_after(WAIT_S):
                answers += await stream.receive()
    assert answers.count(b"HTTP/1.1 200 OK") == 2


def test_the_server_runs_on_the_guarded_protocol() -> None:
    config = uvicorn_config(echo_length, HttpOptions(transport="streamable-http"))
    assert config.http is GuardedH11Protocol


@pytest.mark.anyio
async def test_a_body_finished_after_an_early_answer_leaves_no_deadline_behind() -> None:
    """The body deadline of an answered request must not later close the kept-alive connection."""
    async with serving() as port, await anyio.connect_tcp("127.0.0.1", port) as stream:
        await stream.send(b"POST /early HTTP/1.1\r\nHost: localhost\r\ncontent-length: 10\r\n\r\n01234")
        with anyio.fail_after(WAIT_S):
            early = await stream.receive()
        await stream.send(b"56789")
        with anyio.move_on_after(DEADLINE_S * 3):  # past the old body deadline, the connection must stay open
            assert await stream.receive() == b"", "nothing more should arrive"
        await stream.send(b"POST /ok HTTP/1.1\r\nHost: localhost\r\ncontent-length: 2\r\n\r\nhi")
        with anyio.fail_after(WAIT_S):
            later = await stream.receive()
    assert early.startswith(b"HTTP/1.1 413")
    assert later.startswith(b"HTTP/1.1 200")
