"""Where the server's CPU goes under load: a py-spy profile of ours during a concurrency burst, by owner.

    .venv/bin/python -m bench.profile [--calls 1000] [--transport http|stdio] [--raw out.txt]

Starts the stand-in (+20 ms per answer) in its own process and our console script under ``py-spy record``,
sends ``--calls`` distinct ``count_tokens`` calls at once (over streamable HTTP) or one after another (over
stdio), then stops the server and sorts every sample by who owns the code running: each sample is charged
to the innermost frame that belongs to a named package (ours, the SDK, the HTTP server, the HTTP client),
walking out through the stdlib, pydantic and anyio, which work on behalf of whoever called them.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Final

import anyio
import httpx2

from bench.http_bench import HttpServer, SweepTarget, free_port, sweep
from bench.latency import HELLO, SCRIPT, server_env, stdio_client
from bench.procs import standin_process

PY_SPY: Final = str(Path(sys.executable).with_name("py-spy"))
LATENCY_MS: Final = 20.0
BOUND: Final = 16
# Innermost match wins; the order only matters for packages whose names nest (mcp_types before mcp).
# py-spy names files relative to their sys.path entry: "count_tokens (mcp_token_counter/tools/count.py:82)".
# h11 is named by no owner: uvicorn and httpcore2 both drive it, so its samples go to whichever called it.
OWNERS: Final = (
    ("ours (mcp_token_counter)", re.compile(r"\(mcp_token_counter/")),
    ("SDK (mcp, mcp_types)", re.compile(r"\((mcp|mcp_types)/")),
    ("HTTP server (uvicorn, starlette, sse_starlette)", re.compile(r"\((uvicorn|starlette|sse_starlette)/")),
    ("HTTP client (httpx2, httpcore2)", re.compile(r"\((httpx2|httpcore2)/")),
)
STARTUP: Final = "<frozen importlib"  # imports at start-up: measured by the cold-start figure instead
IDLE: Final = re.compile(r"\((selectors|threading|queue)\.py|epoll|select\.poll")


def owner(stack: list[str]) -> str:
    """Who a sample's CPU belongs to (``stack`` outermost first)."""
    for frame in reversed(stack):
        for name, pattern in OWNERS:
            if pattern.search(frame):
                return name
    return "event loop and the rest (asyncio, anyio, stdlib)"


def shares(lines: Iterable[str]) -> tuple[Counter[str], int]:
    """Samples per owner from py-spy's raw (collapsed) output, idle waits left out, and the total kept."""
    counts: Counter[str] = Counter()
    for line in lines:
        stack_text, _, number = line.rstrip().rpartition(" ")
        if not stack_text or not number.isdigit():
            continue
        stack = stack_text.split(";")
        if IDLE.search(stack[-1]) or any(STARTUP in frame for frame in stack):
            continue
        counts[owner(stack)] += int(number)
    return counts, sum(counts.values())


def _spy(command: list[str], output: Path) -> list[str]:
    return [PY_SPY, "record", "--rate", "500", "--format", "raw", "--output", str(output), "--", *command]


def _server_pid(spy: subprocess.Popen[bytes]) -> int:
    # py-spy runs the server as its child; the server is what gets the stop signal, so py-spy writes its file.
    found = subprocess.run(["pgrep", "-P", str(spy.pid)], capture_output=True, text=True, check=True)
    return int(found.stdout.split()[0])


def profile_http(calls: int, output: Path, env: dict[str, str]) -> None:
    """Ours on streamable HTTP under py-spy, during one burst of ``calls``."""
    port = free_port()
    command = _spy([SCRIPT, "--transport", "http", "--port", str(port)], output)
    spy = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/mcp"
    deadline = time.monotonic() + 30
    while True:  # a readiness probe: each try is a real connection attempt
        try:
            httpx2.get(f"http://127.0.0.1:{port}/health", timeout=1).raise_for_status()
            break
        except httpx2.TransportError:
            if time.monotonic() > deadline or spy.poll() is not None:
                raise
            time.sleep(0.1)
    pid = _server_pid(spy)
    anyio.run(sweep, [SweepTarget("ours", HttpServer(url, pid), "count_tokens")], [calls], LATENCY_MS / 1000, BOUND)
    os.kill(pid, signal.SIGINT)
    spy.wait(60)


async def _stdio_calls(calls: int, env: dict[str, str], output: Path) -> None:
    # py-spy attaches to the running server rather than starting it: as its parent, py-spy would print its
    # banner on the server's stdout, which is the JSON-RPC channel.
    async with stdio_client(SCRIPT, [], env) as (client, pid):
        command = [PY_SPY, "record", "--pid", str(pid), "--rate", "500", "--format", "raw", "--output", str(output)]
        spy = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)  # noqa: ASYNC220
        assert spy.stdout is not None
        spy.stdout.readline()  # the banner: sampling has started
        for i in range(calls):
            arguments = {**HELLO, "messages": [{"role": "user", "content": f"call {i}"}]}
            result = await client.call_tool("count_tokens", arguments)
            assert not result.is_error, result
        spy.send_signal(signal.SIGINT)
        spy.wait(60)


def main() -> None:
    """Profile, then print the shares."""
    description = __doc__.splitlines()[0] if __doc__ else None
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=description)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--transport", choices=("http", "stdio"), default="http")
    parser.add_argument("--raw", type=Path, default=Path(__file__).with_name("results") / "profile.txt")
    args = parser.parse_args()
    args.raw.parent.mkdir(parents=True, exist_ok=True)
    latency = LATENCY_MS if args.transport == "http" else 0.0
    with standin_process(latency) as base_url:
        env = server_env(base_url, TOKEN_COUNTER_MAX_CONCURRENCY=str(BOUND))
        if args.transport == "http":
            profile_http(args.calls, args.raw, env)
        else:
            anyio.run(_stdio_calls, args.calls, env, args.raw)
    counts, total = shares(args.raw.read_text(encoding="utf-8").splitlines())
    out = sys.stdout
    out.write(f"{total} busy samples at 500 Hz over {args.transport}, {args.calls} calls (raw: {args.raw})\n")
    for name, samples in counts.most_common():
        out.write(f"  {samples / total:6.1%}  {name}\n")


if __name__ == "__main__":
    main()
