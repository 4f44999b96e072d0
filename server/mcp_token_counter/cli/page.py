"""``--html FILE``: the context-window view as a standalone page, with the result inside."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ..catalog import builtin_catalog
from ..core.results import wire_json
from ..view.page import standalone_page


def write_page(path: str, tool: str, arguments: Mapping[str, Any], result: BaseModel) -> None:
    """Write the page for ``tool``'s ``result`` to ``path``; the view draws it with no MCP host.

    Raises:
        OSError: ``path`` cannot be written.
    """
    page = standalone_page(tool, arguments, wire_json(result), builtin_catalog())
    Path(path).write_text(page, encoding="utf-8")
