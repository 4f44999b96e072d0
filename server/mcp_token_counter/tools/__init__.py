"""The MCP door: one module-level function per tool, the models resources, and the compact schemas."""

from __future__ import annotations

from typing import Final

from mcp.server import MCPServer

from ..core.state import AppState
from ..view.page import view_meta
from . import cache, count, definitions, files
from .resources import register_resources

# The names register() gives the tools (the functions' names), as metrics label them.
TOOL_NAMES: Final = frozenset(
    {"count_tokens", "check_context_fit", "count_files", "count_tool_definitions", "check_prompt_cache"}
)


def register(server: MCPServer[AppState]) -> None:
    """Add every tool and resource to ``server``; each tool's result can be drawn by the context view."""
    server.add_tool(
        count.count_tokens,
        title="Count tokens",
        description=count.COUNT_DESCRIPTION,
        annotations=count.ANNOTATIONS,
        meta=view_meta(),
    )
    server.add_tool(
        count.check_context_fit,
        title="Check context fit",
        description=count.FIT_DESCRIPTION,
        annotations=count.ANNOTATIONS,
        meta=view_meta(),
    )
    server.add_tool(
        files.count_files,
        title="Count files",
        description=files.FILES_DESCRIPTION,
        annotations=files.ANNOTATIONS,
        meta=view_meta(),
    )
    server.add_tool(
        definitions.count_tool_definitions,
        title="Count tool definitions",
        description=definitions.DESCRIPTION,
        annotations=count.ANNOTATIONS,
    )
    server.add_tool(
        cache.check_prompt_cache,
        title="Cache check",
        description=cache.DESCRIPTION,
        annotations=count.ANNOTATIONS,
        meta=view_meta(),
    )
    register_resources(server)
