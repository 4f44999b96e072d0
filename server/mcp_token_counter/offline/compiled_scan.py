"""The per-word sum of ``fast_count`` as machine code: one pass over a text's codepoints, words looked up
in a memo held in flat arrays.

Imported only by ``word_table`` on the first count that needs it, never at server start-up. Each kernel
is compiled on first call and kept in numba's on-disk cache (``cache=True``).

The memo is an open-addressing hash table keyed by a word's codepoints and its context (a space before
it, a single space after it), or by a whitespace gap's codepoints. A slot is one row (hash, where the
key's codepoints start in the key store, length << 3 | context, unit), so a lookup touches one cache
line besides the key; the unit is what ``fast_count`` packs (tiling cost << 2 | ends in ⟨eow⟩ << 1 |
opens with ⟨bow⟩). A key the table lacks is inserted as pending and reported once, with its place in the
text, for Python to write and tile; the pass then runs again and finds every key.
"""

# pyright: reportUnknownVariableType=false, reportUnknownMemberType=false, reportUntypedFunctionDecorator=false
# pyright: reportArgumentType=false
# numba ships no type information, and numpy's stubs type an element of an untyped array as an array;
# the kernels' arguments are the int arrays word_table builds.

from __future__ import annotations

import numpy as np
from numba import njit  # pyright: ignore[reportMissingTypeStubs]

from .compiled_tiling import tile_cost
from .compiled_words import BOW, CAPS, EOW, SHIFT, Rules, copy_into, plain_stream
from .word_scan import DONE, FULL, GAP, PENDING

type Memo = tuple[np.ndarray, np.ndarray, np.ndarray]
type Work = tuple[np.ndarray, np.ndarray]
type Tools = tuple[tuple[np.ndarray, ...], Rules, Work]
type Given = tuple[np.ndarray, tuple[np.ndarray, ...], Rules]


# Constants passed on to other kernels go as np.int64(...): numba types a bare literal as a type of its
# own and would compile the callee, and everything it calls, once more for it.
_SPACE = 32
_UNSET = -1
_PENDING = -1
_NO_ROOM = -2
_MISSING = -3
# Named columns of a slot and fields of ``meta`` (keys held, key store used, keys reported by this scan):
# word_table reads them by number.
_HASH, _START, _SHAPE, UNIT = 0, 1, 2, 3
_HELD, _USED, _REPORTED = 0, 1, 2


@njit(cache=True, nogil=True)
def _hash(codes: np.ndarray, start: int, end: int, context: int) -> int:
    # FNV-1a over the codepoints, seeded with the context, then a murmur3-style finish: FNV's low bits
    # depend only on the inputs' low bits, and the table is indexed by the low bits. int64 arithmetic wraps
    # (the multiplier is 0xFF51AFD7ED558CCD as a signed int64).
    h = 0x5BD1E995 + context
    for i in range(start, end):
        h = (h ^ codes[i]) * 1099511628211
    h ^= (h >> 33) & 0x7FFFFFFF
    h *= -49064778989728563
    return h ^ ((h >> 33) & 0x7FFFFFFF)


@njit(cache=True, nogil=True)
def _same(store: np.ndarray, at: int, codes: np.ndarray, start: int, end: int) -> bool:
    for i in range(end - start):  # noqa: SIM110  # numba compiles no generator expression into all()
        if store[at + i] != codes[start + i]:
            return False
    return True


@njit(cache=True, nogil=True)
def _find(slots: np.ndarray, store: np.ndarray, codes: np.ndarray, span: tuple[int, int, int], h: int) -> int:
    """The slot of the key ``codes[start:end]`` in ``context``, or ``-1 - slot`` of the empty slot for it."""
    start, end, context = span
    shape = (end - start) * 8 + context
    mask = slots.shape[0] - 1
    at = h & mask
    while True:
        if slots[at, _START] == _UNSET:
            return -1 - at
        if slots[at, _HASH] == h and slots[at, _SHAPE] == shape and _same(store, slots[at, _START], codes, start, end):
            return at
        at = (at + 1) & mask


