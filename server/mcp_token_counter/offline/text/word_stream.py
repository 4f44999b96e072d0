"""ctok's marked stream for one whitespace-delimited word at a time.

``ctok.normalize.stream_norm`` walks the text a character at a time in Python. What it writes for a
word (a maximal run of characters ctok does not class as space) depends on that word and on only two
facts about its surroundings: whether the character before it is a space, and whether a single space
follows it. Every rule of ``stream_norm`` looks at most one run beyond the word, that run is
whitespace, and whitespace is copied unchanged. So the stream of a text is

    head  gap1  out(w2)  gap2  ...  out(wn)  gapn      then ctok's seam rewrite

where ``head`` (the leading whitespace and the first word, which meet the frame) is ctok's own output
for that prefix. Plain words are written by ``PlainWords``; the rest by ctok itself, in one
``stream_norm`` call over a synthetic text that gives each word its context: the words joined by
newlines, which no stream rule and no seam sees through. The newlines then split ctok's answer back
into words.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from array import array
from collections.abc import Callable
from functools import cache
from typing import Any, Final, cast

from .ctok_internals import CtokParts
from .plain_words import PlainWords

type WordKey = tuple[bool, str, bool]
"""(a space precedes, the word, a single space follows)."""

ALSO_SPACE: Final = "\t\n\r\f\v"
"""What ctok classes as space besides the Unicode separators (category Z)."""


class StreamMismatch(ValueError):
    """ctok's output for a synthetic text did not split back into the words it was given."""


@cache
def space_chars(classify: Callable[[str], str], space: str) -> str:
    """Every codepoint ctok classes as whitespace."""
    return "".join(c for c in [*separators(), *ALSO_SPACE] if classify(c) == space)


def separators() -> str:
    """Every Unicode separator (category Z), in codepoint order, for the running Python's Unicode data."""
    known = _SEPARATORS.get(unicodedata.unidata_version)
    return known if known is not None else scanned_separators()


# The separators of the Unicode versions the supported Pythons ship (3.12: 15.0, 3.13: 15.1, 3.14: 16.0): the
# set has not changed since Unicode 6.3. Scanning every codepoint costs 0.05-0.25 s of the first count; a
# test checks this table against the scan on each Python CI runs, and an unknown version is scanned.
_Z: Final = (
    "\u0020\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_SEPARATORS: Final = {"15.0.0": _Z, "15.1.0": _Z, "16.0.0": _Z}


def scanned_separators() -> str:
    """Every Unicode separator (category Z), found among every codepoint.

    Python's ``str.isspace`` holds for every separator (space separators by definition, the line and
    paragraph separators by their bidirectional class), so a regular expression's ``\\s`` finds the few
    candidates in one pass in C, over every codepoint but the surrogates.
    """
    every = (array("I", range(0xD800)) + array("I", range(0xE000, sys.maxunicode + 1))).tobytes().decode("utf-32-le")
    return "".join(c for c in re.findall(r"\s", every) if unicodedata.category(c)[0] == "Z")


class WordWriter:
    """The stream of single words for one model."""

    def __init__(self, parts: CtokParts, model: Any) -> None:
        self._parts = parts
        self._model = model
        self.plain = PlainWords(parts, model)
        self._opening = parts.bow if model.frame_bow else ""

    def head(self, lead: str, word: str, *, single_space_after: bool, raw_head_space: bool) -> str:
        """The stream of the whitespace ``lead`` and the first ``word``, at the start of the text.

        Raises:
            StreamMismatch: ctok's output did not keep the context it was given.
        """
        after = " " if single_space_after else ""
        out = self._parts.stream_norm(lead + word + after, self._model, raw_head_space=raw_head_space)
        return _inner(out, "", after)

    def words(self, keys: list[WordKey]) -> list[str]:
        """The stream of each word in its context.

        Raises:
            StreamMismatch: ctok's output did not split back into the words.
        """
        written = [self.plain.write(word, space_before=left, space_after=right) for left, word, right in keys]
        rest = [key for key, out in zip(keys, written, strict=True) if out is None]
        if not rest:
            return cast(list[str], written)
        by_ctok = iter(self._by_ctok(rest))
        return [next(by_ctok) if out is None else out for out in written]

    def _by_ctok(self, keys: list[WordKey]) -> list[str]:
        contexts = [(" " if left else "", word, " " if right else "") for left, word, right in keys]
        synthetic = "\n" + "\n".join(left + word + right for left, word, right in contexts)
        lines = self._parts.stream_norm(synthetic, self._model, raw_head_space=False).split("\n")
        if len(lines) != len(keys) + 1 or lines[0] != self._opening:
            raise StreamMismatch("ctok's stream of the word batch does not split back into its words")
        return [_inner(line, left, right) for line, (left, _, right) in zip(lines[1:], contexts, strict=True)]


def _inner(line: str, left: str, right: str) -> str:
    if not (line.startswith(left) and line.endswith(right)):
        raise StreamMismatch("ctok's stream of a word lost its context")
    return line[len(left) : len(line) - len(right)]


def word_splitter(spaces: str) -> Callable[[str], list[str]]:
    """Splits a text into [gap0, word1, gap1, ..., wordn, gapn], the gaps whitespace and maybe empty."""
    return re.compile(f"([^{re.escape(spaces)}]+)").split
