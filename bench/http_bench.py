"""Streamable HTTP: per-call latency against the SDK's floor, and a concurrency sweep against the ideal."""

from __future__ import annotations

import math
import socket
import subprocess
import sys
import time
from collections.abc import Generator
from contextlib import contextmanager
from typing import Any

import anyio
import httpx2
from mcp import Client
from tests.served import serve_cli

from bench.latency import BARE, HELLO
from bench.stats import Sample, summarize, time_calls


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def bare_http() -> Generator[str]:
    """The bare MCPServer on streamable HTTP; yields its /mcp URL once it answers."""
    port = _free_port()
    process = subprocess.Popen([sys.executable, BARE, "http", str(port)], stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        deadline = time.monotonic() + 20
        while True:  # a readiness probe, not a sleep-for-sync: each try is a real connection attempt
            try:
                httpx2.post(url, json={}, timeout=1)
                break
            except httpx2.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait()


async def http_latency(url: str, tool: str, arguments: dict[str, Any], name: str, n: int) -> Sample:
    """p50/p99 of tools/call through the SDK's streamable HTTP client."""
    async with Client(url) as client:

        async def call() -> object:
            result = await client.call_tool(tool, arguments)
            assert not result.is_error, result
            return result

        return summarize(name, await time_calls(call, n))


@contextmanager
def ours_http(env: dict[str, str]) -> Generator[str]:
    """Our console script on streamable HTTP; yields its /mcp URL."""
    with serve_cli("http", env=env) as served:
        yield served.url


async def sweep(url: str, levels: list[int], latency_s: float, bound: int) -> list[dict[str, float]]:
    """Wall time of N simultaneous distinct calls, against ceil(N / bound) upstream round trips."""
    rows: list[dict[str, float]] = []
    async with Client(url) as client:
        for n in levels:
            answered = 0

            async def one(level: int, i: int) -> None:
                nonlocal answered
                arguments = {**HELLO, "messages": [{"role": "user", "content": f"call {level}-{i}"}]}
                result = await client.call_tool("count_tokens", arguments)
                answered += 0 if result.is_error else 1

            start = time.perf_counter()
            async with anyio.create_task_group() as group:
                for i in range(n):
                    group.start_soon(one, n, i)
            wall = time.perf_counter() - start
            ideal = math.ceil(n / bound) * latency_s
            rows.append(
                {
                    "concurrency": n,
                    "answered": answered,
                    "wall_s": round(wall, 3),
                    "ideal_s": round(ideal, 3),
                    "ratio": round(wall / ideal, 3),
                }
            )
    return rows
