"""The marked stream of a plain word, written without ctok's character-by-character walk.

A plain word is one whose characters ctok classes as letters (category L), ASCII digits or
punctuation: most words of prose in alphabetic scripts, code and JSON. For those, ``stream_norm``'s
rules reduce to a handful, all decided inside the word:

* a letter run gets ctok's own case marking (``mark_case``, remembered per run) and ⟨bow⟩ … ⟨eow⟩,
  except that a contraction suffix right after a lone apostrophe takes no ⟨bow⟩;
* a punctuation run gets ⟨bow⟩ when it opens the word after a space (unless it is a lone apostrophe
  opening a letter run) and ⟨eow⟩ when it closes the word before a single space;
* an ASCII digit run is written as it is;
* a run of hard characters (ideographs, emoji, symbols: ctok's ``HARD`` class) is split where ctok's
  ``_hard_kind`` changes, a variation selector riding the run it follows; a run gets ⟨bow⟩ and ⟨eow⟩ as
  punctuation does where its first (last) character is punctuation-like or a selector, else none.

Anything else (marks, digits of other scripts) leaves the word to ctok. The equality tests compare
the two on every kind of word.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any, Final

from .ctok_internals import CtokParts
from .segment_tiling import MEMO_KEY_LIMIT

_LETTERS: Final = "w"
_DIGITS: Final = "d"
_PUNCT: Final = "p"
_HARD: Final = "h"
_HARD_PUNCT: Final = "q"
_SELECTOR: Final = "s"
_OTHER: Final = "x"
# ctok's sub-runs of a hard run: a selector rides the run before it, and one opening a run reads as a letter.
_RUNS: Final = re.compile(
    f"{_LETTERS}+|{_DIGITS}+|{_PUNCT}+|[{_HARD}{_SELECTOR}]+|{_HARD_PUNCT}[{_HARD_PUNCT}{_SELECTOR}]*"
)
# The characters that give a run a border marker on their side (ctok's punctuation run, and its
# ``_hard_bow`` and ``_hard_eow``); a run ending in one keeps a contraction after it apart.
_BORDERS: Final = frozenset((_PUNCT, _HARD_PUNCT, _SELECTOR))
# What ctok's ``_hard_kind`` calls the characters of a hard run: those that take no border markers, and
# the symbols and punctuation that take them as punctuation does.
_HARD_KINDS: Final = {"letter": _HARD, "punct": _HARD_PUNCT}
# Past this many remembered letter runs (or cased runs) a memo starts again, so memory stays bounded on
# endless input.
_RUN_MEMO: Final = 1 << 16


class PlainWords:
    """Streams of plain words for one model; ``None`` for a word that is not plain."""

    def __init__(self, parts: CtokParts, model: Any) -> None:
        self._parts = parts
        self._caps: int | None = model.allcaps_min
        self._kinds: dict[int, str] = {cp: self._kind(chr(cp), parts.classify) for cp in range(128)}
        self._cases: dict[str, str] = {}
        self._case_markers = frozenset((parts.shift, parts.caps))
        self._runs: dict[str, str] = {}

    def kind(self, c: str) -> str:
        """The kind letter of a character: ``w`` letters, ``d`` ASCII digits, ``p`` punctuation, ``h`` and
        ``q`` hard characters without and with border markers, ``s`` variation selectors, ``x`` the rest
        (left to ctok)."""
        return self._kind(c, self._parts.classify)

    def write(self, word: str, *, space_before: bool, space_after: bool) -> str | None:
        """``word``'s part of the stream, between a space (or not) and a single space (or not)."""
        kinds = self._kinds_of(word)
        if _OTHER in kinds:
            return None
        runs: list[str] = _RUNS.findall(kinds)
        if len(runs) == 1 and kinds[0] == _LETTERS:
            return self._letter_run(word)
        out: list[str] = []
        start = 0
        body = ""
        for i, run in enumerate(runs):
            kind, previous = run[0], body
            body = word[start : start + len(run)]
            start += len(run)
            if kind == _LETTERS:
                # A contraction suffix after a lone apostrophe, which is its opening boundary (no ⟨bow⟩),
                # unless the run before the apostrophe writes a right-hand border marker of its own.
                glued = previous == "'" and body in self._parts.contractions
                if glued and i >= 2 and runs[i - 2][-1] in _BORDERS:
                    glued = False
                out.append(self._letters(body, glued=True) if glued else self._letter_run(body))
            elif kind in _BORDERS or run[-1] in _BORDERS:
                out.append(self._bordered(body, runs, i, (space_before, space_after)))
            else:
                out.append(body)
        return "".join(out)

    def _bordered(self, body: str, runs: list[str], i: int, edges: tuple[bool, bool]) -> str:
        """A run with a border character: ⟨bow⟩ when it opens the word after a space with one, unless it is
        a lone apostrophe opening a letter run; ⟨eow⟩ when it closes the word with one before a single space."""
        last = len(runs) - 1
        opens = body == "'" and i < last and runs[i + 1][0] == _LETTERS
        bow = self._parts.bow if i == 0 and edges[0] and not opens and runs[i][0] in _BORDERS else ""
        return bow + body + (self._parts.eow if i == last and edges[1] and runs[i][-1] in _BORDERS else "")

    def _letter_run(self, body: str) -> str:
        """``_letters`` of a run that is not glued, remembered: runs repeat across words far more than words do."""
        written = self._runs.get(body)
        if written is None:
            if len(self._runs) > _RUN_MEMO:
                self._runs = {}
            written = self._letters(body, glued=False)
            if len(body) <= MEMO_KEY_LIMIT:
                self._runs[body] = written
        return written

    def _letters(self, body: str, *, glued: bool) -> str:
        cased = self._cased(body)
        head = 0
        while cased[head : head + 1] in self._case_markers:
            head += 1
        bow = "" if glued else self._parts.bow
        return cased[:head] + bow + cased[head:] + self._parts.eow

    def _cased(self, body: str) -> str:
        """``mark_case(body)``: shortcuts for what it does to a span with no capital or to ASCII letters."""
        if body == body.lower():
            return body  # nothing to lower: neither marker applies and mark_case returns the span
        if body.isascii():
            return self._ascii_cased(body)
        cased = self._cases.get(body)
        if cased is None:
            if len(self._cases) > _RUN_MEMO:
                self._cases = {}
            cased = self._parts.mark_case(body, self._caps)
            if len(body) <= MEMO_KEY_LIMIT:
                self._cases[body] = cased
        return cased

    def _ascii_cased(self, body: str) -> str:
        if self._caps is not None and len(body) >= self._caps and body.isupper():
            return self._parts.caps + body.lower()
        if body[0].isupper() and body[1:] == body[1:].lower():
            return self._parts.shift + body.lower()
        return body

    def _kinds_of(self, word: str) -> str:
        kinds = self._kinds
        if not word.isascii():  # every ASCII character was classed when the writer was built
            for c in set(word):
                if ord(c) not in kinds:
                    kinds[ord(c)] = self._kind(c, self._parts.classify)
        return word.translate(kinds)

    def _kind(self, c: str, classify: Callable[[str], str]) -> str:
        cls = classify(c)
        if cls == self._parts.punct:
            return _PUNCT
        if cls == self._parts.digit and c.isascii():
            return _DIGITS
        if cls == self._parts.hard and self._parts.is_selector(c):
            return _SELECTOR
        category = unicodedata.category(c)
        if cls == self._parts.wordy and category[0] == "L" and unicodedata.combining(c) == 0:
            return _LETTERS
        if cls == self._parts.hard and category[0] != "M" and not self._parts.is_selector(c):
            return _HARD_KINDS.get(self._parts.hard_kind(c), _OTHER)
        return _OTHER
