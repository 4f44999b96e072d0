# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The offline counter's compiled engine, built ahead of time: ctok's ``min_vocab_tile`` over a flat reverse
trie, ``PlainWords.write`` over per-codepoint tables, and the per-word sum over an open-addressing memo.

Imported by ``engine.load_engine`` on the first offline count (never at server start-up); where it was not
built, counting keeps to the pure-Python path, just as exact. Every buffer is a flat 1-D array owned by
Python (``array.array`` or ``bytearray``): a 2-D table is rows of a fixed stride. The loops run without the
GIL; the Python drivers are ``compiled_tiler``, ``char_facts`` and ``word_table``.

The trie is one open-addressing hash table from (node, codepoint) to the child node and its terminal flag,
plus a direct table of the root's children. Pieces are stored backwards, as in ctok's ``ReverseTrie``,
because the tiling ends a tile at each position and scans its possible starts right to left.

The memo is keyed by a word's codepoints and its context (a space before it, a single space after it), or
by a whitespace gap's codepoints. A slot is one row (hash, where the key's codepoints start in the key
store, length << 3 | context, unit), so a lookup touches one cache line besides the key; the unit is what
``fast_count`` packs (tiling cost << 2 | ends in ⟨eow⟩ << 1 | opens with ⟨bow⟩). A key the table lacks is
inserted as pending and reported once, with its place in the text, for Python to write and tile; the pass
then runs again and finds every key.
"""

from cpython cimport array
from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc

import array as _array

# Past the largest codepoint, so that node * SPAN + codepoint names one edge.
cdef int64_t SPAN = 0x110000
cdef int64_t EMPTY = -1
# An edge is one 64-bit row: its key (node * SPAN + codepoint) above the low VALUE_BITS, which hold the child
# and its terminal flag (child << 1 | terminal). Half the size of a (key, value) pair: more of the table
# stays in cache during the tiling's walk. So a trie holds fewer than 2 ** (VALUE_BITS - 1) nodes.
cdef int VALUE_BITS = 22
cdef uint64_t VALUE_MASK = (1 << 22) - 1
cdef uint64_t EMPTY_ROW = 0xFFFFFFFFFFFFFFFFULL
MAX_NODES = 1 << 21

# word_scan's statuses and the context of a gap (a test checks they agree).
cdef enum:
    DONE = 0
    PENDING = 1
    FULL = 2
    GAP = 4

# A character's kind, as char_facts numbers them; UNKNOWN until learned.
cdef enum:
    OTHER = 0
    LETTERS = 1
    DIGITS = 2
    PUNCT = 3
    HARD = 4
    HARD_PUNCT = 5
    SELECTOR = 6
    UNKNOWN = 7

# A character's case facts: ctok's capital, small letter, a letter or mark that cannot be lowered (it blocks
# ⟨caps⟩), and a case ctok writes by a rule of its own (left to Python).
cdef enum:
    UPPER = 1
    LOWER = 2
    UNLOWERABLE = 4
    SPECIAL = 8

# The fields of ``glyphs``: the four markers, then the all-caps run's least length (-1 for none).
cdef enum:
    BOW = 0
    EOW = 1
    SHIFT = 2
    CAPS = 3
    CAPS_MIN = 4

cdef enum:
    KEEP = 0
    SHIFTED = 1
    ALL_CAPS = 2
    SPECIAL_CASE = -1

# A slot's columns, the stride of slots and report rows, and the fields of ``meta`` (keys held, key store
# used, keys reported by this scan).
cdef enum:
    HASH = 0
    START = 1
    SHAPE = 2
    UNIT = 3
    ROW = 4
    HELD = 0
    USED = 1
    REPORTED = 2

cdef enum:
    APOSTROPHE = 39
    ASCII = 128
    SPACE = 32
    UNSET = -1
    PENDING_UNIT = -1
    NO_ROOM = -2
    MISSING = -3

STATUSES = (DONE, PENDING, FULL, GAP)
KINDS = (OTHER, LETTERS, DIGITS, PUNCT, HARD, HARD_PUNCT, SELECTOR, UNKNOWN)
CASE_FACTS = (UPPER, LOWER, UNLOWERABLE, SPECIAL)

cdef array.array _INT64 = _array.array("q")
cdef array.array _UINT64 = _array.array("Q")
cdef array.array _INT32 = _array.array("i")


cdef struct Trie:
    const uint64_t* edges  # rows key << VALUE_BITS | child << 1 | terminal
    uint64_t mask
    const int32_t* root
    const uint8_t* floor


cdef struct Rules:
    const uint8_t* kinds
    const uint8_t* flags
    const int32_t* lower
    const int64_t* glyphs
    const int64_t* contractions
    Py_ssize_t suffixes


cdef struct Given:
    const uint8_t* space
    Trie trie
    Rules rules


cdef struct Work:
    uint32_t* out
    int64_t* best
    Py_ssize_t room


cdef inline uint64_t _slot(uint64_t key, uint64_t mask) noexcept nogil:
    # Fibonacci hashing of the edge key, folded into the table.
    return ((key * 0x9E3779B1ULL) ^ (key >> 15)) & mask


cdef inline int64_t _child(const Trie* trie, int64_t node, uint32_t cp) noexcept nogil:
    """The packed child (node << 1 | terminal) of ``node`` along ``cp``, or -1."""
    cdef uint64_t key = <uint64_t>(node * SPAN + cp)
    cdef uint64_t at = _slot(key, trie.mask)
    cdef uint64_t row
    while True:
        row = trie.edges[at]
        if row == EMPTY_ROW:
            return EMPTY
        if row >> VALUE_BITS == key:
            return <int64_t>(row & VALUE_MASK)
        at = (at + 1) & trie.mask


cdef class Tiling:
    """The reverse trie (edges, the root's children) and the floor price of each codepoint, as the kernels
    read them. ``floor`` stays Python's to fill: a codepoint not priced yet has 0."""

    cdef const uint64_t[::1] _edges
    cdef const int32_t[::1] _root
    cdef const uint8_t[::1] _floor
    cdef Trie trie

    def __init__(self, const uint64_t[::1] edges, const int32_t[::1] root, const uint8_t[::1] floor):
        if root.shape[0] != SPAN or floor.shape[0] != SPAN:
            raise ValueError("a trie's root and floor tables hold one entry per codepoint")
        if edges.shape[0] < 1 or edges.shape[0] & (edges.shape[0] - 1):
            raise ValueError("a trie's edge table holds a power of two of rows")
        self._edges, self._root, self._floor = edges, root, floor
        self.trie.edges = &edges[0]
        self.trie.mask = edges.shape[0] - 1
        self.trie.root = &root[0]
        self.trie.floor = &floor[0]


cdef class Scanner:
    """What the scan reads besides the memo: the tiling, which codepoints are space, and the rules of plain
    words (kind, case facts and lowered form of each codepoint, the marker glyphs, the contraction suffixes
    packed as ``_run_key`` packs a letter run)."""

    cdef Tiling _tiling
    cdef const uint8_t[::1] _space
    cdef const uint8_t[::1] _kinds
    cdef const uint8_t[::1] _flags
    cdef const int32_t[::1] _lower
    cdef const int64_t[::1] _glyphs
    cdef const int64_t[::1] _contractions
    cdef Given given

    def __init__(
        self,
        Tiling tiling,
        const uint8_t[::1] space,
        const uint8_t[::1] kinds,
        const uint8_t[::1] flags,
        const int32_t[::1] lower,
        const int64_t[::1] glyphs,
        const int64_t[::1] contractions,
    ):
        if space.shape[0] != SPAN or kinds.shape[0] != SPAN or flags.shape[0] != SPAN or lower.shape[0] != SPAN:
            raise ValueError("the per-codepoint tables hold one entry per codepoint")
        if glyphs.shape[0] != 5:
            raise ValueError("glyphs: the four markers and the all-caps run's least length")
        self._tiling = tiling
        self._space, self._kinds, self._flags, self._lower = space, kinds, flags, lower
        self._glyphs, self._contractions = glyphs, contractions
        self.given.space = &space[0]
        self.given.trie = tiling.trie
        self.given.rules.kinds = &kinds[0]
        self.given.rules.flags = &flags[0]
        self.given.rules.lower = &lower[0]
        self.given.rules.glyphs = &glyphs[0]
        self.given.rules.contractions = &contractions[0] if contractions.shape[0] else NULL
        self.given.rules.suffixes = contractions.shape[0]


# ---- the trie -------------------------------------------------------------------------------------------


cdef uint64_t _table_size(Py_ssize_t nodes) noexcept nogil:
    cdef uint64_t size = 1
    while size < <uint64_t>(2 * nodes):
        size *= 2
    return size


cdef int64_t* _edge_table(uint64_t size) noexcept nogil:
    cdef int64_t* edges = <int64_t*>malloc(2 * size * sizeof(int64_t))
    cdef uint64_t i
    if edges != NULL:
        for i in range(2 * size):
            edges[i] = EMPTY
    return edges


cdef int64_t* _regrown(int64_t* old, uint64_t old_size, uint64_t size) noexcept nogil:
    """The rows of ``old`` in a fresh table of ``size`` rows; ``old`` is freed either way."""
    cdef int64_t* edges = _edge_table(size)
    cdef uint64_t slot, at
    if edges != NULL:
        for slot in range(old_size):
            if old[2 * slot] == EMPTY:
                continue
            at = _slot(<uint64_t>old[2 * slot], size - 1)
            while edges[2 * at] != EMPTY:
                at = (at + 1) & (size - 1)
            edges[2 * at] = old[2 * slot]
            edges[2 * at + 1] = old[2 * slot + 1]
    free(old)
    return edges


cdef struct Build:
    int64_t* table  # rows (key, child << 1 | terminal) while the trie is built
    uint64_t size
    int64_t nodes


cdef bint _insert_piece(Build* build, const uint32_t* codes, Py_ssize_t length) noexcept nogil:
    """Insert the piece ``codes[:length]`` last codepoint first, doubling the table to keep it at most half
    full; False when there was no memory for that."""
    cdef int64_t node = 0, key
    cdef uint64_t at = 0
    cdef Py_ssize_t i
    for i in range(length - 1, -1, -1):
        if 2 * (build.nodes + 1) > <int64_t>build.size:
            build.table = _regrown(build.table, build.size, 2 * build.size)
            build.size *= 2
            if build.table == NULL:
                return False
        key = node * SPAN + codes[i]
        at = _slot(<uint64_t>key, build.size - 1)
        while build.table[2 * at] != EMPTY and build.table[2 * at] != key:
            at = (at + 1) & (build.size - 1)
        if build.table[2 * at] == EMPTY:
            build.table[2 * at] = key
            build.table[2 * at + 1] = build.nodes << 1
            build.nodes += 1
        node = build.table[2 * at + 1] >> 1
    if length > 0:
        build.table[2 * at + 1] |= 1  # the edge into the piece's last node: that node is terminal
    return True


def build_trie(const uint32_t[::1] codes, const int64_t[::1] lengths):
    """The reverse trie of the pieces ``codes`` holds end to end, ``lengths[i]`` codepoints each (not
    reversed: they are inserted last codepoint first).

    Returns (edges, root) as ``array.array('Q')`` and ``array.array('i')``. An edge row is
    (node * 0x110000 + codepoint) << 22 | child << 1 | child is terminal, so a step reads one 8-byte row, in
    a table at most half full; ``root`` holds the root's packed children by codepoint (-1 for none), since
    every position of a text starts there. Node 0 is the root.

    Raises:
        ValueError: the pieces make ``MAX_NODES`` nodes or more (ctok's largest vocabulary makes 100,000).
    """
    cdef Build build = Build(_edge_table(1024), 1024, 1)
    cdef Py_ssize_t piece, begin = 0
    cdef bint built = build.table != NULL
    with nogil:
        for piece in range(lengths.shape[0]):
            built = built and _insert_piece(&build, &codes[begin] if lengths[piece] else NULL, lengths[piece])
            begin += lengths[piece]
    if not built:
        free(build.table)
        raise MemoryError()
    try:
        if build.nodes >= MAX_NODES:
            raise ValueError(f"the vocabulary makes {build.nodes} trie nodes; the engine holds fewer than {MAX_NODES}")
        return _trie_arrays(build.table, build.size)
    finally:
        free(build.table)


cdef tuple _trie_arrays(const int64_t* table, uint64_t size):
    """The build's (key, value) rows packed into one 64-bit row each, at the same slots; the root's table."""
    cdef array.array edges = array.clone(_UINT64, <Py_ssize_t>size, zero=False)
    cdef array.array root = array.clone(_INT32, <Py_ssize_t>SPAN, zero=False)
    cdef uint64_t[::1] e = edges
    cdef int32_t[::1] r = root
    cdef uint64_t i
    with nogil:
        for i in range(<uint64_t>SPAN):
            r[i] = EMPTY
        for i in range(size):
            if table[2 * i] == EMPTY:
                e[i] = EMPTY_ROW
                continue
            e[i] = (<uint64_t>table[2 * i]) << VALUE_BITS | <uint64_t>table[2 * i + 1]
            if table[2 * i] < SPAN:
                r[table[2 * i]] = <int32_t>table[2 * i + 1]
    return edges, root


# ---- tiling ---------------------------------------------------------------------------------------------


cdef int64_t _tile_cost(const uint32_t* codes, Py_ssize_t length, const Trie* trie, int64_t* best) noexcept nogil:
    """The min-cost tiling's cost of ``codes[:length]``; ``best`` has room for ``length + 1`` costs.

    A piece costs 1; the character at ``p`` alone costs 1 if it is a piece, else its floor price. The loop
    is ctok's ``min_vocab_tile`` without the back-pointers, which only the tokens need.
    """
    cdef Py_ssize_t end, at
    cdef int64_t packed, single, cost
    best[0] = 0
    for end in range(1, length + 1):
        packed = trie.root[codes[end - 1]]
        single = 1 if packed != EMPTY and packed & 1 else trie.floor[codes[end - 1]]
        cost = best[end - 1] + single
        at = end - 2
        while packed != EMPTY and at >= 0:
            packed = _child(trie, packed >> 1, codes[at])
            if packed != EMPTY and packed & 1 and best[at] + 1 < cost:
                cost = best[at] + 1
            at -= 1
        best[end] = cost
    return best[length]


def tile_costs(Tiling tiling, const uint32_t[::1] codes, const int64_t[::1] starts):
    """The tiling cost of each text ``codes[starts[i]:starts[i + 1]]``, as a list."""
    cdef Py_ssize_t texts = starts.shape[0] - 1, t, longest = 0
    cdef array.array out = array.clone(_INT64, max(texts, 0), zero=True)
    cdef int64_t[::1] costs = out
    cdef int64_t* best
    if texts <= 0:
        return []
    for t in range(texts):
        longest = max(longest, starts[t + 1] - starts[t])
    best = <int64_t*>malloc((longest + 1) * sizeof(int64_t))
    if best == NULL:
        raise MemoryError()
    cdef const uint32_t* at = &codes[0] if codes.shape[0] else NULL
    with nogil:
        for t in range(texts):
            costs[t] = _tile_cost(at + starts[t], starts[t + 1] - starts[t], &tiling.trie, best)
    free(best)
    return out.tolist()


def adjacent_pairs(const uint32_t[::1] codes, const int64_t[::1] lengths):
    """Every two adjacent characters inside a piece (pieces end to end in ``codes``, ``lengths[i]`` each), as
    2-character strings: ``segment_tiling.adjacent_pairs`` without a slice per position, deduplicated in C."""
    cdef uint64_t size = _table_size(codes.shape[0] + 1)
    cdef uint64_t* seen = <uint64_t*>malloc(size * sizeof(uint64_t))
    cdef Py_ssize_t piece, i, begin = 0
    cdef uint64_t key, at
    if seen == NULL:
        raise MemoryError()
    try:
        with nogil:
            for at in range(size):
                seen[at] = EMPTY_ROW
            for piece in range(lengths.shape[0]):
                for i in range(begin + 1, begin + lengths[piece]):
                    key = <uint64_t>codes[i - 1] * SPAN + codes[i]
                    at = _slot(key, size - 1)
                    while seen[at] != EMPTY_ROW and seen[at] != key:
                        at = (at + 1) & (size - 1)
                    seen[at] = key
                begin += lengths[piece]
        return {chr(seen[at] // SPAN) + chr(seen[at] % SPAN) for at in range(size) if seen[at] != EMPTY_ROW}
    finally:
        free(seen)


def unpriced(const uint8_t[::1] floor, const uint32_t[::1] codes):
    """The distinct codepoints of ``codes`` whose floor price is still 0, in no particular order."""
    seen = set()
    cdef Py_ssize_t i
    cdef uint32_t cp
    for i in range(codes.shape[0]):
        cp = codes[i]
        if floor[cp] == 0:
            seen.add(cp)
    return list(seen)


def unlearned(const uint8_t[::1] kinds, const uint32_t[::1] codes, const int64_t[::1] report, Py_ssize_t rows):
    """The distinct codepoints of the words (not the gaps) of the first ``rows`` reported keys whose kind is
    not learned yet, in no particular order: what ``char_facts`` must learn before ``settle``."""
    seen = set()
    cdef Py_ssize_t row, i, start, end
    cdef uint32_t cp
    if kinds.shape[0] != SPAN or rows * ROW > report.shape[0]:
        raise ValueError("one kind per codepoint, and no more rows than the report holds")
    for row in range(rows):
        start, end = report[ROW * row + 1], report[ROW * row + 2]
        if report[ROW * row + 3] == GAP:
            continue
        if not 0 <= start <= end <= codes.shape[0]:
            raise ValueError("a reported key lies outside the text")
        for i in range(start, end):
            cp = codes[i]
            if cp >= SPAN:
                raise ValueError("a codepoint past U+10FFFF")
            if kinds[cp] == UNKNOWN:
                seen.add(cp)
    return list(seen)


def identity_table():
    """``array('i')`` holding each codepoint's own value: the lowered form of a character not learned yet."""
    cdef array.array table = array.clone(_INT32, <Py_ssize_t>SPAN, zero=False)
    cdef int32_t[::1] t = table
    cdef Py_ssize_t i
    for i in range(SPAN):
        t[i] = <int32_t>i
    return table


# ---- plain words ----------------------------------------------------------------------------------------


cdef int64_t _run_key(const uint32_t* codes, Py_ssize_t start, Py_ssize_t end) noexcept nogil:
    # A short run packed as its length then base-128 digits, as word_table packs the contraction suffixes.
    cdef int64_t key = end - start
    cdef Py_ssize_t i
    if end - start > 8:
        return -1
    for i in range(start, end):
        if codes[i] >= ASCII:  # contraction suffixes are ASCII; a wider digit would collide
            return -1
        key = key * ASCII + codes[i]
    return key


cdef bint _member(int64_t key, const Rules* rules) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(rules.suffixes):
        if rules.contractions[i] == key:
            return True
    return False


cdef inline Py_ssize_t _copy(const uint32_t* codes, Py_ssize_t start, Py_ssize_t end, uint32_t* out, Py_ssize_t at) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(start, end):
        out[at] = codes[i]
        at += 1
    return at


cdef inline bint _bordered(int kind) noexcept nogil:
    """Whether a character of this kind gives its run a border marker on its side."""
    return kind == PUNCT or kind == HARD_PUNCT or kind == SELECTOR


cdef int _case(const uint32_t* codes, Py_ssize_t start, Py_ssize_t end, const Rules* rules) noexcept nogil:
    """ctok's ``mark_case`` of the letter run: kept as it is, shifted (a title-case run) or all caps (the
    last two lowered); ``SPECIAL_CASE`` when a character's case is one ctok writes by a rule of its own."""
    cdef Py_ssize_t i, upper = 0, cased = 0
    cdef bint blocked = False
    cdef uint8_t facts
    cdef int64_t caps_min = rules.glyphs[CAPS_MIN]
    for i in range(start, end):
        facts = rules.flags[codes[i]]
        if facts & SPECIAL:
            return SPECIAL_CASE
        upper += facts & UPPER
        cased += 1 if facts & (UPPER | LOWER) else 0
        blocked = blocked or facts & UNLOWERABLE != 0
    if caps_min >= 0 and 0 < cased == upper and end - start >= caps_min and not blocked:
        return ALL_CAPS
    if <uint32_t>rules.lower[codes[start]] == codes[start]:
        return KEEP
    return SHIFTED if rules.flags[codes[start]] & UPPER and upper == 1 else KEEP


cdef Py_ssize_t _letters(
    const uint32_t* codes, Py_ssize_t start, Py_ssize_t end, bint glued, const Rules* rules, uint32_t* out, Py_ssize_t at
) noexcept nogil:
    """Write the letter run at ``out[at:]`` (cased, ⟨bow⟩ unless ``glued``, ⟨eow⟩); the end, or -1."""
    cdef int case = _case(codes, start, end, rules)
    cdef Py_ssize_t i
    if case == SPECIAL_CASE:
        return -1
    if case != KEEP:
        out[at] = rules.glyphs[SHIFT] if case == SHIFTED else rules.glyphs[CAPS]
        at += 1
    if not glued:
        out[at] = rules.glyphs[BOW]
        at += 1
    for i in range(start, end):
        out[at] = codes[i] if case == KEEP else <uint32_t>rules.lower[codes[i]]
        at += 1
    out[at] = rules.glyphs[EOW]
    return at + 1


cdef Py_ssize_t _punctuation(
    const uint32_t* codes, Py_ssize_t run, Py_ssize_t run_end, Py_ssize_t end, int context, bint first,
    const Rules* rules, uint32_t* out, Py_ssize_t at,
) noexcept nogil:
    """Write a run ``codes[run:run_end]`` with a border character, of a word ending at ``end``, at
    ``out[at:]``: ⟨bow⟩ when it opens the word after a space with one, unless it is a lone apostrophe opening
    a letter run; ⟨eow⟩ when it closes the word with one before a single space. The end of what it wrote."""
    cdef bint last = run_end == end
    cdef bint opens = (
        run_end - run == 1 and codes[run] == APOSTROPHE and not last and rules.kinds[codes[run_end]] == LETTERS
    )
    if first and context & 2 and not opens and _bordered(rules.kinds[codes[run]]):
        out[at] = rules.glyphs[BOW]
        at += 1
    at = _copy(codes, run, run_end, out, at)
    if last and context & 1 and _bordered(rules.kinds[codes[run_end - 1]]):
        out[at] = rules.glyphs[EOW]
        at += 1
    return at


cdef inline Py_ssize_t _run_end(const uint32_t* codes, Py_ssize_t start, Py_ssize_t end, const uint8_t* kinds) noexcept nogil:
    """Where the run starting at ``start`` ends: ctok's runs, its hard runs split where ``_hard_kind``
    changes, a selector riding the run before it, and one opening a run reading as a letter."""
    cdef uint8_t kind = HARD if kinds[codes[start]] == SELECTOR else kinds[codes[start]]
    cdef bint rides = kind == HARD or kind == HARD_PUNCT
    cdef Py_ssize_t at = start + 1
    while at < end and (kinds[codes[at]] == kind or (rides and kinds[codes[at]] == SELECTOR)):
        at += 1
    return at


cdef Py_ssize_t _plain_stream(
    const uint32_t* codes, Py_ssize_t start, Py_ssize_t end, int context, const Rules* rules, uint32_t* out
) noexcept nogil:
    """Write the stream of the word ``codes[start:end]`` in ``context`` into ``out``; its length, or -1 when
    the word has a character not learned yet or one that ``PlainWords`` or ``_case`` leave to Python.
    ``out`` has room for ``4 * (end - start)``."""
    cdef Py_ssize_t i, at = 0, previous = start, run = start, run_end, index = 0
    cdef uint8_t kind, two_back = OTHER, one_back = OTHER  # the last characters' kinds of the two runs before
    cdef bint glued
    for i in range(start, end):
        if rules.kinds[codes[i]] == OTHER or rules.kinds[codes[i]] == UNKNOWN:
            return -1
    while run < end:
        kind = rules.kinds[codes[run]]
        run_end = _run_end(codes, run, end, rules.kinds)
        if kind == LETTERS:
            # A contraction suffix after a lone apostrophe, unless the run before that writes a border.
            glued = run - previous == 1 and codes[previous] == APOSTROPHE
            glued = glued and _member(_run_key(codes, run, run_end), rules)
            at = _letters(codes, run, run_end, glued and not (index >= 2 and _bordered(two_back)), rules, out, at)
            if at < 0:
                return -1
        elif _bordered(kind) or _bordered(rules.kinds[codes[run_end - 1]]):
            at = _punctuation(codes, run, run_end, end, context, index == 0, rules, out, at)
        else:
            at = _copy(codes, run, run_end, out, at)
        two_back, one_back = one_back, rules.kinds[codes[run_end - 1]]
        previous = run
        run = run_end
        index += 1
    return at


def plain_stream(Scanner scanner, str word, int context):
    """The stream ``PlainWords.write`` gives ``word`` in ``context``, or ``None`` when the compiled writer
    leaves the word to Python (the tests compare the two)."""
    cdef bytes raw = word.encode("utf-32-le", "surrogatepass")
    cdef const uint32_t[::1] codes = memoryview(raw).cast("I")
    cdef array.array out = array.clone(_array.array("I"), 4 * len(word) + 8, zero=True)
    cdef uint32_t[::1] written = out
    if not word:
        return ""
    cdef Py_ssize_t length = _plain_stream(&codes[0], 0, len(word), context, &scanner.given.rules, &written[0])
    return None if length < 0 else "".join(map(chr, out[:length]))


# ---- the memo and the scan ------------------------------------------------------------------------------


cdef struct Memo:
    int64_t* slots
    uint64_t mask
    uint32_t* store
    Py_ssize_t store_size
    int64_t* meta
    int64_t* report
    Py_ssize_t report_rows


cdef int64_t _hash(const uint32_t* codes, Py_ssize_t start, Py_ssize_t end, int context) noexcept nogil:
    # FNV-1a over the codepoints, seeded with the context, then a murmur3-style finish: FNV's low bits
    # depend only on the inputs' low bits, and the table is indexed by the low bits. Unsigned, so it wraps.
    cdef uint64_t h = 0x5BD1E995 + context
    cdef Py_ssize_t i
    for i in range(start, end):
        h = (h ^ codes[i]) * 1099511628211ULL
    h ^= (h >> 33) & 0x7FFFFFFF
    h *= 0xFF51AFD7ED558CCDULL
    return <int64_t>(h ^ ((h >> 33) & 0x7FFFFFFF))


cdef Py_ssize_t _find(const Memo* memo, const uint32_t* codes, Py_ssize_t start, Py_ssize_t end, int context, int64_t h) noexcept nogil:
    """The slot of the key ``codes[start:end]`` in ``context``, or ``-1 - slot`` of the empty slot for it."""
    cdef int64_t shape = (end - start) * 8 + context
    cdef uint64_t at = (<uint64_t>h) & memo.mask
    cdef const int64_t* row
    cdef const uint32_t* key
    cdef Py_ssize_t i
    while True:
        row = memo.slots + ROW * at
        if row[START] == UNSET:
            return -1 - <Py_ssize_t>at
        if row[HASH] == h and row[SHAPE] == shape:
            key = memo.store + row[START]
            i = 0
            while i < end - start and key[i] == codes[start + i]:
                i += 1
            if i == end - start:
                return <Py_ssize_t>at
        at = (at + 1) & memo.mask


cdef bint _room(Work* work, Py_ssize_t length) noexcept nogil:
    """Room in ``work`` for the stream of a word of ``length`` characters and its tiling."""
    if work.room >= 4 * length + 8:
        return True
    free(work.out)
    free(work.best)
    work.room = 8 * length + 16
    work.out = <uint32_t*>malloc(work.room * sizeof(uint32_t))
    work.best = <int64_t*>malloc((work.room + 1) * sizeof(int64_t))
    if work.out == NULL or work.best == NULL:
        work.room = 0
        return False
    return True


cdef int64_t _computed(
    const uint32_t* codes, Py_ssize_t start, Py_ssize_t end, int context, const Trie* trie, const Rules* rules,
    Work* work,
) noexcept nogil:
    """The key's unit, written and tiled here; -1 when the word is one for Python (``_plain_stream``), a
    character of its stream has no floor price yet, or there was no memory to write it."""
    cdef Py_ssize_t i, length, head = 0
    cdef int64_t ends, opens
    if not _room(work, end - start):
        return -1
    if context == GAP:
        for i in range(start, end):
            if trie.floor[codes[i]] == 0:
                return -1
        return _tile_cost(codes + start, end - start, trie, work.best) << 2
    length = _plain_stream(codes, start, end, context, rules, work.out)
    if length < 0:
        return -1
    for i in range(length):
        if trie.floor[work.out[i]] == 0:
            return -1
    ends = 2 if length > 1 and work.out[length - 1] == rules.glyphs[EOW] else 0
    while head < length and (work.out[head] == rules.glyphs[SHIFT] or work.out[head] == rules.glyphs[CAPS]):
        head += 1
    opens = 1 if head < length and work.out[head] == rules.glyphs[BOW] else 0
    return _tile_cost(work.out, length, trie, work.best) << 2 | ends | opens


cdef bint _insert(Memo* memo, const uint32_t* codes, Py_ssize_t start, Py_ssize_t end, int context, int64_t h, Py_ssize_t at, int64_t unit) noexcept nogil:
    """Hold the key in the empty slot ``_find`` gave; False when the table or the key store is full."""
    cdef int64_t used = memo.meta[USED]
    cdef int64_t* row = memo.slots + ROW * at
    if 2 * (memo.meta[HELD] + 1) > <int64_t>(memo.mask + 1) or used + end - start > memo.store_size:
        return False
    row[HASH] = h
    row[START] = used
    row[SHAPE] = (end - start) * 8 + context
    row[UNIT] = unit
    _copy(codes, start, end, memo.store, used)
    memo.meta[HELD] += 1
    memo.meta[USED] = used + end - start
    return True


cdef int64_t _miss(
    Memo* memo, const uint32_t* codes, Py_ssize_t start, Py_ssize_t end, int context, int64_t h, Py_ssize_t at,
    const Given* given, Work* work,
) noexcept nogil:
    """The unit of a key the memo lacks (its hash and empty slot ``at``), computed and held; ``PENDING_UNIT``
    when it is pending (held, for Python to fill, and reported); ``NO_ROOM`` when there is no room."""
    cdef int64_t unit = _computed(codes, start, end, context, &given.trie, &given.rules, work)
    cdef int64_t* row
    if unit < 0 and memo.meta[REPORTED] == memo.report_rows:
        return NO_ROOM  # a pending key must be reported, or no later scan would fill it
    if not _insert(memo, codes, start, end, context, h, at, unit if unit >= 0 else PENDING_UNIT):
        return NO_ROOM
    if unit >= 0:
        return unit
    row = memo.report + ROW * memo.meta[REPORTED]
    row[0], row[1], row[2], row[3] = at, start, end, context
    memo.meta[REPORTED] += 1
    return PENDING_UNIT


cdef inline int64_t _unit(
    Memo* memo, const uint32_t* codes, Py_ssize_t start, Py_ssize_t end, int context, const Given* given,
    Work* work, Py_ssize_t* slot,
) noexcept nogil:
    """The key's unit, from the memo or computed now; ``PENDING_UNIT`` or ``NO_ROOM`` as ``_miss`` says.
    ``slot`` gets the key's slot (meaningless with ``NO_ROOM``)."""
    cdef int64_t h = _hash(codes, start, end, context)
    cdef Py_ssize_t at = _find(memo, codes, start, end, context, h)
    if at >= 0:
        slot[0] = at
        return memo.slots[ROW * at + UNIT]
    slot[0] = -1 - at
    return _miss(memo, codes, start, end, context, h, -1 - at, given, work)


cdef struct Log:
    # The keys met from the first one not found on, in order: slot << 2 | a word << 1 | after a single space.
    # count is -1 once more were met than it holds.
    int64_t* rows
    Py_ssize_t size
    Py_ssize_t count


cdef inline void _log(Log* log, int64_t entry, bint logging) noexcept nogil:
    if not logging or log.count < 0:
        return
    if log.count == log.size:
        log.count = -1
        return
    log.rows[log.count] = entry
    log.count += 1


cdef inline int _status(int status, int64_t unit) noexcept nogil:
    if unit == NO_ROOM:
        return FULL
    return max(status, <int>PENDING) if unit == PENDING_UNIT else status


cdef inline Py_ssize_t _skip(const uint32_t* codes, Py_ssize_t n, Py_ssize_t at, const uint8_t* space, bint spaces) noexcept nogil:
    """Where the run of spaces (or of anything else) starting at ``at`` ends."""
    while at < n and (space[codes[at]] != 0) == spaces:
        at += 1
    return at


cdef inline int _context(const uint32_t* codes, Py_ssize_t n, Py_ssize_t after_gap, Py_ssize_t end) noexcept nogil:
    """A space before the word ``codes[after_gap:end]`` << 1 | a single space after it."""
    cdef bint single = end + 1 < n and codes[end] == SPACE and codes[end + 1] != SPACE
    single = single or (end + 1 == n and codes[end] == SPACE)
    return (2 if codes[after_gap - 1] == SPACE else 0) | (1 if single else 0)


cdef Memo _memo(int64_t[::1] slots, uint32_t[::1] store, int64_t[::1] meta, int64_t[::1] report) except *:
    cdef Memo memo
    if slots.shape[0] < ROW or slots.shape[0] & (slots.shape[0] - 1) or meta.shape[0] != 3 or report.shape[0] % ROW:
        raise ValueError("slots: a power of two of 4-column rows; meta: held, used, reported")
    memo.slots = &slots[0]
    memo.mask = slots.shape[0] // ROW - 1
    memo.store = &store[0] if store.shape[0] else NULL
    memo.store_size = store.shape[0]
    memo.meta = &meta[0]
    memo.report = &report[0] if report.shape[0] else NULL
    memo.report_rows = report.shape[0] // ROW
    return memo


cdef struct Resume:
    # Where the first key not found starts (its gap, or -1), with the sums before it and the unit before it:
    # the next scan (or the log) resumes there, as everything before it is summed from units already known.
    Py_ssize_t at
    int64_t previous, words, gaps, seams


cdef inline void _resume(Resume* resume, Py_ssize_t at, int64_t previous, int64_t words, int64_t gaps, int64_t seams) noexcept nogil:
    if resume.at < 0:
        resume.at, resume.previous, resume.words, resume.gaps, resume.seams = at, previous, words, gaps, seams


cdef tuple _scan(
    Memo* memo, const uint32_t* codes, Py_ssize_t n, Py_ssize_t position, int64_t previous, const Given* given,
    Work* work, Log* log,
):
    cdef int status = DONE, context
    cdef int64_t words = 0, gaps = 0, seams = 0, gap, unit, before, single
    cdef Py_ssize_t start, after_gap, end, gap_slot, word_slot
    cdef Resume resume = Resume(-1, 0, 0, 0, 0)
    with nogil:
        while position < n:
            start, before = position, previous
            after_gap = _skip(codes, n, position, given.space, True)
            gap = _unit(memo, codes, position, after_gap, GAP, given, work, &gap_slot)
            status = _status(status, gap)
            if status != DONE:
                _resume(&resume, start, before, words, gaps, seams)
            if status == FULL:
                break  # nothing more can be held: writing and tiling the rest now would be thrown away
            _log(log, gap_slot << 2, resume.at >= 0)
            gaps += gap >> 2
            if after_gap == n:
                break
            end = _skip(codes, n, after_gap, given.space, False)
            context = _context(codes, n, after_gap, end)
            unit = _unit(memo, codes, after_gap, end, context, given, work, &word_slot)
            status = _status(status, unit)
            if status != DONE and resume.at < 0:
                _resume(&resume, start, before, words, gaps - (gap >> 2), seams)
                _log(log, gap_slot << 2, True)
            if status == FULL:
                break
            single = after_gap - position == 1 and codes[position] == SPACE
            _log(log, word_slot << 2 | 2 | single, resume.at >= 0)
            unit = max(unit, 0)  # a pending word adds nothing to this scan's sums, which will not be used
            seams += 1 if previous & 2 and unit & 1 and single else 0
            words += unit >> 2
            previous, position = unit, end
    if resume.at < 0:
        return status, words, gaps, seams, n, previous
    return status, resume.words, resume.gaps, resume.seams, resume.at, resume.previous


def scan_words(
    Scanner scanner,
    const uint32_t[::1] codes,
    Py_ssize_t position,
    int64_t previous,
    int64_t[::1] slots,
    uint32_t[::1] store,
    int64_t[::1] meta,
    int64_t[::1] report,
    int64_t[::1] log=None,
):
    """(status, words' costs, gaps' costs, seams, resume, its previous) of ``codes[position:]``, which starts
    at a gap after a word of unit ``previous``.

    The sums are those of ``codes[position:resume]``: the whole text when the status is ``DONE``, else the
    part before the first key the memo lacked or held as pending; once the reported keys are filled, a scan
    from ``resume`` with its ``previous`` sums the rest. The memo is ``slots`` (rows of hash, key start
    in ``store``, key length << 3 | context, unit; a power of two of them), the key ``store`` of codepoints,
    and ``meta`` (keys held, store used, keys reported); ``report`` gets a row (slot, start, end, context)
    per key left to Python.

    ``log``, when given, gets the keys met from ``resume`` on: ``log[0]`` their count (-1 when more were met
    than it holds), then a row each, for ``sum_log`` to sum once the reported keys are filled.
    """
    cdef Memo memo = _memo(slots, store, meta, report)
    cdef Work work = Work(NULL, NULL, 0)
    cdef Log record = Log(NULL, 0, -1)
    if position < 1 or position > codes.shape[0]:
        raise ValueError("a scan starts after the text's first word")
    if log is not None and log.shape[0] > 0:
        record.size, record.count = log.shape[0] - 1, 0
        if record.size > 0:
            record.rows = &log[1]
    try:
        return _scan(&memo, &codes[0], codes.shape[0], position, previous, &scanner.given, &work, &record)
    finally:
        if log is not None and log.shape[0] > 0:
            log[0] = record.count
        free(work.out)
        free(work.best)


def sum_log(const int64_t[::1] log, const int64_t[::1] slots, int64_t previous):
    """(words' costs, gaps' costs, seams) of the keys ``scan_words`` logged, the first after a word of unit
    ``previous``: what a scan from its ``resume`` would sum, without looking a key up again. ``None`` when
    the log ran out of room or a logged key is still pending."""
    cdef Py_ssize_t count = log[0] if log.shape[0] else -1, i, rows = slots.shape[0] // ROW
    cdef int64_t entry, unit, words = 0, gaps = 0, seams = 0
    cdef bint whole = True
    if count < 0 or count >= log.shape[0]:
        return None
    with nogil:
        for i in range(1, count + 1):
            entry = log[i]
            if entry < 0 or entry >> 2 >= rows or slots[ROW * (entry >> 2) + UNIT] < 0:
                whole = False
                break
            unit = slots[ROW * (entry >> 2) + UNIT]
            if entry & 2:
                if previous & 2 and unit & 1 and entry & 1:
                    seams += 1
                words += unit >> 2
                previous = unit
            else:
                gaps += unit >> 2
    return (words, gaps, seams) if whole else None


def settle(Scanner scanner, const uint32_t[::1] codes, int64_t[::1] report, Py_ssize_t rows, int64_t[::1] slots):
    """Write and tile here each of the first ``rows`` reported keys that can be now (its characters learned
    and priced since the scan), and mark its row done (slot -1); the rest stay for Python."""
    cdef Work work = Work(NULL, NULL, 0)
    cdef Py_ssize_t row
    cdef int64_t unit
    cdef int64_t* r
    if rows * ROW > report.shape[0]:
        raise ValueError("more rows than the report holds")
    try:
        with nogil:
            for row in range(rows):
                r = &report[ROW * row]
                unit = _computed(&codes[0], r[1], r[2], <int>r[3], &scanner.given.trie, &scanner.given.rules, &work)
                if unit >= 0:
                    slots[ROW * r[0] + UNIT] = unit
                    r[0] = -1
    finally:
        free(work.out)
        free(work.best)


def empty_slots(Py_ssize_t count):
    """``count`` empty memo slots (a power of two), as ``array('q')``: no key starts anywhere."""
    cdef array.array table = array.clone(_INT64, ROW * count, zero=True)
    cdef int64_t[::1] t = table
    cdef Py_ssize_t i
    if count < 1 or count & (count - 1):
        raise ValueError("a memo holds a power of two of slots")
    for i in range(count):
        t[ROW * i + START] = UNSET
    return table


def rehash(const int64_t[::1] old, int64_t[::1] new):
    """Move every slot of ``old`` into the larger, empty ``new``; the key store stays as it is."""
    cdef uint64_t mask = new.shape[0] // ROW - 1
    cdef Py_ssize_t slot, column
    cdef uint64_t at
    with nogil:
        for slot in range(old.shape[0] // ROW):
            if old[ROW * slot + START] == UNSET:
                continue
            at = (<uint64_t>old[ROW * slot + HASH]) & mask
            while new[ROW * at + START] != UNSET:
                at = (at + 1) & mask
            for column in range(ROW):
                new[ROW * at + column] = old[ROW * slot + column]
