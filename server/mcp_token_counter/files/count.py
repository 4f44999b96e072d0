"""count_files in the core, shared by the tool and the CLI: local files counted as one user message of blocks.

The model id is normalised and the window looked up before any file is read, so a bad model costs no I/O.
The total is that message counted once, through the same counter as count_tokens. Each file's own figure is
its block counted alone minus the count of a one-character seed message, so it leaves out the framing every
request pays once. Up to ``MAX_FILE_CALLS`` files are counted that way through the API; past that the
per-file figures are offline estimates (the total still comes from the API), to keep the calls bounded.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any, Final

import anyio
import anyio.to_thread
from pydantic import BaseModel

from ..core.breakdown import SEED, MeasureFn, gather_counts
from ..core.cost import input_cost
from ..core.fit import check_tokens, compute_fit
from ..core.operations import retirement_notes
from ..core.request import CountRequest, model_id
from ..core.results import Source
from ..core.state import AppState
from ..core.tally import CallTally
from ..core.windows import Window
from ..errors import WINDOW_ARGUMENT, TokenCounterError
from .collect import Collected, LocalFile, collect

MAX_FILE_CALLS: Final = 32
CONCURRENCY: Final = 4
MAX_LISTED_FILES: Final = 200  # the largest are listed by name; the rest are summed by extension in a note

type Progress = Callable[[int, int], Awaitable[None]]


class FileCount(BaseModel):
    """Result of count_files."""

    files: dict[str, int]
    skipped: dict[str, str]
    input_tokens: int
    model: str
    source: Source
    fits: bool
    context_window: int
    remaining_tokens: int
    estimated_input_cost_usd: float | None = None
    notes: list[str] = []


@dataclass(frozen=True, slots=True, kw_only=True)
class FileQuery:
    """What to count: ``patterns`` under ``roots``, for ``model``, reserving ``max_tokens`` of output."""

    patterns: Sequence[str]
    roots: Sequence[Path]
    model: str
    max_tokens: int | None = None
    context_window: int | None = None
    window_argument: str = WINDOW_ARGUMENT


async def count_files(
    state: AppState,
    query: FileQuery,
    progress: Progress | None = None,
    collecting: Callable[[int], None] | None = None,
) -> FileCount:
    """Count the files ``query`` names.

    ``collecting`` hears the number of entries looked at while the files are read (from a worker thread);
    ``progress`` then hears ``(done, total)`` over the counts: the whole message first, then each file.

    Raises:
        PathRefused: a pattern leaves the roots.
        UnknownWindow: no window is known for the model (before any file is read).
        TokenCounterError: a bound is broken, counting failed, or no readable file was found.
    """
    model, window = await _model_window(state, query)
    collected = await anyio.to_thread.run_sync(functools.partial(collect, query.patterns, query.roots, collecting))
    if not collected.files:
        raise _nothing_to_count(collected)
    request = CountRequest(model, {"model": model, "messages": [_message(collected.files)]}, (), ())
    counted = await state.counter.measure(request)
    if progress is not None:
        # The whole message is one step of its own: offline, it takes as long as all the files together.
        await progress(1, len(collected.files) + 2)
    per_file, how = await _per_file(state, collected.files, request, counted.source == "api", progress)
    reserved = query.max_tokens or 0
    fit = compute_fit(counted.input_tokens, reserved, window.context_window, margin=counted.uncertainty_tokens)
    return FileCount(
        files=_largest(per_file),
        skipped=collected.skipped,
        input_tokens=counted.input_tokens,
        model=model,
        source=counted.source,
        fits=fit.fits,
        context_window=window.context_window,
        remaining_tokens=fit.remaining_tokens,
        estimated_input_cost_usd=input_cost(state.catalog.lookup(model), counted.input_tokens).usd,
        notes=[*counted.notes, *retirement_notes(state, model), how, *_capped(collected, per_file)],
    )


async def _model_window(state: AppState, query: FileQuery) -> tuple[str, Window]:
    """The model's id and window, the bounds checked: all before any file is read."""
    model = model_id(query.model)
    check_tokens("max_tokens", query.max_tokens, when_absent="to reserve nothing")
    check_tokens("context_window", query.context_window, when_absent="to use the model's own window")
    return model, await state.windows.resolve(model, query.context_window, argument=query.window_argument)


