"""``plain_words.PlainWords.write`` as machine code, so that the compiled scan can write and tile an
unseen plain word without going back to Python.

Imported with ``compiled_scan``. The rules are ``PlainWords``'s (see its module). A character's kind and
its case facts come from tables ``word_table`` fills as characters are first met, so a word with a
character not learned yet goes to Python once. ``mark_case`` is ctok's rule over those per-character
facts: which characters are capitals or small letters, which block the markers, and each one's lowered
form; a character whose case ctok treats specially (ẞ, İ, a lowered form of more than one character)
leaves the word to Python. The equality tests compare the two, and both with ctok.
"""

# pyright: reportUnknownVariableType=false, reportUnknownMemberType=false, reportUntypedFunctionDecorator=false
# pyright: reportArgumentType=false
# numba ships no type information; the kernels' arguments are the int arrays word_table builds.

from __future__ import annotations

import numpy as np
from numba import njit  # pyright: ignore[reportMissingTypeStubs]

type Rules = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]

# A character's kind, as ``kinds`` holds it for each codepoint; UNKNOWN until word_table learns it.
OTHER, LETTERS, DIGITS, PUNCT, HARD, HARD_PUNCT, UNKNOWN = 0, 1, 2, 3, 4, 5, 6
# A character's case facts, as ``flags`` holds them: ctok's capital, small letter, a letter or mark that
# cannot be lowered (it blocks ⟨caps⟩), and a case ctok writes by a rule of its own (left to Python).
UPPER, LOWER, UNLOWERABLE, SPECIAL = 1, 2, 4, 8
# The fields of ``glyphs``: the four markers, then the all-caps run's least length (-1 for none).
BOW, EOW, SHIFT, CAPS, CAPS_MIN = 0, 1, 2, 3, 4
_APOSTROPHE = 39
_ASCII = 128
_KEEP, _SHIFTED, _ALL_CAPS, _SPECIAL_CASE = 0, 1, 2, -1


@njit(cache=True, nogil=True)
def _run_key(codes: np.ndarray, start: int, end: int) -> int:
    # A short run packed as its length then base-128 digits, as word_table packs the contraction suffixes.
    if end - start > 8:
        return -1
    key = end - start
    for i in range(start, end):
        if codes[i] >= _ASCII:  # contraction suffixes are ASCII; a wider digit would collide
            return -1
        key = key * _ASCII + codes[i]
    return key


# Loops rather than numpy's array expressions and slice assignment: those cost seconds of compiling the
# first time, for a handful of elements.
@njit(cache=True, nogil=True)
def _member(key: int, keys: np.ndarray) -> bool:
    for k in keys:  # noqa: SIM110  # numba compiles no generator expression into any()
        if k == key:
            return True
    return False


@njit(cache=True, nogil=True)
def copy_into(codes: np.ndarray, span: tuple[int, int], out: np.ndarray, at: int) -> int:
    """Copy ``codes[start:end]`` to ``out[at:]``; the end of the copy in ``out``."""
    for i in range(span[0], span[1]):
        out[at] = codes[i]
        at += 1
    return at


@njit(cache=True, nogil=True)
def _bordered(kind: int) -> bool:
    return kind in (PUNCT, HARD_PUNCT)


@njit(cache=True, nogil=True)
def _case(codes: np.ndarray, span: tuple[int, int], rules: Rules) -> int:
    """ctok's ``mark_case`` of the letter run: kept as it is, shifted (a title-case run) or all caps (the
    last two lowered); ``_SPECIAL_CASE`` when a character's case is one ctok writes by a rule of its own."""
    start, end = span
    _kinds, glyphs, _contractions, flags, lower = rules
    upper = cased = 0
    blocked = False
    for i in range(start, end):
        facts = flags[codes[i]]
        if facts & SPECIAL:
            return _SPECIAL_CASE
        upper += facts & UPPER
        cased += 1 if facts & (UPPER | LOWER) else 0
        blocked = blocked or facts & UNLOWERABLE != 0
    caps_min = glyphs[CAPS_MIN]
    if caps_min >= 0 and 0 < cased == upper and end - start >= caps_min and not blocked:
        return _ALL_CAPS
    if lower[codes[start]] == codes[start]:
        return _KEEP
    return _SHIFTED if flags[codes[start]] & UPPER and upper == 1 else _KEEP


