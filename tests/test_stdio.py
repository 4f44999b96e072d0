"""The installed console script over a real stdio pipe."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest
from anyio.abc import Process
from anyio.streams.buffered import BufferedByteReceiveStream
from mcp import Client, StdioServerParameters

SCRIPT = Path(sys.executable).with_name("mcp-token-counter")
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}},
}
HELLO = {"model": "claude-sonnet-4-6", "messages": [{"role": "user", "content": "Hello, Claude 你好 👋"}]}


def minimal_env(**extra: str) -> dict[str, str]:
    """What a desktop host gives a child: hardly anything."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp"), **extra}


async def rpc(process: Process, reader: BufferedByteReceiveStream, message: dict[str, Any]) -> dict[str, Any]:
    assert process.stdin is not None
    await process.stdin.send((json.dumps(message) + "\n").encode())
    if "id" not in message:
        return {}
    while True:
        line = await reader.receive_until(b"\n", 10_000_000)
        reply = json.loads(line)
        assert reply["jsonrpc"] == "2.0"
        if reply.get("id") == message["id"]:
            return reply


async def drain(reader: BufferedByteReceiveStream) -> bytes:
    chunks: list[bytes] = []
    try:
        while True:
            chunks.append(await reader.receive())
    except anyio.EndOfStream:
        return b"".join(chunks)


@pytest.mark.anyio
async def test_console_script_speaks_only_json_rpc_on_stdout() -> None:
    """Every line the server writes to stdout is JSON-RPC, including around an error result."""
    assert SCRIPT.exists(), "the console script is installed by the README's set-up"
    with anyio.fail_after(30):
        async with await anyio.open_process([str(SCRIPT)], env=minimal_env()) as process:
            assert process.stdout is not None
            reader = BufferedByteReceiveStream(process.stdout)
            init = await rpc(process, reader, INITIALIZE)
            assert init["result"]["serverInfo"]["name"] == "mcp-token-counter"
            await rpc(process, reader, {"jsonrpc": "2.0", "method": "notifications/initialized"})
            listed = await rpc(process, reader, {"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
            names = [t["name"] for t in listed["result"]["tools"]]
            assert names == [
                "count_tokens",
                "check_context_fit",
                "count_files",
                "count_tool_definitions",
                "check_prompt_cache",
            ]
            call = {"name": "check_context_fit", "arguments": {**HELLO, "model": "claude-imaginary-9"}}
            called = await rpc(process, reader, {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": call})
            assert called["result"]["isError"] is True
            assert "context_window" in called["result"]["content"][0]["text"]
            assert process.stdin is not None
            await process.stdin.aclose()
            rest = await drain(reader)
            assert await process.wait() == 0
            for line in rest.splitlines():
                assert json.loads(line)["jsonrpc"] == "2.0"


@pytest.mark.anyio
async def test_python_m_and_sdk_client_over_stdio() -> None:
    """``python -m mcp_token_counter`` serves the SDK's stdio client."""
    params = StdioServerParameters(command=sys.executable, args=["-m", "mcp_token_counter"], env=minimal_env())
    with anyio.fail_after(30):
        async with Client(params) as client:
            tools = await client.list_tools()
            assert {t.name for t in tools.tools} == {
                "count_tokens",
                "check_context_fit",
                "count_files",
                "count_tool_definitions",
                "check_prompt_cache",
            }


def test_ctrl_c_stops_the_stdio_server_while_stdin_stays_open() -> None:
    """SIGINT ends the server at once, although the SDK's stdin reader is blocked waiting for a line."""
    with subprocess.Popen([SCRIPT], env=minimal_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE) as process:
        assert process.stdin is not None
        assert process.stdout is not None
        process.stdin.write((json.dumps(INITIALIZE) + "\n").encode())
        process.stdin.flush()
        assert json.loads(process.stdout.readline())["id"] == 1  # serving, and now waiting on stdin
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
