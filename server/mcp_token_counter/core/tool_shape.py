"""Tool definitions in the shape the Messages API takes, from MCP ``Tool`` objects or as they are.

A host that connects MCP servers sends each tool to Claude as a custom tool: the tool's ``name``, its
``description`` and its ``inputSchema`` as ``input_schema``. ``title``, ``outputSchema``, ``annotations``,
``icons`` and ``_meta`` stay with the host. That is the documented shape of a custom tool (name, description,
input_schema); a definition that already has it, or an Anthropic-schema tool (``"type": "bash_20250124"``),
is counted as it is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Final, cast

from ..errors import TokenCounterError

# The Messages API's pattern for a custom tool's name; hosts replace anything else before sending.
NAME_LIMIT: Final = 64
_NAME_REFUSED: Final = re.compile(r"[^A-Za-z0-9_-]")
EMPTY_SCHEMA: Final[dict[str, Any]] = {"type": "object"}


def messages_tools(tools: Sequence[object]) -> list[dict[str, Any]]:
    """Every definition in the Messages API's shape (``messages_tool``).

    Raises:
        TokenCounterError: a definition that is not an object or has no name; the message gives its index.
    """
    return [messages_tool(tool, index) for index, tool in enumerate(tools)]


def messages_tool(tool: object, index: int = 0) -> dict[str, Any]:
    """One definition as the Messages API takes it.

    Raises:
        TokenCounterError: not an object, or a custom tool without a name.
    """
    if not isinstance(tool, Mapping):
        raise TokenCounterError(f"tools[{index}]: a tool definition is an object with a name; got {_kind(tool)}.")
    fields = cast(Mapping[str, Any], tool)
    if "input_schema" in fields or fields.get("type") not in (None, "custom"):
        return dict(fields)
    name = fields.get("name")
    if not isinstance(name, str) or not name.strip():
        raise TokenCounterError(f"tools[{index}]: the tool has no name; pass MCP Tool objects or Messages API tools.")
    converted: dict[str, Any] = {"name": api_name(name)}
    description = fields.get("description")
    if isinstance(description, str) and description:
        converted["description"] = description
    schema = fields.get("inputSchema")
    converted["input_schema"] = dict(cast(Mapping[str, Any], schema)) if isinstance(schema, Mapping) else EMPTY_SCHEMA
    return converted


def api_name(name: str) -> str:
    """``name`` as the Messages API accepts it: letters, digits, ``_`` and ``-``, at most 64 characters."""
    return _NAME_REFUSED.sub("_", name.strip())[:NAME_LIMIT]


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__
