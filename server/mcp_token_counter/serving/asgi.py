"""Two small ASGI middlewares for the HTTP transports: a static bearer token, and whole responses."""

from __future__ import annotations

import hmac
import logging
from typing import Final

from pydantic import SecretStr
from starlette import status
from starlette.datastructures import Headers
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocketClose

logger = logging.getLogger(__name__)

_REALM: Final = 'Bearer realm="mcp-token-counter"'


class BearerAuth:
    """ASGI middleware: only lifespan events, open paths and requests with the right bearer token pass.

    An HTTP request without it gets 401; a websocket is closed before it is accepted (policy violation); any
    other kind of scope is refused, since nothing here serves it.
    """

    def __init__(self, app: ASGIApp, *, token: SecretStr, open_paths: frozenset[str] = frozenset()) -> None:
        self._app = app
        self._expected = token.get_secret_value().encode("utf-8")
        self._open_paths = open_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass lifespan events, open paths and authorised requests on; refuse the rest."""
        kind = scope["type"]
        if kind == "lifespan" or (kind == "http" and scope["path"] in self._open_paths):
            await self._app(scope, receive, send)
            return
        if kind not in ("http", "websocket"):
            raise RuntimeError(f"BearerAuth refuses ASGI scope type {kind!r}")
        presented = _bearer_credentials(Headers(scope=scope))
        if presented is not None and hmac.compare_digest(presented, self._expected):
            await self._app(scope, receive, send)
            return
        logger.info("Refused %s %s (%s)", kind, scope["path"], "wrong token" if presented else "no token")
        if kind == "websocket":
            await WebSocketClose(code=status.WS_1008_POLICY_VIOLATION)(scope, receive, send)
        else:
            await _unauthorised(wrong_token=presented is not None)(scope, receive, send)


class WholeResponses:
    """ASGI middleware: every response is started once and finished once, also when shutdown cuts a stream.

    Two SDK streams misbehave when uvicorn shuts down with a client connected, each logged as an error:

    - the SSE endpoint returns an empty ``Response()`` after its event stream ends, a second response start
      (modelcontextprotocol/python-sdk#883); that start is dropped, and the empty body closes the stream;
    - a streamable-HTTP GET stream is cancelled with the session and returns without its last body chunk;
      the chunk is sent here, so the client sees the stream end instead of a dropped connection.
    """

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Forward one response; drop a second start and what follows the last chunk; add a missing last chunk."""
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = complete = False

        async def send_once(message: Message) -> None:
            nonlocal started, complete
            if complete or (started and message["type"] == "http.response.start"):
                return
            started = True
            complete = message["type"] == "http.response.body" and not message.get("more_body", False)
            await send(message)

        await self._app(scope, receive, send_once)
        if started and not complete:
            await send({"type": "http.response.body", "body": b"", "more_body": False})


def _bearer_credentials(headers: Headers) -> bytes | None:
    """The token of an ``Authorization: Bearer`` header as sent (bytes), or None without one."""
    scheme, _, credentials = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return None
    # Starlette decodes headers as latin-1; encoding back gives the bytes on the wire, UTF-8 or not.
    return credentials.strip().encode("latin-1")


def _unauthorised(*, wrong_token: bool) -> Response:
    # RFC 6750 §3.1: an error code only when a token was presented.
    if wrong_token:
        challenge = f'{_REALM}, error="invalid_token"'
        body = {"error": "invalid_token", "error_description": "The bearer token is not valid for this server."}
    else:
        challenge = _REALM
        body = {"error": "unauthorized", "error_description": "Send 'Authorization: Bearer <token>'."}
    return JSONResponse(body, status_code=401, headers={"WWW-Authenticate": challenge})
