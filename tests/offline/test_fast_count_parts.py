"""The fast counter's preconditions: where it cuts, what vocabulary it refuses, and how it steps aside."""

from __future__ import annotations

import logging
import re
import sys
import unicodedata
from collections.abc import Callable

import ctok  # pyright: ignore[reportMissingTypeStubs]
import pytest
from bench.ctok_corpus import EDGE_CASES, equality_corpus
from hypothesis import given
from hypothesis import strategies as st
from tests.offline.conftest import ENGINES, counter_on

from mcp_token_counter.offline.compiled.engine import load_engine
from mcp_token_counter.offline.text.compiled_tiler import compiled_pairs
from mcp_token_counter.offline.text.ctok_fast import Counter, counter_for, ctok_internal, engine_counter
from mcp_token_counter.offline.text.ctok_internals import ctok_attribute, ctok_parts
from mcp_token_counter.offline.text.fast_count import FastCounter, fold_touches
from mcp_token_counter.offline.text.plain_words import PlainWords
from mcp_token_counter.offline.text.segment_tiling import (
    UnsupportedVocabulary,
    adjacent_pairs,
    check_word_boundaries,
    cut_pattern,
)
from mcp_token_counter.offline.text.word_stream import scanned_separators, separators

EOW = "\ufdd1"
VERSIONS = ("3.0", "4.7", "4.8")
TEXTS = ("", "Hello, World!", " It's NASA's API -- don't.\n\n", "東京の天気 👨‍👩‍👧", "  x\ty  \n z")
LOGGER = "mcp_token_counter.offline.text.ctok_fast"

_VOCAB = frozenset({"ab", "bc", "abc", "  ", "x", EOW, "c" + EOW})


@given(st.text(alphabet="abcx " + EOW, max_size=40))
def test_a_cut_falls_only_where_no_piece_spans(text: str) -> None:
    pairs = adjacent_pairs(_VOCAB)
    cuts = [m.start() for m in cut_pattern(pairs, " " + EOW).finditer(text)]
    assert all(text[p - 1 : p + 1] not in pairs for p in cuts if 0 < p < len(text))


def test_cuts_fall_between_words() -> None:
    pairs = adjacent_pairs(_VOCAB)
    segments = cut_pattern(pairs, " " + EOW).split(f"abc{EOW} x  ab")
    assert [s for s in segments if s] == ["abc" + EOW, " ", "x", "  ", "ab"]


@pytest.mark.parametrize("piece", ["a ", " a", EOW + "a", "\t\n" + "x"])
def test_a_vocabulary_whose_pieces_cross_a_gap_is_refused(piece: str) -> None:
    with pytest.raises(UnsupportedVocabulary):
        check_word_boundaries(adjacent_pairs({"ab", piece}), " \t\n", EOW)


def test_ctoks_vocabularies_keep_to_word_boundaries(engine: str) -> None:
    # What the per-word sum rests on, for the installed ctok: building a counter checks it.
    for version in VERSIONS:
        assert counter_on(engine, version)("a b") == ctok.token_count("a b", version)


def _without_stream_norm(module: str, name: str) -> object:
    if name == "stream_norm":
        raise AttributeError("module 'ctok.normalize' has no attribute 'stream_norm'")
    return ctok_attribute(module, name)


def _misstreaming(module: str, name: str) -> object:
    if name == "stream_norm":
        found = ctok_internal(module, name)

        # Same shape, different meaning: a stream that no longer drops the seam's space would over-count.
        def stream_norm(text: str, model: object, *, raw_head_space: bool = True) -> str:
            return found(text, model, raw_head_space=raw_head_space) + " "

        return stream_norm
    return ctok_attribute(module, name)


@pytest.mark.parametrize("internal", [_without_stream_norm, _misstreaming])
@pytest.mark.parametrize("version", VERSIONS)
def test_a_moved_internal_falls_back_to_the_previous_fast_path(
    internal: Callable[[str, str], object], version: str, engine: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)

    def broken_fast(v: str) -> Counter:
        model = ctok_internal("main", "_model")(ctok_internal("main", "_family")(v))
        return FastCounter(ctok_parts(internal), model, load_engine(ENGINES[engine]))

    counter = counter_for(version, (broken_fast, engine_counter))
    assert [r.levelno for r in caplog.records] == [logging.DEBUG]
    assert version in caplog.records[0].getMessage()
    assert [counter(t) for t in TEXTS] == [ctok.token_count(t, version) for t in TEXTS]


def test_plain_words_case_memo_stays_bounded() -> None:
    # Non-ASCII letter runs with a capital are cased by ctok's mark_case and remembered; endless distinct
    # runs must not grow that memo without end (it starts afresh, as the letter-run memo does).
    plain = PlainWords(ctok_parts(), ctok_internal("main", "_model")(ctok_internal("main", "_family")("3.0")))
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = ("É" + a + b + c + d for a in letters for b in letters for c in letters for d in letters[:6])
    for word in words:  # 105,456 distinct runs
        assert plain.write(word, space_before=True, space_after=True) is not None
    assert len(plain._cases) <= 1 << 16 | 1  # pyright: ignore[reportPrivateUsage]


