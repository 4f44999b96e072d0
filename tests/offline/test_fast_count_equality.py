"""The per-word fast counter counts exactly as ``ctok.token_count``, on both offline engines (the compiled
extension and the pure-Python path): on ctok's edge cases and on 5 MB.

A single difference fails. The 5 MB corpus (``bench.ctok_corpus``) is half real package text, half
generated mixtures of every kind of word and gap; each block is compared under one of the three ctok
versions in turn. ctok's counts of it are recorded (``tests/offline/ctok_counts.py``; a share is recounted live
on every run, and any block not recorded is counted live). A larger corpus runs on demand:
``.venv/bin/python -m bench.ctok_equality --mb 20``.
"""

from __future__ import annotations

import functools

import ctok  # pyright: ignore[reportMissingTypeStubs]
import pytest
from bench.ctok_corpus import EDGE_CASES, equality_corpus
from tests.offline import ctok_counts
from tests.offline.conftest import ENGINES, counter_on

from mcp_token_counter.offline.text import ctok_fast

VERSIONS = ("3.0", "4.7", "4.8")
CORPUS_MB = 5.0


def corpus_blocks() -> tuple[list[str], list[str]]:
    """The corpus and the version each block is counted under."""
    blocks = equality_corpus(CORPUS_MB)
    return blocks, [VERSIONS[i % len(VERSIONS)] for i in range(len(blocks))]


@pytest.fixture(scope="module")
def corpus() -> tuple[list[str], list[str], list[int]]:
    """The corpus, the version each block is counted under, and ctok's counts (recorded where the block is
    known, a share of those recounted live; tests/offline/ctok_counts.py)."""
    blocks, versions = corpus_blocks()
    assert sum(map(len, blocks)) >= CORPUS_MB * 1_000_000
    return blocks, versions, ctok_counts.counts(blocks, versions)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("text", EDGE_CASES)
def test_ctoks_edge_cases_count_as_ctok(text: str, version: str) -> None:
    expected = ctok.token_count(text, version)
    for engine in ENGINES:
        assert counter_on(engine, version)(text) == expected, engine  # an empty memo
    assert ctok_fast.token_count(text, version) == expected  # the process-wide counter, memo warm


# Words meet their neighbours' contexts: every edge case after and before every other, through a space.
PAIRS = [f"{a} {b}" for a in EDGE_CASES[:40] for b in EDGE_CASES[15:40]]


@functools.cache
def ctok_pair_counts(version: str) -> list[int]:
    """ctok's count of each of ``PAIRS``: the same for both engines, so counted once."""
    return [ctok.token_count(t, version) for t in PAIRS]


@pytest.mark.parametrize("engine", list(ENGINES))
def test_each_edge_case_counts_as_ctok_beside_any_other(engine: str) -> None:
    for version in VERSIONS:
        count = counter_on(engine, version)
        assert [count(t) for t in PAIRS] == ctok_pair_counts(version)


@pytest.mark.parametrize("engine", list(ENGINES))
def test_five_megabytes_count_as_ctok(engine: str, corpus: tuple[list[str], list[str], list[int]]) -> None:
    blocks, versions, expected = corpus
    # Fresh counters, so the corpus meets an empty memo as a new process's first counts do.
    counters = {version: counter_on(engine, version) for version in VERSIONS}
    fast = [counters[v](block) for v, block in zip(versions, blocks, strict=True)]
    differing = [(i, versions[i], fast[i], expected[i]) for i in range(len(blocks)) if fast[i] != expected[i]]
    assert differing == []
    # Counted again, every word now comes from the memo.
    assert [counters[v](block) for v, block in zip(versions, blocks, strict=True)] == expected
