"""A core result as an MCP tool result."""

from __future__ import annotations

import pydantic_core
from mcp.types import CallToolResult, TextContent
from pydantic import BaseModel

from ..core.results import wire_json


def tool_result(result: BaseModel) -> CallToolResult:
    """The result as structured content, and the same JSON as compact text for clients that read text only.

    Built here rather than by the SDK, whose conversion keeps the nulls and indents the text; the SDK still
    validates the structured content against the tool's output model before sending it.
    """
    data = wire_json(result)
    text = pydantic_core.to_json(data).decode()
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=data)
