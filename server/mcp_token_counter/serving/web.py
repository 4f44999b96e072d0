"""Serving over HTTP: streamable HTTP at ``/mcp`` or legacy SSE at ``/sse`` (posts to ``/messages/``).

Both also answer ``GET /health``, and ``GET /metrics`` (Prometheus text format) when given the metrics. What a
request passes through, outermost first:

1. the bearer check, when ``TOKEN_COUNTER_HTTP_TOKEN`` is set: every path but ``/health`` (``/metrics`` too) needs
   ``Authorization: Bearer <token>``, else 401 with ``WWW-Authenticate: Bearer``;
2. the SDK's DNS-rebinding check on the MCP endpoints: ``Host`` must be a loopback name, the bind address or
   an ``--allowed-host`` (else 421), and ``Origin``, when sent, one of those (else 403);
3. the SDK's body limit, raised here to ``MAX_REQUEST_BODY_BYTES`` (413 above it).

The client's bearer token ends its journey in step 1: the counting API is called with the server's own
credentials, and tools never see HTTP headers.

The server's lifespan (its one HTTP client to the counting API, cache and in-flight bound) runs once for
streamable HTTP, in the app's lifespan. The SDK's SSE app has none and enters the server's lifespan per SSE
connection instead; the server shares one state among concurrent entries, and the SSE app here holds one entry
for its whole life, so every SSE session uses the same state.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import os
import re
import socket
from collections.abc import AsyncGenerator, Callable, Generator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any, Final

import anyio
import uvicorn
from mcp.server import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from pydantic import SecretStr
from sse_starlette.sse import AppStatus
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp

from .. import __version__
from ..config import DEFAULT_MAX_SESSIONS, DEFAULT_SESSION_IDLE_S, DEFAULT_SHUTDOWN_GRACE_S, MAX_REQUEST_BODY_BYTES
from .asgi import BearerAuth, WholeResponses
from .flags import DEFAULT_HOST, DEFAULT_PORT, HttpTransport, allowed_host
from .inflight import InFlight
from .protocol import GuardedH11Protocol

logger = logging.getLogger(__name__)


TOKEN_VARIABLE: Final = "TOKEN_COUNTER_HTTP_TOKEN"
HEALTH_PATH: Final = "/health"
METRICS_PATH: Final = "/metrics"
METRICS_CONTENT_TYPE: Final = "text/plain; version=0.0.4; charset=utf-8"
MCP_PATH: Final = "/mcp"
SSE_PATH: Final = "/sse"
MESSAGE_PATH: Final = "/messages/"
# Longer than the idle timeout of the clients' HTTP stacks (httpx 5 s, Node's undici 4 s, aiohttp 15 s), so
# that the client, not the server, closes an idle connection. With uvicorn's 5 s default on both sides, a
# call sent on a connection that the server is closing at that moment fails with a read error (seen in the
# bench's sweep, where a server sits idle for about 5 s between bursts).
KEEP_ALIVE_S: Final = 30
LOOPBACK_NAMES: Final = frozenset({"localhost"})
WILDCARD_ADDRESSES: Final = frozenset({"", "0.0.0.0", "::"})
# The SDK's own defaults for a loopback bind; kept whatever else is allowed, so local clients still work.
LOOPBACK_HOSTS: Final = ("127.0.0.1:*", "localhost:*", "[::1]:*")
LOOPBACK_ORIGINS: Final = ("http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*")


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpOptions:
    """How to serve over HTTP; ``allowed_hosts`` are normalised by ``allowed_host()``."""

    transport: HttpTransport
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    stateless: bool = False
    allowed_hosts: tuple[str, ...] = ()
    token: SecretStr | None = None
    # OAuth 2.1 (auth/): the MCP endpoints take the issuer's tokens, and the static token too when set.
    oauth: bool = False
    max_sessions: int = DEFAULT_MAX_SESSIONS
    session_idle_s: float = DEFAULT_SESSION_IDLE_S
    shutdown_grace_s: float = DEFAULT_SHUTDOWN_GRACE_S


def http_token(environ: Mapping[str, str] = os.environ) -> SecretStr | None:
    """The bearer token HTTP clients must send, or None; empty counts as unset, as for every variable."""
    token = environ.get(TOKEN_VARIABLE, "").strip()
    return SecretStr(token) if token else None


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1); any other name may be reachable."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def unsafe_bind(options: HttpOptions) -> str | None:
    """Why serving ``options`` would expose the server to its network without a token, or None if it would not."""
    if options.token is not None or options.oauth or is_loopback(options.host):
        return None
    return (
        f"refusing to serve on {options.host}, which other machines can reach, without a bearer token. "
        f"Set {TOKEN_VARIABLE} to a long random secret (clients then send 'Authorization: Bearer <token>'), "
        f"or bind --host {DEFAULT_HOST}."
    )


def transport_security(options: HttpOptions) -> TransportSecuritySettings:
    """DNS-rebinding protection, always on: loopback, the bind address unless a wildcard, and ``--allowed-host``.

    The SDK switches the check off for any non-loopback bind; keeping it on with the real names listed means
    a page on another site cannot reach the server through a rebound DNS name.
    """
    extra = list(options.allowed_hosts)
    if options.host not in WILDCARD_ADDRESSES and not is_loopback(options.host):
        extra.append(allowed_host(options.host))
    hosts: list[str] = [*LOOPBACK_HOSTS]
    origins: list[str] = [*LOOPBACK_ORIGINS]
    for netloc in dict.fromkeys(extra):
        names = [netloc] if _has_port(netloc) else [netloc, f"{netloc}:*"]
        hosts += names
        origins += [f"{scheme}://{name}" for name in names for scheme in ("https", "http")]
    return TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins)


def _has_port(netloc: str) -> bool:
    return re.search(r":\d+$", netloc) is not None


def health(*, transport: HttpTransport, provider: str | None) -> dict[str, str]:
    """What ``GET /health`` answers: liveness and what the server is, never settings values or secrets."""
    return {
        "status": "ok",
        "name": "mcp-token-counter",
        "version": __version__,
        "transport": transport,
        "provider": provider or "offline",
    }


def build_http_app(
    server: MCPServer[Any],
    options: HttpOptions,
    *,
    provider: str | None,
    metrics: Callable[[], bytes] | None = None,
    no_metrics: str | None = None,
    guard: Callable[[ASGIApp], ASGIApp] | None = None,
) -> ASGIApp:
    """The ASGI app serving ``server`` as ``options`` say; adds ``/health`` (and ``/metrics`` when ``metrics``
    gives the exposition, or a 501 saying ``no_metrics`` when it cannot) to ``server``, so call it once.
    ``guard`` wraps the app when OAuth checks tokens (``auth.gate``); it then takes the static token too, so
    ``BearerAuth`` is not used."""
    _add_health_route(server, health(transport=options.transport, provider=provider))
    if metrics is not None:
        _add_metrics_route(server, metrics)
    elif no_metrics is not None:
        _add_unavailable_metrics_route(server, no_metrics)
    app: ASGIApp = WholeResponses(_mcp_app(server, options))
    if guard is not None:
        return guard(app)
    if options.token is None:
        return app
    return BearerAuth(app, token=options.token, open_paths=frozenset({HEALTH_PATH}))


def is_mcp_path(path: str) -> bool:
    """Whether ``path`` is an MCP endpoint: what the OAuth gate protects."""
    return path in (MCP_PATH, SSE_PATH) or path.startswith(MESSAGE_PATH)


def _add_health_route(server: MCPServer[Any], payload: Mapping[str, str]) -> None:
    body = json.dumps(payload).encode()

    @server.custom_route(HEALTH_PATH, methods=["GET"])
    async def _health(_request: Request) -> Response:  # pyright: ignore[reportUnusedFunction]
        return Response(body, media_type="application/json")


def _add_metrics_route(server: MCPServer[Any], exposition: Callable[[], bytes]) -> None:
    @server.custom_route(METRICS_PATH, methods=["GET"])
    async def _metrics(_request: Request) -> Response:  # pyright: ignore[reportUnusedFunction]
        return Response(exposition(), media_type=METRICS_CONTENT_TYPE)


def _add_unavailable_metrics_route(server: MCPServer[Any], why: str) -> None:
    # 501, not 404: the path exists, this installation lacks what serves it; a scraper shows the target down.
    @server.custom_route(METRICS_PATH, methods=["GET"])
    async def _metrics(_request: Request) -> Response:  # pyright: ignore[reportUnusedFunction]
        return Response(why, status_code=501, media_type="text/plain; charset=utf-8")


def _holding(
    server_lifespan: Callable[[MCPServer[Any]], AbstractAsyncContextManager[Any]], server: MCPServer[Any]
) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    """An app lifespan that keeps one entry of the server's lifespan open while the app runs."""

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncGenerator[None]:
        async with server_lifespan(server):
            yield

    return lifespan


