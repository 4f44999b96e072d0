"""``plain_words.PlainWords.write`` for ASCII words, as machine code, so that the compiled scan can write
and tile an unseen ASCII word without going back to Python.

Imported with ``compiled_scan``. The rules are ``PlainWords``'s (see its module), restricted to ASCII,
where every character's kind comes from the table ``PlainWords`` builds and ``mark_case`` reduces to
three cases; the equality tests compare the two, and both with ctok.
"""

# pyright: reportUnknownVariableType=false, reportUnknownMemberType=false, reportUntypedFunctionDecorator=false
# pyright: reportArgumentType=false
# numba ships no type information; the kernels' arguments are the int arrays word_table builds.

from __future__ import annotations

import numpy as np
from numba import njit  # pyright: ignore[reportMissingTypeStubs]

# A character's kind, as ``kinds`` holds it for each ASCII codepoint.
OTHER, LETTERS, DIGITS, PUNCT, HARD, HARD_PUNCT = 0, 1, 2, 3, 4, 5
# The fields of ``glyphs``: the four markers, then the all-caps run's least length (-1 for none).
BOW, EOW, SHIFT, CAPS, CAPS_MIN = 0, 1, 2, 3, 4
_APOSTROPHE = 39
_ASCII = 128


@njit(cache=True, nogil=True)
def _run_key(codes: np.ndarray, start: int, end: int) -> int:
    # A short run packed as its length then base-128 digits, as word_table packs the contraction suffixes.
    if end - start > 8:
        return -1
    key = end - start
    for i in range(start, end):
        key = key * _ASCII + codes[i]
    return key


@njit(cache=True, nogil=True)
def _bordered(kind: int) -> bool:
    return kind in (PUNCT, HARD_PUNCT)


@njit(cache=True, nogil=True)
def _case(codes: np.ndarray, start: int, end: int, caps_min: int) -> int:
    """0: written as it is; 1: shifted (an initial capital); 2: all caps. Lowered in the last two."""
    upper = 0
    for i in range(start, end):
        if 65 <= codes[i] <= 90:
            upper += 1
    if upper == 0:
        return 0
    if caps_min >= 0 and end - start >= caps_min and upper == end - start:
        return 2
    if upper == 1 and 65 <= codes[start] <= 90:
        return 1
    return 0


@njit(cache=True, nogil=True)
def _letters(
    codes: np.ndarray, span: tuple[int, int], glued: bool, glyphs: np.ndarray, out: np.ndarray, at: int
) -> int:
    start, end = span
    case = _case(codes, start, end, glyphs[CAPS_MIN])
    if case == 1:
        out[at] = glyphs[SHIFT]
        at += 1
    elif case == 2:
        out[at] = glyphs[CAPS]
        at += 1
    if not glued:
        out[at] = glyphs[BOW]
        at += 1
    for i in range(start, end):
        c = codes[i]
        out[at] = c + 32 if case != 0 and 65 <= c <= 90 else c
        at += 1
    out[at] = glyphs[EOW]
    return at + 1


@njit(cache=True, nogil=True)
def _run_end(codes: np.ndarray, start: int, end: int, kinds: np.ndarray) -> int:
    kind = kinds[codes[start]]
    at = start + 1
    while at < end and kinds[codes[at]] == kind:
        at += 1
    return at


@njit(cache=True, nogil=True)
def ascii_stream(
    codes: np.ndarray,
    span: tuple[int, int, int],
    rules: tuple[np.ndarray, np.ndarray, np.ndarray],
    out: np.ndarray,
) -> int:
    """Write the stream of the word ``codes[start:end]`` in ``context`` into ``out``; its length, or -1
    when the word is not ASCII or has a character ``PlainWords`` leaves to ctok.

    ``rules`` is (kind of each ASCII codepoint, ``glyphs``, each contraction suffix packed as ``_run_key``);
    ``out`` has room for ``4 * (end - start)`` codepoints.
    """
    start, end, context = span
    kinds, glyphs, contractions = rules
    for i in range(start, end):
        if codes[i] >= _ASCII or kinds[codes[i]] == OTHER:
            return -1
    at = 0
    # The kinds of the two runs before this one, and where the one before starts.
    two_back = one_back = OTHER
    previous = start
    run = start
    index = 0
    while run < end:
        kind = kinds[codes[run]]
        run_end = _run_end(codes, run, end, kinds)
        if kind == LETTERS:
            # A contraction suffix after a lone apostrophe, unless the run before that writes a border.
            glued = run - previous == 1 and codes[previous] == _APOSTROPHE
            glued = glued and np.any(contractions == _run_key(codes, run, run_end))
            at = _letters(codes, (run, run_end), glued and not (index >= 2 and _bordered(two_back)), glyphs, out, at)
        elif _bordered(kind):
            last = run_end == end
            opens = run_end - run == 1 and codes[run] == _APOSTROPHE and not last and kinds[codes[run_end]] == LETTERS
            if index == 0 and context & 2 and not opens:
                out[at] = glyphs[BOW]
                at += 1
            out[at : at + run_end - run] = codes[run:run_end]
            at += run_end - run
            if last and context & 1:
                out[at] = glyphs[EOW]
                at += 1
        else:
            out[at : at + run_end - run] = codes[run:run_end]
            at += run_end - run
        two_back, one_back = one_back, kind
        previous = run
        run = run_end
        index += 1
    return at
