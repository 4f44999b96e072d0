"""What the compiled word scan needs and gives: the memo's shape and the scan's statuses.

``word_table.WordTable`` keeps ``fast_count``'s per-word memo in flat buffers that the compiled engine sums
in one pass over a text, so a text whose words were all seen costs no Python work per word. When the engine
is not there or fails, ``word_table`` returns ``None`` and ``fast_count`` sums the words in Python, just as
exactly.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from typing import NamedTuple

type Memo = tuple[array[int], array[int], array[int]]
"""The slots (rows of hash, key start in the store, key length << 3 | context, unit), the key store of
codepoints, and (keys held, store used, keys reported by the last scan)."""


class Missing(NamedTuple):
    """A key the memo lacked: a word in its context, or a whitespace gap when ``context`` is ``GAP``."""

    start: int
    end: int
    context: int


DONE = 0
"""A scan's status: every key was found, the sums are the text's."""
PENDING = 1
"""A scan's status: some keys were missing or pending; fill the reported ones and scan again."""
FULL = 2
"""A scan's status: the table, its key store or the report ran out of room; fill, grow, scan again."""

GAP = 4
"""``Missing.context`` of a gap; a word's is (a space before it) << 1 | (a single space after it)."""

type UnitsOf = Callable[[str, list[Missing]], list[int]]
"""The unit of each missing key of a text, in order."""


class Sums(NamedTuple):
    """A text's words' tiling costs, its gaps' costs and its seams, past its first word."""

    words: int
    gaps: int
    seams: int
