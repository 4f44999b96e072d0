"""How the CLI shows results: rich tables for people (numbers right-aligned), JSON for scripts.

Every command labels an estimate as such, with its ± margin (the count may be up to that much higher) and why
it is one; fields that were accepted but not counted are listed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from pydantic import BaseModel
from rich.console import Console
from rich.table import Column, Table

from ..catalog import builtin_catalog
from ..core.results import CacheCheck, ContextFit, TokenCount, wire_json
from ..files.count import FileCount
from ..view.terminal import bar_line, window_of
from .shown import shown as shown_text

RIGHT: Final = "right"
# Why a count is an estimate, for a person (results carry the code, core.counter.FallbackReason).
REASONS: Final = {
    "no_credentials": "no API credential is set (ANTHROPIC_API_KEY gives exact counts)",
    "offline_mode": "TOKEN_COUNTER_OFFLINE is set",
    "api_refused_shape": "the API cannot count this request's shape",
    "model_not_countable": "the API cannot count this model",
    "api_unavailable": "the API stayed unavailable",
}


@dataclass(frozen=True, slots=True)
class View:
    """What a person sees: a heading line, a table, and lines under it."""

    heading: str
    table: Table
    lines: list[str] = field(default_factory=list[str])


def emit[R: BaseModel](out: Console, result: R, *, as_json: bool, view: Callable[[R], View]) -> None:
    """``result`` as JSON (the tool's structured result) or as a table with its heading and notes."""
    if as_json:
        out.print_json(data=wire_json(result))
        return
    shown = view(result)
    # The heading stays a plain line: as a table title rich would wrap it to the table's width.
    out.print(shown_text(shown.heading), highlight=False, soft_wrap=True)
    if isinstance(result, TokenCount | FileCount):
        out.print(bar_line(window_of(result, builtin_catalog())), highlight=False)
    out.print(shown.table)
    for line in shown.lines:
        out.print(shown_text(line), highlight=False, soft_wrap=True)


def count_view(result: TokenCount) -> View:
    table = Table("part", Column("tokens", justify=RIGHT))
    for name, tokens in (result.breakdown or {"total": result.input_tokens}).items():
        table.add_row(shown_text(name), f"{tokens:,}")
    heading = f"{result.model}: {_tokens(result)} input tokens ({_how(result)})"
    return View(heading, table, _details(result))


def fit_view(result: ContextFit) -> View:
    table = Table("", Column("tokens", justify=RIGHT))
    table.add_row("input", f"{result.input_tokens:,}")
    if result.source == "estimate":
        table.add_row("± estimate margin", f"{result.uncertainty_tokens:,}")
    table.add_row("reserved output", f"{result.reserved_output_tokens:,}")
    table.add_row(shown_text(f"context window ({result.window_source})"), f"{result.context_window:,}")
    table.add_row("remaining", f"{result.remaining_tokens:,}")
    table.add_row("utilization", f"{result.utilization:.1%}")
    verdict = "fits" if result.fits else "does NOT fit"
    heading = f"{result.model}: {_tokens(result)} input tokens ({_how(result)}) {verdict} in {result.context_window:,}"
    return View(heading, table, _details(result))


def cache_view(result: CacheCheck) -> View:
    table = Table("breakpoint", "ttl", Column("prefix tokens", justify=RIGHT), "cached", "reads previous")
    for point in result.breakpoints:
        reads = "" if point.reads is None else ("yes" if point.reads else "no")
        table.add_row(point.place, point.ttl, f"{point.prefix_tokens:,}", "yes" if point.cached else "NO", reads)
    misses = sum(not point.cached for point in result.breakpoints)
    verdict = f"{misses} will NOT be cached" if misses else "all will be cached"
    kind = "counted by the API" if result.source == "api" else "offline estimate"
    heading = f"{len(result.breakpoints)} cache breakpoints, {verdict}; {result.input_tokens:,} input tokens ({kind})"
    lines = [*result.findings]
    if result.shared_prefix_tokens is not None:
        lines.append(f"shared with the previous request: {result.shared_prefix_tokens:,} tokens")
    if result.savings:
        lines.append(_savings_line(result.savings))
    return View(heading, table, [*lines, *result.notes])


def _savings_line(savings: dict[str, Any]) -> str:
    return (
        f"cost without caching ${savings['without_cache_usd']:.6f}, with caching ${savings['with_cache_usd']:.6f}; "
        f"a write pays for itself after {savings['break_even_reads_5m']} read(s) at 5m, "
        f"{savings['break_even_reads_1h']} at 1h"
    )


def files_view(result: FileCount) -> View:
    table = Table("file", Column("tokens", justify=RIGHT))
    for name, tokens in result.files.items():
        table.add_row(shown_text(name), f"{tokens:,}")
    for name, why in result.skipped.items():
        table.add_row(shown_text(name, "dim"), shown_text(f"skipped: {why}", "dim"))
    verdict = "fits" if result.fits else "does NOT fit"
    how = "estimate" if result.source == "estimate" else "api"
    heading = f"{result.model}: {result.input_tokens:,} tokens ({how}), {verdict} in {result.context_window:,}"
    return View(heading, table, [*_cost(result.estimated_input_cost_usd), *_notes(result.notes)])


def models_table(document: dict[str, Any]) -> Table:
    """The model table, one row per model, titled with the date its prices were last checked."""
    table = Table(
        "id",
        Column("window", justify=RIGHT),
        Column("max output", justify=RIGHT),
        Column("$ in / out per MTok", justify=RIGHT),
        Column("cache read", justify=RIGHT),
        Column("fast", justify=RIGHT),
        "tokenizer",
        "status",
        title=f"Known models (prices last checked {document['prices_as_of']})",
    )
    for row in document["models"]:
        prices = row["prices"]
        fast = f"{prices['fast']:g}x" if "fast" in prices else "-"
        table.add_row(
            row["id"],
            f"{row['context_window']:,}",
            f"{row['max_output_tokens']:,}",
            _price_cell(prices),
            f"{prices['cache_read']:g}",
            fast,
            row["tokenizer"],
            row["status"],
        )
    return table


def _tokens(result: TokenCount) -> str:
    margin = f" ± {result.uncertainty_tokens:,}" if result.source == "estimate" else ""
    return f"{result.input_tokens:,}{margin}"


def _how(result: TokenCount) -> str:
    if result.source == "estimate":
        return f"estimate, {result.estimate_method}" if result.estimate_method else "estimate"
    return f"{result.provider} API{', cached' if result.cached else ''}"


def _details(result: TokenCount) -> list[str]:
    lines: list[str] = []
    if result.source == "estimate":
        reason = result.fallback_reason
        why = f"; {REASONS.get(reason, reason)}" if reason else ""
        lines.append(f"estimate: counted offline, may be up to {result.uncertainty_tokens:,} tokens higher{why}")
    if result.ignored_fields:
        lines.append(f"ignored (not counted): {', '.join(result.ignored_fields)}")
    return [*lines, *_cost(result.estimated_input_cost_usd), *_notes(result.notes)]


def _cost(cost: float | None) -> list[str]:
    return [] if cost is None else [f"estimated input cost ${cost:.6f} at list price"]


def _notes(notes: list[str]) -> list[str]:
    return [f"note: {note}" for note in notes]


def _price_cell(prices: dict[str, Any]) -> str:
    """Base input / output, then each prompt-size tier, such as "0.1 / 0.5; over 100k: 0.5 / 2.5"."""
    cell = f"{prices['input']:g} / {prices['output']:g}"
    for tier in prices.get("tiers", []):
        cell += f"; over {tier['above_prompt_tokens'] // 1000}k: {tier['input']:g} / {tier['output']:g}"
    return cell
