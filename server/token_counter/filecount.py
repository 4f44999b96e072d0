"""count_files' engine, shared by the tool and the CLI: local files counted as one user message of blocks.

The total is that message counted once, through the same counter as count_tokens. Each file's own figure is
its block counted alone minus the count of a one-character seed message, so it leaves out the framing every
request pays once. Up to ``MAX_FILE_CALLS`` files are counted that way through the API; past that the
per-file figures are offline estimates (the total still comes from the API), to keep the calls bounded.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Final

import anyio
import anyio.to_thread
from pydantic import BaseModel

from .breakdown import SEED, count_all
from .catalog import Catalog
from .cost import input_cost_usd
from .counting import Counter
from .errors import TokenCounterError
from .files import Collected, LocalFile, collect
from .fit import compute_fit
from .request import CountRequest
from .results import Source
from .windows import WindowResolver

MAX_FILE_CALLS: Final = 32
CONCURRENCY: Final = 4

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


async def count_files(
    patterns: Sequence[str],
    roots: Sequence[Path],
    *,
    model: str,
    max_tokens: int | None,
    counter: Counter,
    catalog: Catalog,
    windows: WindowResolver,
    progress: Progress | None = None,
) -> FileCount:
    """Count the files ``patterns`` name under ``roots``.

    Raises:
        PathRefused: a pattern leaves the roots.
        TokenCounterError: counting failed, or no readable file was found.
    """
    collected = await anyio.to_thread.run_sync(functools.partial(collect, patterns, roots))
    files = collected.files
    if not files:
        raise _nothing_to_count(collected)
    request = CountRequest(model, {"model": model, "messages": [_message(files)]}, (), ())
    counted = await counter.count(request)
    per_file, how = await _per_file(files, request, counter, catalog, counted.source == "api", progress)
    window = await windows.resolve(model, None)
    fit = compute_fit(counted.input_tokens, max_tokens or 0, window.context_window, margin=counted.uncertainty_tokens)
    return FileCount(
        files=per_file,
        skipped=collected.skipped,
        input_tokens=counted.input_tokens,
        model=model,
        source=counted.source,
        fits=fit.fits,
        context_window=window.context_window,
        remaining_tokens=fit.remaining_tokens,
        estimated_input_cost_usd=input_cost_usd(catalog.lookup(model), counted.input_tokens),
        notes=[*counted.notes, how],
    )


def _message(files: Sequence[LocalFile]) -> dict[str, Any]:
    return {"role": "user", "content": [file.block for file in files]}


async def _per_file(
    files: Sequence[LocalFile],
    request: CountRequest,
    counter: Counter,
    catalog: Catalog,
    via_api: bool,
    progress: Progress | None,
) -> tuple[dict[str, int], str]:
    bodies = [{**request.body, "messages": [message]} for message in (SEED, *map(_single, files))]
    done = 0

    async def count(body: dict[str, Any]) -> int:
        nonlocal done
        if via_api and len(files) <= MAX_FILE_CALLS:
            tokens = (await counter.count(replace(request, body=body))).input_tokens
        else:
            from .offline import estimate_request  # on first use, as in counting.Counter.estimate

            spec = catalog.lookup(request.model)
            estimate = await anyio.to_thread.run_sync(functools.partial(estimate_request, body, spec))
            tokens = estimate.input_tokens
        done += 1
        if progress is not None:
            await progress(done, len(bodies))
        return tokens

    seed, *alone = await count_all(bodies, count, limit=CONCURRENCY)
    per_file = {file.name: tokens - seed for file, tokens in zip(files, alone, strict=True)}
    if not via_api:
        return per_file, "per-file counts: offline estimates"
    if len(files) > MAX_FILE_CALLS:
        return per_file, f"per-file counts: offline estimates (over {MAX_FILE_CALLS} files); total from the API"
    return per_file, f"per-file counts: {len(bodies)} extra count_tokens calls"


def _single(file: LocalFile) -> dict[str, Any]:
    return {"role": "user", "content": [file.block]}


def _nothing_to_count(collected: Collected) -> TokenCounterError:
    reasons = ", ".join(f"{name}: {why}" for name, why in list(collected.skipped.items())[:5])
    return TokenCounterError(f"No readable file to count{f' (skipped {reasons})' if reasons else ''}.")
