"""The per-word memo of ``fast_count`` in flat buffers, summed by the compiled engine's scan.

Built by ``word_table`` (below) when the compiled engine loaded; ``None`` without it.
"""

from __future__ import annotations

import logging
import sys
import threading
from array import array
from collections.abc import Callable
from itertools import batched
from types import ModuleType
from typing import TYPE_CHECKING, Any, Final

from .batch_tiling import BatchTiler
from .char_facts import CharFacts
from .compiled_tiler import CompiledTiler, utf32
from .ctok_internals import CtokParts
from .segment_tiling import MEMO_LIMIT
from .word_scan import DONE, FULL, PENDING, Memo, Missing, Sums, UnitsOf
from .word_stream import space_chars

if TYPE_CHECKING:
    from ..compiled import _engine

logger = logging.getLogger(__name__)

STORE_LIMIT = 1 << 24
"""Past this many codepoints of keys (64 MB) the compiled memo starts afresh, however few keys it holds:
a few huge distinct words must not keep their bytes forever."""

# A table this small costs nothing to start with; it doubles as words come.
_FIRST_SLOTS: Final = 1 << 15
_FIRST_STORE: Final = 1 << 17
# Rows of the report a scan fills with the keys it leaves to Python: past that many, it stops as FULL and
# runs again once they are filled. One report per table, made once (2 MB) and reused under the lock.
_REPORT_ROWS: Final = 1 << 16
_ROW: Final = 4  # a slot's and a report row's columns
# Rows of the log of the keys a scan meets after the first it lacked, summed again once they are filled
# instead of scanning the text again (a 1 MB text meets about 300,000 keys); past that, it scans again.
_LOG_ROWS: Final = 1 << 19
# Room made before a scan, for the new keys of a text of n codepoints: n // _CODES_PER_KEY keys and n //
# _CODES_PER_STORED codepoints of them (real text: one distinct key per 35 codepoints, 40 % of its codepoints
# in distinct keys). A scan that runs out of room stops there, and scans again once the memo grew; each
# time costs a pass over what was summed since its first pending key.
# At most 4 MB each ahead of need, as a long text of few words would never use it.
_CODES_PER_KEY: Final = 32
_CODES_PER_STORED: Final = 2
_AHEAD_KEYS: Final = 1 << 16
_AHEAD_CODES: Final = 1 << 20
_UNIT: Final = 3


def scanner(
    engine: ModuleType, parts: CtokParts, model: Any, tiler: CompiledTiler, facts: CharFacts
) -> _engine.Scanner:
    """What the scan reads besides the memo: which codepoints are space, the tiling with its floor prices
    (whitespace, ASCII and the markers priced ahead), and the rules of plain words."""
    spaces = space_chars(parts.classify, parts.space)
    space = bytearray(sys.maxunicode + 1)
    for c in spaces:
        space[ord(c)] = 1
    tiler.price(spaces + "".join(map(chr, range(128))) + "".join(parts.markers))
    caps: int | None = model.allcaps_min
    glyphs = array("q", [*map(ord, (parts.bow, parts.eow, parts.shift, parts.caps)), -1 if caps is None else caps])
    suffixes = array("q", sorted(map(_suffix_key, parts.contractions)))
    return engine.Scanner(tiler.tiling, space, facts.kinds, facts.flags, facts.lower, glyphs, suffixes)


def _suffix_key(suffix: str) -> int:
    """A contraction suffix packed as the engine packs a letter run: length, then base-128 digits."""
    key = len(suffix)
    for c in suffix:
        key = key * 128 + ord(c)
    return key if len(suffix) <= 8 and suffix.isascii() else -2


