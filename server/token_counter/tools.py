"""The MCP tools. Thin: validate the shape, build the request, count, and shape the result.

The argument lists mirror the Messages API so an agent can pass what it would send. Descriptions are short
because every client pays for them in context on every turn.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Final

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import Field

from .breakdown import biggest, breakdown_for
from .cost import input_cost_usd
from .fit import compute_fit, output_warnings, reserve_output
from .request import BODY_FIELDS, CountRequest, Message, build_request
from .results import ContextFit, TokenCount, tool_result
from .state import AppState

# Only read_only: the spec's defaults already say open world, and idempotence is defined for writing tools only.
ANNOTATIONS: Final = ToolAnnotations(read_only_hint=True)

COUNT_DESCRIPTION: Final = (
    "Count a Claude Messages API request's input tokens without sending it; pass its fields. "
    "breakdown=true adds tokens per part."
)
FIT_DESCRIPTION: Final = (
    "Check a Messages API request fits the model's window, reserving max_tokens (or the thinking budget). "
    "breakdown=true names the biggest parts."
)

Model = Annotated[str, Field(description="Model id, e.g. claude-sonnet-4-6.")]
Messages = Annotated[list[Message], Field(min_length=1)]
Obj = dict[str, Any] | None
Betas = Annotated[list[str] | None, Field(description="Sent as the anthropic-beta header.")]
# Named in the descriptions instead of here: a field description would cost context in every tools/list.
Breakdown = bool


def _raw_arguments(ctx: Context[AppState, Any]) -> Mapping[str, Any]:
    params = ctx.request_context.params or {}
    arguments = params.get("arguments")
    return arguments if isinstance(arguments, Mapping) else {}  # pyright: ignore[reportUnknownVariableType]


def _body_fields(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """The body fields among a tool's arguments (its ``locals()`` on entry)."""
    return {name: arguments[name] for name in BODY_FIELDS}


def register_tools(server: MCPServer[AppState]) -> None:
    """Add ``count_tokens`` and ``check_context_fit`` to ``server``."""

    @server.tool(title="Count tokens", description=COUNT_DESCRIPTION, annotations=ANNOTATIONS)
    async def count_tokens(
        model: Model,
        messages: Messages,
        ctx: Context[AppState, Any],
        system: str | list[dict[str, Any]] | None = None,
        tools: list[dict[str, Any]] | None = None,
        tool_choice: Obj = None,
        thinking: Obj = None,
        output_config: Obj = None,
        cache_control: Obj = None,
        context_management: Obj = None,
        mcp_servers: list[dict[str, Any]] | None = None,
        betas: Betas = None,
        breakdown: Breakdown = False,
    ) -> Annotated[CallToolResult, TokenCount]:
        request = build_request(
            model=model,
            messages=messages,
            fields=_body_fields(locals()),
            betas=betas,
            raw_arguments=_raw_arguments(ctx),
            used_locally=("breakdown",),
        )
        return tool_result(await _count(ctx, request, breakdown=breakdown))

    @server.tool(title="Check context fit", description=FIT_DESCRIPTION, annotations=ANNOTATIONS)
    async def check_context_fit(
        model: Model,
        messages: Messages,
        ctx: Context[AppState, Any],
        max_tokens: Annotated[int | None, Field(ge=1, description="Output tokens to reserve.")] = None,
        context_window: Annotated[int | None, Field(ge=1, description="Overrides the model's window.")] = None,
        system: str | list[dict[str, Any]] | None = None,
        tools: list[dict[str, Any]] | None = None,
        tool_choice: Obj = None,
        thinking: Obj = None,
        output_config: Obj = None,
        cache_control: Obj = None,
        context_management: Obj = None,
        mcp_servers: list[dict[str, Any]] | None = None,
        betas: Betas = None,
        breakdown: Breakdown = False,
    ) -> Annotated[CallToolResult, ContextFit]:
        request = build_request(
            model=model,
            messages=messages,
            fields=_body_fields(locals()),
            betas=betas,
            raw_arguments=_raw_arguments(ctx),
            used_locally=("max_tokens", "context_window", "breakdown"),
        )
        state = ctx.request_context.lifespan_context
        window = await state.windows.resolve(request.model, context_window)
        counted = await _count(ctx, request, breakdown=breakdown)
        reserved = reserve_output(max_tokens, thinking)
        fit = compute_fit(counted.input_tokens, reserved, window.context_window, margin=counted.uncertainty_tokens)
        warnings = output_warnings(max_tokens, thinking, window.max_output_tokens)
        fitted = ContextFit(
            **counted.model_dump(exclude={"notes"}),
            notes=[*counted.notes, *warnings, *_consumers(fit.fits, counted.breakdown)],
            fits=fit.fits,
            context_window=window.context_window,
            window_source=window.source,
            reserved_output_tokens=fit.reserved_output_tokens,
            remaining_tokens=fit.remaining_tokens,
            utilization=fit.utilization,
            max_output_tokens=window.max_output_tokens,
        )
        return tool_result(fitted)


async def _count(ctx: Context[AppState, Any], request: CountRequest, *, breakdown: bool = False) -> TokenCount:
    return await count_request(ctx.request_context.lifespan_context, request, breakdown=breakdown)


async def count_request(state: AppState, request: CountRequest, *, breakdown: bool = False) -> TokenCount:
    """count_tokens' result for ``request``; the CLI calls this too."""
    counted = await state.counter.count(request)
    spec = state.catalog.lookup(request.model)
    parts, how = await breakdown_for(state.counter, spec, request, counted) if breakdown else (None, None)
    return TokenCount(
        input_tokens=counted.input_tokens,
        model=request.model,
        source=counted.source,
        provider=counted.provider,
        ignored_fields=list(request.ignored_fields),
        request_id=counted.request_id,
        uncertainty_tokens=counted.uncertainty_tokens,
        estimate_method=counted.estimate_method,
        fallback_reason=counted.fallback_reason,
        cached=counted.cached,
        notes=[*counted.notes, *([how] if how else [])],
        estimated_input_cost_usd=input_cost_usd(spec, counted.input_tokens),
        breakdown=parts,
    )


def _consumers(fits: bool, parts: dict[str, int] | None) -> list[str]:
    """When a request does not fit, the note naming what to trim first."""
    return [] if fits or not parts else [f"Biggest parts: {biggest(parts)}."]
