"""A core result as an MCP tool result."""

from __future__ import annotations

from typing import Any, cast

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
    try:
        text = pydantic_core.to_json(data).decode()
    except pydantic_core.PydanticSerializationError:
        # A caller's string echoed back (a field or file name, a block type) can hold a lone surrogate: JSON
        # carries one in, but UTF-8 cannot encode it, and the whole call failed.
        data = _escaped(data)
        text = pydantic_core.to_json(data).decode()
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=data)


def _escaped(value: object) -> Any:
    """``value`` with every lone surrogate in its strings written as its ``\\udXXX`` escape."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {_escaped(k): _escaped(v) for k, v in cast("dict[object, object]", value).items()}
    if isinstance(value, list):
        return [_escaped(item) for item in cast("list[object]", value)]
    return value
