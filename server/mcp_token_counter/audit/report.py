"""What an audit found: servers by cost, each with its tools, and the one-time tool-use overhead.

The servers' tokens plus ``overhead`` equal ``total``; no field holds an env value or a header.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from ..core.results import Source

Status = Literal["ok", "failed", "no_tools"]


class ToolCost(BaseModel):
    """One tool, under the name the host sends it by."""

    name: str
    tokens: int


class ServerRow(BaseModel):
    """One configured server: its tools by cost, or why it has none."""

    name: str
    host: str
    transport: str
    target: str
    status: Status
    reason: str | None = None
    tokens: int = 0
    tools: list[ToolCost] = []


class AuditReport(BaseModel):
    """Every server by cost, the overhead once, the total and its share of the model's window."""

    model: str
    source: Source | None = None
    servers: list[ServerRow]
    overhead: int = 0
    total: int = 0
    context_window: int | None = None
    share: float | None = None
    uncertainty_tokens: int = 0
    budget: int | None = None
    over_budget: bool = False
    notes: list[str] = []
