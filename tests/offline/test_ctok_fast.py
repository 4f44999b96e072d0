"""The unrendered count equals ``ctok.token_count`` exactly, and falls back to it when ctok's internals move."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Any

import ctok  # pyright: ignore[reportMissingTypeStubs]
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.offline.conftest import ENGINES, counter_on

from mcp_token_counter.catalog import builtin_catalog
from mcp_token_counter.offline.text import ctok_fast
from mcp_token_counter.offline.text.ctok_fast import (
    Counter,
    GuardedCounter,
    counter_for,
    ctok_internal,
    engine_counter,
    public_counter,
)

VERSIONS = sorted({spec.ctok_version for spec in builtin_catalog().models})
LOGGER = "mcp_token_counter.offline.text.ctok_fast"

CORPUS = [
    "",
    "Hello, world.",
    "The quick brown fox jumps over the lazy dog. It's HTTP's fault, isn't it? I'd've said SO.",
    "def text_tokens(text: str, version: str) -> int:\n    return max(0, count(text) - frame)\n",
    '{"type":"object","properties":{"location":{"type":"string"}},"required":["location"]}',
    "東京の天気はどうですか？今日は晴れです。",  # noqa: RUF001  (full-width punctuation is the point)
    "你好，世界！这是一个测试。",  # noqa: RUF001
    "안녕하세요 세계",
    "مرحبا بالعالم، كيف حالك؟",
    "Hello 👋🏽 world 🎉🇯🇵 family 👨‍👩‍👧‍👦 ✨🔥",
    " ",
    "   \t  ",
    "\n",
    "\n\n\n",
    "\n" * 29,
    "\n" * 45,
    "text with trailing newlines\n\n\n\n",
    "\r\n\r\nwindows lines\r\n",
    "⟨",
    "⟩",
    "⟨bow⟩⟨eow⟩⟨pad⟩⟨shift⟩⟨caps⟩",
    "a⟨b⟩c ⟨0x41⟩",
    "\ufdd0\ufdd1\ufdd2\ufdd3\ufdd4 literal marker glyphs",
    "\ue000\ue001 private use",
    "\u0301",
    "\u0301\u0308 lone combining marks \u0327",
    "e\u0301 vs \u00e9",
    "\u2018curly\u2019 \u201cquotes\u201d \u201elow\u201d",
    "NUL\x00and\x07controls\x1f",
    "no\u00a0break\u2003em\u3000ideographic",
    "variation \u2764\ufe0f \u263a\ufe0e",
    "lone \ud800 surrogate \udfff",
    "ALL CAPS SHOUTING and MiXeD cAsE",
    "x" * 3000,
    "word " * 2000,
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝕞𝕒𝕥𝕙 ⅫⅣ ⓐⓑⓒ",  # noqa: RUF001  (letter-like symbols are the point)
]


# One counter per engine and version for the whole module: its memo warms as the texts go by.
_ON: dict[tuple[str, str], GuardedCounter] = {}


def _on(engine: str, version: str) -> GuardedCounter:
    if (engine, version) not in _ON:
        _ON[engine, version] = counter_on(engine, version)
    return _ON[engine, version]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("text", CORPUS)
def test_the_fast_count_is_ctoks_count(text: str, version: str) -> None:
    expected = ctok.token_count(text, version)
    assert engine_counter(version)(text) == expected
    assert ctok_fast.token_count(text, version) == expected
    assert [_on(engine, version)(text) for engine in ENGINES] == [expected] * len(ENGINES)


def test_the_catalog_uses_every_ctok_family() -> None:
    # Guards the parametrisation above: a catalog that stopped naming a family would silently test less.
    assert {"3.0", "4.7", "4.8"} <= set(VERSIONS)


# Any codepoint, lone surrogates included, with the characters ctok treats specially drawn more often.
_SPECIAL = st.sampled_from(
    [*"⟨⟩ \n\t'\u2019\u0301\u0308\ufe0f\ufdd0\ufdd3\ue000\x00\u3000\u00a0ABZabz09.,;-", "⟨bow⟩", "⟨pad⟩", "'s"]
)
_TEXT = st.lists(st.one_of(st.characters(), _SPECIAL), max_size=80).map("".join)


@settings(max_examples=300, deadline=None)
@given(text=_TEXT, version=st.sampled_from(VERSIONS))
def test_the_fast_count_is_ctoks_count_on_any_text(text: str, version: str) -> None:
    expected = ctok.token_count(text, version)
    assert ctok_fast.token_count(text, version) == expected
    assert [_on(engine, version)(text) for engine in ENGINES] == [expected] * len(ENGINES)


@pytest.mark.parametrize("version", VERSIONS)
def test_the_installed_ctok_takes_the_fast_path(version: str, caplog: pytest.LogCaptureFixture) -> None:
    # If a ctok upgrade moved the internals, counts stay right but the speed goes; this says so.
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    counter_for(version)
    assert not caplog.records


def _missing(module: str, name: str) -> Callable[..., Any]:
    if name == "tile":
        raise AttributeError(f"module 'ctok.{module}' has no attribute 'tile'")
    return ctok_internal(module, name)


def _old_shape(module: str, name: str) -> Callable[..., Any]:
    found = ctok_internal(module, name)
    if name == "tile":
        # A tile that returns only the tokens: unpacking its result into (cost, tokens) fails.
        def tokens_only(text: str, model: object) -> list[object]:
            return found(text, model)[1]

        return tokens_only
    return found


def _miscounting(module: str, name: str) -> Callable[..., Any]:
    found = ctok_internal(module, name)
    if name == "tile":
        # Same shape, different meaning: say, a cost that now includes a frame token message_overhead also has.
        def framed(text: str, model: object) -> tuple[int, list[object]]:
            cost, tokens = found(text, model)
            return cost + 1, tokens

        return framed
    return found


def _unknown_module(module: str, name: str) -> Callable[..., Any]:
    return ctok_internal(f"{module}_renamed", name)


def _not_callable(module: str, name: str) -> Callable[..., Any]:
    return ctok_internal(module, "__name__" if name == "_family" else name)


@pytest.mark.parametrize("internal", [_missing, _old_shape, _miscounting, _unknown_module, _not_callable])
@pytest.mark.parametrize("version", VERSIONS)
def test_unusable_internals_fall_back_to_ctok_token_count(
    internal: Callable[[str, str], Callable[..., Any]], version: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    counter: Counter = counter_for(version, (lambda v: engine_counter(v, internal),))
    assert [record.levelno for record in caplog.records] == [logging.DEBUG]
    assert version in caplog.records[0].getMessage()
    for text in CORPUS:
        assert counter(text) == ctok.token_count(text, version)


def test_an_unknown_version_is_refused_as_ctok_refuses_it() -> None:
    with pytest.raises(NotImplementedError):
        ctok.token_count("x", "2.0")
    with pytest.raises(NotImplementedError):
        counter_for("2.0")
    with pytest.raises(NotImplementedError):
        public_counter("2.0")("x")


def test_a_vocabulary_is_loaded_once_however_many_threads_ask_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """Twenty estimates starting at once each loaded the vocabulary (12 s and 1 GB); now one does, the rest wait.

    The spy lets a second loader meet the first (a barrier of two): without the lock they meet at once, with
    it the first waits out the barrier's timeout alone.
    """
    calls: list[str] = []
    meeting = threading.Barrier(2, timeout=0.5)
    real = ctok_fast.counter_for

    def spy(version: str) -> ctok_fast.Counter:
        calls.append(version)
        with contextlib.suppress(threading.BrokenBarrierError):
            meeting.wait()
        return real(version)

    monkeypatch.setattr(ctok_fast, "_counters", {})
    monkeypatch.setattr(ctok_fast, "counter_for", spy)
    counts: list[int] = []
    threads = [threading.Thread(target=lambda: counts.append(ctok_fast.token_count("hi", "3.0"))) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert calls == ["3.0"]
    assert counts == [ctok.token_count("hi", "3.0")] * 20
