"""The prompt-caching page's rules for one request: which breakpoints will be cached, and why not.

Each finding is one sentence a model can act on: the breakpoint, what is wrong, the page's reason, and what
to change. The rules and the per-model minimums come from the model table (``prompt_caching`` and
``min_cacheable_tokens`` in ``data/models.json``, with the page's address and the day it was read).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ..catalog import CachingRules, ModelSpec
from .cache_points import TTLS, Breakpoint, unmarkable_reason


@dataclass(slots=True)
class Verdict:
    """One breakpoint, its prefix's tokens, whether it will be written to the cache, and the findings."""

    point: Breakpoint
    prefix_tokens: int
    cached: bool = True
    findings: list[str] = field(default_factory=list[str])

    def refuse(self, finding: str) -> None:
        self.cached = False
        self.findings.append(finding)


@dataclass(frozen=True, slots=True)
class Judged:
    """Verdicts in API order, and findings about the request as a whole."""

    verdicts: list[Verdict]
    findings: list[str]


def judge(
    points: Sequence[Breakpoint],
    prefixes: Mapping[int, int],
    spec: ModelSpec | None,
    rules: CachingRules,
    *,
    model: str,
    total: int,
) -> Judged:
    """Every rule over every breakpoint; ``prefixes`` maps a block's index to its prefix's tokens."""
    ordered = sorted(points, key=lambda point: (point.slot.index, point.automatic))
    verdicts = [Verdict(point, prefixes[point.slot.index]) for point in ordered]
    for number, verdict in enumerate(verdicts, start=1):
        _shape(verdict)
        _slots(verdict, number, rules.max_breakpoints)
        _ttl_order(verdict, verdicts[: number - 1])
    minimum = _minimum_rule(verdicts, spec, model=model, total=total)
    _lookback(verdicts, rules.lookback_blocks)
    overall = [] if verdicts else [_NO_BREAKPOINT]
    return Judged(verdicts, [*overall, *minimum])


_NO_BREAKPOINT = (
    "no breakpoint: nothing will be cached; add cache_control at the top level (automatic caching) or on the "
    "last block that stays the same from one request to the next."
)


def _shape(verdict: Verdict) -> None:
    point = verdict.point
    if point.kind != "ephemeral":
        verdict.refuse(
            f"{point.place} breakpoint: cache_control type {point.kind!r} is unknown; 'ephemeral' is the only "
            'cache type the page lists: send {"type": "ephemeral"}.'
        )
    if point.ttl not in TTLS:
        verdict.refuse(
            f"{point.place} breakpoint: ttl {point.ttl!r} is not one the page lists; use '5m' (the default) or '1h'."
        )
    reason = None if point.automatic else unmarkable_reason(point.slot)
    if reason is not None:
        verdict.refuse(f"{point.place} breakpoint: {reason}; put cache_control on the block before it instead.")


def _slots(verdict: Verdict, number: int, limit: int) -> None:
    if number > limit:
        verdict.refuse(
            f"{verdict.point.place} breakpoint: breakpoint {number} of the request; the page allows at most {limit} "
            "(the automatic one takes a slot too), so it will not be cached: remove it or an earlier one."
        )


def _ttl_order(verdict: Verdict, earlier: Sequence[Verdict]) -> None:
    if verdict.point.ttl != "1h":
        return
    short = next((other.point for other in earlier if other.point.ttl == "5m"), None)
    if short is not None:
        verdict.refuse(
            f"{verdict.point.place} breakpoint: 1h after the 5m breakpoint at {short.place}; the page requires "
            f"1-hour entries to come before 5-minute ones: make {short.place} 1h or this one 5m."
        )


def _minimum_rule(verdicts: Sequence[Verdict], spec: ModelSpec | None, *, model: str, total: int) -> list[str]:
    """Refuse prefixes under the model's minimum; a finding when the minimum is unknown."""
    minimum = spec.min_cacheable_tokens if spec else None
    if minimum is None:
        return [f"{model} is not in the model table: its minimum cacheable length is unknown and was not checked."]
    inferred = " (inferred from its family; the page does not list it)" if spec and spec.min_cacheable_inferred else ""
    for number, verdict in enumerate(verdicts):
        if verdict.prefix_tokens >= minimum:
            continue
        later = next((other for other in verdicts[number + 1 :] if other.prefix_tokens >= minimum), None)
        advice = (
            f"move it to {later.point.slot.place} ({later.prefix_tokens:,} tokens)"
            if later
            else f"move it later: the whole request is {total:,} tokens"
            if total >= minimum
            else f"the whole request is {total:,} tokens, so nothing in it can be cached on this model"
        )
        verdict.refuse(
            f"{verdict.point.place} breakpoint: {verdict.prefix_tokens:,} tokens, below the {minimum:,} minimum "
            f"for {model}{inferred}: it will not be cached; {advice}."
        )
    return []


def _lookback(verdicts: Sequence[Verdict], window: int) -> None:
    """Warn where a breakpoint is a whole lookback window past the one before it (it is still written)."""
    for before, after in itertools.pairwise(verdicts):
        gap = after.point.slot.index - before.point.slot.index
        if gap >= window:
            after.findings.append(
                f"{after.point.place} breakpoint: {gap} blocks after the breakpoint at {before.point.place}; the API "
                f"looks back only {window} blocks from a breakpoint for an earlier entry, so a change or a turn "
                f"adding more than {window} blocks in between misses: add a breakpoint in between."
            )
