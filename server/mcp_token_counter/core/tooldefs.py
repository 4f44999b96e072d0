"""What tool definitions cost, per tool, with the shared tool-use system prompt charged once.

Hosts send every connected tool in one request, and the API adds its tool-use system prompt once for the
lot (counting-api.md §15.4). Counting each tool on its own repeats that prompt for every tool, which is how
hosts' own figures came to be about three times too high (pitfalls.md §10). So, through the API, counts are
taken against the request that holds every tool, each a leave-one-out:

    base       {model, messages: [SEED]}: no tools
    full       base + every tool
    without i  full without tool i (or without group i, when there are more than MAX_PARTS tools)

A tool's tokens are ``full - without i``: what it adds with the others present, so the prompt is not in it.
The overhead is what is left of ``full - base``: the tool-use prompt and the list's framing, once. Tools plus
overhead equal the total exactly, whatever the tokenizer does at the boundaries. A single tool has no other
tool to keep the prompt in place, so a one-token probe tool stands in for the others.

Past MAX_PARTS tools, consecutive tools are left out in groups (at most MAX_PARTS + 1 calls in all), and a
group's exact figure is split between its tools in proportion to their offline estimates. The cache answers
repeated bodies, so auditing the same tools again sends nothing.

Offline, the estimator prices each definition on its own and the prompt from the model table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from ..catalog import ModelSpec
from ..errors import TokenCounterError
from .breakdown import CONCURRENCY, SEED, MeasureFn, gather_counts, message_groups
from .counter import Counted, RequestCounter
from .estimate import Estimator
from .request import CountRequest
from .results import Source
from .tally import CallTally

MAX_PARTS: Final = 64
MAX_TOOLS: Final = 2_000
PROBE_NAME: Final = "token_counter_probe"
# The estimator's part names (offline/request/estimate.py).
_PROMPT_PART: Final = "tool_use_system_prompt"
_TOOLS_PART: Final = "tools"


@dataclass(frozen=True, slots=True)
class ToolPricing:
    """Tokens per tool (in the order given) and the one-time overhead; they sum to ``total``."""

    per_tool: list[int]
    overhead: int
    source: Source
    uncertainty_tokens: int = 0
    notes: list[str] = field(default_factory=list[str])

    @property
    def total(self) -> int:
        """What the definitions add to a request: every tool plus the overhead."""
        return self.overhead + sum(self.per_tool)


def tools_body(model: str, tools: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The smallest request carrying ``tools``; no ``tools`` key at all when there are none."""
    body: dict[str, Any] = {"model": model, "messages": [SEED]}
    return body | {"tools": list(tools)} if tools else body


async def price_tools(
    counter: RequestCounter, spec: ModelSpec | None, model: str, tools: Sequence[Mapping[str, Any]]
) -> ToolPricing:
    """Tokens per definition and the shared overhead, through the API when it counts, else offline.

    ``tools`` are Messages API definitions (``tool_shape.messages_tools``) of model ``model`` (normalised).

    Raises:
        TokenCounterError: no tools, too many, or a count failed in a way an estimate should not hide.
    """
    check_tool_count(len(tools))
    full = await counter.measure(CountRequest(model, tools_body(model, tools), (), ()))
    if full.source != "api":
        return await offline_pricing(counter.estimator, spec, model, tools, notes=_estimate_notes(full))
    tally = CallTally()
    try:
        pricing = await api_pricing(
            _measure(counter, model, tally), counter.estimator, spec, model, tools, full.input_tokens
        )
    except TokenCounterError as exc:
        note = f"A partial count failed ({exc}); every figure is an offline estimate."
        return await offline_pricing(counter.estimator, spec, model, tools, notes=[note])
    notes = [*full.notes, *pricing.notes, tally.note("tools")]
    return ToolPricing(pricing.per_tool, pricing.overhead, "api", notes=notes)


def check_tool_count(count: int) -> None:
    """Refuse an empty list and more tools than one call should price.

    Raises:
        TokenCounterError: fewer than one tool or more than ``MAX_TOOLS``.
    """
    if not 1 <= count <= MAX_TOOLS:
        raise TokenCounterError(f"tools: pass between 1 and {MAX_TOOLS:,} tool definitions; got {count:,}.")


