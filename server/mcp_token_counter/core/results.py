"""Results of the counting core, as the tools and the CLI show them. The tools' output schemas are made from
these models and sent in every tools/list, so they stay small."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Source = Literal["api", "estimate"]


class TokenCount(BaseModel):
    """Result of count_tokens."""

    input_tokens: int
    model: str
    source: Source = Field(description="api: counted by the provider; estimate: counted offline.")
    provider: str
    ignored_fields: list[str] = Field(description="Arguments accepted but not forwarded.")
    request_id: str | None = None
    uncertainty_tokens: int = Field(default=0, description="Estimates only: the count may be this much higher.")
    estimate_method: str | None = None
    fallback_reason: str | None = Field(default=None, description="Why the count is an estimate.")
    cached: bool = False  # from this server's count cache; undescribed, as tools/list is near its 1,750-token budget
    # Before context management's edits (context_management in the request, a beta): what the API reports.
    original_input_tokens: int | None = None
    notes: list[str] = []
    estimated_input_cost_usd: float | None = None
    breakdown: dict[str, int] | None = None


class ContextFit(TokenCount):
    """Result of check_context_fit: the count, plus how it compares with the window."""

    fits: bool = Field(description="input + uncertainty + reserved output <= window.")
    context_window: int
    window_source: Literal["argument", "provider", "table"]
    reserved_output_tokens: int
    remaining_tokens: int = Field(description="May be negative.")
    utilization: float = Field(description="(input + reserved output) / window.")
    max_output_tokens: int | None = None


class ToolDefinitionCount(BaseModel):
    """Result of count_tool_definitions: tokens per tool, biggest first, and the tool-use prompt once."""

    model: str
    server: str | None = None
    source: Source
    tools: dict[str, int]
    overhead: int
    total: int
    # None for a model whose window is unknown. The tool sends no output schema: tools/list is near its budget.
    context_window: int | None = None
    share: float | None = None
    uncertainty_tokens: int = 0
    notes: list[str] = []


def wire_json(result: BaseModel) -> dict[str, Any]:
    """The result as JSON data, with the fields that do not apply (``None``) left out.

    A null says nothing an absent field does not, and every result an agent reads costs it context; the
    output schemas list no ``required`` fields, so both forms are valid.
    """
    return result.model_dump(mode="json", exclude_none=True)


class CacheBreakpoint(BaseModel):
    """One cache breakpoint: where, its TTL, its prefix's tokens, and whether it will be written."""

    place: str
    ttl: str
    prefix_tokens: int
    cached: bool
    reads: bool | None = None  # with a previous request only: whether this breakpoint reads its entry


class CacheCheck(BaseModel):
    """Result of check_prompt_cache: every breakpoint, the findings, and what caching saves.

    Kept small: its schema is in every tools/list. The model is the request's own; the minimum is in the
    findings that need it; ``savings`` holds without_cache_usd, with_cache_usd and break_even_reads_5m/1h.
    """

    source: Source
    input_tokens: int
    breakpoints: list[CacheBreakpoint]
    findings: list[str]
    shared_prefix_tokens: int | None = None
    savings: dict[str, Any] | None = None
    notes: list[str] = []
