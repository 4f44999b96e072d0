"""Offline counting takes time linear in the text on every kind of text, in each engine.

A long run of one kind of character (one letter, DNA, digits, a rule of dashes, a base64 line, minified
JavaScript, spaces, tabs) is one huge word or gap. Counting such a text once took time quadratic in its
length (``"a" * 200_000``: 15-20 s against ctok's 1.6 s). Each case is counted here beside
``ctok.token_count`` on the same text, in the same process, timed by this process's CPU clock (other
processes on the machine do not stretch it), and must take at most twice ctok's time plus a small constant;
ctok's count and time of each text are measured once, for both engines. That is a wide margin: a linear
count takes about ctok's time or much less (``bench/linear_time.py`` prints the ratios), while a quadratic
one at this size takes several times ctok's. The steps of the tiler's two-piece check are counted exactly.
"""

from __future__ import annotations

import functools
import gc
import time
import tracemalloc
from collections.abc import Callable
from typing import Any, Final

import ctok  # pyright: ignore[reportMissingTypeStubs]
import pytest
from bench.linear_cases import CASES
from bench.linear_time import text_of
from tests.offline.conftest import counter_on

from mcp_token_counter.offline.text.ctok_fast import ctok_internal
from mcp_token_counter.offline.text.ctok_internals import ctok_parts
from mcp_token_counter.offline.text.segment_tiling import SegmentTiler, vocabulary_cuts
from mcp_token_counter.offline.text.word_stream import space_chars

VERSION: Final = "3.0"  # the longest pieces (128 characters), so the widest window near a segment's ends
CHARS: Final = 80_000
SLACK_S: Final = 0.1
# Characters in each word the memos must not keep: five times their longest key (4,096); a pasted megabyte
# would only take longer. Memos keeping such keys keep 2-3 bytes per character counted; the tests allow 0.25.
HUGE: Final = 20_000
HUGE_TEXTS: Final = 4  # counted and measured, after one counted first


def _cpu[T](run: Callable[[], T]) -> tuple[T, float]:
    start = time.process_time()
    result = run()
    return result, time.process_time() - start


@functools.cache
def _ctok_count(case: str, where: str) -> tuple[int, float]:
    """ctok's count of the case's text and the CPU seconds it took: the same for both engines, so counted once."""
    text = text_of(case, where, CHARS)
    return _cpu(lambda: ctok.token_count(text, VERSION))


@pytest.mark.parametrize("where", ["alone", "after a word"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_long_run_counts_as_ctok_in_at_most_twice_its_time(engine: str, case: str, where: str) -> None:
    text = text_of(case, where, CHARS)  # after a word: summed per word rather than priced as the text's head
    counter = counter_on(engine, VERSION)
    expected, ctok_s = _ctok_count(case, where)
    count, ours_s = _cpu(lambda: counter(text))
    assert count == expected
    assert ours_s <= 2 * ctok_s + SLACK_S, f"{ours_s:.2f} s against ctok's {ctok_s:.2f} s"


class _WatchedVocab(frozenset[str]):
    """The real vocabulary, counting the characters of every string looked up in it."""

    looked_up = 0

    def __contains__(self, item: object) -> bool:
        if isinstance(item, str):
            type(self).looked_up += len(item)
        return super().__contains__(item)


class _Model:
    """ctok's model with the watched vocabulary in place of its own."""

    def __init__(self, model: Any) -> None:
        self._model = model
        self.vocab = _WatchedVocab(model.vocab)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)


def _unpriced(at: int) -> int:
    raise AssertionError(f"the character at {at} is no piece")


def test_tiling_a_long_segment_looks_up_its_characters_a_bounded_number_of_times() -> None:
    # The two-piece check once looked up both halves at every cut: n * n characters hashed.
    parts = ctok_parts()
    model = _Model(ctok_internal("main", "_model")(ctok_internal("main", "_family")(VERSION)))
    spaces = space_chars(parts.classify, parts.space)
    cuts = vocabulary_cuts(model.vocab, spaces, parts.eow, "".join(sorted(parts.markers)))
    tiler = SegmentTiler(parts, model, cuts)
    for run in ("a" * 20_000, "-" * 20_000, " " * 20_000, "a" * 200):
        stream = f"{parts.bow}{run}{parts.eow}" if run[0] != " " else run
        _WatchedVocab.looked_up = 0
        # Every character of these streams is a piece, so ctok's tiling needs no floor price.
        assert tiler.cost(stream) == parts.min_vocab_tile(stream, model.trie, _unpriced)[0]
        assert _WatchedVocab.looked_up <= 2 * len(stream) + 300 * 128


def _kept_after(counter: Callable[[str], int], where: str) -> int:
    """Bytes still allocated after counting ``HUGE_TEXTS`` distinct texts of one huge word of letters, ``where``
    in the text, after one counted before measuring; counts checked. Each text is made while measuring, so a
    memo holding on to the text itself is measured too."""

    def text(n: int) -> str:
        return text_of("letters", where, HUGE + n)

    counter(text(0))  # the first count's one-off allocations (ctok's caches, the compiled path's buffers)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        counts = [counter(text(n)) for n in range(1, 1 + HUGE_TEXTS)]
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert counts == [ctok.token_count(text(n), VERSION) for n in range(1, 1 + HUGE_TEXTS)]
    return kept


def test_a_huge_first_word_is_counted_without_being_remembered(engine: str) -> None:
    # Every memo holds at most MEMO_LIMIT keys; keys of a megabyte each made that gigabytes on a server fed
    # distinct large pastes. A text that is one huge word leaves (almost) nothing behind.
    kept = _kept_after(counter_on(engine, VERSION), "alone")
    assert kept < HUGE_TEXTS * HUGE // 4, f"{kept:,} bytes kept after counting {HUGE_TEXTS * HUGE:,} characters"


def test_huge_later_words_are_counted_without_being_remembered_in_python() -> None:
    # The compiled memo keeps its keys in its own store, bounded by word_table.STORE_LIMIT codepoints.
    kept = _kept_after(counter_on("python", VERSION), "after a word")
    assert kept < HUGE_TEXTS * HUGE // 4, f"{kept:,} bytes kept after counting {HUGE_TEXTS * HUGE:,} characters"