@njit(cache=True, nogil=True)
def _computed(
    codes: np.ndarray, span: tuple[int, int, int], trie: tuple[np.ndarray, ...], rules: Rules, work: Work
) -> int:
    """The key's unit, written and tiled here; -1 when the word is one for Python (``plain_stream``) or a
    character of its stream has no floor price yet."""
    start, end, context = span
    out, best = work
    if context == GAP:
        for i in range(start, end):
            if trie[2][codes[i]] == 0:
                return -1
        return tile_cost(codes, start, end, trie, best) << 2
    length = plain_stream(codes, span, rules, out)
    if length < 0:
        return -1
    for i in range(length):
        if trie[2][out[i]] == 0:
            return -1
    glyphs = rules[1]
    ends = 2 if length > 1 and out[length - 1] == glyphs[EOW] else 0
    head = 0
    while head < length and (out[head] == glyphs[SHIFT] or out[head] == glyphs[CAPS]):
        head += 1
    opens = 1 if head < length and out[head] == glyphs[BOW] else 0
    return tile_cost(out, np.int64(0), length, trie, best) << 2 | ends | opens


@njit(cache=True, nogil=True)
def _insert(memo: Memo, codes: np.ndarray, span: tuple[int, int, int], found: tuple[int, int], unit: int) -> bool:
    """Hold the key in the empty slot ``_find`` gave; False when the table or the key store is full."""
    slots, store, meta = memo
    start, end, context = span
    h, at = found
    used = meta[_USED]
    if 2 * (meta[_HELD] + 1) > slots.shape[0] or used + end - start > store.shape[0]:
        return False
    slots[at, _HASH] = h
    slots[at, _START] = used
    slots[at, _SHAPE] = (end - start) * 8 + context
    slots[at, UNIT] = unit
    copy_into(codes, (start, end), store, used)
    meta[_HELD] += 1
    meta[_USED] = used + end - start
    return True


@njit(cache=True, nogil=True)
def _report(meta: np.ndarray, report: np.ndarray, slot: int, span: tuple[int, int, int]) -> None:
    row = meta[_REPORTED]
    report[row, 0] = slot
    report[row, 1], report[row, 2], report[row, 3] = span
    meta[_REPORTED] = row + 1


@njit(cache=True, nogil=True)
def _unit(codes: np.ndarray, span: tuple[int, int, int], memo: Memo) -> tuple[int, int, int]:
    """(the key's unit, or ``-3`` when the memo lacks it; its hash; its slot, or where it would go)."""
    slots, store, _meta = memo
    h = _hash(codes, span[0], span[1], span[2])
    at = _find(slots, store, codes, span, h)
    if at >= 0:
        return slots[at, UNIT], h, at
    return _MISSING, h, -1 - at


@njit(cache=True, nogil=True)
def _miss(
    codes: np.ndarray, span: tuple[int, int, int], found: tuple[int, int], memo: Memo, report: np.ndarray, tools: Tools
) -> int:
    """The unit of a key the memo lacks (``found``: its hash and empty slot, from ``_unit``), computed and
    held; ``-1`` when it is pending (held, for Python to fill, and reported); ``-2`` when there is no room."""
    trie, rules, work = tools
    h, at = found
    unit = _computed(codes, span, trie, rules, work)
    if unit < 0 and memo[2][_REPORTED] == report.shape[0]:
        return _NO_ROOM  # a pending key must be reported, or no later scan would fill it
    if not _insert(memo, codes, span, (h, at), unit if unit >= 0 else _PENDING):
        return _NO_ROOM
    if unit >= 0:
        return unit
    _report(memo[2], report, at, span)
    return _PENDING


@njit(cache=True, nogil=True)
def _status(status: int, unit: int) -> int:
    if unit == _NO_ROOM:
        return FULL
    return max(status, PENDING) if unit == _PENDING else status


@njit(cache=True, nogil=True)
def _work(work: Work, length: int) -> Work:
    """Buffers with room for the stream of a word of ``length`` characters and its tiling."""
    if work[0].shape[0] >= 4 * length + 8:
        return work
    size = 8 * length + 16
    return np.empty(size, dtype=np.uint32), np.empty(size + 1, dtype=np.int64)


