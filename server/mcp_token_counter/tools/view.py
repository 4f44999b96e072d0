"""The context-window view as an MCP Apps resource, and what a client without Apps is shown instead.

The view is served through the SDK's ``Apps`` extension with no CSP domains (the restrictive default): it
loads nothing. A client that did not negotiate Apps lists the tools and resources it listed before the view
existed: ``_meta.ui`` and the ``ui://`` resource mean nothing to it, and would cost context.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mcp.server.apps import Apps, client_supports_apps
from mcp.server.context import ServerRequestContext
from mcp.types import Resource, Tool

from ..catalog import builtin_catalog
from ..view.page import VIEW_URI, view_html


def view_extension() -> Apps:
    """The Apps extension carrying the view's ``ui://`` resource."""
    apps = Apps()
    apps.add_html_resource(
        VIEW_URI,
        view_html(builtin_catalog()),
        name="context-window",
        title="Context window",
        description="Where a count's tokens go in the model's context window.",
    )
    return apps


def tools_for(ctx: ServerRequestContext[Any, Any], tools: Sequence[Tool]) -> list[Tool]:
    """The tools, without ``_meta.ui`` for a client that did not negotiate Apps."""
    if client_supports_apps(ctx):
        return list(tools)
    return [_without_ui(tool) for tool in tools]


def resources_for(ctx: ServerRequestContext[Any, Any], resources: Sequence[Resource]) -> list[Resource]:
    """The resources, without the ``ui://`` view for a client that did not negotiate Apps."""
    if client_supports_apps(ctx):
        return list(resources)
    return [resource for resource in resources if not str(resource.uri).startswith("ui://")]


def _without_ui(tool: Tool) -> Tool:
    if not tool.meta or "ui" not in tool.meta:
        return tool
    meta = {key: value for key, value in tool.meta.items() if key != "ui"}
    return tool.model_copy(update={"meta": meta or None})
