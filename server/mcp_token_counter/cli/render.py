"""How the CLI shows results: rich tables for people, JSON for scripts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel
from rich.console import Console
from rich.table import Column, Table

from ..core.results import TokenCount, wire_json
from ..files.count import FileCount


def emit(out: Console, result: BaseModel, *, as_json: bool, table: Callable[[Any], tuple[str, Table]]) -> None:
    if as_json:
        out.print_json(data=wire_json(result))
        return
    # The heading stays a plain line: as a table title rich would wrap it to the table's width.
    heading, body = table(result)
    out.print(heading, highlight=False)
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
    """The model table, one row per model."""
    table = Table(title=f"Known models (prices as of {document['prices_as_of']})")
    for column in ("id", "window", "max output", "$ in / out per MTok", "tokenizer", "status"):
        table.add_column(column)
    for row in document["models"]:
        price = f"{row['input_usd_per_mtok']} / {row['output_usd_per_mtok']}"
        window = f"{row['context_window']:,}"
        table.add_row(row["id"], window, f"{row['max_output_tokens']:,}", price, row["tokenizer"], row["status"])
    return table