@njit(cache=True, nogil=True)
def _skip(codes: np.ndarray, at: int, space: np.ndarray, spaces: bool) -> int:
    """Where the run of spaces (or of anything else) starting at ``at`` ends."""
    while at < codes.shape[0] and (space[codes[at]] != 0) == spaces:
        at += 1
    return at


@njit(cache=True, nogil=True)
def _context(codes: np.ndarray, after_gap: int, end: int) -> int:
    """A space before the word ``codes[after_gap:end]`` << 1 | a single space after it."""
    n = codes.shape[0]
    single = end + 1 < n and codes[end] == _SPACE and codes[end + 1] != _SPACE
    single = single or (end + 1 == n and codes[end] == _SPACE)
    return (2 if codes[after_gap - 1] == _SPACE else 0) | (1 if single else 0)


@njit(cache=True, nogil=True)
def scan_words(
    codes: np.ndarray, position: int, previous: int, memo: Memo, report: np.ndarray, given: Given
) -> tuple[int, int, int, int]:
    """(status, words' costs, gaps' costs, seams) of ``codes[position:]``, which starts at a gap.

    ``previous`` is the unit of the word before ``position``. ``memo`` is (slots, key store, meta), meta
    being (keys held, store used, keys reported); ``report`` gets a row (slot, start, end, context) per key
    left to Python. ``given`` is (space flag of each codepoint, the trie, the plain word rules). The sums
    are the text's only when the status is ``DONE``.
    """
    space, trie, rules = given
    status: int = np.int64(DONE)  # pyright: ignore[reportAssignmentType]  # numpy's stubs: not an int
    words = gaps = seams = 0
    work = _work((np.empty(0, dtype=np.uint32), np.empty(1, dtype=np.int64)), np.int64(16))
    while position < codes.shape[0]:
        after_gap = _skip(codes, position, space, True)
        # The context as a plain int64: a literal in the span would compile every callee a second time.
        gap, h, at = _unit(codes, (position, after_gap, np.int64(GAP)), memo)
        if gap == _MISSING:
            work = _work(work, after_gap - position)
            gap = _miss(codes, (position, after_gap, np.int64(GAP)), (h, at), memo, report, (trie, rules, work))
        status = _status(status, gap)
        gaps += gap >> 2
        if after_gap == codes.shape[0]:
            break
        end = _skip(codes, after_gap, space, False)
        span = (after_gap, end, _context(codes, after_gap, end))
        unit, h, at = _unit(codes, span, memo)
        if unit == _MISSING:
            work = _work(work, end - after_gap)
            unit = _miss(codes, span, (h, at), memo, report, (trie, rules, work))
        status = _status(status, unit)
        unit = max(unit, 0)  # a pending word adds nothing to this scan's sums, which will not be used
        seams += 1 if previous & 2 and unit & 1 and after_gap - position == 1 and codes[position] == _SPACE else 0
        words += unit >> 2
        previous, position = unit, end
    return status, words, gaps, seams


@njit(cache=True, nogil=True)
def settle(codes: np.ndarray, report: np.ndarray, memo: Memo, given: Given) -> None:
    """Write and tile here each reported key that can be now (its characters learned and priced since
    the scan), and mark its row done (slot -1); the rest stay for Python."""
    _space, trie, rules = given
    slots = memo[0]
    work = _work((np.empty(0, dtype=np.uint32), np.empty(1, dtype=np.int64)), np.int64(16))
    for row in range(report.shape[0]):
        span = (report[row, 1], report[row, 2], report[row, 3])
        work = _work(work, span[1] - span[0])
        unit = _computed(codes, span, trie, rules, work)
        if unit >= 0:
            slots[report[row, 0], UNIT] = unit
            report[row, 0] = -1


@njit(cache=True, nogil=True)
def rehash(old: np.ndarray, new: np.ndarray) -> None:
    """Move every slot of ``old`` into the larger, empty ``new``; the key store stays as it is."""
    mask = new.shape[0] - 1
    for slot in range(old.shape[0]):
        if old[slot, _START] == _UNSET:
            continue
        at = old[slot, _HASH] & mask
        while new[at, _START] != _UNSET:
            at = (at + 1) & mask
        for column in range(old.shape[1]):
            new[at, column] = old[slot, column]