def test_the_separators_are_every_codepoint_of_category_z() -> None:
    # Known per Unicode version, else found through str.isspace: the slow definition, codepoint by codepoint,
    # must agree with both on the running Python.
    every = (chr(cp) for cp in range(sys.maxunicode + 1))
    expected = "".join(c for c in every if unicodedata.category(c)[0] == "Z")
    assert scanned_separators() == expected
    assert separators() == expected


@given(st.text(alphabet=st.characters(codec=None), max_size=60))
def test_the_fold_is_ctoks_nfc_on_any_text(text: str) -> None:
    # The fold skips ctok's nfc when one search finds nothing it could change: the two must always agree.
    parts = ctok_parts()
    counter = FastCounter(parts, ctok_internal("main", "_model")(ctok_internal("main", "_family")("4.8")), None)
    assert counter._fold(text) == parts.nfc(text, fold_quotes=False)  # pyright: ignore[reportPrivateUsage]


def test_the_fold_is_ctoks_nfc_on_the_corpus() -> None:
    parts = ctok_parts()
    counter = FastCounter(parts, ctok_internal("main", "_model")(ctok_internal("main", "_family")("4.8")), None)
    texts = [*EDGE_CASES, *equality_corpus(0.5), "e\u0301", "\u0e4d\u0e32", "a\x00b", "x\u00a0y", "\r\n"]
    assert [counter._fold(t) for t in texts] == [parts.nfc(t, fold_quotes=False) for t in texts]  # pyright: ignore[reportPrivateUsage]
    touches = counter._touches  # pyright: ignore[reportPrivateUsage]
    skipped = [t for t in texts if touches is not None and touches.search(t) is None]
    assert len(skipped) > len(texts) / 2  # nothing to change on most text


# Characters nfc drops or makes a space one by one (C0 and C1 controls, NUL, odd spaces, private use; a
# control dropped after NFC leaves a letter and its mark apart), and those it changes in context (a Thai
# SARA AM half, a surrogate), with a text around them.
_ONE_BY_ONE = ("\x01", "\x81", "\x93", "\x00", "\u00a0", "\u2009", "\u3000", "\ue000", "\r", "e\x81\u0301")
_IN_CONTEXT = ("\u0e4d\x81\u0e32", "\u0e4d\u0e32", "a\ud800b")


@pytest.mark.parametrize("inserted", [*_ONE_BY_ONE, *_IN_CONTEXT, "".join(_ONE_BY_ONE[:4]), "".join(_ONE_BY_ONE)])
def test_the_fold_of_a_text_with_a_few_characters_to_change_is_ctoks_nfc(inserted: str) -> None:
    parts = ctok_parts()
    counter = FastCounter(parts, ctok_internal("main", "_model")(ctok_internal("main", "_family")("3.0")), None)
    base = equality_corpus(0.02)[0][:3000]
    text = base[:1000] + inserted + base[1000:2000] + inserted[::-1] + " \u00e9 " + base[2000:] + inserted
    assert counter._fold(text) == parts.nfc(text, fold_quotes=False)  # pyright: ignore[reportPrivateUsage]
    quick = counter._quick_fold(text)  # pyright: ignore[reportPrivateUsage]
    # Taken where each character is changed on its own and they are few, else left to nfc.
    assert (quick is None) == (inserted in _IN_CONTEXT or inserted == "".join(_ONE_BY_ONE))


def test_a_text_with_many_characters_to_change_is_left_to_nfc() -> None:
    # Thousands of controls to drop are not each held as a match: past a few thousand, nfc folds the text.
    parts = ctok_parts()
    counter = FastCounter(parts, ctok_internal("main", "_model")(ctok_internal("main", "_family")("3.0")), None)
    few, many = "a\x81b " * 4000, "a\x81b " * 5000
    assert counter._quick_fold(few) == parts.nfc(few, fold_quotes=False)  # pyright: ignore[reportPrivateUsage]
    assert counter._quick_fold(many) is None  # pyright: ignore[reportPrivateUsage]
    assert counter._fold(many) == parts.nfc(many, fold_quotes=False)  # pyright: ignore[reportPrivateUsage]


@pytest.mark.parametrize("pattern", ["[^a]", "a|b", "[a[b]]", "x"])
def test_a_fold_class_of_another_shape_leaves_every_text_to_nfc(pattern: str) -> None:
    assert fold_touches((re.compile("[\x01-\x08]"), re.compile(pattern))) is None


@pytest.mark.parametrize("version", VERSIONS)
def test_the_compiled_pairs_are_the_python_ones(version: str) -> None:
    vocab = ctok_internal("main", "_model")(ctok_internal("main", "_family")(version)).vocab
    assert compiled_pairs(vocab) == adjacent_pairs(vocab)
    assert compiled_pairs(_VOCAB | {"𐐀b", "a"}) == adjacent_pairs(_VOCAB | {"𐐀b", "a"})
