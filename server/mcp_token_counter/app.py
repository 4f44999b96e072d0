"""The composition root: settings → shared state → the MCP server with its tools and resources.

One state (one HTTP client to the counting API, one cache, one in-flight bound) serves the whole process.
"""

from __future__ import annotations

import base64
import copy
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from functools import partial
from importlib import resources
from typing import TYPE_CHECKING, Any, Final, Protocol

import anyio
from mcp.server import MCPServer, Server
from mcp.server.auth.provider import TokenVerifier
from mcp.server.auth.settings import AuthSettings
from mcp.server.context import ServerRequestContext
from mcp.server.mcpserver import Context, RequestStateSecurity
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import (
    SERVER_INFO_META_KEY,
    CallToolResult,
    DiscoverResult,
    Icon,
    InputRequiredResult,
    ListResourcesResult,
    ListToolsResult,
    PaginatedRequestParams,
    RequestParams,
    TextContent,
    Tool,
)
from pydantic import ValidationError

from . import __version__, tools
from .clock import Clock
from .config import DEFAULT_SHUTDOWN_GRACE_S, Settings
from .core.scope import acting_for
from .core.state import AppState, build_state
from .errors import ConfigError, TokenCounterError
from .logs import STARTUP_LOGGER
from .metrics import Metrics
from .offline.compiled.engine import describe as describe_engine
from .redaction import display_url, protect_logs
from .serving.inflight import InFlight
from .serving.stdio import serve_stdio
from .tools.arguments import without_optional_nulls
from .tools.schema import compact_input_schema, compact_output_schema
from .tools.view import resources_for, tools_for, view_extension
from .upstream.http import make_on_demand_client
from .upstream.retry import RetryPolicy
from .validation import describe

if TYPE_CHECKING:
    from .replicas.store import SharedStore

logger = logging.getLogger(__name__)
# Shown at the default log level (logs.configure_logging): the credential variable and provider in use.
startup_logger = logging.getLogger(STARTUP_LOGGER)

INSTRUCTIONS: Final = (
    "Count the input tokens of a Claude Messages API request before sending it (count_tokens), "
    "and check whether it fits the model's context window with room for the output (check_context_fit). "
    "Pass the same model, messages, system, tools and other fields you would send to the Messages API. "
    "To size local files, folders or globs as content blocks, use count_files; to price tool definitions "
    "per tool (such as an MCP server's tools/list), use count_tool_definitions; to check that each cache_control "
    "breakpoint will be cached, and what caching saves, use check_prompt_cache."
)
WEBSITE_URL: Final = "https://github.com/mcp-token-counter/mcp-token-counter"


class Caller(Protocol):
    """Who makes a call over HTTP with OAuth (``auth.calls.Caller``)."""

    @property
    def subject(self) -> str | None:
        """The token's subject."""
        ...


