"""Per-call latency over stdio: ours against a direct HTTP call, the SDK's floor, and the SDK doing our job.

Four targets, timed in turn (``stats.interleaved``) against the stand-in in its own process:

- ``direct``: a plain httpx2 POST to the stand-in, the upstream round trip itself;
- ``floor``: a bare MCPServer tool that returns at once (``bare_server.py``), the SDK's cost of a call;
- ``floor+shape``: a bare tool that returns a ``TokenCount`` at once, what our result's shape costs the SDK;
- ``sdk+upstream``: a bare MCPServer tool that makes the same POST and returns a ``TokenCount``
  (``sdk_upstream_server.py``), the SDK and httpx2 doing our job with nothing of ours;
- ``ours``: ``count_tokens`` on the installed console script.

The issue's figure is ``ours - direct - floor``. It charges us for what the SDK costs beyond its floor when a
tool does I/O and returns a richer result; ``ours - sdk+upstream`` is the part that is ours alone.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncGenerator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any, Final

import httpx2
from mcp import Client, StdioServerParameters
from tests.standin import DEFAULT_KEY

from bench.procs import child_pids
from bench.stats import Sample, Target, interleaved

HELLO: Final[dict[str, Any]] = {
    "model": "claude-sonnet-4-6",
    "messages": [{"role": "user", "content": "Hello, Claude"}],
}
SCRIPT: Final = str(Path(sys.executable).with_name("mcp-token-counter"))
BARE: Final = str(Path(__file__).with_name("bare_server.py"))
SDK_UPSTREAM: Final = str(Path(__file__).with_name("sdk_upstream_server.py"))
DIRECT, FLOOR, SHAPE, SDK_JOB, OURS = "direct", "floor", "floor+shape", "sdk+upstream", "ours"


def server_env(base_url: str, **extra: str) -> dict[str, str]:
    """Our server pointed at the stand-in, with the response cache off so every call goes upstream."""
    return {
        "PATH": "/usr/bin:/bin",
        "ANTHROPIC_API_KEY": DEFAULT_KEY,
        "ANTHROPIC_BASE_URL": base_url,
        "TOKEN_COUNTER_CACHE": "0",
        **extra,
    }


def tool_target(name: str, client: Client, tool: str, arguments: dict[str, Any], pid: int | None) -> Target:
    """A ``tools/call`` that must succeed."""

    async def call() -> object:
        result = await client.call_tool(tool, arguments)
        assert not result.is_error, result
        return result

    return Target(name, call, pid)


@asynccontextmanager
async def direct_target(base_url: str) -> AsyncGenerator[Target]:
    """A plain httpx2 POST of the same request to the stand-in."""
    headers = {"x-api-key": DEFAULT_KEY, "anthropic-version": "2023-06-01"}
    async with httpx2.AsyncClient(base_url=base_url, headers=headers) as http:

        async def call() -> object:
            response = await http.post("/v1/messages/count_tokens", json=HELLO)
            response.raise_for_status()
            return response

        yield Target(DIRECT, call)


@asynccontextmanager
async def stdio_client(command: str, args: list[str], env: Mapping[str, str]) -> AsyncGenerator[tuple[Client, int]]:
    """The SDK's stdio client on a spawned server, and the server's pid (for its CPU time)."""
    before = child_pids()
    async with Client(StdioServerParameters(command=command, args=args, env=dict(env))) as client:
        (pid,) = child_pids() - before
        yield client, pid


async def stdio_latency(base_url: str, n: int, *, warmup: int = 30, one_sdk_process: bool = False) -> list[Sample]:
    """The stdio figures, in the order direct, floor, floor+shape, sdk+upstream, ours.

    ``one_sdk_process`` (``--quick``) serves floor+shape and sdk+upstream from one process: a server start
    fewer, and each one's server CPU then counts both.
    """
    env = server_env(base_url)
    async with AsyncExitStack() as stack:
        direct = await stack.enter_async_context(direct_target(base_url))
        bare, bare_pid = await stack.enter_async_context(stdio_client(sys.executable, [BARE], env))
        # Its own process, apart from sdk+upstream's, so each server's CPU time is one target's.
        shape, shape_pid = await stack.enter_async_context(stdio_client(sys.executable, [SDK_UPSTREAM], env))
        job, job_pid = (
            (shape, shape_pid)
            if one_sdk_process
            else await stack.enter_async_context(stdio_client(sys.executable, [SDK_UPSTREAM], env))
        )
        ours, ours_pid = await stack.enter_async_context(stdio_client(SCRIPT, [], env))
        targets = [
            direct,
            tool_target(FLOOR, bare, "echo", {"value": 1}, bare_pid),
            tool_target(SHAPE, shape, "same_shape", HELLO, shape_pid),
            tool_target(SDK_JOB, job, "count_upstream", HELLO, job_pid),
            tool_target(OURS, ours, "count_tokens", HELLO, ours_pid),
        ]
        return await interleaved(targets, n, warmup)


def added_cost(samples: list[Sample]) -> dict[str, float | None]:
    """What we add by the issue's formula, and the same gap taken apart step by step (all p50, ms).

    floor -> floor+shape is the SDK returning our result; floor+shape -> sdk+upstream, less the direct call,
    is the SDK hosting a tool that does I/O; sdk+upstream -> ours is ours alone, also in server CPU per call.
    """
    by_name = {s.name: s for s in samples}
    ours, job = by_name[OURS], by_name[SDK_JOB]
    floor, shape = by_name[FLOOR], by_name[SHAPE]
    cpu = None if ours.server_cpu_ms is None or job.server_cpu_ms is None else ours.server_cpu_ms - job.server_cpu_ms
    return {
        "ours_minus_direct_minus_floor_ms": round(ours.p50_ms - by_name[DIRECT].p50_ms - floor.p50_ms, 3),
        "shape_minus_floor_ms": round(shape.p50_ms - floor.p50_ms, 3),
        "sdk_upstream_minus_shape_minus_direct_ms": round(job.p50_ms - shape.p50_ms - by_name[DIRECT].p50_ms, 3),
        "ours_minus_sdk_upstream_ms": round(ours.p50_ms - job.p50_ms, 3),
        "server_cpu_ours_minus_sdk_upstream_ms": None if cpu is None else round(cpu, 3),
    }
