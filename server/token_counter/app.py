"""Builds the MCP server: one shared HTTP client for its whole life, and the two tools."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager

import anyio
import httpx2
from mcp.server import MCPServer
from mcp.types import Tool

from . import __version__
from .catalog import builtin_catalog
from .clock import Clock, SystemClock
from .config import Settings, display_url
from .count_cache import CountCache
from .counting import Counted, Counter
from .errors import ConfigError
from .filetool import register_file_tools
from .ondemand import HttpClient
from .pressure import Pressure
from .resources import register_resources
from .retry import RetryPolicy
from .schema import compact_input_schema, compact_output_schema
from .state import AppState
from .tools import register_tools
from .upstream import CountingClient, make_on_demand_client
from .windows import WindowResolver

logger = logging.getLogger(__name__)

INSTRUCTIONS = (
    "Count the input tokens of a Claude Messages API request before sending it (count_tokens), "
    "and check whether it fits the model's context window with room for the output (check_context_fit). "
    "Pass the same model, messages, system, tools and other fields you would send to the Messages API."
)


class TokenCounterServer(MCPServer[AppState]):
    """MCPServer whose tools/list carries compact schemas."""

    async def list_tools(self) -> list[Tool]:
        """The tools, with schemas stripped of what costs context and tells a model nothing."""
        return [_compact_tool(tool) for tool in await super().list_tools()]


def _compact_tool(tool: Tool) -> Tool:
    output = compact_output_schema(tool.output_schema) if tool.output_schema else None
    return tool.model_copy(update={"input_schema": compact_input_schema(tool.input_schema), "output_schema": output})


def load_settings(environ: Mapping[str, str]) -> tuple[Settings, ConfigError | None]:
    """Settings from the environment; a bad value is kept to report on each call, never fatal at start."""
    try:
        return Settings.from_env(environ), None
    except ConfigError as exc:
        logger.warning("Configuration problem, reported on every tool call: %s", exc)
        return Settings(), exc


def build_server(
    settings: Settings,
    *,
    config_error: ConfigError | None = None,
    transport: httpx2.AsyncBaseTransport | None = None,
    clock: Clock | None = None,
    policy: RetryPolicy | None = None,
) -> TokenCounterServer:
    """The server; tests may replace the network (``transport``), time (``clock``) and jitter (``policy``)."""

    async def open_state() -> tuple[AppState, Callable[[], Awaitable[None]]]:
        http = make_on_demand_client(settings, transport)
        _log_source(settings)
        return build_state(settings, http, config_error=config_error, clock=clock, policy=policy), http.aclose

    shared = SharedLifespan(open_state)

    @asynccontextmanager
    async def lifespan(_server: MCPServer[AppState]) -> AsyncGenerator[AppState]:
        async with shared.enter() as state:
            yield state

    server = TokenCounterServer(
        "mcp-token-counter",
        title="Token Counter",
        instructions=INSTRUCTIONS,
        version=__version__,
        lifespan=lifespan,
    )
    register_tools(server)
    register_file_tools(server)
    register_resources(server)
    return server


class SharedLifespan:
    """One state for every concurrent entry of the server's lifespan.

    Streamable HTTP and stdio run the lifespan once, but the SDK's SSE app runs it per connection; sharing
    keeps one HTTP client, one cache, one single-flight table and one in-flight bound for the whole process.
    The first entry opens the state, the last exit closes it.
    """

    def __init__(self, opener: Callable[[], Awaitable[tuple[AppState, Callable[[], Awaitable[None]]]]]) -> None:
        self._opener = opener
        self._lock = anyio.Lock()
        self._users = 0
        self._state: AppState | None = None
        self._close: Callable[[], Awaitable[None]] | None = None

    @asynccontextmanager
    async def enter(self) -> AsyncGenerator[AppState]:
        """The shared state, opened if this is the first user."""
        async with self._lock:
            if self._state is None:
                self._state, self._close = await self._opener()
            self._users += 1
            state = self._state
        try:
            yield state
        finally:
            with anyio.CancelScope(shield=True):
                await self._leave()

    async def _leave(self) -> None:
        async with self._lock:
            self._users -= 1
            if self._users == 0 and self._close is not None:
                close, self._state, self._close = self._close, None, None
                await close()


def build_state(
    settings: Settings,
    http: HttpClient,
    *,
    config_error: ConfigError | None = None,
    clock: Clock | None = None,
    policy: RetryPolicy | None = None,
) -> AppState:
    """Everything a tool call shares: one pressure gauge, one cache, one client (the lifespan's and the CLI's)."""
    clock = clock or SystemClock()
    credential = None if settings.offline else settings.credential
    client = None
    if credential is not None:
        client = CountingClient(
            http,
            credential,
            policy=policy or RetryPolicy(max_retries=settings.max_retries),
            pressure=Pressure(clock=clock, max_in_flight=settings.max_concurrency, rpm=settings.rpm),
            deadline_s=settings.deadline_s,
        )
    cache = CountCache[Counted](max_bytes=settings.cache_bytes, ttl_s=settings.cache_ttl_s, clock=clock)
    catalog = builtin_catalog()
    counter = Counter(
        client,
        catalog,
        fallback=settings.fallback,
        offline_reason="offline_mode" if settings.offline else "no_credentials",
        config_error=config_error,
        cache=cache if settings.cache else None,
    )
    return AppState(
        counter=counter,
        windows=WindowResolver(catalog, client),
        catalog=catalog,
        allowed_dirs=settings.allowed_dirs,
    )


def _log_source(settings: Settings) -> None:
    credential = settings.credential
    if credential is None or settings.offline:
        logger.info("No provider configured: counts are offline estimates")
    else:
        logger.info(
            "Counting with %s via %s (%s)", credential.provider, display_url(settings.base_url), credential.variable
        )