class PerUser(Protocol):
    """The OAuth door's part in a tool call (``auth.calls.PerUserCalls``); kept out of stdio's imports."""

    def caller(self) -> Caller:
        """Who makes the call being handled."""
        ...

    async def refusal(self, caller: Caller, shared: SharedStore | None) -> str | None:
        """Why the call may not go ahead (the caller's quota is spent), or None."""
        ...

    def log(self, caller: Caller, tool: str, outcome: str, result: object, seconds: float) -> None:
        """The access log line of the call."""
        ...


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
        _stamp_identity_in_full_on_discover_only(self._lowlevel_server)
        self.shutdown_grace_s = shutdown_grace_s
        self.calls = InFlight()
        self.metrics = metrics if metrics is not None else Metrics()
        # Set by the HTTP door with OAuth (auth.calls): per-user quota, cache scope and access log.
        self.per_user: PerUser | None = None

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[AppState, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        """Run the tool, counted among the calls in flight that an HTTP shutdown waits for, and in the metrics;
        over HTTP with OAuth, within the caller's quota, its cache scope and its access log line.

        Raises:
            ToolError: as the SDK's, except that arguments refused by validation are described in our words
                (field, problem, what to send) instead of pydantic's text and documentation link, and that a
                ``TokenCounterError`` keeps its message (the SDK hides the message of what is not its own).
        """
        # A name the client made up is not a label: labels must stay a small closed set.
        tool = name if name in tools.TOOL_NAMES else "unknown"
        outcome: str = "error"
        result: CallToolResult | InputRequiredResult | None = None
        caller = self.per_user.caller() if self.per_user is not None else None
        started = anyio.current_time()
        self.metrics.in_flight.inc()
        try:
            refusal = await self._refusal(caller, context)
            if refusal is not None:
                outcome, result = "rate_limited", refusal
                return refusal
            with self.calls.track(), acting_for(caller.subject if caller else None):
                arguments = without_optional_nulls(self._tool_input_schema(name), arguments)
                result = await self._call_tool_in_our_words(name, arguments, context)
            outcome = _outcome(result)
            return result
        finally:
            self.metrics.in_flight.dec()
            self.metrics.tool_calls.labels(tool=tool, outcome=outcome).inc()
            if self.per_user is not None and caller is not None:
                self.per_user.log(caller, tool, outcome, result, anyio.current_time() - started)

    async def _call_tool_in_our_words(
        self, name: str, arguments: dict[str, Any], context: Context[AppState, Any] | None
    ) -> CallToolResult | InputRequiredResult:
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            cause = exc.__cause__
            if isinstance(cause, TokenCounterError):
                # The SDK took our anticipated failure for a crash and hid its message (see errors.py).
                raise ToolError(f"Error executing tool {name}: {cause}") from cause
            if isinstance(cause, ValidationError):
                raise ToolError(f"Error executing tool {name}: invalid arguments: {describe(cause)}.") from cause
            raise

    async def _refusal(self, caller: Caller | None, context: Context[AppState, Any] | None) -> CallToolResult | None:
        if self.per_user is None or caller is None:
            return None
        shared = context.request_context.lifespan_context.shared if context is not None else None
        why = await self.per_user.refusal(caller, shared)
        return None if why is None else CallToolResult(content=[TextContent(type="text", text=why)], is_error=True)

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


def _stamp_identity_in_full_on_discover_only(lowlevel: Server[Any]) -> None:
    """Stamp 2026-era results with the server's identity without its icons and description, except
    ``server/discover``, whose stamp is where a 2026 client learns the whole ``serverInfo`` (the icon included).

    The SDK puts the whole ``serverInfo`` in every result's ``_meta``; with the inline icon that is about 1.1 KB
    on every tool result and error, in the agent's context. The SDK computes its stamp once per server, as this
    cached property; a stamp the handler wrote itself wins over it.
    """
    full = lowlevel.server_info.model_dump(by_alias=True, mode="json", exclude_none=True)
    lowlevel.__dict__["_server_info_stamp_source"] = {
        key: value for key, value in full.items() if key not in {"icons", "description"}
    }
    default = lowlevel._handle_discover  # pyright: ignore[reportPrivateUsage]  # the SDK's own, wrapped

    async def discover(ctx: ServerRequestContext[Any], params: RequestParams) -> DiscoverResult:
        result = await default(ctx, params)
        return result.model_copy(update={"meta": {**(result.meta or {}), SERVER_INFO_META_KEY: copy.deepcopy(full)}})

    lowlevel.add_request_handler("server/discover", RequestParams, discover)


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
    metrics: Metrics | None = None,
    auth: AuthSettings | None = None,
    token_verifier: TokenVerifier | None = None,
) -> TokenCounterServer:
    """The server; tests may replace time (``clock``) and jitter (``policy``). ``metrics`` record for an HTTP
    server's ``/metrics``; by default nothing is recorded (stdio has no ``/metrics``). ``auth`` and
    ``token_verifier`` make it an OAuth resource server over HTTP (``auth/``)."""
    protect_logs(settings.secrets)
    metrics = metrics if metrics is not None else Metrics()
    open_state = partial(_open_state, settings, config_error=config_error, clock=clock, policy=policy, metrics=metrics)
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
        auth=auth,
        token_verifier=token_verifier,
    )
    tools.register(server)
    return server


async def _open_state(
    settings: Settings,
    *,
    config_error: ConfigError | None,
    clock: Clock | None,
    policy: RetryPolicy | None,
    metrics: Metrics,
) -> tuple[AppState, Callable[[], Awaitable[None]]]:
    """What every session of one server shares, and how to close it: built once, on the first session."""
    http = make_on_demand_client(settings)
    _log_source(settings)
    state = build_state(settings, http, config_error=config_error, clock=clock, policy=policy, metrics=metrics)

    async def close() -> None:
        await state.aclose()
        await http.aclose()

    return state, close


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
