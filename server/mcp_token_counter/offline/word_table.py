"""The per-word memo of ``fast_count`` in flat arrays, summed by the compiled scan (``compiled_scan``).

Imported by ``word_scan.word_table`` on the first count, inside its guard, since numpy comes with numba.
"""

from __future__ import annotations

import sys
import threading
from typing import Any, Final

import numpy as np

from .batch_tiling import Codes
from .char_facts import CharFacts
from .compiled_tiler import CompiledTiler
from .ctok_internals import CtokParts
from .word_scan import DONE, FULL, GAP, Given, Memo, Missing, ScanKernels, Sums, UnitsOf
from .word_stream import space_chars

# A table this small costs nothing to start with; it doubles as words come.
_FIRST_SLOTS: Final = 1 << 15
_FIRST_STORE: Final = 1 << 17


def given(parts: CtokParts, model: Any, tiler: CompiledTiler, facts: CharFacts) -> Given:
    """What the scan reads besides the memo: which codepoints are space, the trie with its floor prices
    (whitespace, ASCII and the markers priced ahead), and the rules of plain words."""
    spaces = space_chars(parts.classify, parts.space)
    space = np.zeros(sys.maxunicode + 1, dtype=np.uint8)
    space[[ord(c) for c in spaces]] = 1
    tiler.price(spaces + "".join(map(chr, range(128))) + "".join(parts.markers))
    caps: int | None = model.allcaps_min
    glyphs = np.array([*map(ord, (parts.bow, parts.eow, parts.shift, parts.caps)), -1 if caps is None else caps])
    suffixes = np.array(sorted(map(_suffix_key, parts.contractions)), dtype=np.int64)
    return space, tiler.trie, (facts.kinds, glyphs.astype(np.int64), suffixes, facts.flags, facts.lower)


def _suffix_key(suffix: str) -> int:
    """A contraction suffix packed as ``compiled_words`` packs a letter run: length, then base-128 digits."""
    key = len(suffix)
    for c in suffix:
        key = key * 128 + ord(c)
    return key if len(suffix) <= 8 and suffix.isascii() else -2


def _slots(count: int) -> Codes:
    slots = np.zeros((count, 4), dtype=np.int64)
    slots[:, 1] = -1  # no key starts anywhere: the slot is empty
    return slots


class WordTable:
    """One counter's memo of words and gaps, and the scan over it; safe to share between threads."""

    def __init__(self, kernels: ScanKernels, given: Given, facts: CharFacts, limits: tuple[int, int]) -> None:
        """``limits``: the keys, and the codepoints of keys, past which the memo starts afresh."""
        self._kernels = kernels
        self._given = given
        self._facts = facts
        self._limits = limits
        self._lock = threading.Lock()
        self._memo: Memo = (_slots(_FIRST_SLOTS), np.zeros(_FIRST_STORE, dtype=np.uint32), np.zeros(3, dtype=np.int64))
        # Compiled now, in the loader's thread, like the scan: not on the first growth, under the lock,
        # where a failure would fail a count instead of leaving the Python path in place.
        kernels.rehash(_slots(1), _slots(2))

    def sums(self, body: str, position: int, previous: int, units_of: UnitsOf) -> Sums:
        """The sums of ``body[position:]``, which starts at a gap after a word of unit ``previous``.

        Raises:
            Whatever ``units_of`` raises; the memo then starts afresh, since keys were left pending.
        """
        # Writable, like compiled_tiler's: one array type, so the kernels they share compile once.
        codes = np.frombuffer(bytearray(body.encode("utf-32-le", "surrogatepass")), dtype=np.uint32)
        with self._lock:
            if self._memo[2][0] > self._limits[0] or self._memo[2][1] > self._limits[1]:
                self._reset()
            try:
                return self._scan(body, codes, position, previous, units_of)
            except BaseException:
                self._reset()
                raise

    def _scan(self, body: str, codes: Codes, position: int, previous: int, units_of: UnitsOf) -> Sums:
        # A key per word and per gap at most: room to report every one of them.
        report = np.empty((len(codes) - position + 1, 4), dtype=np.int64)
        while True:
            self._memo[2][2] = 0
            status, words, gaps, seams = self._kernels.scan_words(
                codes, position, previous, self._memo, report, self._given
            )
            if status == DONE:
                return Sums(words, gaps, seams)
            self._fill(body, codes, report[: self._memo[2][2]], units_of)
            if status == FULL:
                self._grow(len(codes) - position)

    def _fill(self, body: str, codes: Codes, report: Codes, units_of: UnitsOf) -> None:
        """Units for the reported keys: written by the kernels once their characters are learned, else by
        ``units_of``."""
        self._facts.learn("".join(body[start:end] for start, end, context in report[:, 1:].tolist() if context != GAP))
        self._kernels.settle(codes, report, self._memo, self._given)
        left = report[report[:, 0] >= 0]
        if len(left):
            missing = list(map(Missing._make, left[:, 1:].tolist()))
            self._memo[0][left[:, 0], 3] = units_of(body, missing)

    def _grow(self, text_codes: int) -> None:
        slots, store, meta = self._memo
        held, used = int(meta[0]), int(meta[1])
        if used + text_codes > len(store):
            store = np.concatenate([store, np.zeros(max(len(store), used + text_codes), dtype=np.uint32)])
        if 2 * (held + 1) > len(slots):
            grown = _slots(2 * len(slots))
            self._kernels.rehash(slots, grown)
            slots = grown
        self._memo = (slots, store, meta)

    def _reset(self) -> None:
        self._memo = (_slots(_FIRST_SLOTS), np.zeros(_FIRST_STORE, dtype=np.uint32), np.zeros(3, dtype=np.int64))