async def api_pricing(
    measure: MeasureFn,
    estimate: Estimator,
    spec: ModelSpec | None,
    model: str,
    tools: Sequence[Mapping[str, Any]],
    full: int,
) -> ToolPricing:
    """Differential pricing (module docstring); ``full`` is the count of every tool together.

    Raises:
        Whatever ``measure`` raises.
    """
    if len(tools) == 1:
        probe = {"name": _probe_name(tools), "input_schema": {"type": "object"}}
        bodies = [tools_body(model, []), tools_body(model, [probe]), tools_body(model, [*tools, probe])]
        base, probe_only, both = await gather_counts(bodies, measure, limit=CONCURRENCY)
        return ToolPricing([both - probe_only], full - base - (both - probe_only), "api")
    groups = message_groups(len(tools), MAX_PARTS)
    bodies = [tools_body(model, []), *(tools_body(model, [*tools[:s], *tools[e:]]) for s, e in groups)]
    base, *without = await gather_counts(bodies, measure, limit=CONCURRENCY)
    per_tool = await _spread(estimate, [full - count for count in without], groups, (spec, model, tools))
    notes = [] if len(groups) == len(tools) else [_grouped_note(len(tools), len(groups))]
    return ToolPricing(per_tool, full - base - sum(per_tool), "api", notes=notes)


async def offline_pricing(
    estimate: Estimator,
    spec: ModelSpec | None,
    model: str,
    tools: Sequence[Mapping[str, Any]],
    *,
    notes: Sequence[str] = (),
) -> ToolPricing:
    """The estimator's figures: each definition priced alone, the prompt once from the model table.

    Raises:
        TokenCounterError: a definition the estimator cannot read.
    """
    whole = await estimate(tools_body(model, tools), spec)
    parts = {part.name: part for part in whole.parts}
    per_tool = await offline_per_tool(estimate, spec, model, tools)
    listed = parts[_TOOLS_PART].tokens if _TOOLS_PART in parts else sum(per_tool)
    prompt = parts.get(_PROMPT_PART)
    overhead = (prompt.tokens if prompt else 0) + listed - sum(per_tool)
    uncertainty = sum(parts[name].uncertainty_tokens for name in (_PROMPT_PART, _TOOLS_PART) if name in parts)
    return ToolPricing(per_tool, overhead, "estimate", uncertainty, [*notes, *whole.notes])


async def offline_per_tool(
    estimate: Estimator, spec: ModelSpec | None, model: str, tools: Sequence[Mapping[str, Any]]
) -> list[int]:
    """Each definition's own estimate, without the prompt.

    Raises:
        TokenCounterError: a definition the estimator cannot read.
    """
    costs: list[int] = []
    for tool in tools:
        alone = await estimate(tools_body(model, [tool]), spec)
        costs.append(sum(part.tokens for part in alone.parts if part.name == _TOOLS_PART))
    return costs


async def _spread(
    estimate: Estimator,
    group_costs: Sequence[int],
    groups: Sequence[tuple[int, int]],
    listed: tuple[ModelSpec | None, str, Sequence[Mapping[str, Any]]],
) -> list[int]:
    """Per-tool figures: a group of one is exact; a larger group's figure is split by offline estimates.

    ``listed`` is the tools' model row, model id and definitions.
    """
    spec, model, tools = listed
    per_tool: list[int] = []
    for cost, (start, end) in zip(group_costs, groups, strict=True):
        if end - start == 1:
            per_tool.append(cost)
        else:
            per_tool.extend(split(cost, await offline_per_tool(estimate, spec, model, tools[start:end])))
    return per_tool


def split(total: int, weights: Sequence[int]) -> list[int]:
    """``total`` in whole parts proportional to ``weights`` (largest remainder); the parts sum to ``total``."""
    weight_sum = sum(max(w, 0) for w in weights)
    if weight_sum == 0:
        weights, weight_sum = [1] * len(weights), len(weights)
    exact = [total * max(w, 0) / weight_sum for w in weights]
    parts = [int(share // 1) for share in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: exact[i] - parts[i], reverse=True)
    for i in by_remainder[: total - sum(parts)]:
        parts[i] += 1
    return parts


def _measure(counter: RequestCounter, model: str, tally: CallTally) -> MeasureFn:
    async def measure(body: dict[str, Any]) -> int:
        counted = await counter.measure(CountRequest(model, body, (), ()))
        if counted.source != "api":
            raise TokenCounterError(f"a partial count fell back to an estimate ({counted.fallback_reason})")
        tally.record(counted)
        return counted.input_tokens

    return measure


def _probe_name(tools: Sequence[Mapping[str, Any]]) -> str:
    names = {tool.get("name") for tool in tools}
    return PROBE_NAME if PROBE_NAME not in names else f"{PROBE_NAME}_2"


def _grouped_note(tools: int, groups: int) -> str:
    return (
        f"{tools} tools were counted in {groups} groups to bound the calls; within a group, its exact figure "
        "is split by the tools' offline estimates."
    )


def _estimate_notes(full: Counted) -> list[str]:
    return [f"Offline estimate ({full.fallback_reason})." if full.fallback_reason else "Offline estimate."]
