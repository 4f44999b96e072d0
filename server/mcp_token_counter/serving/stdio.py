"""Serving on stdio, with the two guards the SDK's stdio transport lacks.

- **Frames it cannot read.** The SDK drops a line it cannot parse (a request holding a lone surrogate such as
  ``\\ud800``, which its JSON parser refuses) and the client waits for ever. Here a request whose id a lenient
  parse still finds gets a JSON-RPC parse error naming the cause; a frame without a readable id gets one with
  ``"id": null``, as JSON-RPC prescribes; a notification (which is never answered) costs one log line.
- **Ending.** At stdin EOF the SDK cancels every call in flight, and on SIGTERM the process died with them.
  Here SIGTERM ends the input (a request read after it gets a "shutting down" error), and at the end of the
  input the calls in flight are answered within ``GRACE_S`` before the loop ends, so the process exits 0.

Stdin is read by a daemon thread rather than the SDK's worker thread, so that SIGTERM can end the input even
while a read blocks (an anyio worker thread would keep the process alive); stdout stays the SDK's.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import signal
import threading
from collections.abc import Callable, Coroutine, Iterator
from types import TracebackType
from typing import Any, Final, Protocol, Self, cast

import anyio
import anyio.from_thread
import anyio.lowlevel
from mcp.server.stdio import stdio_server
from mcp.shared.message import SessionMessage
from mcp_types import (
    INTERNAL_ERROR,
    INVALID_REQUEST,
    PARSE_ERROR,
    ErrorData,
    JSONRPCError,
    JSONRPCNotification,
    JSONRPCRequest,
    JSONRPCResponse,
)
from pydantic import ValidationError

logger = logging.getLogger(__name__)

GRACE_S: Final = 5.0
_CHUNK_BYTES: Final = 1 << 20
# Lines read ahead of the server; a client that sends faster waits on the pipe, as it would on the SDK's reader.
_BUFFERED_LINES: Final = 16
# Requests that stay open to carry notifications (protocol 2026-07-28) rather than calls awaiting an answer: the
# end of input never waits for them.
_STREAMS: Final = frozenset({"subscriptions/listen"})
_SHUTTING_DOWN: Final = "The server is shutting down and takes no new calls; send it again once it is back."
_UNREADABLE: Final = (
    "The message is not JSON this server can read ({reason}). A common cause is text that is not valid "
    "Unicode, such as an unpaired surrogate escape (\\ud800): remove it and send the request again."
)

type RequestId = int | str
type Run = Callable[[Any, Any], Coroutine[Any, Any, None]]


class Receiving(Protocol):
    """What the guard uses of the SDK's read stream."""

    async def receive(self) -> SessionMessage | Exception:
        """The next message, or the exception that stood for an unreadable one."""
        ...

    async def aclose(self) -> None:
        """Close it."""
        ...


class Sending(Protocol):
    """What the guard uses of the SDK's write stream."""

    async def send(self, item: SessionMessage, /) -> None:
        """Send one message."""
        ...

    async def aclose(self) -> None:
        """Close it."""
        ...


async def serve_stdio(run: Run, *, grace_s: float = GRACE_S, fd: int = 0) -> None:
    """Serve with ``run(read_stream, write_stream)`` (the SDK server's loop) until stdin ends or SIGTERM."""
    lines = StdinLines(fd)
    async with stdio_server(stdin=cast(Any, lines)) as (read_stream, write_stream):
        guard = Guard(read_stream, write_stream, grace_s=grace_s, on_end=lines.stop)
        lines.start()
        async with anyio.create_task_group() as group:
            group.start_soon(_stop_on_sigterm, guard)
            await run(guard, guard.writer)
            group.cancel_scope.cancel()


async def _stop_on_sigterm(guard: Guard) -> None:
    with anyio.open_signal_receiver(signal.SIGTERM) as signals:
        async for _ in signals:
            logger.info("SIGTERM: answering the calls in flight, then exiting")
            guard.stop()
            return


