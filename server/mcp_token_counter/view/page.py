"""The context-window view as HTML: the ``ui://`` resource a host renders, and a standalone page with data.

Both are the one document in ``context.html``. The resource gets the model windows (a count_tokens result
carries no window) and waits for the host's messages; the page also carries the result, so it draws with no
host. JSON goes inside ``<script type="application/json">`` with every ``<`` escaped, so no value can close
the element.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from importlib.resources import files
from typing import Any, Final, cast

from ..catalog import Catalog

VIEW_URI: Final = "ui://mcp-token-counter/context-window.html"

_WINDOWS: Final = "__WINDOWS__"
_DATA: Final = "__DATA__"


@functools.cache
def _template() -> str:
    return files(__package__).joinpath("context.html").read_text(encoding="utf-8")


def _script_json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).replace("<", "\\u003c")


def view_meta() -> dict[str, Any]:
    """The ``_meta`` that binds a tool to the view (a new dict each time: the SDK keeps what it is given)."""
    return {"ui": {"resourceUri": VIEW_URI}}


def model_windows(catalog: Catalog) -> dict[str, int]:
    """Each model id and alias with its context window, for results that do not name one."""
    windows: dict[str, int] = {}
    for spec in catalog.models:
        for name in (spec.id, *spec.aliases):
            windows[name] = spec.context_window
    return windows


def view_html(catalog: Catalog) -> str:
    """The ``ui://`` resource: the view, waiting for a host to send a result."""
    return _template().replace(_WINDOWS, _script_json(model_windows(catalog))).replace(_DATA, "")


def standalone_page(tool: str, arguments: Mapping[str, Any], result: Mapping[str, Any], catalog: Catalog) -> str:
    """The same view with ``result`` (a tool's structured content) and the shape of its arguments inside."""
    data = {"tool": tool, "arguments": argument_shape(arguments), "result": result}
    return _template().replace(_WINDOWS, _script_json(model_windows(catalog))).replace(_DATA, _script_json(data))


def argument_shape(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """What the view reads of a request: roles and block types per message, the model, max_tokens and thinking.

    Text, images and documents stay out, so a page of a 30 MB request stays small and holds none of it.
    """
    listed: object = arguments.get("messages")
    messages = [_message_shape(m) for m in cast(list[object], listed)] if isinstance(listed, list) else []
    shape: dict[str, Any] = {"messages": messages}
    for key in ("model", "max_tokens", "thinking"):
        if key in arguments:
            shape[key] = arguments[key]
    return shape


def _message_shape(message: object) -> dict[str, Any]:
    fields = cast(dict[str, object], message) if isinstance(message, dict) else {}
    content = fields.get("content")
    blocks = [_block_type(b) for b in cast(list[object], content)] if isinstance(content, list) else "text"
    return {"role": fields.get("role"), "content": blocks}


def _block_type(block: object) -> dict[str, str]:
    kind = cast(dict[str, object], block).get("type") if isinstance(block, dict) else None
    return {"type": kind if isinstance(kind, str) else "unknown"}
