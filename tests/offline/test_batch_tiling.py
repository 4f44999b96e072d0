"""The compiled batch tiler prices streams as ctok's ``min_vocab_tile``, and steps aside when it cannot."""

from __future__ import annotations

import logging
import subprocess
import sys
from typing import Any

import ctok  # pyright: ignore[reportMissingTypeStubs]
import numpy as np
import pytest
from bench.ctok_corpus import EDGE_CASES, equality_corpus

from mcp_token_counter.offline.batch_tiling import Codes, Kernels, Trie, batch_tiler, load_kernels
from mcp_token_counter.offline.compiled_tiler import CompiledTiler
from mcp_token_counter.offline.ctok_fast import ctok_internal
from mcp_token_counter.offline.ctok_internals import CtokParts, ctok_parts
from mcp_token_counter.offline.fast_count import FastCounter
from mcp_token_counter.offline.segment_tiling import SegmentTiler, vocabulary_cuts
from mcp_token_counter.offline.word_stream import space_chars

VERSIONS = ("3.0", "4.7", "4.8")
LOGGER = "mcp_token_counter.offline.batch_tiling"


def _model(version: str) -> Any:
    return ctok_internal("main", "_model")(ctok_internal("main", "_family")(version))


def _ctok_cost(parts: CtokParts, model: Any, stream: str) -> int:
    """ctok's own tiling of a whole stream, as its ``tile`` prices each character alone."""

    def floor(at: int) -> int:
        ch = stream[at]
        return 1 if ch in parts.markers else parts.char_cost(model, ch)

    return int(parts.min_vocab_tile(stream, model.trie, floor)[0])


def _streams(parts: CtokParts, model: Any) -> list[str]:
    """ctok's marked streams of its edge cases and of real and generated text, whole and cut at spaces."""
    texts = [*EDGE_CASES, *equality_corpus(0.05)[:12]]
    folded = [parts.nfc(t, fold_quotes=model.fold_quotes) for t in texts]
    whole = [parts.stream_norm(f, model, raw_head_space=t.startswith(" ")) for t, f in zip(texts, folded, strict=True)]
    return [*whole[: len(EDGE_CASES)], *(w for s in whole for w in s.split(" "))]


def _segment_tiler(parts: CtokParts, model: Any) -> SegmentTiler:
    cuts = vocabulary_cuts(model.vocab, space_chars(parts.classify, parts.space), parts.eow, "".join(parts.markers))
    return SegmentTiler(parts, model, cuts)


@pytest.mark.parametrize("version", VERSIONS)
def test_compiled_costs_are_ctoks(version: str) -> None:
    parts, model = ctok_parts(), _model(version)
    streams = _streams(parts, model)
    assert len(streams) > 1000
    compiled = CompiledTiler(parts, model, load_kernels())
    assert compiled(streams) == [_ctok_cost(parts, model, s) for s in streams]


def test_the_compiled_tiler_is_the_default() -> None:
    parts, model = ctok_parts(), _model("3.0")
    assert isinstance(batch_tiler(parts, model, _segment_tiler(parts, model)), CompiledTiler)


def test_an_empty_batch_costs_nothing() -> None:
    parts, model = ctok_parts(), _model("4.8")
    assert CompiledTiler(parts, model, load_kernels())([]) == []


def _no_numba() -> Kernels:
    raise ImportError("No module named 'numba'")


class _WrongKernels:
    """Builds the real trie but prices every stream at zero."""

    def build_trie(self, codes: Codes, starts: Codes, table_size: int, /) -> tuple[Codes, Codes]:
        return load_kernels().build_trie(codes, starts, table_size)

    def tile_costs(self, codes: Codes, starts: Codes, trie: Trie, /) -> Codes:  # noqa: ARG002
        return np.zeros(len(starts) - 1, dtype=np.int64)


@pytest.mark.parametrize("version", VERSIONS)
def test_without_numba_counts_stay_ctoks(version: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, LOGGER)
    count = FastCounter(ctok_parts(), _model(version), _no_numba)
    texts = [*EDGE_CASES, *equality_corpus(0.02)]
    assert [count(t) for t in texts] == [ctok.token_count(t, version) for t in texts]
    assert "compiled tiling unavailable" in caplog.text


def test_kernels_that_disagree_with_ctok_are_not_used(caplog: pytest.LogCaptureFixture) -> None:
    parts, model = ctok_parts(), _model("3.0")
    tiler = batch_tiler(parts, model, _segment_tiler(parts, model), _WrongKernels)
    assert not isinstance(tiler, CompiledTiler)
    assert tiler(["東京の天気"]) == [_ctok_cost(parts, model, "東京の天気")]
    assert "differs from ctok's" in caplog.text


# Where numba has no wheel (Intel macOS) neither it nor numpy is installed: the offline counter must not
# need either to import or to count.
WITHOUT_NUMPY = """
import sys
sys.modules["numpy"] = None
sys.modules["numba"] = None
import ctok
from mcp_token_counter.offline.ctok_fast import token_count
texts = ["Hello, World! It's NASA's API.", "def f(x):\\n    return {'k': x}\\n", "東京の天気 👨‍👩‍👧"]
assert [token_count(t, "3.0") for t in texts] == [ctok.token_count(t, "3.0") for t in texts]
assert "numpy" not in {name for name, module in sys.modules.items() if module is not None}
print("counted")
"""


def test_counting_needs_neither_numba_nor_numpy() -> None:
    done = subprocess.run([sys.executable, "-c", WITHOUT_NUMPY], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "counted"
