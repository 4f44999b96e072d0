"""Peak memory of counting one large base64 payload, as a multiple of the payload's size.

    .venv/bin/python bench/payload_memory.py [--mb 30]

The stand-in runs in a child process (``python -m tests.standin``) so only this process is measured, with
tracemalloc, from the moment the arguments exist to the result. Two paths:

- ``counter``: ``RequestCounter.measure`` on a built ``CountRequest`` (encode and hash a chunk at a time, stream the
  same chunks, parse the count);
- ``mcp``: a ``count_tokens`` call through the SDK's in-memory client, which adds argument validation and
  the tool's own body assembly (the SDK copies nothing large either, but it is measured, not assumed).
"""

from __future__ import annotations

import argparse
import base64
import logging
import os
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from mcp import Client

from mcp_token_counter.app import build_server
from mcp_token_counter.catalog import builtin_catalog
from mcp_token_counter.config import load_settings
from mcp_token_counter.core.counter import RequestCounter
from mcp_token_counter.core.request import CountRequest
from mcp_token_counter.upstream.client import CountingClient
from mcp_token_counter.upstream.http import make_http_client

KEY = "sk-standin-test-key"
MODEL = "claude-sonnet-4-6"


def _arguments(size: int) -> dict[str, Any]:
    data = base64.b64encode(os.urandom(size * 3 // 4)).decode()
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": data}}
    return {"model": MODEL, "messages": [{"role": "user", "content": [image]}]}


async def _peak(run: Callable[[], Awaitable[object]]) -> tuple[float, float]:
    """Peak traced bytes above the starting level, and seconds taken."""
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        started = time.perf_counter()
        await run()
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - before, elapsed


async def _measure(base_url: str, size: int) -> None:
    logging.getLogger("httpx2").setLevel(logging.WARNING)  # one INFO line per request otherwise
    env = {"ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": base_url, "TOKEN_COUNTER_CACHE": "0"}
    settings, _ = load_settings(env)
    assert settings.credential is not None
    arguments = _arguments(size)
    request = CountRequest(model=MODEL, body=arguments, betas=(), ignored_fields=())
    async with make_http_client(settings) as http:
        counter = RequestCounter(CountingClient(http, settings.credential), builtin_catalog())
        counter_peak, counter_s = await _peak(lambda: counter.measure(request))
    async with Client(build_server(settings)) as client:

        async def call() -> None:
            result = await client.call_tool("count_tokens", arguments)
            assert not result.is_error, result

        mcp_peak, mcp_s = await _peak(call)
    print(f"payload {size / 1e6:.0f} MB")
    print(f"counter  peak {counter_peak / 1e6:7.1f} MB = {counter_peak / size:.2f}x   {counter_s:.2f} s")
    print(f"mcp      peak {mcp_peak / 1e6:7.1f} MB = {mcp_peak / size:.2f}x   {mcp_s:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--mb", type=float, default=30.0)
    size = int(parser.parse_args().mb * 1_000_000)
    standin = subprocess.Popen(
        [sys.executable, "-m", "tests.standin", "--port", "0", "--key", KEY], stdout=subprocess.PIPE, text=True
    )
    try:
        assert standin.stdout is not None
        base_url = standin.stdout.readline().strip()
        anyio.run(_measure, base_url, size)
    finally:
        standin.terminate()
        standin.wait(10)


if __name__ == "__main__":
    main()
