"""What the compiled word writer knows of each character, learned as characters come.

Classifying every codepoint up front would cost seconds; instead each table starts with ASCII and the
markers, and a word with a character not learned yet goes to Python once, which teaches the tables its
characters. The tables are flat buffers the compiled engine reads in place.
"""

from __future__ import annotations

import sys
import unicodedata
from array import array
from collections.abc import Callable, Iterable
from typing import Final

from .ctok_internals import CtokParts

# The engine's numbering of the kinds plain_words names by letter (x other, w letters, d ASCII digits,
# p punctuation, h and q hard characters without and with border markers, s variation selectors), then
# not learned yet.
KINDS: Final = "xwdphqs"
UNKNOWN: Final = len(KINDS)
_LETTERS: Final = KINDS.index("w")
# The engine's case facts: ctok's capital, small letter, a letter or mark that cannot be lowered, and a
# case ctok writes by a rule of its own.
UPPER, LOWER, UNLOWERABLE, SPECIAL = 1, 2, 4, 8
# The characters ctok's ``mark_case`` writes by a rule of their own.
_SPECIAL_CASES: Final = frozenset("ẞİ")


class CharFacts:
    """Per codepoint: its kind, and for letters its case facts and lowered form, as the compiled writer
    reads them (it reads case facts of letter runs only)."""

    def __init__(
        self, parts: CtokParts, kind: Callable[[str], str], price: Callable[[str], None], lower: array[int]
    ) -> None:
        """``lower``: each codepoint's own value (the engine's ``identity_table``), filled as letters come."""
        self._parts = parts
        self._kind = kind
        self._price = price
        self.kinds = bytearray([UNKNOWN]) * (sys.maxunicode + 1)
        self.flags = bytearray(sys.maxunicode + 1)
        self.lower = lower
        self.learn("".join(map(chr, range(128))))

    def learn(self, text: str) -> None:
        """Learn the characters of ``text`` not learned yet, and have them and their lowered forms priced."""
        self.learn_codes(map(ord, set(text)))

    def learn_codes(self, codepoints: Iterable[int]) -> None:
        """``learn`` for the characters of these codepoints."""
        kinds = self.kinds
        new = [chr(cp) for cp in codepoints if kinds[cp] == UNKNOWN]
        for c in new:
            self._learn(c)
        lowered = "".join(chr(self.lower[ord(c)]) for c in new if self.lower[ord(c)] != ord(c))
        if new:
            self._price("".join(new) + lowered)

    def _learn(self, c: str) -> None:
        kind = KINDS.index(self._kind(c))
        # Case facts are read for letter runs only: ideographs, emoji and symbols need none.
        if kind == _LETTERS:
            self._learn_case(c)
        self.kinds[ord(c)] = kind

    def _learn_case(self, c: str) -> None:
        parts, cp = self._parts, ord(c)
        upper, lower = parts.is_upper(c), parts.is_lower(c)
        lowered = parts.lower(c)
        cased_kind = c in parts.new_cased or unicodedata.category(c)[0] in "LM"
        # mark_case's "unlowerable": a letter or mark that is no small letter and no capital with a
        # lowered form of its own; one in a run blocks ⟨caps⟩.
        unlowerable = cased_kind and not lower and (not upper or lowered == c)
        special = c in _SPECIAL_CASES or len(lowered) != 1
        self.flags[cp] = UPPER * upper | LOWER * lower | UNLOWERABLE * unlowerable | SPECIAL * special
        self.lower[cp] = cp if special else ord(lowered)
