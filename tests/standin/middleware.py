"""The ASGI layer around the API routes: request log, body limit, latency and faults.

It reads the whole body before anything else (so the log holds exactly what arrived, and an oversized
body is drained rather than left unread, which would make the client's write fail before it sees 413),
then replays it to the routes.
"""

import logging
import math
from dataclasses import dataclass
from typing import Final

import anyio
from starlette.datastructures import Headers
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tests.standin.config import StandinConfig
from tests.standin.errors import ApiError, default_error
from tests.standin.faults import Drop, Fault, FaultPlan, Reply, Stall
from tests.standin.log import RecordedRequest, RequestLog

REQUEST_ID_KEY: Final = "standin.request_id"


class DeliberateDrop(Exception):
    """Raised mid-response so uvicorn closes the connection (ASGI has no other way to abort one)."""


class QuietDeliberateDrops(logging.Filter):
    """Keeps uvicorn from logging our deliberate drops as application errors."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, DeliberateDrop)


@dataclass(frozen=True)
class StandinState:
    """What the middleware and the routes share."""

    config: StandinConfig
    log: RequestLog
    faults: FaultPlan


def error_response(error: ApiError, state: StandinState, request_id: str) -> JSONResponse:
    """The flavour's JSON error response."""
    return JSONResponse(error.body(state.config.flavour, request_id), status_code=error.status)


@dataclass(frozen=True)
class _Body:
    data: bytes
    size: int


async def _read_body(receive: Receive, limit: int) -> _Body | None:
    """The body, or None if the client left; over `limit`, the rest is drained and not kept."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size <= limit:
            chunks.append(chunk)
        if not message.get("more_body", False):
            return _Body(b"".join(chunks) if size <= limit else b"", size)


def _replay(body: bytes, receive: Receive) -> Receive:
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if delivered:
            return await receive()
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


class _ResponseRecorder:
    """Wraps `send`: logs status, headers and body before they leave, adds the anthropic `request-id`."""

    def __init__(self, send: Send, record: RecordedRequest, state: StandinState) -> None:
        self._send = send
        self._record = record
        self._state = state
        self._chunks: list[bytes] = []
        self.add_request_id = state.config.flavour == "anthropic"

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            message = self._start(message)
        elif message["type"] == "http.response.body":
            self._chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                self._state.log.set_response_body(self._record, b"".join(self._chunks))
        await self._send(message)

    def _start(self, message: Message) -> Message:
        raw: list[tuple[bytes, bytes]] = list(message.get("headers", []))
        if self.add_request_id and not any(name.lower() == b"request-id" for name, _ in raw):
            raw.append((b"request-id", self._record.request_id.encode()))
        self._state.log.set_response_start(self._record, int(message["status"]), Headers(raw=raw))
        return {**message, "headers": raw}


@dataclass(frozen=True)
class _Exchange:
    scope: Scope
    receive: Receive
    replay: Receive
    out: _ResponseRecorder
    record: RecordedRequest


class StandinMiddleware:
    """Records every request and applies the fault plan before the routes answer."""

    def __init__(self, app: ASGIApp, state: StandinState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        record = self.state.log.begin(scope)
        scope[REQUEST_ID_KEY] = record.request_id
        try:
            await self._handle(scope, receive, send, record)
        finally:
            self.state.log.finish(record)

    async def _handle(self, scope: Scope, receive: Receive, send: Send, record: RecordedRequest) -> None:
        limit = self.state.config.max_body_bytes
        body = await _read_body(receive, limit)
        if body is None:
            self.state.log.set_disconnected(record)
            return
        self.state.log.set_body(record, body.data, body.size)
        out = _ResponseRecorder(send, record, self.state)
        replay = _replay(body.data, receive)
        if body.size > limit:
            too_large = ApiError(413, f"Request exceeds the maximum allowed number of bytes ({limit}).")
            await error_response(too_large, self.state, record.request_id)(scope, replay, out)
            return
        if self.state.faults.latency > 0:
            await anyio.sleep(self.state.faults.latency)
        fault = self.state.faults.take(record.path)
        if fault is None:
            await self.app(scope, replay, out)
            return
        self.state.log.set_fault(record, fault)
        await self._apply(fault, _Exchange(scope, receive, replay, out, record))

    async def _apply(self, fault: Fault, ex: _Exchange) -> None:
        match fault:
            case Reply():
                await self._reply(fault, ex)
            case Drop():
                await _drop(fault, ex.out)
            case Stall():
                await self._stall(fault, ex)

    async def _reply(self, reply: Reply, ex: _Exchange) -> None:
        ex.out.add_request_id = ex.out.add_request_id and reply.request_id
        headers = dict(reply.headers)
        if reply.body is None:
            body = default_error(reply.status).body(self.state.config.flavour, ex.record.request_id)
            response: Response = JSONResponse(body, status_code=reply.status, headers=headers)
        elif isinstance(reply.body, bytes):
            response = Response(reply.body, reply.status, headers, media_type="application/json")
        else:
            response = JSONResponse(reply.body, status_code=reply.status, headers=headers)
        await response(ex.scope, ex.replay, ex.out)

    async def _stall(self, stall: Stall, ex: _Exchange) -> None:
        stall.note_arrival()
        if not await _hold(stall, ex.receive):
            self.state.log.set_disconnected(ex.record)
            stall.note_disconnect()
            return
        if stall.then is None:
            await self.app(ex.scope, ex.replay, ex.out)
        else:
            await self._apply(stall.then, ex)


async def _hold(stall: Stall, receive: Receive) -> bool:
    """Wait for the stall's release or timeout; False if the client left first."""
    client_left = False
    async with anyio.create_task_group() as group:

        async def watch_client() -> None:
            nonlocal client_left
            # The body is consumed, so the next message is the disconnect.
            while (await receive())["type"] != "http.disconnect":
                pass
            client_left = True
            group.cancel_scope.cancel()

        group.start_soon(watch_client)
        with anyio.move_on_after(stall.seconds if stall.seconds is not None else math.inf):
            await stall.wait_released()
        group.cancel_scope.cancel()
    return not client_left


async def _drop(drop: Drop, send: Send) -> None:
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(drop.declared_length).encode()),
    ]
    await send({"type": "http.response.start", "status": drop.status, "headers": headers})
    await send({"type": "http.response.body", "body": drop.partial_body, "more_body": True})
    raise DeliberateDrop
