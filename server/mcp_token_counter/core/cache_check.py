"""Will this prompt be cached? Every breakpoint of one request, checked before it is sent.

Each breakpoint's prefix is counted as the request cut off after its block (``cache_points.prefix_body``):
through the API that is one extra count per breakpoint (answered by the count cache on repeats), offline the
estimate of the same cut request. The page's rules (``cache_rules``) say which will be written, a previous
request (``cache_compare``) says which can be read, and ``cache_savings`` prices it. The prefix counts are
taken the way the breakdown takes its parts, so the prefixes and the tail after the last one add up to the
same total that ``count_tokens`` and ``check_context_fit`` report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any, Final

from ..catalog import ModelSpec
from ..errors import BreakdownUnavailable, TokenCounterError
from .breakdown import CONCURRENCY, MeasureFn, gather_counts
from .cache_compare import Change, changes, read_previous
from .cache_points import Breakpoint, Slot, breakpoints, is_whole, prefix_body, slots
from .cache_rules import Judged, Verdict, judge
from .cache_savings import savings, segments
from .cost import billing_of
from .counted import Counted
from .request import CountRequest
from .results import CacheBreakpoint, CacheCheck
from .state import AppState
from .tally import CallTally

# Distinct prefixes counted at most: 4 breakpoints allowed, the automatic one, a previous request's 4 entries
# and the shared prefix fit with room; more markers than this is a request the API refuses anyway.
MAX_PREFIXES: Final = 12
MAX_REPEATS: Final = 1_000_000


@dataclass(frozen=True, slots=True)
class Previous:
    """The last request sent, as far as the comparison needs it."""

    body: Mapping[str, Any]
    sequence: list[Slot]
    points: list[Breakpoint]
    found: list[Change]
    shared: int  # blocks of the new request whose old entries stay valid


async def check_cache(
    state: AppState, request: CountRequest, *, previous: Mapping[str, Any] | None = None, repeats: int | None = None
) -> CacheCheck:
    """Every breakpoint of ``request``: prefix tokens, the page's findings, reads of ``previous``, savings.

    Raises:
        TokenCounterError: ``previous`` or ``repeats`` is malformed, too many markers, or the count failed.
    """
    _check_repeats(repeats)
    body = request.body
    sequence = slots(body)
    points = breakpoints(body, sequence)
    before = _previous(previous, body, sequence) if previous is not None else None
    counted = await state.counter.measure(request)
    spec = state.catalog.lookup(request.model)
    wanted = _wanted(points, before, sequence)
    # The previous request's breakpoints past the shared prefix are cut from it: whether they were written
    # decides whether a change broke an entry or there was none.
    old_cuts = [point.slot for point in before.points if point.slot.index >= before.shared] if before else []
    old_spec = state.catalog.lookup(str(before.body.get("model"))) if before else None
    cuts = [(prefix_body(body, slot), spec) for slot in wanted if not is_whole(slot, sequence)]
    cuts += [(prefix_body(before.body, slot), old_spec) for slot in old_cuts] if before else []
    values, how = await _prefixes(state, request, counted, cuts)
    counted_new = [slot for slot in wanted if not is_whole(slot, sequence)]
    whole = {slot.index: counted.input_tokens for slot in wanted if is_whole(slot, sequence)}
    prefixes = whole | dict(zip([slot.index for slot in counted_new], values, strict=False))
    old_prefixes = prefixes | dict(zip([slot.index for slot in old_cuts], values[len(counted_new) :], strict=True))
    rules = state.catalog.caching
    judged = judge(points, prefixes, spec, rules, model=request.model, total=counted.input_tokens)
    reads = _reads(judged, before, old_prefixes, old_spec, state) if before else {}
    priced = _savings(spec, judged, counted.input_tokens, repeats, request)
    return CacheCheck(
        source=counted.source,
        input_tokens=counted.input_tokens,
        breakpoints=[_row(verdict, reads.get(n)) for n, verdict in enumerate(judged.verdicts)],
        findings=[*judged.findings, *(f for v in judged.verdicts for f in v.findings), *_read_findings(reads)],
        shared_prefix_tokens=(prefixes.get(before.shared - 1, 0) if before.shared else 0) if before else None,
        savings=priced[0],
        notes=[*counted.notes, how, *priced[1], f"Rules: {rules.source}, read {rules.checked}."],
    )


def _check_repeats(repeats: int | None) -> None:
    if repeats is not None and not 0 < repeats <= MAX_REPEATS:
        raise TokenCounterError(
            f"repeats: {repeats} is out of range; pass how many times the prefix is reused within its TTL, "
            f"from 1 to {MAX_REPEATS:,}, or leave it out."
        )


def _previous(previous: Mapping[str, Any], body: Mapping[str, Any], sequence: list[Slot]) -> Previous:
    """The previous request's blocks, breakpoints and differences from ``body``.

    Raises:
        TokenCounterError: it is not a Messages API request with a list of messages.
    """
    if not isinstance(previous.get("messages"), list):
        raise TokenCounterError(
            "previous: pass the last request sent as a Messages API body, with its model and messages (a list)."
        )
    old_sequence = slots(previous)
    old_points = breakpoints(previous, old_sequence)
    if len(old_points) > MAX_PREFIXES:
        raise TokenCounterError(
            f"previous: {len(old_points)} cache breakpoints; the page allows 4 per request, so pass the request "
            "as it was sent (the API would have refused one with more than a few)."
        )
    found = changes(previous, body, old_sequence, sequence)
    shared = found[0].index if found else min(len(old_sequence), len(sequence))
    return Previous(previous, old_sequence, old_points, found, shared)


def _wanted(points: Sequence[Breakpoint], before: Previous | None, sequence: list[Slot]) -> list[Slot]:
    """The blocks whose prefixes are counted: each breakpoint, the previous entries still valid, the shared end.

    Raises:
        TokenCounterError: more distinct prefixes than ``MAX_PREFIXES``.
    """
    chosen = {point.slot.index: point.slot for point in points}
    if before is not None:
        valid = [point.slot.index for point in before.points if point.slot.index < before.shared]
        for index in [*valid, before.shared - 1]:
            if 0 <= index < len(sequence):
                chosen.setdefault(index, sequence[index])
    if len(chosen) > MAX_PREFIXES:
        raise TokenCounterError(
            f"{len(chosen)} cache breakpoints to check; the page allows 4 per request. Remove cache_control from "
            "all but the blocks that end each stable part (tools, system, the conversation so far)."
        )
    return [chosen[index] for index in sorted(chosen)]


async def _prefixes(
    state: AppState, request: CountRequest, counted: Counted, cuts: Sequence[tuple[dict[str, Any], ModelSpec | None]]
) -> tuple[list[int], str]:
    """Tokens of each cut request, and a note on how they were counted (module docstring)."""
    bodies = [body for body, _ in cuts]
    if counted.source == "api":
        tally = CallTally()
        try:
            return await gather_counts(bodies, _api_measure(state, request, tally), limit=CONCURRENCY), tally.note(
                "cache check"
            )
        except TokenCounterError as exc:
            how = f"cache check: prefixes estimated offline, as a prefix count failed ({exc})"
    else:
        how = "cache check: prefixes estimated offline, no extra calls"
    estimate = state.counter.estimator
    return [(await estimate(body, spec)).input_tokens for body, spec in cuts], how


def _api_measure(state: AppState, request: CountRequest, tally: CallTally) -> MeasureFn:
    async def measure(body: dict[str, Any]) -> int:
        counted = await state.counter.measure(replace(request, body=body))
        if counted.source != "api":
            raise BreakdownUnavailable(f"a prefix count fell back to an estimate ({counted.fallback_reason})")
        tally.record(counted)
        return counted.input_tokens

    return measure


def _reads(
    judged: Judged, before: Previous, prefixes: Mapping[int, int], spec: ModelSpec | None, state: AppState
) -> dict[int, tuple[bool, str | None]]:
    """Per breakpoint (by position in ``judged``): whether it reads a previous entry, and why not.

    The previous request's entries are its breakpoints that its own rules let be written; ``prefixes`` holds
    their tokens (the shared ones counted on the new request, which holds the same blocks).
    """
    rules = state.catalog.caching
    old = judge(before.points, prefixes, spec, rules, model=str(before.body.get("model")), total=0)
    entries = sorted((verdict.point.slot for verdict in old.verdicts if verdict.cached), key=lambda slot: slot.index)
    found: dict[int, tuple[bool, str | None]] = {}
    for number, verdict in enumerate(judged.verdicts):
        reading = read_previous(
            verdict.point.slot.index, entries, before.found, rules.lookback_blocks, verdict.point.place
        )
        # It reads "the previous entry" only when no later entry up to it was broken: a fallback to a shorter
        # entry is a partial hit, named in the finding.
        found[number] = (reading.entry is not None and reading.finding is None, reading.finding)
    return found


def _row(verdict: Verdict, read: tuple[bool, str | None] | None) -> CacheBreakpoint:
    return CacheBreakpoint(
        place=verdict.point.place,
        ttl=verdict.point.ttl,
        prefix_tokens=verdict.prefix_tokens,
        cached=verdict.cached,
        reads=None if read is None else read[0],
    )


def _read_findings(reads: Mapping[int, tuple[bool, str | None]]) -> list[str]:
    return [finding for _, finding in reads.values() if finding]


def _savings(
    spec: ModelSpec | None, judged: Judged, total: int, repeats: int | None, request: CountRequest
) -> tuple[dict[str, Any] | None, list[str]]:
    if repeats is None:
        return None, []
    if spec is None:
        return None, [f"savings: {request.model} has no prices in the model table."]
    cached = [(verdict.prefix_tokens, verdict.point.ttl) for verdict in judged.verdicts if verdict.cached]
    priced = savings(spec, total, segments(cached), repeats, billing_of(request.body, request.inference_geo))
    fields = {k: v for k, v in asdict(priced).items() if k not in {"notes", "repeats"}}
    return fields, [f"savings: {note}" for note in priced.notes]
