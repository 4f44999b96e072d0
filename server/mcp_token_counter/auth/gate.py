"""ASGI middleware in front of the SDK's auth: 503 while tokens cannot be checked, scope hints on 401/403.

- At start-up (the ASGI lifespan) the issuer is checked once (``ResourceServer.start``).
- A request to an MCP endpoint while the settings are invalid, or the signing keys have expired and the
  issuer does not answer, gets 503 with ``Retry-After``: never passed on without a check.
- A 401 that the SDK gave because the issuer could not be asked (``outage``) becomes that 503 too.
- The SDK's 401 and 403 challenges get the required scopes (``scope="…"``), as the MCP authorization spec
  asks, so a client can request them (or step up) without guessing.
- ``/metrics``, which the SDK's auth does not cover, takes any token the verifier accepts (the static token
  included, which suits a Prometheus scraper); websockets, which nothing here serves, are closed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from starlette import status
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocketClose

from ..serving.web import METRICS_PATH
from . import outage

if TYPE_CHECKING:  # resource.py builds the gate (guard), so the gate names it for types only
    from .resource import ResourceServer

logger = logging.getLogger(__name__)

RETRY_AFTER_S: Final = 5


class OAuthGate:
    """Wraps the app serving the MCP endpoints (``protected`` tells their paths)."""

    def __init__(
        self,
        app: ASGIApp,
        resource: ResourceServer,
        *,
        protected: Callable[[str], bool],
        refused: Callable[[int], None] = lambda _status: None,
    ) -> None:
        self._app = app
        self._resource = resource
        self._protected = protected
        self._refused = refused

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Start-up check on the lifespan; 503 or a hinted challenge on the MCP endpoints; the rest as is."""
        if scope["type"] == "lifespan":
            await self._app(scope, self._starting(receive), send)
            return
        if scope["type"] == "websocket":
            await WebSocketClose(code=status.WS_1008_POLICY_VIOLATION)(scope, receive, send)
            return
        if scope["type"] == "http" and scope["path"] == METRICS_PATH:
            await self._metrics(scope, receive, send)
            return
        if scope["type"] != "http" or not self._protected(scope["path"]):
            await self._app(scope, receive, send)
            return
        problem = await self._resource.problem()
        if problem is not None:
            self._refused(503)
            await _unavailable(send, problem)
            return
        notes = outage.listen()
        await self._app(scope, receive, self._answering(send, notes))

    async def _metrics(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._resource.error is not None:
            await _unavailable(send, f"the server's OAuth settings are invalid ({self._resource.error.variable})")
            return
        scheme, _, token = Headers(scope=scope).get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token.strip() and await self._resource.verify_token(token.strip()):
            await self._app(scope, receive, send)
            return
        challenge = f'Bearer error="invalid_token", resource_metadata="{self._resource.metadata_url()}"'
        response = JSONResponse({"error": "invalid_token", "error_description": "Send a bearer token."}, 401,
                                headers={"WWW-Authenticate": challenge})  # fmt: skip
        await response(scope, receive, send)

    def _starting(self, receive: Receive) -> Receive:
        async def receive_first() -> Message:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await self._resource.start()
            elif message["type"] == "lifespan.shutdown":
                await self._resource.aclose()
            return message

        return receive_first

    def _answering(self, send: Send, notes: list[str]) -> Send:
        hint = " ".join(self._resource.scopes)
        replaced = False

        async def send_hinted(message: Message) -> None:
            nonlocal replaced
            if replaced:
                return
            if message["type"] == "http.response.start" and message["status"] in (401, 403):
                if notes and message["status"] == 401:
                    replaced = True
                    self._refused(503)
                    await _unavailable(send, "the authorization server does not answer")
                    return
                self._refused(message["status"])
                message = {**message, "headers": _with_scope(message["headers"], hint)}
            await send(message)

        return send_hinted


def _with_scope(headers: list[tuple[bytes, bytes]], hint: str) -> list[tuple[bytes, bytes]]:
    if not hint:
        return headers
    return [
        (name, value + f', scope="{hint}"'.encode() if name.lower() == b"www-authenticate" else value)
        for name, value in headers
    ]


async def _unavailable(send: Send, problem: str) -> None:
    logger.info("Answered 503: %s", problem)
    body = json.dumps({
        "error": "temporarily_unavailable",
        "error_description": f"Tokens cannot be checked now: {problem}. Try again shortly.",
    }).encode()  # fmt: skip
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(RETRY_AFTER_S).encode()),
    ]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body})
