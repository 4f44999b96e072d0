"""The compiled kernels driven from Python: streams to codepoint arrays, the trie, the floor prices.

Imported by ``batch_tiling`` on the first count, inside its guard, since numpy comes with numba.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np

from .batch_tiling import Codes, Kernels, Trie
from .ctok_internals import CtokParts


def _codes(streams: Sequence[str]) -> tuple[Codes, Codes]:
    """Every stream's codepoints end to end, and where each stream starts (plus the end)."""
    joined = "".join(streams).encode("utf-32-le", "surrogatepass")
    codes = np.frombuffer(bytearray(joined), dtype=np.uint32)  # writable, as every kernel's codes are
    starts = np.zeros(len(streams) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, streams), dtype=np.int64, count=len(streams)), out=starts[1:])
    return codes, starts


@cache
def _trie(kernels: Kernels, vocab: frozenset[str]) -> tuple[Codes, Codes]:
    """The flat reverse trie of ``vocab``, built once per vocabulary."""
    pieces = [piece[::-1] for piece in vocab]
    codes, starts = _codes(pieces)
    table_size = 1 << (2 * len(codes) + 1).bit_length()  # at most half full, so probes stay short
    return kernels.build_trie(codes, starts, table_size)


class CompiledTiler:
    """Batch tiling costs through the compiled kernels for one model."""

    def __init__(self, parts: CtokParts, model: Any, kernels: Kernels) -> None:
        self._parts = parts
        self._model = model
        self._kernels = kernels
        self._trie = _trie(kernels, model.vocab)
        # A character's floor price (at most a few tokens), 0 until first seen: a byte per codepoint.
        self._floor = np.zeros(sys.maxunicode + 1, dtype=np.uint8)

    def __call__(self, streams: Sequence[str]) -> list[int]:
        if not streams:
            return []
        codes, starts = _codes(streams)
        self._price(codes)
        return self._kernels.tile_costs(codes, starts, self.trie).tolist()

    @property
    def trie(self) -> Trie:
        """(edges, the root's children, floor price by codepoint), as the kernels take it."""
        return (*self._trie, self._floor)

    def price(self, chars: str) -> None:
        """Price ``chars`` ahead, for kernels that tile without asking (the floor of an unpriced one is 0)."""
        self._price(_codes([chars])[0])

    def _price(self, codes: Codes) -> None:
        unpriced = np.unique(codes[self._floor[codes] == 0])
        for cp in unpriced.tolist():
            ch = chr(cp)
            self._floor[cp] = 1 if ch in self._parts.markers else self._parts.char_cost(self._model, ch)
