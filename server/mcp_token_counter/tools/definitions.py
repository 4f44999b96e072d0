"""The ``count_tool_definitions`` tool: what a set of tools costs in context, per tool.

It counts what it is given and nothing else: it reads no file and starts no server, so any agent may have it.
Connecting to servers is the CLI's ``audit``, which a person runs.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import WithJsonSchema

from ..core.definitions import count_tool_definitions as count_definitions
from ..core.state import AppState
from .result import tool_result

DESCRIPTION: Final = (
    "Tokens per tool definition (Messages API or MCP), the shared tool-use prompt once, total and window share."
)


async def count_tool_definitions(
    model: str,
    # Items unchecked by the SDK: the core says in its own words which one is wrong and why. Advertised as
    # objects, as an empty item schema is not portable (the Inspector warns, Gemini rewrites it).
    tools: Annotated[list[Any], WithJsonSchema({"items": {"type": "object"}, "type": "array"})],
    ctx: Context[AppState, Any],
    server: str | None = None,
) -> CallToolResult:
    state = ctx.request_context.lifespan_context
    return tool_result(await count_definitions(state, model, tools, server=server))
