"""The compiled engine's tiling driven from Python: streams to codepoint buffers, the trie once per
vocabulary, and the floor price of each codepoint, learned as codepoints are met."""

from __future__ import annotations

import sys
from array import array
from collections.abc import Buffer, Iterable, Sequence
from functools import cache
from itertools import accumulate
from types import ModuleType
from typing import TYPE_CHECKING, Any

from .ctok_internals import CtokParts

if TYPE_CHECKING:
    from ..compiled import _engine


def utf32(text: str) -> memoryview:
    """``text``'s codepoints as a flat buffer of 32-bit unsigned ints (read-only, as the kernels take them)."""
    return memoryview(text.encode("utf-32-le", "surrogatepass")).cast("I")


def joined(texts: Sequence[str]) -> tuple[memoryview, array[int]]:
    """Every text's codepoints end to end, and where each text starts (plus the end)."""
    return utf32("".join(texts)), array("q", accumulate(map(len, texts), initial=0))


# One trie per vocabulary and engine, for the life of the process: the vocabularies are ctok's few.
_tries: dict[tuple[int, frozenset[str]], tuple[array[int], array[int]]] = {}


def compiled_pairs(vocab: frozenset[str]) -> set[str]:
    """``segment_tiling.adjacent_pairs`` of ``vocab`` through the compiled engine (a tenth of a second less on
    the first count with ctok's largest vocabulary)."""
    from ..compiled import _engine

    return _engine.adjacent_pairs(*_pieces(vocab))


@cache
def _pieces(vocab: frozenset[str]) -> tuple[memoryview, array[int]]:
    """The vocabulary's pieces end to end as codepoints, and each one's length: what the engine builds from."""
    pieces = list(vocab)
    return utf32("".join(pieces)), array("q", map(len, pieces))


def _trie(engine: ModuleType, vocab: frozenset[str]) -> tuple[array[int], array[int]]:
    key = (id(engine), vocab)
    if key not in _tries:
        _tries[key] = engine.build_trie(*_pieces(vocab))
    return _tries[key]


class CompiledTiler:
    """Batch tiling costs through the compiled engine for one model."""

    def __init__(self, parts: CtokParts, model: Any, engine: ModuleType) -> None:
        self._parts = parts
        self._model = model
        self._engine = engine
        # A character's floor price (at most a few tokens), 0 until first met: a byte per codepoint.
        self.floor = bytearray(sys.maxunicode + 1)
        edges, root = _trie(engine, model.vocab)
        self.tiling: _engine.Tiling = engine.Tiling(edges, root, self.floor)

    def __call__(self, streams: Sequence[str]) -> list[int]:
        if not streams:
            return []
        codes, starts = joined(streams)
        self._price(codes)
        return self._engine.tile_costs(self.tiling, codes, starts)

    def price(self, chars: str) -> None:
        """Price ``chars`` ahead, for kernels that tile without asking (the floor of an unpriced one is 0)."""
        self._price(utf32(chars))

    def _price(self, codes: Buffer) -> None:
        self._learn(self._engine.unpriced(self.floor, codes))

    def _learn(self, codepoints: Iterable[int]) -> None:
        markers, cost, model = self._parts.markers, self._parts.char_cost, self._model
        for cp in codepoints:
            ch = chr(cp)
            self.floor[cp] = 1 if ch in markers else cost(model, ch)
