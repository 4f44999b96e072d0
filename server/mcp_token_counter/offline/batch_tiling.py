"""Tiling costs of many marked streams in one call: compiled when numba is there, else ctok's loop.

``compiled_tiling`` runs ctok's ``min_vocab_tile`` recurrence as machine code over a flat copy of the
vocabulary's reverse trie, about a hundred times faster than ctok's Python loop on unseen words. numba
is imported on the first count that needs it, never at start-up; when it is missing, fails to import
or compile, or its answer differs from ctok's on the probe streams, counting keeps to
``SegmentTiler`` (ctok's own tiling per segment), slower and just as exact. numba (and the numpy it
brings) is not installed where it has no wheel, so nothing here imports numpy before the first count.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from .ctok_internals import CtokParts
from .segment_tiling import SegmentTiler

if TYPE_CHECKING:
    import numpy.typing as npt

logger = logging.getLogger(__name__)

type BatchTiler = Callable[[Sequence[str]], list[int]]
"""The tiling cost of each stream, as ``min_vocab_tile`` computes it."""

type Codes = npt.NDArray[Any]

type Trie = tuple[Codes, Codes, Codes]
"""(edges, the root's children, floor price of each codepoint): see ``compiled_tiling.build_trie``."""


class Kernels(Protocol):
    """What ``compiled_tiling`` provides."""

    def build_trie(self, codes: Codes, starts: Codes, table_size: int, /) -> tuple[Codes, Codes]: ...

    def tile_costs(self, codes: Codes, starts: Codes, trie: Trie, /) -> Codes: ...


def load_kernels() -> Kernels:
    """``compiled_tiling``, which imports numba."""
    from . import compiled_tiling  # numba costs ~0.3 s to import: only when first counting

    return compiled_tiling  # pyright: ignore[reportReturnType]  # a module matching the protocol


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


def batch_tiler(
    parts: CtokParts, model: Any, tiler: SegmentTiler, kernels: Callable[[], Kernels] = load_kernels
) -> BatchTiler:
    """The compiled tiler when numba works and agrees with ctok on the probes, else ``segment_batches``."""
    fallback = segment_batches(tiler)
    try:
        from .compiled_tiler import CompiledTiler  # numpy, only where numba came with it

        compiled = CompiledTiler(parts, model, kernels())
        probes = probe_streams(parts)
        agrees = compiled(probes) == fallback(probes)
    # numba raises its own error types from import, compilation and its cache; any of them, or a
    # missing package, leaves the exact uncompiled path in place rather than failing the count.
    except Exception as error:  # noqa: BLE001
        logger.info("compiled tiling unavailable (%r); tiling with ctok's loop", error)
        return fallback
    if not agrees:
        logger.warning("compiled tiling differs from ctok's on a probe; tiling with ctok's loop")
        return fallback
    return compiled