class StdinLines:
    """Stdin's lines as an async iterator, read by a daemon thread; ``stop()`` ends the iteration at once.

    The thread reads the descriptor with ``os.read``, not through a buffered file: a daemon thread blocked
    inside ``sys.stdin.buffer`` holds its lock, and the interpreter aborts at exit when it finds it held.
    """

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._send, self._receive = anyio.create_memory_object_stream[str](_BUFFERED_LINES)

    def start(self) -> None:
        """Start reading, in a daemon thread."""
        token = anyio.lowlevel.current_token()
        threading.Thread(target=self._pump, args=(token,), name="stdin-lines", daemon=True).start()

    def stop(self) -> None:
        """End the iteration; a read blocked in the thread is left to the process's exit."""
        self._send.close()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> str:
        try:
            return await self._receive.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            self._receive.close()
            raise StopAsyncIteration from None

    def _pump(self, token: anyio.lowlevel.EventLoopToken) -> None:
        try:
            for line in _lines(self._fd):
                self._deliver(line, token)
        except (anyio.ClosedResourceError, anyio.BrokenResourceError):
            return  # stopped
        except OSError as exc:  # EIO from a hung-up terminal, EBADF, EAGAIN: the input is over all the same
            logger.warning("Reading stdin failed (%s); treating it as its end", exc.strerror or type(exc).__name__)
        # The loop may have ended already (RuntimeError); nothing is waiting for the end then.
        with contextlib.suppress(RuntimeError, anyio.ClosedResourceError):
            anyio.from_thread.run_sync(self._send.close, token=token)

    def _deliver(self, line: str, token: anyio.lowlevel.EventLoopToken) -> None:
        """Hand a line to the loop: a quick synchronous hop while the buffer has room, else wait for room.

        A coroutine hop (``from_thread.run``) per line cost ~0.15 ms of CPU per call, more than the rest of
        this server's own work on a call.
        """
        try:
            anyio.from_thread.run_sync(self._send.send_nowait, line, token=token)
        except anyio.WouldBlock:
            anyio.from_thread.run(self._send.send, line, token=token)


def _lines(fd: int) -> Iterator[str]:
    """The lines read from ``fd`` until its end (a last line without a newline included), decoded.

    A line is gathered as a list of chunks and joined once: re-joining what is pending with every chunk
    copied a 30 MB line hundreds of times. Its bytes are dropped as soon as it is decoded.
    """
    parts: list[bytes] = []
    while chunk := os.read(fd, _CHUNK_BYTES):
        start = 0
        while (end := chunk.find(b"\n", start)) != -1:
            parts.append(chunk[start : end + 1])
            yield _decoded(parts)
            start = end + 1
        if start < len(chunk):
            parts.append(chunk[start:] if start else chunk)
    if parts:
        yield _decoded(parts)


def _decoded(parts: list[bytes]) -> str:
    """The parts joined and decoded (``replace``, as the SDK reads stdin); ``parts`` is emptied."""
    line = parts[0] if len(parts) == 1 else b"".join(parts)
    parts.clear()
    return line.decode("utf-8", "replace")


class _Wrapping:
    """A stream standing in for one of the SDK's: closing it closes the SDK's (whose writer then ends after
    its last line)."""

    def __init__(self, closable: Receiving | Sending) -> None:
        self._closable = closable

    async def aclose(self) -> None:
        """Close the SDK's stream under this one."""
        await self._closable.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


