"""The ``count_tool_definitions`` operation: tool definitions priced per tool, for any door."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import UnknownWindow
from .request import model_id
from .results import ToolDefinitionCount
from .state import AppState
from .tool_shape import messages_tools
from .tooldefs import check_tool_count, price_tools


async def count_tool_definitions(
    state: AppState, model: str, tools: Sequence[object], *, server: str | None = None
) -> ToolDefinitionCount:
    """What ``tools`` (Messages API definitions or MCP ``Tool`` objects) cost in ``model``'s context.

    Raises:
        TokenCounterError: a bad model id or definition, an unknown window, or a failed count.
    """
    api_model = model_id(model)
    check_tool_count(len(tools))
    definitions = messages_tools(tools)
    window = await known_window(state, api_model)
    pricing = await price_tools(state.counter, state.catalog.lookup(api_model), api_model, definitions)
    named = unique_names([str(tool.get("name") or tool.get("type")) for tool in definitions])
    per_tool = sorted(zip(named, pricing.per_tool, strict=True), key=lambda item: item[1], reverse=True)
    return ToolDefinitionCount(
        model=api_model,
        server=server,
        source=pricing.source,
        tools=dict(per_tool),
        overhead=pricing.overhead,
        total=pricing.total,
        context_window=window,
        share=round(pricing.total / window, 6) if window else None,
        uncertainty_tokens=pricing.uncertainty_tokens,
        notes=[*pricing.notes, *window_notes(api_model, window)],
    )


async def known_window(state: AppState, model: str) -> int | None:
    """The model's window; None for a model neither the table nor the provider knows: the counts still stand."""
    try:
        return (await state.windows.resolve(model, None)).context_window
    except UnknownWindow:
        return None


def unique_names(names: Sequence[str]) -> list[str]:
    """``names`` with repeats told apart (``search``, ``search#2``), so none is lost as a dict key."""
    seen: dict[str, int] = {}
    unique: list[str] = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
    return unique


def window_notes(model: str, window: int | None) -> list[str]:
    """A note when no share can be given."""
    return [] if window else [f"No window is known for {model}, so no share is given."]
