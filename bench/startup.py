"""Cold start (spawn to the first tools/list answer) and memory, over raw stdio pipes."""

from __future__ import annotations

import base64
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from bench.latency import BARE, SCRIPT

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


def _start(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)


def _handshake(process: subprocess.Popen[bytes]) -> None:
    assert process.stdin is not None
    assert process.stdout is not None
    _send(process.stdin, INIT)
    _answer(process.stdout, 1)
    _send(process.stdin, {"jsonrpc": "2.0", "method": "notifications/initialized"})
    _send(process.stdin, {"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
    _answer(process.stdout, 2)


def cold_start_s(command: list[str], env: dict[str, str], runs: int) -> float:
    """Median seconds from spawn to the first tools/list answer."""
    durations: list[float] = []
    for _ in range(runs):
        start = time.perf_counter()
        process = _start(command, env)
        _handshake(process)
        durations.append(time.perf_counter() - start)
        process.kill()
        process.wait()
    return statistics.median(durations)


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text(encoding="utf-8").splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


@dataclass(frozen=True, slots=True)
class Memory:
    """Resident memory of the server process, in MB."""

    idle_rss_mb: float
    payload_mb: float
    peak_rss_mb: float
    peak_over_idle_per_payload: float


def memory(env: dict[str, str], payload_mb: float = 30.0) -> Memory:
    """Idle RSS after the handshake, and peak RSS after counting a base64 payload of ``payload_mb``."""
    process = _start([SCRIPT], env)
    assert process.stdin is not None
    assert process.stdout is not None
    _handshake(process)
    idle = _status_kb(process.pid, "VmRSS") / 1024
    raw = os.urandom(int(payload_mb * 1e6 * 3 / 4))
    data = base64.b64encode(raw).decode("ascii")
    block = {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": data}}
    arguments = {"model": "claude-sonnet-4-6", "messages": [{"role": "user", "content": [block]}]}
    _send(
        process.stdin,
        {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "count_tokens", "arguments": arguments}},
    )
    _answer(process.stdout, 3)
    peak = _status_kb(process.pid, "VmHWM") / 1024
    process.kill()
    process.wait()
    size_mb = len(data) / 1e6
    return Memory(round(idle, 1), round(size_mb, 1), round(peak, 1), round((peak - idle) / size_mb, 2))


def cold_starts(env: dict[str, str], runs: int) -> dict[str, float]:
    """Ours against the bare server."""
    ours = cold_start_s([SCRIPT], env, runs)
    bare = cold_start_s([sys.executable, BARE], {"PATH": "/usr/bin:/bin"}, runs)
    return {"ours_s": round(ours, 3), "bare_s": round(bare, 3), "ratio": round(ours / bare, 3)}
