"""What the compiled word scan needs and gives, without numpy: its kernels' shape, its loader and its guard.

``word_table.WordTable`` keeps ``fast_count``'s per-word memo in flat arrays that ``compiled_scan`` sums in
one pass over a text, so a text whose words were all seen costs no Python work per word. numba and numpy
are imported on the first count that needs them; when they are missing or fail, ``word_table`` returns
``None`` and ``fast_count`` sums the words in Python, just as exactly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from .batch_tiling import BatchTiler, Codes, Trie
from .ctok_internals import CtokParts
from .segment_tiling import MEMO_LIMIT

if TYPE_CHECKING:
    from .word_table import WordTable

logger = logging.getLogger(__name__)

STORE_LIMIT = 1 << 24
"""Past this many codepoints of keys (64 MB) the compiled memo starts afresh, however few keys it holds:
a few huge distinct words must not keep their bytes forever."""

type Given = tuple[Codes, Trie, tuple[Codes, Codes, Codes, Codes, Codes]]
"""The space flag of each codepoint, the trie, and the rules of plain words (see ``word_table.given``)."""

type Memo = tuple[Codes, Codes, Codes]
"""The slots (hash, key start in the store, key length << 3 | context, unit), the key store of
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


class ScanKernels(Protocol):
    """What ``compiled_scan`` provides."""

    def scan_words(
        self, codes: Codes, position: int, previous: int, memo: Memo, report: Codes, given: Given, /
    ) -> tuple[int, int, int, int]: ...

    def settle(self, codes: Codes, report: Codes, memo: Memo, given: Given, /) -> None: ...

    def rehash(self, old: Codes, new: Codes, /) -> None: ...


def load_scan_kernels() -> ScanKernels:
    """``compiled_scan``, which imports numba."""
    from . import compiled_scan  # numba costs ~0.3 s to import: only when first counting

    return compiled_scan  # pyright: ignore[reportReturnType]  # a module matching the protocol


def word_table(
    parts: CtokParts,
    model: Any,
    tiler: BatchTiler,
    kind: Callable[[str], str],
    kernels: Callable[[], ScanKernels] = load_scan_kernels,
) -> WordTable | None:
    """The compiled memo and scan, or ``None`` when numba cannot be loaded or ``tiler`` is not compiled.

    ``kind`` is ``PlainWords.kind``.
    """
    try:
        from .char_facts import CharFacts  # numpy, only where numba came with it
        from .compiled_tiler import CompiledTiler
        from .word_table import WordTable, given

        if not isinstance(tiler, CompiledTiler):
            return None
        facts = CharFacts(parts, kind, tiler.price)
        return WordTable(kernels(), given(parts, model, tiler, facts), facts, (MEMO_LIMIT, STORE_LIMIT))
    # numba raises its own error types from import, compilation and its cache; any of them, or a missing
    # package, leaves the per-word sum in Python rather than failing the count.
    except Exception as error:  # noqa: BLE001
        logger.info("compiled word scan unavailable (%r); summing words in Python", error)
        return None
