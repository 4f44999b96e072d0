"""Streamable HTTP: per-call latency against the SDK's floor, and a concurrency sweep against the ideal.

The same four targets as over stdio (see ``latency``), each server in its own process on a loopback port.
The sweep runs ours and the SDK doing our job (``sdk_upstream_server.py``, same in-flight bound) against a
stand-in that waits 20 ms before every answer, so the gap between the two is ours and the gap between the
SDK's line and the ideal is what the SDK and this machine cost.
"""

from __future__ import annotations

import math
import re
import socket
import subprocess
import sys
import time
from collections.abc import AsyncGenerator, Generator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Final

import anyio
from mcp import Client
from tests.served import StderrLines, base_env, serve_cli

from bench.latency import BARE, FLOOR, HELLO, OURS, SDK_JOB, SDK_UPSTREAM, SHAPE, direct_target, tool_target
from bench.procs import cpu_seconds
from bench.stats import Sample, interleaved

_START_TIMEOUT_S: Final = 20.0
_ANNOUNCED: Final = re.compile(r"^(?P<url>http://\S+/mcp)$")


@dataclass(frozen=True, slots=True)
class HttpServer:
    """A server on loopback: its MCP endpoint and its pid."""

    url: str
    pid: int


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def script_http(script: str, env: Mapping[str, str]) -> Generator[HttpServer]:
    """``python <script> http 0`` (the bench's bare servers); yields once it writes that it accepts connections."""
    command = [sys.executable, script, "http", "0"]
    process = subprocess.Popen(command, env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdout is not None
    try:
        # A readiness signal, not a probe: each probe was a new httpx2 client, ~45 ms of CPU for its TLS context.
        announced = StderrLines(process.stdout).search(_ANNOUNCED, _START_TIMEOUT_S)
        if announced is None:
            raise RuntimeError(f"{script} did not start (exit {process.poll()})")
        yield HttpServer(announced["url"], process.pid)
    finally:
        process.terminate()
        process.wait()
        process.stdout.close()


@contextmanager
def ours_http(env: Mapping[str, str]) -> Generator[HttpServer]:
    """Our console script on streamable HTTP."""
    with serve_cli("http", env=base_env(**env)) as served:
        yield HttpServer(served.url, served.process.pid)


@asynccontextmanager
async def _client(server: HttpServer) -> AsyncGenerator[Client]:
    async with Client(server.url) as client:
        yield client


async def http_latency(base_url: str, servers: dict[str, HttpServer], n: int, warmup: int = 30) -> list[Sample]:
    """The HTTP figures, in the order direct, floor, floor+shape, sdk+upstream, ours."""
    async with AsyncExitStack() as stack:
        direct = await stack.enter_async_context(direct_target(base_url))
        bare = await stack.enter_async_context(_client(servers[FLOOR]))
        shape = await stack.enter_async_context(_client(servers[SHAPE]))
        job = await stack.enter_async_context(_client(servers[SDK_JOB]))
        ours = await stack.enter_async_context(_client(servers[OURS]))
        targets = [
            direct,
            tool_target(FLOOR, bare, "echo", {"value": 1}, servers[FLOOR].pid),
            tool_target(SHAPE, shape, "same_shape", HELLO, servers[SHAPE].pid),
            tool_target(SDK_JOB, job, "count_upstream", HELLO, servers[SDK_JOB].pid),
            tool_target(OURS, ours, "count_tokens", HELLO, servers[OURS].pid),
        ]
        return await interleaved(targets, n, warmup)


@contextmanager
def http_servers(env: Mapping[str, str]) -> Generator[dict[str, HttpServer]]:
    """The floor, the floor with our result's shape, the SDK doing our job, and ours, on streamable HTTP."""
    with (
        script_http(BARE, env) as bare,
        script_http(SDK_UPSTREAM, env) as shape,
        script_http(SDK_UPSTREAM, env) as job,
        ours_http(env) as ours,
    ):
        yield {FLOOR: bare, SHAPE: shape, SDK_JOB: job, OURS: ours}


@dataclass(frozen=True, slots=True)
class SweepTarget:
    """A server and the tool the sweep calls on it."""

    name: str
    server: HttpServer
    tool: str


async def sweep(
    targets: list[SweepTarget], levels: list[int], latency_s: float, bound: int, rounds: int = 5, warmup: int = 20
) -> dict[str, list[dict[str, float]]]:
    """Wall time of N simultaneous distinct calls on each target, against ceil(N / bound) upstream round trips.

    The targets take turns at every level, and every level is run ``rounds`` times (at most 3 from 1,000 up,
    where one round takes seconds) and the median kept, so that a noisy moment on a shared machine does not
    land on one target only.
    """
    rows: dict[str, list[dict[str, float]]] = {t.name: [] for t in targets}
    async with AsyncExitStack() as stack:
        clients = [await stack.enter_async_context(_client(t.server)) for t in targets]
        for target, client in zip(targets, clients, strict=True):
            for i in range(warmup):  # warm: connections, the client's tool list, first-call imports
                await client.call_tool(target.tool, {**HELLO, "messages": [{"role": "user", "content": f"warm {i}"}]})
        for n in levels:
            runs: dict[str, list[tuple[float, int, float]]] = {t.name: [] for t in targets}
            for r in range(min(rounds, 3) if n >= 1000 else rounds):
                for target, client in zip(targets, clients, strict=True):
                    runs[target.name].append(await _burst(client, target, n, f"{n}-{r}"))
            for target in targets:
                wall, answered, cpu = sorted(runs[target.name])[len(runs[target.name]) // 2]
                ideal = math.ceil(n / bound) * latency_s
                rows[target.name].append(
                    {
                        "concurrency": n,
                        "answered": answered,
                        "wall_s": round(wall, 3),
                        "ideal_s": round(ideal, 3),
                        "ratio": round(wall / ideal, 3),
                        "server_cpu_s": round(cpu, 3),
                    }
                )
    return rows


async def _burst(client: Client, target: SweepTarget, n: int, tag: str) -> tuple[float, int, float]:
    """``n`` distinct calls at once: wall seconds, how many answered without error, server CPU seconds."""
    answered = 0

    async def one(i: int) -> None:
        nonlocal answered
        arguments = {**HELLO, "messages": [{"role": "user", "content": f"call {tag}-{i}"}]}
        result = await client.call_tool(target.tool, arguments)
        answered += 0 if result.is_error else 1

    cpu_before = cpu_seconds(target.server.pid)
    start = time.perf_counter()
    async with anyio.create_task_group() as group:
        for i in range(n):
            group.start_soon(one, i)
    return time.perf_counter() - start, answered, cpu_seconds(target.server.pid) - cpu_before
