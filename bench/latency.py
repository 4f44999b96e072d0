"""Per-call latency over stdio: ours against a direct HTTP call and the SDK's floor."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx2
from mcp import Client, StdioServerParameters
from tests.standin import DEFAULT_KEY, Standin

from bench.stats import Sample, summarize, time_calls

HELLO: dict[str, Any] = {"model": "claude-sonnet-4-6", "messages": [{"role": "user", "content": "Hello, Claude"}]}
SCRIPT = str(Path(sys.executable).with_name("mcp-token-counter"))
BARE = str(Path(__file__).with_name("bare_server.py"))


def server_env(standin: Standin, **extra: str) -> dict[str, str]:
    """Our server pointed at the stand-in, with the response cache off so every call goes upstream."""
    return {
        "PATH": "/usr/bin:/bin",
        "ANTHROPIC_API_KEY": DEFAULT_KEY,
        "ANTHROPIC_BASE_URL": standin.base_url,
        "TOKEN_COUNTER_CACHE": "0",
        **extra,
    }


async def direct(standin: Standin, n: int) -> Sample:
    """A plain httpx2 POST to the stand-in: the cost of the upstream round trip itself."""
    async with httpx2.AsyncClient(base_url=standin.base_url, headers=standin.auth_headers()) as http:

        async def call() -> object:
            response = await http.post("/v1/messages/count_tokens", json=HELLO)
            response.raise_for_status()
            return response

        return summarize("direct httpx2 -> stand-in", await time_calls(call, n))


async def over_stdio(
    name: str, command: str, args: list[str], env: Mapping[str, str], tool: str, arguments: dict[str, Any], n: int
) -> Sample:
    """p50/p99 of ``tools/call`` through the SDK's stdio client."""
    params = StdioServerParameters(command=command, args=args, env=dict(env))
    async with Client(params) as client:

        async def call() -> object:
            result = await client.call_tool(tool, arguments)
            assert not result.is_error, result
            return result

        return summarize(name, await time_calls(call, n))


async def stdio_latency(standin: Standin, n: int) -> list[Sample]:
    """The three stdio figures: direct, SDK floor, ours."""
    floor = await over_stdio(
        "bare MCPServer tool (stdio)", sys.executable, [BARE], {"PATH": "/usr/bin:/bin"}, "echo", {"value": 1}, n
    )
    ours = await over_stdio("count_tokens (stdio)", SCRIPT, [], server_env(standin), "count_tokens", HELLO, n)
    return [await direct(standin, n), floor, ours]
