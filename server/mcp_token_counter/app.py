"""The composition root: settings → shared state → the MCP server with its tools and resources.

One state (one HTTP client to the counting API, one cache, one in-flight bound) serves the whole process.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from importlib import resources
from typing import Any, Final

import anyio
from mcp.server import MCPServer
from mcp.server.context import ServerRequestContext
from mcp.server.mcpserver import Context, RequestStateSecurity
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import (
    CallToolResult,
    Icon,
    InputRequiredResult,
    ListResourcesResult,
    ListToolsResult,
    PaginatedRequestParams,
    Tool,
)
from pydantic import ValidationError

from . import __version__, tools
from .clock import Clock
from .config import DEFAULT_SHUTDOWN_GRACE_S, Settings
from .core.state import AppState, build_state
from .errors import ConfigError
from .logs import STARTUP_LOGGER
from .metrics import Metrics
from .offline_engine import describe as describe_engine
from .redaction import display_url, protect_logs
from .serving.inflight import InFlight
from .serving.stdio import serve_stdio
from .tools.schema import compact_input_schema, compact_output_schema
from .tools.view import resources_for, tools_for, view_extension
from .upstream.http import make_on_demand_client
from .upstream.retry import RetryPolicy
from .validation import describe

logger = logging.getLogger(__name__)
# Shown at the default log level (logs.configure_logging): the credential variable and provider in use.
startup_logger = logging.getLogger(STARTUP_LOGGER)

INSTRUCTIONS: Final = (
    "Count the input tokens of a Claude Messages API request before sending it (count_tokens), "
    "and check whether it fits the model's context window with room for the output (check_context_fit). "
    "Pass the same model, messages, system, tools and other fields you would send to the Messages API. "
    "To size local files, folders or globs as content blocks, use count_files; to price tool definitions "
    "per tool (such as an MCP server's tools/list), use count_tool_definitions."
)
WEBSITE_URL: Final = "https://github.com/mcp-token-counter/mcp-token-counter"


class TokenCounterServer(MCPServer[AppState]):
    """MCPServer whose tools/list carries compact schemas, served on stdio with ``serving.stdio``'s guards."""

    def __init__(
        self,
        *args: Any,
        shutdown_grace_s: float = DEFAULT_SHUTDOWN_GRACE_S,
        metrics: Metrics | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.shutdown_grace_s = shutdown_grace_s
        self.calls = InFlight()
        self.metrics = metrics if metrics is not None else Metrics()

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[AppState, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        """Run the tool, counted among the calls in flight that an HTTP shutdown waits for, and in the metrics.

        Raises:
            ToolError: as the SDK's, except that arguments refused by validation are described in our words
                (field, problem, what to send) instead of pydantic's text and documentation link.
        """
        # A name the client made up is not a label: labels must stay a small closed set.
        tool = name if name in tools.TOOL_NAMES else "unknown"
        outcome = "error"
        self.metrics.in_flight.inc()
        try:
            with self.calls.track():
                result = await super().call_tool(name, arguments, context)
        except ToolError as exc:
            if isinstance(exc.__cause__, ValidationError):
                message = f"Error executing tool {name}: invalid arguments: {describe(exc.__cause__)}."
                raise ToolError(message) from exc.__cause__
            raise
        else:
            outcome = _outcome(result)
            return result
        finally:
            self.metrics.in_flight.dec()
            self.metrics.tool_calls.labels(tool=tool, outcome=outcome).inc()

    async def list_tools(self) -> list[Tool]:
        """The tools, with schemas stripped of what costs context and tells a model nothing."""
        return [_compact_tool(tool) for tool in await super().list_tools()]

    async def _handle_list_tools(
        self, ctx: ServerRequestContext[AppState], params: PaginatedRequestParams | None
    ) -> ListToolsResult:
        """The tools, with the view's ``_meta.ui`` only for clients that negotiated MCP Apps."""
        listed = await super()._handle_list_tools(ctx, params)
        return listed.model_copy(update={"tools": tools_for(ctx, listed.tools)})

    async def _handle_list_resources(
        self, ctx: ServerRequestContext[AppState], params: PaginatedRequestParams | None
    ) -> ListResourcesResult:
        """The resources, with the ``ui://`` view only for clients that negotiated MCP Apps."""
        listed = await super()._handle_list_resources(ctx, params)
        return listed.model_copy(update={"resources": resources_for(ctx, listed.resources)})

    async def run_stdio_async(self) -> None:
        """Serve on stdio, answering frames the SDK cannot read and draining calls at EOF or SIGTERM."""
        lowlevel = self._lowlevel_server
        options = lowlevel.create_initialization_options()
        await serve_stdio(lambda read, write: lowlevel.run(read, write, options), grace_s=self.shutdown_grace_s)


def _outcome(result: CallToolResult | InputRequiredResult) -> str:
    if isinstance(result, InputRequiredResult):
        return "input_required"
    return "error" if result.is_error else "ok"


def _compact_tool(tool: Tool) -> Tool:
    output = compact_output_schema(tool.output_schema) if tool.output_schema else None
    return tool.model_copy(update={"input_schema": compact_input_schema(tool.input_schema), "output_schema": output})


def build_server(
    settings: Settings,
    *,
    config_error: ConfigError | None = None,
    clock: Clock | None = None,
    policy: RetryPolicy | None = None,
) -> TokenCounterServer:
    """The server; tests may replace time (``clock``) and jitter (``policy``)."""
    protect_logs(settings.secrets)
    metrics = Metrics()

    async def open_state() -> tuple[AppState, Callable[[], Awaitable[None]]]:
        http = make_on_demand_client(settings)
        _log_source(settings)
        state = build_state(settings, http, config_error=config_error, clock=clock, policy=policy, metrics=metrics)

        async def close() -> None:
            await state.aclose()
            await http.aclose()

        return state, close

    server = TokenCounterServer(
        "mcp-token-counter",
        title="Token Counter",
        instructions=INSTRUCTIONS,
        version=__version__,
        website_url=WEBSITE_URL,
        icons=[server_icon()],
        lifespan=shared_lifespan(SharedLifespan(open_state)),
        shutdown_grace_s=settings.shutdown_grace_s,
        metrics=metrics,
        request_state_security=_request_state_security(settings),
        extensions=[view_extension()],
    )
    tools.register(server)
    return server


def shared_lifespan(shared: SharedLifespan) -> Callable[[MCPServer[AppState]], AbstractAsyncContextManager[AppState]]:
    """The SDK's lifespan hook over ``shared``: every entry (one per SSE connection) gets the one state."""

    @asynccontextmanager
    async def lifespan(_server: MCPServer[AppState]) -> AsyncGenerator[AppState]:
        async with shared.enter() as state:
            yield state

    return lifespan


def server_icon() -> Icon:
    """The icon the bundle and the registry entry show, inline as a data URI (642 bytes, no network)."""
    png = resources.files(__package__).joinpath("data", "icon.png").read_bytes()
    return Icon(
        src=f"data:image/png;base64,{base64.b64encode(png).decode('ascii')}", mime_type="image/png", sizes=["128x128"]
    )


def _request_state_security(settings: Settings) -> RequestStateSecurity | None:
    """The ring that seals multi-round-trip state, shared by every replica given the same keys; None leaves the
    SDK's key made per process, which only the process that made it can open."""
    if not settings.state_keys:
        return None
    return RequestStateSecurity(keys=list(settings.state_keys))


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


def _log_source(settings: Settings) -> None:
    credential = settings.active_credential
    # Whether the compiled extension imports, not the counter itself: no vocabulary is loaded at start-up.
    engine = describe_engine()
    if credential is None:
        startup_logger.info("No provider configured: counts are offline estimates; offline engine: %s", engine)
    else:
        startup_logger.info(
            "Counting with %s via %s (%s); offline engine: %s",
            credential.provider,
            display_url(settings.base_url),
            credential.variable,
            engine,
        )
