"""Tiling costs of many marked streams in one call: the compiled engine when it is there, else ctok's loop.

The compiled engine runs ctok's ``min_vocab_tile`` recurrence over a flat copy of the vocabulary's reverse
trie, about a hundred times faster than ctok's Python loop on unseen words. When it was not built, is
forced off, or its answer differs from ctok's on the probe streams, counting keeps to ``SegmentTiler``
(ctok's own tiling per segment), slower and just as exact.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

from .ctok_internals import CtokParts
from .segment_tiling import SegmentTiler

logger = logging.getLogger(__name__)

type BatchTiler = Callable[[Sequence[str]], list[int]]
"""The tiling cost of each stream, as ``min_vocab_tile`` computes it."""


def probe_streams(parts: CtokParts) -> tuple[str, ...]:
    """Streams the compiled tiler must price as ctok does before it is used: markers, case, CJK, an
    emoji sequence on the byte floor, runs of whitespace, a long word, code."""
    bow, eow, shift, caps = parts.bow, parts.eow, parts.shift, parts.caps
    return (
        f"{bow}hello{eow}",
        f"{shift}{bow}world{eow}",
        f"{caps}{bow}nasa{eow}",
        "東京の天気",
        "👨\u200d👩\u200d👧",
        "   \n\n\t",
        f"{bow}antidisestablishmentarianism{eow}",
        "{'k': x['k'] * 2}",
        "",
    )


def segment_batches(tiler: SegmentTiler) -> BatchTiler:
    """The uncompiled batch tiler: ctok's tiling, stream by stream."""

    def costs(streams: Sequence[str]) -> list[int]:
        return [tiler.cost(s) for s in streams]

    return costs


def batch_tiler(parts: CtokParts, model: Any, tiler: SegmentTiler, engine: ModuleType | None) -> BatchTiler:
    """The compiled tiler when the engine is there and agrees with ctok on the probes, else ``segment_batches``."""
    fallback = segment_batches(tiler)
    if engine is None:
        return fallback
    from .compiled_tiler import CompiledTiler

    try:
        compiled = CompiledTiler(parts, model, engine)
        probes = probe_streams(parts)
        agrees = compiled(probes) == fallback(probes)
    # Whatever goes wrong here must leave the exact uncompiled path in place, never fail the count.
    except Exception as error:  # noqa: BLE001
        logger.warning("compiled tiling unavailable (%r); tiling with ctok's loop", error)
        return fallback
    if not agrees:
        logger.warning("compiled tiling differs from ctok's on a probe; tiling with ctok's loop")
        return fallback
    return compiled