def _mcp_app(server: MCPServer[Any], options: HttpOptions) -> Starlette:
    security = transport_security(options)
    if options.transport == "sse":
        app = server.sse_app(
            sse_path=SSE_PATH,
            message_path=MESSAGE_PATH,
            max_request_body_size=MAX_REQUEST_BODY_BYTES,
            transport_security=security,
            host=options.host,
        )
        if server.settings.lifespan is not None:
            app.router.lifespan_context = _holding(server.settings.lifespan, server)
        return app
    return server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        stateless_http=options.stateless,
        max_request_body_size=MAX_REQUEST_BODY_BYTES,
        max_sessions=options.max_sessions,
        session_idle_timeout=options.session_idle_s,
        transport_security=security,
        host=options.host,
    )


def endpoint_url(options: HttpOptions, port: int) -> str:
    """The MCP endpoint's URL on ``port`` (the bound one, which differs from ``options.port`` for 0)."""
    host = f"[{options.host}]" if ":" in options.host else options.host
    path = SSE_PATH if options.transport == "sse" else MCP_PATH
    return f"http://{host}:{port}{path}"


class _Server(uvicorn.Server):
    """A uvicorn server that reports its port once it accepts connections, and ends well on a signal.

    At SIGTERM or Ctrl-C it stops accepting, waits for the calls in flight (``calls``) within the grace, and
    only then ends the long-lived streams (a session's GET stream, the SSE transport's): sse-starlette would
    otherwise end every stream at the signal, answers in flight included. It exits normally rather than by
    raising the signal again, so the process ends with status 0.
    """

    def __init__(self, config: uvicorn.Config, on_listening: Callable[[int], None], calls: InFlight | None) -> None:
        super().__init__(config)
        self._on_listening = on_listening
        self._calls = calls
        AppStatus.disable_automatic_graceful_drain()
        AppStatus.should_exit = False  # process-wide: a server that ran before in this process may have set it

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """Stop accepting, let the calls in flight be answered, then shut down as uvicorn does, with what is
        left of the grace (the whole shutdown stays within it)."""
        for server in self.servers:
            server.close()
        grace = float(self.config.timeout_graceful_shutdown or 0)
        started = anyio.current_time()
        if self._calls is not None and not await self._calls.wait_idle(grace):
            logger.warning("%d calls still running after %g s; ending without them", self._calls.count, grace)
        left = max(0.0, grace - (anyio.current_time() - started))
        self.config.timeout_graceful_shutdown = left  # type: ignore[assignment]  # seconds; int in its stubs
        AppStatus.should_exit = True
        await super().shutdown(sockets)

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None]:
        """uvicorn's signal handling, without raising the signal again once the shutdown is done."""
        with super().capture_signals():
            yield
            self._captured_signals.clear()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Start as uvicorn does, then report the bound port."""
        await super().startup(sockets)
        if self.started:
            self._on_listening(self.servers[0].sockets[0].getsockname()[1])


def serve(
    app: ASGIApp, options: HttpOptions, *, on_listening: Callable[[int], None], calls: InFlight | None = None
) -> None:
    """Serve ``app`` with uvicorn until SIGINT or SIGTERM; ``on_listening(port)`` once it accepts connections.

    On the signal, the ``calls`` in flight get ``options.shutdown_grace_s`` to be answered, the streams end,
    the app's lifespan (the server's HTTP client) closes, and this returns.
    """
    _Server(uvicorn_config(app, options), on_listening, calls).run()


def uvicorn_config(app: ASGIApp, options: HttpOptions) -> uvicorn.Config:
    """How uvicorn serves ``app``: the address, our lifespan and logging, shutdown and keep-alive times."""
    return uvicorn.Config(
        app,
        host=options.host,
        port=options.port,
        lifespan="on",  # streamable HTTP: the session manager, and inside it the server's lifespan
        log_config=None,  # uvicorn's default config logs requests to stdout; ours sends everything to stderr
        timeout_graceful_shutdown=options.shutdown_grace_s,  # type: ignore[arg-type]  # seconds; int in its stubs
        timeout_keep_alive=KEEP_ALIVE_S,
        http=GuardedH11Protocol,  # h11 with header and body deadlines against slow clients
    )