class WordTable:
    """One counter's memo of words and gaps, and the scan over it; safe to share between threads."""

    def __init__(self, engine: ModuleType, scan: _engine.Scanner, facts: CharFacts, limits: tuple[int, int]) -> None:
        """``limits``: the keys, and the codepoints of keys, past which the memo starts afresh."""
        self._engine = engine
        self._scanner = scan
        self.facts = facts
        self._limits = limits
        self._lock = threading.Lock()
        self.memo: Memo = self._fresh()
        self._report = array("q", bytes(8 * _ROW * _REPORT_ROWS))
        self._log = array("q", [-1])

    def sums(self, body: str, position: int, previous: int, units_of: UnitsOf) -> Sums:
        """The sums of ``body[position:]``, which starts at a gap after a word of unit ``previous``.

        Raises:
            Whatever ``units_of`` raises; the memo then starts afresh, since keys were left pending.
        """
        codes = utf32(body)
        with self._lock:
            if self.memo[2][0] > self._limits[0] or self.memo[2][1] > self._limits[1]:
                self.memo = self._fresh()
            try:
                return self._scan(body, codes, position, previous, units_of)
            except BaseException:
                self.memo = self._fresh()
                raise

    def _scan(self, body: str, codes: memoryview, position: int, previous: int, units_of: UnitsOf) -> Sums:
        report = self._report
        words = gaps = seams = 0
        rest = len(codes) - position
        self._grow(min(rest // _CODES_PER_STORED, _AHEAD_CODES), min(rest // _CODES_PER_KEY, _AHEAD_KEYS))
        log = self._log_for(rest)
        while True:
            slots, store, meta = self.memo
            meta[2] = 0
            # Summed up to the first key it lacked; after the fill, the keys it met from there are summed
            # from its log, or the next scan resumes there.
            status, *sums, position, previous = self._engine.scan_words(
                self._scanner, codes, position, previous, slots, store, meta, report, log
            )
            words, gaps, seams = words + sums[0], gaps + sums[1], seams + sums[2]
            if status == DONE:
                return Sums(words, gaps, seams)
            self._fill(body, codes, report, units_of)
            logged = self._engine.sum_log(log, slots, previous) if status == PENDING else None
            if logged is not None:
                return Sums(words + logged[0], gaps + logged[1], seams + logged[2])
            if status == FULL:
                self._grow(len(codes) - position, 1)

    def _log_for(self, codes: int) -> array[int]:
        """A log with a row for each key of a text of ``codes`` codepoints (a gap and a word per two at
        most), up to ``_LOG_ROWS``."""
        rows = min(codes + 2, _LOG_ROWS)
        if len(self._log) <= rows:
            self._log = array("q", bytes(8 * (rows + 1)))
        return self._log

    def _fill(self, body: str, codes: memoryview, report: array[int], units_of: UnitsOf) -> None:
        """Units for the reported keys: written by the engine once their characters are learned, else by
        ``units_of``."""
        slots, _store, meta = self.memo
        self.facts.learn_codes(self._engine.unlearned(self.facts.kinds, codes, report, meta[2]))
        self._engine.settle(self._scanner, codes, report, meta[2], slots)
        left = [row for row in batched(report[: _ROW * meta[2]].tolist(), _ROW) if row[0] >= 0]
        if left:
            units = units_of(body, [Missing(start, end, context) for _, start, end, context in left])
            for (slot, *_), unit in zip(left, units, strict=True):
                slots[_ROW * slot + _UNIT] = unit

    def _grow(self, codes: int, keys: int) -> None:
        """Room for ``keys`` more keys of ``codes`` codepoints in all, at least doubling what runs short."""
        slots, store, meta = self.memo
        held, used = meta[0], meta[1]
        if used + codes > len(store):
            store.frombytes(bytes(4 * max(len(store), used + codes)))
        size = len(slots) // _ROW
        while 2 * (held + keys) > size:
            size *= 2
        if size > len(slots) // _ROW:
            grown = self._engine.empty_slots(size)
            self._engine.rehash(slots, grown)
            slots = grown
        self.memo = (slots, store, meta)

    def _fresh(self) -> Memo:
        return self._engine.empty_slots(_FIRST_SLOTS), array("I", bytes(4 * _FIRST_STORE)), array("q", [0, 0, 0])


def word_table(
    engine: ModuleType | None, parts: CtokParts, model: Any, tiler: BatchTiler, kind: Callable[[str], str]
) -> WordTable | None:
    """The compiled memo and scan, or ``None`` without the engine or when ``tiler`` is not compiled.

    ``kind`` is ``PlainWords.kind``.
    """
    if engine is None or not isinstance(tiler, CompiledTiler):
        return None
    try:
        facts = CharFacts(parts, kind, tiler.price, engine.identity_table())
        scan = scanner(engine, parts, model, tiler, facts)
        return WordTable(engine, scan, facts, (MEMO_LIMIT, STORE_LIMIT))
    # Whatever goes wrong building it must leave the exact per-word sum in Python, never fail the count.
    except Exception as error:  # noqa: BLE001
        logger.warning("compiled word scan unavailable (%r); summing words in Python", error)
        return None