class Guard(_Wrapping):
    """The read stream the server sees: answers unreadable frames, tracks requests, and drains at the end.

    After ``stop()`` (SIGTERM) it keeps reading, so that replies to the server's own requests (``roots/list``)
    still reach the calls waiting on them, but refuses new requests; once no call is in flight, or the grace
    is over, it ends the input (``on_end``) and the stream.
    """

    def __init__(
        self, inner: Receiving, write_stream: Sending, *, grace_s: float, on_end: Callable[[], None] = lambda: None
    ) -> None:
        super().__init__(inner)
        self._inner = inner
        self.writer = AnsweredWriter(write_stream, self)
        self._grace_s = grace_s
        self._on_end = on_end
        self._pending: set[RequestId] = set()
        self._idle = anyio.Event()
        self._idle.set()
        self._stopping = False
        self._stop_at = math.inf
        self._waiting: anyio.CancelScope | None = None

    @property
    def last_context(self) -> object:
        """The sender's context of the last message, as the SDK's own stream carries it."""
        return getattr(self._inner, "last_context", None)

    def stop(self) -> None:
        """Take no new requests, and end once the calls in flight are answered or the grace is over."""
        self._stopping = True
        self._stop_at = anyio.current_time() + self._grace_s
        self._wake()

    def answered(self, request_id: RequestId) -> None:
        """A response to ``request_id`` went out (or the client cancelled it, which is never answered)."""
        self._pending.discard(request_id)
        if not self._pending:
            self._idle.set()
            if self._stopping:
                self._wake()

    async def receive(self) -> SessionMessage | Exception:
        """The next message for the server.

        Raises:
            anyio.EndOfStream: the input ended (stdin EOF, or SIGTERM and the calls in flight are done), and
                the calls in flight are answered or their grace is over.
        """
        while (item := await self._next()) is not None:
            if isinstance(item, Exception):
                await self._answer(item)
            elif isinstance(item.message, JSONRPCRequest):
                if not self._stopping:
                    if item.message.method not in _STREAMS:
                        self._track(item.message.id)
                    return item
                await self._refuse(item.message.id)
            else:
                self._note_cancelled(item.message)
                return item
        await self._drain()
        self._on_end()
        raise anyio.EndOfStream

    async def _next(self) -> SessionMessage | Exception | None:
        """The SDK's next item; None at the end of the input, or once stopped and idle (or past the grace)."""
        while not (self._stopping and (not self._pending or anyio.current_time() >= self._stop_at)):
            with anyio.CancelScope(deadline=self._stop_at) as self._waiting:
                try:
                    return await self._inner.receive()
                except anyio.EndOfStream:
                    return None
        return None

    def _wake(self) -> None:
        if self._waiting is not None:
            self._waiting.cancel()

    def _track(self, request_id: RequestId) -> None:
        if not self._pending:
            self._idle = anyio.Event()
        self._pending.add(request_id)

    def _note_cancelled(self, message: object) -> None:
        if isinstance(message, JSONRPCNotification) and message.method == "notifications/cancelled":
            request_id = (message.params or {}).get("requestId")
            if isinstance(request_id, int | str):
                self.answered(request_id)

    async def _refuse(self, request_id: RequestId) -> None:
        error = ErrorData(code=INTERNAL_ERROR, message=_SHUTTING_DOWN)
        await self.writer.send(SessionMessage(JSONRPCError(jsonrpc="2.0", id=request_id, error=error)))

    async def _drain(self) -> None:
        with anyio.move_on_after(self._grace_s):
            await self._idle.wait()
        if self._pending:
            logger.warning("%d calls still running after %g s; ending without them", len(self._pending), self._grace_s)

    async def _answer(self, error: Exception) -> None:
        unreadable = _unreadable(error)
        if unreadable is None:
            logger.warning("Dropped a notification or reply from the client that is not valid JSON-RPC")
            return
        request_id, code, reason = unreadable
        message = _UNREADABLE.format(reason=reason) if code == PARSE_ERROR else f"Invalid request: {reason}."
        error_data = ErrorData(code=code, message=message)
        await self.writer.send(SessionMessage(JSONRPCError(jsonrpc="2.0", id=request_id, error=error_data)))

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> SessionMessage | Exception:
        try:
            return await self.receive()
        except anyio.EndOfStream:
            raise StopAsyncIteration from None


class AnsweredWriter(_Wrapping):
    """The write stream the server sees: tells the guard which requests have their answer."""

    def __init__(self, inner: Sending, guard: Guard) -> None:
        super().__init__(inner)
        self._inner = inner
        self._guard = guard

    async def send(self, item: SessionMessage, /) -> None:
        """Send ``item``; a response or error marks its request answered."""
        await self._inner.send(item)
        if isinstance(item.message, JSONRPCResponse | JSONRPCError) and item.message.id is not None:
            self._guard.answered(item.message.id)


def _unreadable(error: Exception) -> tuple[RequestId | None, int, str] | None:
    """How to answer a frame the SDK could not read: the request's id (None, answered as ``"id": null``, when no
    id can be found), the error code and the reason; None when it must not be answered (a notification, or
    the client's reply to a request of the server's)."""
    details = error.errors(include_url=False) if isinstance(error, ValidationError) else []
    reason = str(details[0]["msg"]) if details else type(error).__name__
    line = next((d["input"] for d in details if d["type"] == "json_invalid"), None)
    if isinstance(line, str):
        try:
            frame: object = json.loads(line)
        except (ValueError, RecursionError):  # nested deeper than Python's recursion limit: unreadable too
            return None, PARSE_ERROR, reason
        code = PARSE_ERROR
    else:
        # A frame that is JSON but not JSON-RPC: the validator's "missing field" errors carry it whole.
        inputs: list[object] = [d["input"] for d in details if len(d["loc"]) == 2]
        frame = next((cast(object, value) for value in inputs if isinstance(value, dict)), None)
        code = INVALID_REQUEST
    if not isinstance(frame, dict):
        return None, code, reason
    fields = cast(dict[str, object], frame)
    request_id = fields.get("id")
    if "result" in fields or "error" in fields or (request_id is None and "method" in fields):
        return None
    valid_id = isinstance(request_id, int | str) and not isinstance(request_id, bool)
    return (cast(RequestId, request_id) if valid_id else None), code, reason