@njit(cache=True, nogil=True)
def _letters(codes: np.ndarray, span: tuple[int, int], glued: bool, rules: Rules, out: np.ndarray, at: int) -> int:
    """Write the letter run at ``out[at:]`` (cased, ⟨bow⟩ unless ``glued``, ⟨eow⟩); the end, or -1."""
    start, end = span
    glyphs, lower = rules[1], rules[4]
    case = _case(codes, span, rules)
    if case == _SPECIAL_CASE:
        return -1
    if case != _KEEP:
        out[at] = glyphs[SHIFT] if case == _SHIFTED else glyphs[CAPS]
        at += 1
    if not glued:
        out[at] = glyphs[BOW]
        at += 1
    for i in range(start, end):
        out[at] = codes[i] if case == _KEEP else lower[codes[i]]
        at += 1
    out[at] = glyphs[EOW]
    return at + 1


@njit(cache=True, nogil=True)
def _punctuation(
    codes: np.ndarray, spans: tuple[int, int, int], opening: bool, closing: bool, rules: Rules, out: np.ndarray, at: int
) -> int:
    """Write a punctuation run ``codes[run:run_end]`` of a word ending at ``end`` at ``out[at:]``: ⟨bow⟩ when
    it opens the word after a space (``opening``), unless it is a lone apostrophe opening a letter run;
    ⟨eow⟩ when it closes the word before a single space (``closing``). The end of what it wrote."""
    run, run_end, end = spans
    kinds, glyphs = rules[0], rules[1]
    last = run_end == end
    opens = run_end - run == 1 and codes[run] == _APOSTROPHE and not last and kinds[codes[run_end]] == LETTERS
    if opening and not opens:
        out[at] = glyphs[BOW]
        at += 1
    at = copy_into(codes, (run, run_end), out, at)
    if last and closing:
        out[at] = glyphs[EOW]
        at += 1
    return at


@njit(cache=True, nogil=True)
def _run_end(codes: np.ndarray, start: int, end: int, kinds: np.ndarray) -> int:
    kind = kinds[codes[start]]
    at = start + 1
    while at < end and kinds[codes[at]] == kind:
        at += 1
    return at


@njit(cache=True, nogil=True)
def plain_stream(codes: np.ndarray, span: tuple[int, int, int], rules: Rules, out: np.ndarray) -> int:
    """Write the stream of the word ``codes[start:end]`` in ``context`` into ``out``; its length, or -1
    when the word has a character not learned yet or one that ``PlainWords`` or ``_case`` leave to Python.

    ``rules`` is (kind of each codepoint, ``glyphs``, each contraction suffix packed as ``_run_key``, case
    facts of each codepoint, lowered form of each codepoint); ``out`` has room for ``4 * (end - start)``.
    """
    start, end, context = span
    kinds, contractions = rules[0], rules[2]
    for i in range(start, end):
        if kinds[codes[i]] in (OTHER, UNKNOWN):
            return -1
    at: int = np.int64(0)  # pyright: ignore[reportAssignmentType]  # not a literal: see compiled_scan
    # The kinds of the two runs before this one, and where the one before starts.
    two_back = one_back = np.uint8(OTHER)  # kinds' own type, not a literal: see compiled_scan
    previous = start
    run = start
    index = 0
    while run < end:
        kind = kinds[codes[run]]
        run_end = _run_end(codes, run, end, kinds)
        if kind == LETTERS:
            # A contraction suffix after a lone apostrophe, unless the run before that writes a border.
            glued = run - previous == 1 and codes[previous] == _APOSTROPHE
            glued = glued and _member(_run_key(codes, run, run_end), contractions)
            at = _letters(codes, (run, run_end), glued and not (index >= 2 and _bordered(two_back)), rules, out, at)
            if at < 0:
                return -1
        elif _bordered(kind):
            at = _punctuation(
                codes, (run, run_end, end), index == 0 and context & 2 != 0, context & 1 != 0, rules, out, at
            )
        else:
            at = copy_into(codes, (run, run_end), out, at)
        two_back, one_back = one_back, kind
        previous = run
        run = run_end
        index += 1
    return at
