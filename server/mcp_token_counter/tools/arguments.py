"""Tool arguments as clients send them, before the SDK validates them against the tools' signatures.

Agent frameworks fill in every optional argument the model left out as ``null`` (mcp-use's tool wrapper does,
for one). The Messages API's own types allow ``null`` for an optional field, and docs/tools.md promises the same,
so a ``null`` optional argument means "left out": it is dropped here and the signature's default applies.
A ``null`` for a required argument stays, so validation still says the argument is required.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast


def without_optional_nulls(schema: Mapping[str, Any] | None, arguments: dict[str, Any]) -> dict[str, Any]:
    """``arguments`` without the ``null`` values of arguments ``schema`` does not require."""
    if not any(value is None for value in arguments.values()):
        return arguments
    required = set(cast(list[str], schema.get("required", []))) if schema is not None else set[str]()
    return {name: value for name, value in arguments.items() if value is not None or name in required}
