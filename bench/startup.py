"""Cold start (spawn to the first tools/list answer) and memory, over raw stdio pipes."""

from __future__ import annotations

import base64
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Generator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final

from bench.latency import BARE, SCRIPT

BARE_COMMAND: Final = [sys.executable, BARE]
BARE_ENV: Final = {"PATH": "/usr/bin:/bin"}  # the bare server reads nothing from its environment

INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "0"}},
}


def _send(stdin: IO[bytes], message: dict[str, Any]) -> None:
    stdin.write((json.dumps(message) + "\n").encode())
    stdin.flush()


def _answer(stdout: IO[bytes], request_id: int) -> dict[str, Any]:
    while True:
        reply = json.loads(stdout.readline())
        if reply.get("id") == request_id:
            return reply


def start_server(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)


def handshake(process: subprocess.Popen[bytes]) -> None:
    assert process.stdin is not None
    assert process.stdout is not None
    _send(process.stdin, INIT)
    _answer(process.stdout, 1)
    _send(process.stdin, {"jsonrpc": "2.0", "method": "notifications/initialized"})
    _send(process.stdin, {"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
    _answer(process.stdout, 2)


@contextmanager
def started(command: list[str], env: dict[str, str]) -> Generator[tuple[subprocess.Popen[bytes], float]]:
    """A server spawned and handshaken, and the seconds from spawn to its first tools/list answer; killed after."""
    start = time.perf_counter()
    process = start_server(command, env)
    try:
        handshake(process)
        yield process, time.perf_counter() - start
    finally:
        process.kill()
        process.wait()


def cold_start_s(command: list[str], env: dict[str, str]) -> float:
    """Seconds from spawn to the first tools/list answer, once."""
    with started(command, env) as (_, seconds):
        return seconds


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text(encoding="utf-8").splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


@dataclass(frozen=True, slots=True)
class PeakRss:
    """One server's resident memory around one large call, in MB."""

    idle_rss_mb: float
    peak_rss_mb: float
    peak_over_idle_per_payload: float


@dataclass(frozen=True, slots=True)
class Memory:
    """Ours against the floor (a bare MCPServer taking the same arguments), for one payload.

    ``ratio`` is ours over the floor, both as peak RSS above idle per payload MB.
    """

    payload_mb: float
    ours: PeakRss
    floor: PeakRss
    ratio: float


def base64_payload(payload_mb: float) -> str:
    """Random bytes as base64 text of about ``payload_mb`` MB."""
    return base64.b64encode(os.urandom(int(payload_mb * 1e6 * 3 / 4))).decode("ascii")


def document_arguments(data: str) -> dict[str, Any]:
    """count_tokens arguments carrying ``data`` as one base64 PDF."""
    block = {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": data}}
    return {"model": "claude-sonnet-4-6", "messages": [{"role": "user", "content": [block]}]}


def call_tool(
    process: subprocess.Popen[bytes], tool: str, arguments: dict[str, Any], request_id: int = 3
) -> dict[str, Any]:
    """Send one tools/call on a handshaken process and return its answer (an error result fails the bench)."""
    assert process.stdin is not None
    assert process.stdout is not None
    _send(
        process.stdin,
        {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": {"name": tool, "arguments": arguments}},
    )
    reply = _answer(process.stdout, request_id)
    assert "result" in reply, reply
    result: dict[str, Any] = reply["result"]
    assert not result.get("isError"), reply
    return result


def rss_around(process: subprocess.Popen[bytes], tool: str, arguments: dict[str, Any], size_mb: float) -> PeakRss:
    """RSS of a handshaken server once warm, and its high-water mark after one call of ``tool`` with ``arguments``.

    Warm means after one call with a tiny payload, so the figure is what the payload costs, not what a first
    call loads (ours opens its HTTP client then).
    """
    call_tool(process, tool, document_arguments("QUJD"))
    idle = _status_kb(process.pid, "VmRSS") / 1024
    call_tool(process, tool, arguments, request_id=4)
    peak = _status_kb(process.pid, "VmHWM") / 1024
    return PeakRss(round(idle, 1), round(peak, 1), round((peak - idle) / size_mb, 2))


def peak_rss(command: list[str], env: dict[str, str], tool: str, arguments: dict[str, Any], size_mb: float) -> PeakRss:
    """``rss_around`` on a fresh server."""
    with started(command, env) as (process, _):
        return rss_around(process, tool, arguments, size_mb)


# Where the memory goes, from bench/memory_sites.py (tracemalloc inside each server, 30 MB payload):
# - The floor's peak is the SDK's stdio transport. ``async for line in stdin`` keeps the whole line (1x)
#   until the next line arrives, so for the whole call; TextIOWrapper.readline builds it from 8 KB pieces
#   and joins them (1x more, while reading). Validating the line against the SDK's JSON-RPC message union
#   makes the request with its arguments (1x, held) and briefly a second one (1x; validating
#   JSONRPCRequest alone does not). That is 3x traced at the peak. The other ~0.6x of the 3.6x in RSS is
#   outside tracemalloc's view (buffers pydantic-core takes from malloc, allocator overhead); glibc's trim
#   and mmap thresholds do not change it. The tool's argument validation (FuncMetadata, our Message
#   models) copies no large string.
# - Ours adds nothing measurable since the body is encoded and sent a chunk at a time (mcp_token_counter.body):
#   under 1 MB traced, 3.63x against the floor's 3.63x. Before, one to_json of the whole body made it 4.58x
#   (its Rust buffer and the bytes copied from it, side by side): with that call made and its bytes dropped
#   at once it was still 4.57x, without it 3.63x. What remains is the SDK's.
def memory(env: dict[str, str], payload_mb: float = 30.0) -> Memory:
    """Peak RSS above idle for one count_tokens call carrying ``payload_mb`` of base64, ours and the floor's.

    The floor is a bare MCPServer over stdio whose ``take`` tool has count_tokens' two required parameters
    and returns at once: the SDK's own cost of receiving such a call.
    """
    arguments, size_mb = _payload(payload_mb)
    ours = peak_rss([SCRIPT], env, "count_tokens", arguments, size_mb)
    floor = peak_rss(BARE_COMMAND, BARE_ENV, "take", arguments, size_mb)
    return _memory(size_mb, ours, floor)


def _payload(payload_mb: float) -> tuple[dict[str, Any], float]:
    """count_tokens arguments carrying ``payload_mb`` of base64, and the payload's exact size in MB."""
    data = base64_payload(payload_mb)
    return document_arguments(data), len(data) / 1e6


def _memory(size_mb: float, ours: PeakRss, floor: PeakRss) -> Memory:
    ratio = ours.peak_over_idle_per_payload / floor.peak_over_idle_per_payload
    return Memory(round(size_mb, 1), ours, floor, round(ratio, 2))


def cold_starts(env: dict[str, str], runs: int) -> dict[str, float]:
    """Ours against the bare server, medians of ``runs`` each, started in turn (see ``stats.interleaved``)."""
    timings = [(cold_start_s([SCRIPT], env), cold_start_s(BARE_COMMAND, BARE_ENV)) for _ in range(runs)]
    return _cold(timings)


def _cold(timings: list[tuple[float, float]]) -> dict[str, float]:
    ours = statistics.median(t[0] for t in timings)
    bare = statistics.median(t[1] for t in timings)
    return {"ours_s": round(ours, 3), "bare_s": round(bare, 3), "ratio": round(ours / bare, 3)}


def cold_start_and_memory(env: dict[str, str], payload_mb: float) -> tuple[dict[str, float], Memory]:
    """``cold_starts`` with one run, then ``memory`` on those same two servers (``--quick``: two server starts
    instead of four). Once its first tools/list is answered, a cold-started server is what ``memory`` starts."""
    arguments, size_mb = _payload(payload_mb)
    with started([SCRIPT], env) as (process, ours_s):
        ours = rss_around(process, "count_tokens", arguments, size_mb)
    with started(BARE_COMMAND, BARE_ENV) as (process, bare_s):
        floor = rss_around(process, "take", arguments, size_mb)
    return _cold([(ours_s, bare_s)]), _memory(size_mb, ours, floor)
