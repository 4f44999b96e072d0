"""An offline ``count_tokens`` call through the MCP server over stdio, against ``ctok.token_count`` on the same text.

    .venv/bin/python -m bench.server_offline [--mb 0.9] [--runs 3] [--engine compiled|python] [--warm-ctok]

Issue 25's figure: a ``count_tokens`` call on 0.9 MB of real text (``bench.real_text``) to a server with no key
(so the offline estimator answers), timed from the client by wall clock, the whole call included (JSON-RPC,
validation, the estimate, the result). For each engine a fresh server is started and warmed with a tiny call;
then each run sends a text it has not seen (the run number leads it, so the cache misses, though most of its
words are then known to the engine's memo: runs after the first are "warm"). ctok is timed on the same text in
this process, in the same run. The ratio is ctok's seconds over the call's.

ctok's first count in the process loads its vocabulary and fills its own per-character caches, and run 0 is
that first count, while the server was warmed; ``--warm-ctok`` first counts the same tiny text with ctok, so
that both sides start with the vocabulary loaded (a lower, stricter cold ratio).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Final

import anyio
import ctok  # pyright: ignore[reportMissingTypeStubs]  # no stubs shipped; its public functions are annotated
from mcp import Client, StdioServerParameters

from bench.real_text import real_blocks
from mcp_token_counter.offline.compiled.engine import FORCED, SETTING

ENGINES: Final = ("compiled", "python")
MODEL: Final = "claude-opus-4-6"  # a v3 model: ctok "3.0"
SCRIPT: Final = shutil.which("mcp-token-counter", path=str(Path(sys.executable).parent)) or "mcp-token-counter"
# Nothing that would reach an API: the estimate is what is measured.
_CREDENTIALS: Final = ("ANTHROPIC_API_KEY", "ACEDATACLOUD_API_TOKEN", "TOKEN_COUNTER_PROVIDER")


def _env(engine: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _CREDENTIALS and k != SETTING}
    return {**env, SETTING: FORCED} if engine == "python" else env


def _arguments(text: str) -> dict[str, Any]:
    return {"model": MODEL, "messages": [{"role": "user", "content": text}]}


async def _call_seconds(client: Client, text: str) -> tuple[int, float]:
    start = time.perf_counter()
    result = await client.call_tool("count_tokens", _arguments(text))
    seconds = time.perf_counter() - start
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return int(result.structured_content["input_tokens"]), seconds


async def engine_runs(engine: str, texts: list[str]) -> list[tuple[int, float]]:
    """The count and wall seconds of each text's call to a fresh server on ``engine``."""
    params = StdioServerParameters(command=SCRIPT, args=[], env=_env(engine))
    async with Client(params) as client:
        await _call_seconds(client, "warm up")
        return [await _call_seconds(client, text) for text in texts]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--mb", type=float, default=0.9)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--engine", choices=ENGINES, action="append", help="only this engine (repeatable)")
    parser.add_argument("--warm-ctok", action="store_true", help="count a tiny text with ctok before timing it")
    args = parser.parse_args()
    body = "\n".join(real_blocks(args.mb))
    texts = [f"Run {n}.\n{body}" for n in range(args.runs)]
    if args.warm_ctok:
        ctok.token_count("warm up", "3.0")
    ctok_s: list[float] = []
    for text in texts:
        start = time.perf_counter()
        ctok.token_count(text, "3.0")
        ctok_s.append(time.perf_counter() - start)
    print(f"{len(body) / 1e6:.2f} MB of real text; ctok.token_count median {statistics.median(ctok_s):.2f} s")
    for engine in args.engine or ENGINES:
        runs = anyio.run(engine_runs, engine, texts)
        for n, ((_count, seconds), base) in enumerate(zip(runs, ctok_s, strict=True)):
            state = "cold" if n == 0 else "warm"
            print(f"  {engine:<9} run {n} ({state}): {seconds:.3f} s, {base / seconds:.1f}x ctok")


if __name__ == "__main__":
    main()
