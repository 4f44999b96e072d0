"""Per-part token counts whose parts sum exactly to the total.

Through the API, by differential counting along a chain of bodies, each adding one part to the one before:

    seed       {model, messages: [SEED]} plus the request's other settings (thinking, output_config, ...)
    +system    the system prompt
    +tools     tools and tool_choice: the shared tool-use prompt lands here, once
    prefix k   the real messages[:k] in place of SEED (consecutive messages grouped when there are many)
    full       the request itself, whose count is the total already known

Each part is the difference between consecutive counts and ``overhead`` is the seed's own count, so the
parts telescope to the total exactly, whatever the tokenizer does with boundaries. (The seed message's one
token is in ``overhead`` and missing from ``messages[0]``.) Prefixes stay valid requests: they keep
``tool_use``/``tool_result`` pairs in order, which leave-one-out on messages would break. Image and document
blocks are then carved out of their message by leave-one-out: the total minus the count without the block.

Offline, the estimator's own parts are used, with the same leave-one-out for media blocks.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Final, cast

import anyio

from ..catalog import ModelSpec
from ..errors import BreakdownUnavailable, TokenCounterError
from .counted import Counted
from .counter import RequestCounter
from .estimate import Estimator
from .request import CountRequest
from .tally import CallTally

if TYPE_CHECKING:
    from ..offline.request.result import Estimate

SEED: Final[dict[str, Any]] = {"role": "user", "content": "."}
# Bounds on the extra calls: seed + system + tools + 15 prefixes + 8 media blocks = 26 at most.
MAX_MESSAGE_PARTS: Final = 16
MAX_MEDIA_PARTS: Final = 8
CONCURRENCY: Final = 4
MEDIA_TYPES: Final = frozenset({"image", "document"})
# Offline part names mapped onto the API breakdown's names, so both read the same.
_OFFLINE_NAMES: Final = {"framing": "overhead", "tool_use_system_prompt": "tools"}

type MeasureFn = Callable[[dict[str, Any]], Awaitable[int]]


@dataclass(frozen=True, slots=True)
class PartCounts:
    """Parts, summing to the total."""

    parts: dict[str, int]


async def api_breakdown(body: Mapping[str, Any], total: int, measure: MeasureFn) -> PartCounts:
    """Differential counting through ``measure`` (module docstring); ``total`` is ``body``'s own count.

    Raises:
        Whatever ``measure`` raises; no partial result is returned.
    """
    steps = chain(body)
    media = media_blocks(body)[:MAX_MEDIA_PARTS]
    bodies = [step_body for _, step_body in steps[:-1]] + [without_block(body, *at) for at in media]
    counts = await gather_counts(bodies, measure, limit=CONCURRENCY)
    chain_counts = [*counts[: len(steps) - 1], total]
    parts: dict[str, int] = {}
    previous = 0
    for (name, _), value in zip(steps, chain_counts, strict=True):
        parts[name] = value - previous
        previous = value
    carve_media(parts, media, [total - c for c in counts[len(steps) - 1 :]], len(_messages(body)))
    return PartCounts(parts)


def offline_breakdown(full: Estimate, media_shares: Sequence[tuple[tuple[int, int], int]], n: int) -> PartCounts:
    """The estimator's parts under the API breakdown's names: messages grouped as the API breakdown groups them
    (at most ``MAX_MESSAGE_PARTS`` parts however long the conversation), media blocks carved out of theirs."""
    owners = {f"messages[{i}]": message_part(start, end) for start, end in message_groups(n) for i in range(start, end)}
    parts: dict[str, int] = {}
    for part in full.parts:
        name = owners.get(part.name) or _OFFLINE_NAMES.get(part.name, part.name)
        parts[name] = parts.get(name, 0) + part.tokens
    carve_media(parts, [at for at, _ in media_shares], [share for _, share in media_shares], n)
    return PartCounts(parts)


def reconcile(parts: Mapping[str, int], total: int) -> dict[str, int]:
    """``parts`` with ``overhead`` absorbing the difference to ``total``, so they sum to it."""
    adjusted = dict(parts)
    adjusted["overhead"] = adjusted.get("overhead", 0) + total - sum(parts.values())
    return adjusted


def chain(body: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The chain of (part added, body) steps; the last body is ``body`` itself."""
    has_tools = bool(body.get("tools"))
    dropped = {"system", "tools", "tool_choice"} if has_tools else {"system"}
    seed = {k: v for k, v in body.items() if k not in dropped} | {"messages": [SEED]}
    steps = [("overhead", seed)]
    if "system" in body:
        steps.append(("system", steps[-1][1] | {"system": body["system"]}))
    if has_tools:
        tool_fields = {k: body[k] for k in ("tools", "tool_choice") if k in body}
        steps.append(("tools", steps[-1][1] | tool_fields))
    messages = _messages(body)
    with_parts = steps[-1][1]
    for start, end in message_groups(len(messages)):
        steps.append((message_part(start, end), with_parts | {"messages": messages[:end]}))
    steps[-1] = (steps[-1][0], dict(body))
    return steps


def message_groups(n: int, limit: int = MAX_MESSAGE_PARTS) -> list[tuple[int, int]]:
    """Half-open ranges covering ``range(n)``: one per message, or equal runs when there are more than ``limit``."""
    size = max(1, math.ceil(n / limit))
    return [(start, min(start + size, n)) for start in range(0, n, size)]


def message_part(start: int, end: int) -> str:
    """The part name of messages[start:end]."""
    return f"messages[{start}]" if end - start == 1 else f"messages[{start}-{end - 1}]"


