"""What the compiled word writer (``compiled_words``) knows of each character, learned as characters come.

Imported by ``word_table``, inside ``word_scan``'s guard, since numpy comes with numba. Classifying every
codepoint up front would cost seconds; instead each table starts with ASCII and the markers, and a word
with a character not learned yet goes to Python once, which teaches the tables its characters.
"""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Callable
from typing import Final

import numpy as np

from .batch_tiling import Codes
from .ctok_internals import CtokParts

# compiled_words' numbering of the kinds plain_words names by letter (x other, w letters, d ASCII digits,
# p punctuation, h and q hard characters without and with border markers), then not learned yet.
_KINDS: Final = "xwdphq"
_UNKNOWN: Final = len(_KINDS)
# compiled_words' case facts.
_UPPER, _LOWER, _UNLOWERABLE, _SPECIAL = 1, 2, 4, 8
# The characters ctok's ``mark_case`` writes by a rule of their own.
_SPECIAL_CASES: Final = frozenset("ẞİ")


class CharFacts:
    """Per codepoint: its kind, its case facts and its lowered form, as ``compiled_words`` reads them."""

    def __init__(self, parts: CtokParts, kind: Callable[[str], str], price: Callable[[str], None]) -> None:
        self._parts = parts
        self._kind = kind
        self._price = price
        self.kinds: Codes = np.full(sys.maxunicode + 1, _UNKNOWN, dtype=np.uint8)
        self.flags: Codes = np.zeros(sys.maxunicode + 1, dtype=np.uint8)
        self.lower: Codes = np.arange(sys.maxunicode + 1, dtype=np.int32)
        self.learn("".join(map(chr, range(128))))

    def learn(self, text: str) -> None:
        """Learn the characters of ``text`` not learned yet, and have them and their lowered forms priced."""
        kinds = self.kinds
        new = [c for c in set(text) if kinds[ord(c)] == _UNKNOWN]
        for c in new:
            self._learn(c)
        if new:
            self._price("".join(new) + "".join(chr(self.lower[ord(c)]) for c in new))

    def _learn(self, c: str) -> None:
        parts, cp = self._parts, ord(c)
        upper, lower = parts.is_upper(c), parts.is_lower(c)
        lowered = parts.lower(c)
        cased_kind = c in parts.new_cased or unicodedata.category(c)[0] in "LM"
        # mark_case's "unlowerable": a letter or mark that is no small letter and no capital with a
        # lowered form of its own; one in a run blocks ⟨caps⟩.
        unlowerable = cased_kind and not lower and (not upper or lowered == c)
        special = c in _SPECIAL_CASES or len(lowered) != 1
        self.flags[cp] = _UPPER * upper | _LOWER * lower | _UNLOWERABLE * unlowerable | _SPECIAL * special
        self.lower[cp] = cp if special else ord(lowered)
        self.kinds[cp] = _KINDS.index(self._kind(c))
