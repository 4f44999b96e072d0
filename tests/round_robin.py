"""A small round-robin reverse proxy, as a load balancer without session affinity, for tests of replicas.

Each HTTP request goes to the next replica in turn, whatever it belongs to, and is recorded with the replica
it went to and its JSON-RPC method. Responses (JSON or an event stream) are streamed back as they come.
It runs uvicorn in a thread with its own event loop, like the stand-in.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Final, Self, cast

import httpx2
import uvicorn
from starlette.types import Message, Receive, Scope, Send

_HOP_BY_HOP: Final = frozenset(
    {"host", "connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "content-length"}
)
_TIMEOUT_S: Final = 10.0


@dataclass(frozen=True, slots=True)
class Routed:
    """One request: the replica (index) it went to, and its JSON-RPC method, if it carried one."""

    replica: int
    method: str | None


class RoundRobinApp:
    """The ASGI app: forward each request to the next of ``targets`` (``http://host:port``)."""

    def __init__(self, targets: Sequence[str]) -> None:
        self.targets = tuple(targets)
        self.routed: list[Routed] = []
        self._next = 0
        self._lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Forward one request; lifespan events are acknowledged."""
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = await _body(receive)
        with self._lock:
            index, self._next = self._next, (self._next + 1) % len(self.targets)
            self.routed.append(Routed(index, _rpc_method(body)))
        query = scope["query_string"].decode()
        url = self.targets[index] + scope["path"] + (f"?{query}" if query else "")
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        forwarded = [(k, v) for k, v in headers if k.lower() not in _HOP_BY_HOP]
        async with httpx2.AsyncClient(timeout=_TIMEOUT_S) as client:
            request = client.build_request(scope["method"], url, headers=forwarded, content=body)
            response = await client.send(request, stream=True)
            try:
                await _relay(response, send)
            finally:
                await response.aclose()


async def _body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message: Message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _rpc_method(body: bytes) -> str | None:
    try:
        data: Any = json.loads(body) if body else None
    except ValueError:
        return None
    method = cast(dict[str, Any], data).get("method") if isinstance(data, dict) else None
    return method if isinstance(method, str) else None


async def _relay(response: httpx2.Response, send: Send) -> None:
    headers = [
        (k.encode("latin-1"), v.encode("latin-1"))
        for k, v in response.headers.multi_items()
        if k.lower() not in _HOP_BY_HOP
    ]
    await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
    async for chunk in response.aiter_raw():
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b"", "more_body": False})


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, on_listening: Callable[[int], None]) -> None:
        super().__init__(config)
        self._on_listening = on_listening

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            self._on_listening(self.servers[0].sockets[0].getsockname()[1])


class RoundRobinProxy:
    """The proxy on a free loopback port; ``url`` is its MCP endpoint, ``routed`` what went where."""

    def __init__(self, targets: Sequence[str]) -> None:
        self.app = RoundRobinApp(targets)
        self.port = 0
        self._listening = threading.Event()
        config = uvicorn.Config(self.app, host="127.0.0.1", port=0, loop="asyncio", http="h11", ws="none",
                                lifespan="on", log_config=None, access_log=False)  # fmt: skip
        self._server = _Server(config, self._on_listening)
        self._thread = threading.Thread(target=self._server.run, name="round-robin", daemon=True)

    @property
    def url(self) -> str:
        """The MCP endpoint through the proxy."""
        return f"http://127.0.0.1:{self.port}/mcp"

    @property
    def routed(self) -> list[Routed]:
        """Every request so far, in order."""
        return list(self.app.routed)

    def _on_listening(self, port: int) -> None:
        self.port = port
        self._listening.set()

    def __enter__(self) -> Self:
        self._thread.start()
        if not self._listening.wait(_TIMEOUT_S):
            raise RuntimeError("the round-robin proxy did not start")
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.should_exit = True
        self._thread.join(_TIMEOUT_S)
