"""ctok's min-cost tiling, summed over segments that no vocabulary piece spans, each memoized.

In ctok's tiling every piece costs 1 and a character no piece covers costs its own floor price, which
depends on that character alone. If no piece contains the pair of characters on either side of a
position, no tile can cross it, so the cheapest tiling is the cheapest tiling of the part before that
position plus that of the part after it. Those positions are found from the vocabulary itself (the
pairs of adjacent characters inside its pieces) and cut with one regex; the segments, mostly single
words with their markers, are tiled once each by ctok's own ``min_vocab_tile`` and remembered.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any, Final, cast

from .ctok_internals import CtokParts

# Characters whose neighbours are also checked pair by pair: the markers and the whitespace. Each has
# few partners inside pieces (ctok 1.3: ⟨eow⟩ none, ⟨bow⟩ only a case marker before it, a space only
# another space), so the rules stay short while they cut between almost every two words.
_WATCHED: Final = " \t\n\u3000"
_MAX_PARTNERS: Final = 16
# A stream this short with at most one word in it is tiled whole: cutting it first costs more than it saves.
_TILE_WHOLE: Final = 24
# Past this many remembered segments the memo starts again, so memory stays bounded on endless input.
MEMO_LIMIT: Final = 1 << 17
MEMO_KEY_LIMIT: Final = 1 << 12
"""Longer keys (words, streams, segments, gaps) are not remembered: few repeat, a megabyte each they would make
MEMO_LIMIT keys gigabytes, and counting one again is linear anyway."""


class UnsupportedVocabulary(ValueError):
    """A vocabulary piece spans a boundary the fast counter relies on never being spanned."""


def adjacent_pairs(vocab: Iterable[str]) -> set[str]:
    """Every two adjacent characters inside a piece."""
    return {piece[i : i + 2] for piece in vocab for i in range(len(piece) - 1)}


def check_word_boundaries(pairs: set[str], spaces: str, eow: str) -> None:
    """Check that no piece spans the edge of a whitespace run or follows an ⟨eow⟩.

    Then the tiling of a stream is the sum of its words' and gaps' tilings (see ``fast_count``).

    Raises:
        UnsupportedVocabulary: some piece does.
    """
    space_set = frozenset(spaces)
    for pair in pairs:
        if (pair[0] in space_set) != (pair[1] in space_set) or pair[0] == eow:
            raise UnsupportedVocabulary(f"a piece contains {pair!r}")


def _chars(chars: Iterable[str]) -> str:
    return "".join(re.escape(c) for c in sorted(set(chars)))


def cut_pattern(pairs: set[str], watched: str) -> re.Pattern[str]:
    """Zero-width matches at positions that no piece spans, given the pieces' adjacent ``pairs``."""
    firsts = {p[0] for p in pairs}
    seconds = {p[1] for p in pairs}
    rules = [f"(?<=[^{_chars(firsts)}])", f"(?=[^{_chars(seconds)}])"]
    for x in sorted(set(watched)):
        after = {p[1] for p in pairs if p[0] == x}
        before = {p[0] for p in pairs if p[1] == x}
        if x in firsts and len(after) <= _MAX_PARTNERS:
            rules.append(f"(?<={re.escape(x)})(?![{_chars(after)}])")
        if x in seconds and len(before) <= _MAX_PARTNERS:
            rules.append(f"(?<![{_chars(before)}])(?={re.escape(x)})")
    return re.compile("|".join(rules))


@cache
def vocabulary_cuts(
    vocab: frozenset[str],
    spaces: str,
    eow: str,
    watched: str,
    pairs_of: Callable[[frozenset[str]], set[str]] = adjacent_pairs,
) -> re.Pattern[str]:
    """``cut_pattern`` of ``vocab``, once ``check_word_boundaries`` passed; built once per vocabulary.

    ``pairs_of`` is ``adjacent_pairs`` or an equal that is quicker (the compiled engine's).

    Raises:
        UnsupportedVocabulary: see ``check_word_boundaries``.
    """
    pairs = pairs_of(vocab)
    check_word_boundaries(pairs, spaces, eow)
    return cut_pattern(pairs, watched + _WATCHED)


def kept[K: str | tuple[bool, str, bool], V](fresh: dict[K, V]) -> dict[K, V] | list[tuple[K, V]]:
    """The entries of ``fresh`` worth remembering: those whose key is at most ``MEMO_KEY_LIMIT`` characters."""
    if all(_key_length(k) <= MEMO_KEY_LIMIT for k in fresh):
        return fresh
    return [(k, v) for k, v in fresh.items() if _key_length(k) <= MEMO_KEY_LIMIT]


def _key_length(key: str | tuple[bool, str, bool]) -> int:
    return len(key) if isinstance(key, str) else len(key[1])


@cache
def longest_piece(vocab: frozenset[str]) -> int:
    """The length of the longest piece of ``vocab``, found once per vocabulary."""
    return max(map(len, vocab), default=0)


class SegmentTiler:
    """The tiling cost of part of a marked stream for one model, with its per-segment memo."""

    def __init__(self, parts: CtokParts, model: Any, cuts: re.Pattern[str]) -> None:
        self._parts = parts
        self._model = model
        self._split = cuts.split
        self._longest = longest_piece(model.vocab)
        self._costs: dict[str, int] = {"": 0}

    def cost(self, stream: str) -> int:
        """``min_vocab_tile(stream)``'s cost, as ctok's ``tile`` computes it."""
        if len(stream) <= _TILE_WHOLE and stream.count(self._parts.bow) + stream.count(self._parts.eow) <= 2:
            return self._tile(stream)
        segments = self._split(stream)
        costs = list(map(self._costs.get, segments))
        if None not in costs:
            return sum(cast(list[int], costs))
        fresh = {s: self._tile(s) for s, c in zip(segments, costs, strict=True) if c is None}
        if len(self._costs) > MEMO_LIMIT:
            self._costs = {"": 0}
        self._costs.update(kept(fresh))
        return sum(fresh[s] if c is None else c for s, c in zip(segments, costs, strict=True))

    def _tile(self, segment: str) -> int:
        vocab = self._model.vocab
        if segment in vocab:
            return 1
        # Not one piece, so at least two tiles; two pieces end to end are then the cheapest tiling. Neither
        # piece is longer than the longest, so only cuts that near both ends can give two: none in a long
        # segment, whose every slice was otherwise hashed (quadratic on a run of one kind of character).
        for cut in range(max(1, len(segment) - self._longest), min(len(segment), self._longest + 1)):
            if segment[:cut] in vocab and segment[cut:] in vocab:
                return 2
        parts, model = self._parts, self._model

        def floor(at: int) -> int:
            ch = segment[at]
            return 1 if ch in parts.markers else parts.char_cost(model, ch)

        cost, _spans = parts.min_vocab_tile(segment, model.trie, floor)
        return int(cost)
