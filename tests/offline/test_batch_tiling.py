"""The compiled batch tiler prices streams as ctok's ``min_vocab_tile``, and steps aside when it cannot."""

from __future__ import annotations

import logging
import subprocess
import sys
from array import array
from collections.abc import Buffer, Sequence
from types import ModuleType
from typing import Any

import ctok  # pyright: ignore[reportMissingTypeStubs]
import pytest
from bench.ctok_corpus import EDGE_CASES, equality_corpus

from mcp_token_counter.offline.compiled import _engine
from mcp_token_counter.offline.compiled.engine import FORCED, SETTING
from mcp_token_counter.offline.text.batch_tiling import batch_tiler
from mcp_token_counter.offline.text.compiled_tiler import CompiledTiler, utf32
from mcp_token_counter.offline.text.ctok_fast import ctok_internal, fast_counter
from mcp_token_counter.offline.text.ctok_internals import CtokParts, ctok_parts
from mcp_token_counter.offline.text.segment_tiling import SegmentTiler, vocabulary_cuts
from mcp_token_counter.offline.text.word_stream import space_chars

VERSIONS = ("3.0", "4.7", "4.8")
LOGGER = "mcp_token_counter.offline.text.batch_tiling"


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
    compiled = CompiledTiler(parts, model, _engine)
    assert compiled(streams) == [_ctok_cost(parts, model, s) for s in streams]


def test_the_compiled_tiler_is_the_default() -> None:
    parts, model = ctok_parts(), _model("3.0")
    assert isinstance(batch_tiler(parts, model, _segment_tiler(parts, model), _engine), CompiledTiler)


def test_an_empty_batch_costs_nothing() -> None:
    parts, model = ctok_parts(), _model("4.8")
    assert CompiledTiler(parts, model, _engine)([]) == []


def test_a_trie_holds_exactly_its_pieces() -> None:
    # Pieces sharing suffixes, a one-character piece, a piece that is a suffix of another, and one past the BMP.
    vocab = frozenset({"ab", "b", "cab", "xyzab", "𐐀b"})
    parts, model = ctok_parts(), _model("3.0")
    tiler = CompiledTiler(parts, model, _engine)
    small = CompiledTiler(parts, type("Model", (), {"vocab": vocab})(), _engine)
    small.floor[:] = bytes([1]) * len(small.floor)  # every lone character costs 1: the count is the tiles
    texts = ["ab", "b", "cab", "xyzab", "𐐀b", "a", "zab", "bb", "abab", "yzab"]
    assert _engine.tile_costs(small.tiling, *_joined(texts)) == [1, 1, 1, 1, 1, 1, 2, 2, 2, 3]
    assert tiler(["ab"]) == [_ctok_cost(parts, model, "ab")]


def _joined(texts: list[str]) -> tuple[Buffer, Buffer]:
    from mcp_token_counter.offline.text.compiled_tiler import joined

    return joined(texts)


def _wrong_engine() -> ModuleType:
    """The real engine, but pricing every stream at zero."""

    def tile_costs(_tiling: object, _codes: Buffer, starts: Sequence[int]) -> list[int]:
        return [0] * (len(starts) - 1)

    wrong = ModuleType("wrong_engine")
    wrong.__dict__.update(vars(_engine))
    setattr(wrong, "tile_costs", tile_costs)  # noqa: B010
    return wrong


@pytest.mark.parametrize("version", VERSIONS)
def test_the_forced_python_path_counts_as_ctok(version: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "mcp_token_counter.offline.compiled.engine")
    count = fast_counter(version, environ={SETTING: FORCED})
    assert not count.fast.compiled
    texts = [*EDGE_CASES, *equality_corpus(0.02)]
    assert [count(t) for t in texts] == [ctok.token_count(t, version) for t in texts]
    assert caplog.messages == [f"offline engine: pure Python (forced by {SETTING})"]


def test_an_engine_that_disagrees_with_ctok_is_not_used(caplog: pytest.LogCaptureFixture) -> None:
    parts, model = ctok_parts(), _model("3.0")
    tiler = batch_tiler(parts, model, _segment_tiler(parts, model), _wrong_engine())
    assert not isinstance(tiler, CompiledTiler)
    assert tiler(["東京の天気"]) == [_ctok_cost(parts, model, "東京の天気")]
    assert [r.getMessage() for r in caplog.records if r.name == LOGGER] == [
        "compiled tiling differs from ctok's on a probe; tiling with ctok's loop"
    ]


# Where no wheel was built and no compiler was found, the extension is missing: the offline counter must
# count all the same, say so, and need no numpy either way.
WITHOUT_EXTENSION = """
import sys
sys.modules["numpy"] = None
sys.modules["mcp_token_counter.offline.compiled._engine"] = None
import ctok
from mcp_token_counter.offline.text.ctok_fast import compiled_in_use, token_count
from mcp_token_counter.offline.compiled.engine import describe
texts = ["Hello, World! It's NASA's API.", "def f(x):\\n    return {'k': x}\\n", "東京の天気 👨‍👩‍👧"]
assert [token_count(t, "3.0") for t in texts] == [ctok.token_count(t, "3.0") for t in texts]
assert not compiled_in_use("3.0")
print(describe({}))
"""

WITH_EXTENSION = """
import sys
import ctok
from mcp_token_counter.offline.text.ctok_fast import compiled_in_use, token_count
assert token_count("Hello, World!", "3.0") == ctok.token_count("Hello, World!", "3.0")
assert compiled_in_use("3.0")
print(sorted({"numpy", "numba", "llvmlite"} & set(sys.modules)))
"""


def test_without_the_extension_counts_stay_ctoks() -> None:
    done = subprocess.run([sys.executable, "-c", WITHOUT_EXTENSION], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "pure Python (extension not built)"


def test_the_compiled_engine_needs_no_numpy() -> None:
    done = subprocess.run([sys.executable, "-c", WITH_EXTENSION], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_a_vocabulary_too_large_for_the_engine_is_refused_with_its_size() -> None:
    # A row holds the child node in 21 bits: a trie of more nodes is refused, and the counter keeps to ctok's loop.
    piece = "a" * _engine.MAX_NODES
    with pytest.raises(ValueError, match="trie nodes"):
        _engine.build_trie(utf32(piece), array("q", [len(piece)]))
