"""How the CLI shows results: rich tables for people, JSON for scripts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel
from rich.console import Console
from rich.table import Column, Table

from ..catalog import builtin_catalog
from ..core.results import TokenCount, wire_json
from ..files.count import FileCount
from ..view.terminal import bar_line, window_of


def emit(out: Console, result: BaseModel, *, as_json: bool, table: Callable[[Any], tuple[str, Table]]) -> None:
    if as_json:
        out.print_json(data=wire_json(result))
        return
    # The heading stays a plain line: as a table title rich would wrap it to the table's width.
    heading, body = table(result)
    out.print(heading, highlight=False)
    if isinstance(result, TokenCount | FileCount):
        out.print(bar_line(window_of(result, builtin_catalog())), highlight=False)
    out.print(body)
    cost: float | None = getattr(result, "estimated_input_cost_usd", None)
    if cost is not None:
        out.print(f"estimated input cost ${cost:.6f} at list price", highlight=False)
    notes: list[str] = getattr(result, "notes", [])
    for note in notes:
        out.print(f"note: {note}", highlight=False)


def count_table(result: TokenCount) -> tuple[str, Table]:
    table = Table("part", Column("tokens", justify="right"))
    for name, tokens in (result.breakdown or {"total": result.input_tokens}).items():
        table.add_row(name, f"{tokens:,}")
    return f"{result.model}: {result.input_tokens:,} input tokens ({result.source})", table


def files_table(result: FileCount) -> tuple[str, Table]:
    table = Table("file", Column("tokens", justify="right"))
    for name, tokens in result.files.items():
        table.add_row(name, f"{tokens:,}")
    for name, why in result.skipped.items():
        table.add_row(f"[dim]{name}[/]", f"[dim]skipped: {why}[/]")
    verdict = "fits" if result.fits else "does NOT fit"
    return f"{result.model}: {result.input_tokens:,} tokens, {verdict} in {result.context_window:,}", table


def models_table(document: dict[str, Any]) -> Table:
    """The model table, one row per model, titled with the date its prices were last checked."""
    table = Table(title=f"Known models (prices last checked {document['prices_as_of']})")
    for column in ("id", "window", "max output", "$ in / out per MTok", "cache read", "fast", "tokenizer", "status"):
        table.add_column(column, justify="right" if column in ("window", "max output") else "left")
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


def _price_cell(prices: dict[str, Any]) -> str:
    """Base input / output, then each prompt-size tier, such as "0.1 / 0.5; over 100k: 0.5 / 2.5"."""
    cell = f"{prices['input']:g} / {prices['output']:g}"
    for tier in prices.get("tiers", []):
        cell += f"; over {tier['above_prompt_tokens'] // 1000}k: {tier['input']:g} / {tier['output']:g}"
    return cell
