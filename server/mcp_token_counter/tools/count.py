"""The ``count_tokens`` and ``check_context_fit`` tools: parse the arguments, call the core, shape the result.

The argument lists mirror the Messages API so an agent can pass what it would send. Descriptions are short
because every client pays for them in context on every turn.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Final

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import Field

from ..core import operations
from ..core.request import BodyFields, CountRequest, Message, build_request
from ..core.results import ContextFit, TokenCount
from ..core.state import AppState
from .result import tool_result

# Explicit, as directory reviews check them: nothing is changed, a repeat gives the same count, and the
# request goes to the provider's API (open world), unless the server counts offline.
ANNOTATIONS: Final = ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=True)

COUNT_DESCRIPTION: Final = (
    "A Claude Messages API request's input tokens, counted without sending it; pass its fields. "
    "breakdown=true: per part."
)
FIT_DESCRIPTION: Final = (
    "Does a Messages API request fit the model's window, with max_tokens (or what thinking may use) reserved? "
    "breakdown=true names the biggest parts."
)

# Undescribed: the names are the Messages API's own, and every description costs context in every tools/list.
# ``breakdown`` is described in the tool descriptions.
Model = str
Messages = Annotated[list[Message], Field(min_length=1)]
Obj = dict[str, Any] | None
Betas = list[str] | None


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
    breakdown: bool = False,
) -> Annotated[CallToolResult, TokenCount]:
    body = BodyFields(
        system, tools, tool_choice, thinking, output_config, cache_control, context_management, mcp_servers
    )
    request = _request(ctx, model, messages, body, betas, used_locally=("breakdown",))
    return tool_result(await operations.count(_state(ctx), request, breakdown=breakdown))


async def check_context_fit(
    model: Model,
    messages: Messages,
    ctx: Context[AppState, Any],
    # Bounds are checked by the core, which says what to change; a schema minimum would cost context per turn.
    max_tokens: int | None = None,  # the Messages API's own name: the output to reserve
    context_window: int | None = None,  # the name says it; undescribed to leave context for the rest
    system: str | list[dict[str, Any]] | None = None,
    tools: list[dict[str, Any]] | None = None,
    tool_choice: Obj = None,
    thinking: Obj = None,
    output_config: Obj = None,
    cache_control: Obj = None,
    context_management: Obj = None,
    mcp_servers: list[dict[str, Any]] | None = None,
    betas: Betas = None,
    breakdown: bool = False,
) -> Annotated[CallToolResult, ContextFit]:
    body = BodyFields(
        system, tools, tool_choice, thinking, output_config, cache_control, context_management, mcp_servers
    )
    request = _request(ctx, model, messages, body, betas, used_locally=("max_tokens", "context_window", "breakdown"))
    fitted = await operations.fit(
        _state(ctx), request, max_tokens=max_tokens, context_window=context_window, breakdown=breakdown
    )
    return tool_result(fitted)


def _request(
    ctx: Context[AppState, Any],
    model: str,
    messages: list[Message],
    fields: BodyFields,
    betas: list[str] | None,
    *,
    used_locally: tuple[str, ...],
) -> CountRequest:
    return build_request(
        model=model,
        messages=messages,
        body_fields=fields,
        betas=betas,
        raw_arguments=_raw_arguments(ctx),
        used_locally=used_locally,
    )


def _state(ctx: Context[AppState, Any]) -> AppState:
    return ctx.request_context.lifespan_context


def _raw_arguments(ctx: Context[AppState, Any]) -> Mapping[str, Any]:
    """The arguments as the client sent them, to report those that were not used."""
    params = ctx.request_context.params or {}
    arguments = params.get("arguments")
    return arguments if isinstance(arguments, Mapping) else {}  # pyright: ignore[reportUnknownVariableType]
