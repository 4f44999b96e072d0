"""Throughput of the offline estimator against ctok itself, on a few MB of mixed text.

    .venv/bin/python bench/offline_throughput.py [--mb 2] [--version 3.0]

The same text is split into message blocks and timed three ways: ``ctok.token_count`` on each block
(ctok's own speed), ``estimate_request`` with an empty cache (cold), and ``estimate_request`` again
(warm: a re-count of the same conversation, as a context-fit check after a count does). No block repeats,
so the cold run gets nothing from the cache. Vocabulary loading happens before any timing.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from importlib import resources
from typing import Any

import ctok  # pyright: ignore[reportMissingTypeStubs]  # no stubs shipped; its public functions are annotated

from mcp_token_counter.catalog import builtin_catalog
from mcp_token_counter.offline import clear_text_cache, estimate_request, text_cache_info

_VOCABULARY = (
    "the of and to in a is that for it as was with be by on not he this are or his from at which but have an "
    "they you were her she there been one all we their has would when if so no will can more other time into "
    "tokenizer context window estimate request message model image document budget thinking margin"
)
_WORDS = tuple(_VOCABULARY.split())
_CJK_PUNCTUATION = "\uff0c\u3002"  # full-width comma and full stop
_EMOJI = "😀🎉👍🏽🚀🇯🇵👨‍👩‍👧✨🔥🧪"


def _prose(rng: random.Random, chars: int) -> str:
    out: list[str] = []
    size = 0
    while size < chars:
        sentence = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(6, 18))).capitalize() + ". "
        out.append(sentence)
        size += len(sentence)
    return "".join(out)


def _cjk(rng: random.Random, chars: int) -> str:
    return "".join(
        rng.choice(_CJK_PUNCTUATION) if rng.random() < 0.08 else chr(rng.randint(0x4E00, 0x62FF)) for _ in range(chars)
    )


def _emoji(rng: random.Random, chars: int) -> str:
    return " ".join(rng.choice(_EMOJI) + rng.choice(_WORDS) for _ in range(chars // 8))


def _source_lines() -> list[str]:
    package = resources.files("mcp_token_counter").joinpath("offline")
    sources = sorted((e for e in package.iterdir() if e.name.endswith(".py")), key=lambda e: e.name)
    return [line for entry in sources for line in entry.read_text(encoding="utf-8").splitlines()]


def _code(rng: random.Random, lines: list[str], chars: int) -> str:
    # A different run of source lines each time, so no block repeats and the cache cannot flatter the
    # cold timing.
    out = [f"# block {rng.getrandbits(64):x}"]
    size = 0
    while size < chars:
        start = rng.randrange(len(lines))
        chunk = "\n".join(lines[start : start + rng.randint(5, 40)])
        out.append(chunk)
        size += len(chunk)
    return "\n".join(out)


def mixed_blocks(megabytes: float, seed: int = 7) -> list[str]:
    """Deterministic blocks of prose, code, CJK and emoji text, about ``megabytes`` MB of characters."""
    rng = random.Random(seed)
    lines = _source_lines()
    makers: list[Callable[[], str]] = [
        lambda: _prose(rng, 20_000),
        lambda: _code(rng, lines, 20_000),
        lambda: _cjk(rng, 8_000),
        lambda: _emoji(rng, 8_000),
    ]
    blocks: list[str] = []
    while sum(map(len, blocks)) < megabytes * 1_000_000:
        blocks.append(makers[len(blocks) % len(makers)]())
    return blocks


def _timed[T](run: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = run()
    return result, time.perf_counter() - start


def measure(megabytes: float, version: str) -> dict[str, float]:
    """Seconds for ctok alone, a cold estimate and a warm re-estimate of the same text, and ratios."""
    spec = next(m for m in builtin_catalog().models if m.ctok_version == version and m.ctok_confirmed)
    blocks = mixed_blocks(megabytes)
    roles = ("user", "assistant")
    body: dict[str, Any] = {"messages": [{"role": roles[i % 2], "content": b} for i, b in enumerate(blocks)]}
    ctok.token_count("warm up", version)
    estimate_request({"messages": [{"role": "user", "content": "warm up"}]}, spec)

    _, ctok_s = _timed(lambda: sum(ctok.token_count(b, version) for b in blocks))
    clear_text_cache()
    _, cold_s = _timed(lambda: estimate_request(body, spec))
    _, warm_s = _timed(lambda: estimate_request(body, spec))
    size = sum(map(len, blocks)) / 1_000_000
    return {
        "megabytes": round(size, 2),
        "ctok_s": round(ctok_s, 3),
        "estimate_cold_s": round(cold_s, 3),
        "estimate_warm_s": round(warm_s, 4),
        "cold_vs_ctok": round(ctok_s / cold_s, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--mb", type=float, default=2.0, help="megabytes of text (default 2)")
    parser.add_argument("--version", default="3.0", help="ctok version (default 3.0)")
    args = parser.parse_args()
    figures = measure(args.mb, args.version)
    for name, value in figures.items():
        print(f"{name:18} {value}")
    print(f"text cache: {text_cache_info()}")


if __name__ == "__main__":
    main()