def _largest(per_file: dict[str, int]) -> dict[str, int]:
    """The ``MAX_LISTED_FILES`` largest files, in the order they were read."""
    if len(per_file) <= MAX_LISTED_FILES:
        return per_file
    kept = set(sorted(per_file, key=per_file.__getitem__, reverse=True)[:MAX_LISTED_FILES])
    return {name: tokens for name, tokens in per_file.items() if name in kept}


def _capped(collected: Collected, per_file: dict[str, int]) -> list[str]:
    """Notes on what the limits left out: unlisted files by extension, unlisted skips by reason, a stop."""
    notes: list[str] = []
    if len(per_file) > MAX_LISTED_FILES:
        notes.append(_unlisted_files(per_file, _largest(per_file)))
    if collected.unlisted_skips:
        reasons = ", ".join(f"{reason} ({n:,})" for reason, n in collected.unlisted_skips.most_common())
        notes.append(f"skipped: {collected.unlisted_skips.total():,} more not listed: {reasons}")
    if collected.stopped is not None:
        notes.append(f"stopped reading at {collected.stopped}; the rest was not looked at. Name narrower paths.")
    return notes


def _unlisted_files(per_file: dict[str, int], listed: dict[str, int]) -> str:
    files: Counter[str] = Counter()
    tokens: Counter[str] = Counter()
    for name, count in per_file.items():
        if name not in listed:
            extension = PurePosixPath(name).suffix or "(none)"
            files[extension] += 1
            tokens[extension] += count
    parts = ", ".join(f"{ext} {tokens[ext]:,} tokens in {files[ext]:,}" for ext in sorted(files))
    return f"files: the {len(listed)} largest are listed; the other {files.total():,}: {parts}"


def _message(files: Sequence[LocalFile]) -> dict[str, Any]:
    return {"role": "user", "content": [file.block for file in files]}


async def _per_file(
    state: AppState, files: Sequence[LocalFile], request: CountRequest, via_api: bool, progress: Progress | None
) -> tuple[dict[str, int], str]:
    bodies = [{**request.body, "messages": [message]} for message in (SEED, *map(_single, files))]
    use_api = via_api and len(files) <= MAX_FILE_CALLS
    tally = CallTally()
    measure = _api_measure(state, request, tally) if use_api else _offline_measure(state, request)
    # Step 1 was the whole message (count_files); these are the seed and each file.
    reporting = _reporting(measure, len(bodies) + 1, progress, first=2)
    seed, *alone = await gather_counts(bodies, reporting, limit=CONCURRENCY)
    per_file = {file.name: tokens - seed for file, tokens in zip(files, alone, strict=True)}
    if use_api:
        return per_file, tally.note("per-file counts")
    if via_api:
        return per_file, f"per-file counts: offline estimates (over {MAX_FILE_CALLS} files); total from the API"
    return per_file, "per-file counts: offline estimates"


def _api_measure(state: AppState, request: CountRequest, tally: CallTally) -> MeasureFn:
    async def measure(body: dict[str, Any]) -> int:
        counted = await state.counter.measure(replace(request, body=body))
        if counted.source == "api":  # one that fell back to an estimate sent nothing that counted
            tally.record(counted)
        return counted.input_tokens

    return measure


def _offline_measure(state: AppState, request: CountRequest) -> MeasureFn:
    spec = state.catalog.lookup(request.model)

    async def measure(body: dict[str, Any]) -> int:
        return (await state.counter.estimator(body, spec)).input_tokens

    return measure


def _reporting(measure: MeasureFn, total: int, progress: Progress | None, *, first: int = 1) -> MeasureFn:
    """``measure``, reporting ``(done, total)`` to ``progress`` after each count, ``first`` for the first."""
    if progress is None:
        return measure
    done = first - 1

    async def reported(body: dict[str, Any]) -> int:
        nonlocal done
        tokens = await measure(body)
        done += 1
        await progress(done, total)
        return tokens

    return reported


def _single(file: LocalFile) -> dict[str, Any]:
    return {"role": "user", "content": [file.block]}


def _nothing_to_count(collected: Collected) -> TokenCounterError:
    reasons = ", ".join(f"{name}: {why}" for name, why in list(collected.skipped.items())[:5])
    return TokenCounterError(f"No readable file to count{f' (skipped {reasons})' if reasons else ''}.")
