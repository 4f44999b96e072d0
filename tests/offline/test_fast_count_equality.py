"""The per-word fast counter counts exactly as ``ctok.token_count``: on ctok's edge cases and on 5 MB.

A single difference fails. The 5 MB corpus (``bench.ctok_corpus``) is half real package text, half
generated mixtures of every kind of word and gap; each block is compared under one of the three ctok
versions in turn, so ctok counts 5 MB once. A larger corpus runs on demand:
``.venv/bin/python -m bench.ctok_equality --mb 20``.
"""

from __future__ import annotations

import ctok  # pyright: ignore[reportMissingTypeStubs]
import pytest
from bench.ctok_corpus import EDGE_CASES, equality_corpus

from mcp_token_counter.offline import ctok_fast
from mcp_token_counter.offline.ctok_fast import Counter, GuardedCounter, fast_counter

VERSIONS = ("3.0", "4.7", "4.8")
CORPUS_MB = 5.0


def _compiled(version: str) -> GuardedCounter:
    """A fresh counter with its compiled path loaded (numba is installed where the tests run)."""
    counter = fast_counter(version)
    assert counter.fast.wait_compiled()
    return counter


@pytest.fixture(scope="module")
def counters() -> dict[str, Counter]:
    """Fresh counters, so the corpus meets an empty memo as a new process's first counts do."""
    return {version: _compiled(version) for version in VERSIONS}


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("text", EDGE_CASES)
def test_ctoks_edge_cases_count_as_ctok(text: str, version: str) -> None:
    expected = ctok.token_count(text, version)
    assert fast_counter(version)(text) == expected  # an empty memo, the compiled path maybe not loaded yet
    assert _compiled(version)(text) == expected  # the compiled path
    assert ctok_fast.token_count(text, version) == expected  # the process-wide counter, memo warm


def test_each_edge_case_counts_as_ctok_beside_any_other(counters: dict[str, Counter]) -> None:
    # Words meet their neighbours' contexts: every edge case after and before every other, through a space.
    for version, count in counters.items():
        texts = [f"{a} {b}" for a in EDGE_CASES[:40] for b in EDGE_CASES[15:40]]
        assert [count(t) for t in texts] == [ctok.token_count(t, version) for t in texts]


def test_five_megabytes_count_as_ctok(counters: dict[str, Counter]) -> None:
    corpus = equality_corpus(CORPUS_MB)
    assert sum(map(len, corpus)) >= CORPUS_MB * 1_000_000
    versions = [VERSIONS[i % len(VERSIONS)] for i in range(len(corpus))]
    fast = [counters[v](block) for v, block in zip(versions, corpus, strict=True)]
    expected = [ctok.token_count(block, v) for v, block in zip(versions, corpus, strict=True)]
    differing = [(i, versions[i], fast[i], expected[i]) for i in range(len(corpus)) if fast[i] != expected[i]]
    assert differing == []
    # Counted again, every word now comes from the memo.
    assert [counters[v](block) for v, block in zip(versions, corpus, strict=True)] == expected
