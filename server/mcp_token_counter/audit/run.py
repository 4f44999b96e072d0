"""The audit itself: list every server's tools (in parallel, bounded), then price them all together.

A host sends every connected server's tools in one request, so they are priced together: the tool-use
prompt is charged once, as ``overhead``, and each tool is named as Claude Code names it
(``mcp__<server>__<tool>``), which also keeps names from two servers apart.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import anyio

from ..core.definitions import known_window, window_notes
from ..core.request import model_id
from ..core.state import AppState
from ..core.tool_shape import api_name, messages_tool
from ..core.tooldefs import MAX_TOOLS, ToolPricing, price_tools
from ..redaction import Redactor, protect_logs
from .connect import Listed, ListingFailed, list_tools
from .entry import ServerEntry, merge_duplicates
from .report import AuditReport, ServerRow, ToolCost

DEFAULT_TIMEOUT_S: Final = 30.0
DEFAULT_PARALLEL: Final = 4

type Progress = Callable[[ServerEntry], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class AuditOptions:
    """How to connect: a timeout per server, how many at once; and the budget to check the total against."""

    model: str
    timeout_s: float = DEFAULT_TIMEOUT_S
    parallel: int = DEFAULT_PARALLEL
    budget: int | None = None


async def audit(
    state: AppState, entries: Sequence[ServerEntry], options: AuditOptions, progress: Progress | None = None
) -> AuditReport:
    """Connect to every entry, price every tool found, and report servers by cost.

    Raises:
        TokenCounterError: the model's window is unknown, or counting failed where no estimate can stand in.
    """
    model = model_id(options.model)
    entries = merge_duplicates(entries)
    secrets = [secret for entry in entries for secret in entry.secrets()]
    protect_logs(secrets)
    window = await known_window(state, model)
    listings = within_tool_limit(await list_all(entries, options, Redactor(secrets), progress))
    named = [(i, tool) for i, listing in enumerate(listings) if isinstance(listing, Listed) for tool in listing.tools]
    definitions = [host_tool(entries[i].name, tool) for i, tool in named]
    spec = state.catalog.lookup(model)
    pricing = await price_tools(state.counter, spec, model, definitions) if definitions else None
    rows = _rows(entries, listings, named, definitions, pricing)
    total = pricing.total if pricing else 0
    return AuditReport(
        model=model,
        source=pricing.source if pricing else None,
        servers=sorted(rows, key=lambda row: (row.status != "ok", -row.tokens, row.name)),
        overhead=pricing.overhead if pricing else 0,
        total=total,
        context_window=window,
        share=round(total / window, 6) if window else None,
        uncertainty_tokens=pricing.uncertainty_tokens if pricing else 0,
        budget=options.budget,
        over_budget=options.budget is not None and total > options.budget,
        notes=[*(pricing.notes if pricing else ["No server listed any tools."]), *window_notes(model, window)],
    )


async def list_all(
    entries: Sequence[ServerEntry], options: AuditOptions, redact: Redactor, progress: Progress | None
) -> list[Listed | ListingFailed]:
    """Each entry's tools or failure, in order; at most ``options.parallel`` connections at once."""
    results: list[Listed | ListingFailed] = [ListingFailed("not connected")] * len(entries)
    limiter = anyio.CapacityLimiter(max(1, options.parallel))

    async def one(index: int) -> None:
        async with limiter:
            try:
                results[index] = await list_tools(entries[index], timeout_s=options.timeout_s, redact=redact)
            except ListingFailed as failed:
                results[index] = failed
        if progress is not None:
            await progress(entries[index])

    async with anyio.create_task_group() as group:
        for index in range(len(entries)):
            group.start_soon(one, index)
    return results


def within_tool_limit(listings: Sequence[Listed | ListingFailed]) -> list[Listed | ListingFailed]:
    """The listings, in order, as long as their tools fit one pricing (``MAX_TOOLS``); a server whose tools
    would pass it becomes a failed row saying so, and the servers before it are still priced."""
    kept: list[Listed | ListingFailed] = []
    room = MAX_TOOLS
    for listing in listings:
        if isinstance(listing, Listed) and len(listing.tools) > room:
            reason = (
                f"its {len(listing.tools):,} tools would pass the {MAX_TOOLS:,}-tool limit of one audit "
                "(with the servers above); audit it with --config on its own"
            )
            listing = ListingFailed(reason)
        elif isinstance(listing, Listed):
            room -= len(listing.tools)
        kept.append(listing)
    return kept


def host_tool(server: str, tool: dict[str, Any]) -> dict[str, Any]:
    """An MCP tool as a host sends it: a Messages API tool named ``mcp__<server>__<tool>``."""
    converted = messages_tool(tool)
    converted["name"] = api_name(f"mcp__{server}__{tool.get('name', '')}")
    return converted


def _rows(
    entries: Sequence[ServerEntry],
    listings: Sequence[Listed | ListingFailed],
    named: Sequence[tuple[int, dict[str, Any]]],
    definitions: Sequence[dict[str, Any]],
    pricing: ToolPricing | None,
) -> list[ServerRow]:
    costs: dict[int, list[ToolCost]] = {}
    for (index, _), definition, tokens in zip(named, definitions, pricing.per_tool if pricing else [], strict=True):
        costs.setdefault(index, []).append(ToolCost(name=definition["name"], tokens=tokens))
    return [
        _row(entry, listing, costs.get(i, [])) for i, (entry, listing) in enumerate(zip(entries, listings, strict=True))
    ]


def _row(entry: ServerEntry, listing: Listed | ListingFailed, tools: list[ToolCost]) -> ServerRow:
    base = ServerRow(name=entry.name, host=entry.host, transport=entry.transport, target=entry.target(), status="ok")
    if isinstance(listing, ListingFailed):
        return base.model_copy(update={"status": "failed", "reason": listing.reason})
    if not tools:
        return base.model_copy(update={"status": "no_tools", "reason": "the server lists no tools"})
    ordered = sorted(tools, key=lambda tool: tool.tokens, reverse=True)
    return base.model_copy(update={"tools": ordered, "tokens": sum(tool.tokens for tool in ordered)})