def media_blocks(body: Mapping[str, Any]) -> list[tuple[int, int]]:
    """(message, block) positions of the top-level image and document blocks."""
    found: list[tuple[int, int]] = []
    for i, message in enumerate(_messages(body)):
        content = cast(dict[str, Any], message).get("content") if isinstance(message, dict) else None
        if isinstance(content, list):
            blocks = cast(list[Any], content)
            found.extend((i, j) for j, block in enumerate(blocks) if _block_type(block) in MEDIA_TYPES)
    return found


def without_block(body: Mapping[str, Any], i: int, j: int) -> dict[str, Any]:
    """``body`` without messages[i].content[j]; a message left empty keeps SEED's text instead."""
    smaller = copy.deepcopy(dict(body))
    content = cast(list[Any], smaller["messages"][i]["content"])
    del content[j]
    if not content:
        content.append({"type": "text", "text": SEED["content"]})
    return smaller


def carve_media(parts: dict[str, int], media: Sequence[tuple[int, int]], shares: Sequence[int], n: int) -> None:
    """Move each media block's share out of the part holding its message into its own part."""
    owners = {i: message_part(start, end) for start, end in message_groups(n) for i in range(start, end)}
    for (i, j), share in zip(media, shares, strict=True):
        owner = owners.get(i, f"messages[{i}]")
        parts[owner] = parts.get(owner, 0) - share
        parts[f"messages[{i}].content[{j}]"] = share


async def gather_counts(bodies: Sequence[dict[str, Any]], measure: MeasureFn, *, limit: int) -> list[int]:
    """Count every body, at most ``limit`` at a time, results in order.

    Raises:
        TokenCounterError: the first failure among the counts (the others are cancelled); the task group's
            ``ExceptionGroup`` is unwrapped, since the SDK would hide it behind a bare "Error executing tool".
    """
    results = [0] * len(bodies)
    limiter = anyio.CapacityLimiter(limit)

    async def one(index: int) -> None:
        async with limiter:
            results[index] = await measure(bodies[index])

    try:
        async with anyio.create_task_group() as group:
            for index in range(len(bodies)):
                group.start_soon(one, index)
    except ExceptionGroup as failures:
        raise _first_domain_error(failures) from None
    return results


def _first_domain_error(failures: ExceptionGroup[Exception]) -> Exception:
    """The first ``TokenCounterError`` in ``failures`` (nested groups included), else the group itself."""
    ours = failures.subgroup(TokenCounterError)
    while ours is not None:
        first = ours.exceptions[0]
        if not isinstance(first, ExceptionGroup):
            return first
        ours = cast(ExceptionGroup[Exception], first)
    return failures


def biggest(parts: Mapping[str, int], n: int = 3) -> str:
    """The ``n`` largest parts, for a note: ``messages[3] 120000, system 5000``."""
    top = sorted(parts.items(), key=lambda item: item[1], reverse=True)[:n]
    return ", ".join(f"{name} {tokens}" for name, tokens in top)


def _messages(body: Mapping[str, Any]) -> list[Any]:
    messages = body.get("messages")
    return cast(list[Any], messages) if isinstance(messages, list) else []


def _block_type(block: object) -> object:
    return cast(dict[str, Any], block).get("type") if isinstance(block, dict) else None


async def breakdown_for(
    counter: RequestCounter, spec: ModelSpec | None, request: CountRequest, counted: Counted
) -> tuple[dict[str, int], str]:
    """Parts of ``request`` summing to ``counted.input_tokens``, and a note on how they were obtained.

    An API total is broken down through the API; if a differential count fails, the offline parts are
    used instead, with ``overhead`` holding the difference to the API's total.
    """
    if counted.source != "api":
        offline = await offline_parts(counter.estimator, request.body, spec)
        return offline.parts, "breakdown: offline estimate, no extra calls"
    tally = CallTally()
    try:
        result = await api_breakdown(request.body, counted.input_tokens, _api_measure(counter, request, tally))
    except TokenCounterError as exc:
        offline = await offline_parts(counter.estimator, request.body, spec)
        note = f"breakdown: offline estimate, overhead holds the difference to the API total ({exc})"
        return reconcile(offline.parts, counted.input_tokens), note
    return result.parts, tally.note("breakdown")


def _api_measure(counter: RequestCounter, request: CountRequest, tally: CallTally) -> MeasureFn:
    async def measure(body: dict[str, Any]) -> int:
        counted = await counter.measure(replace(request, body=body))
        if counted.source != "api":
            raise BreakdownUnavailable(f"a partial count fell back to an estimate ({counted.fallback_reason})")
        tally.record(counted)
        return counted.input_tokens

    return measure


async def offline_parts(estimate: Estimator, body: Mapping[str, Any], spec: ModelSpec | None) -> PartCounts:
    """The offline breakdown: the estimator's parts, media blocks carved out by leave-one-out.

    A block's share is taken on its own message rather than the whole body: the estimate adds up per message,
    so the share is the same, and a long conversation is not estimated again for each of its images.

    Raises:
        TokenCounterError: the body cannot be estimated.
    """
    full = await estimate(body, spec)
    messages = _messages(body)
    media = media_blocks(body)[:MAX_MEDIA_PARTS]
    shares: list[int] = []
    for i, j in media:
        alone = {"model": body.get("model"), "messages": [messages[i]]}
        with_block, without = await estimate(alone, spec), await estimate(without_block(alone, 0, j), spec)
        shares.append(with_block.input_tokens - without.input_tokens)
    return offline_breakdown(full, list(zip(media, shares, strict=True)), len(messages))
