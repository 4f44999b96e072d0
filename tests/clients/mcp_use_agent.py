"""Calls the server's tools as an mcp-use agent does; run by tests/test_mcp_use.py in a venv holding mcp-use.

``python mcp_use_agent.py LOG SERVER`` starts ``SERVER`` over stdio through mcp-use's own MCPClient, builds the
tools with the LangChainAdapter that MCPAgent uses, and sends each tool call LangChain's agent loop sends (a
ToolCall with only the required arguments). It prints one JSON object as its last line: per tool, the text the
wrapper handed the model (mcp-use logs to stdout too).

``python mcp_use_agent.py relay LOG SERVER`` is the stdio command mcp-use starts: it appends every line mcp-use
writes and every line the server answers to LOG, so the test sees exactly what reached the server and what
came back.
"""
# pyright: reportMissingImports=false, reportUnknownVariableType=false, reportUnknownMemberType=false
# pyright: reportUnknownArgumentType=false
# This file runs in the mcp-use venv: mcp_use and langchain_core are not importable in the project's venv.

import asyncio
import json
import os
import subprocess
import sys
import threading
from typing import IO, Any

HELLO: dict[str, Any] = {
    "model": "claude-sonnet-4-6",
    "messages": [{"role": "user", "content": "Hello, Claude"}],
}
TOOLS = ("count_tokens", "check_context_fit")


def relay(log: str, server: str) -> int:
    """Pass lines between mcp-use and ``server`` both ways, keeping a copy of each in ``log``."""
    child = subprocess.Popen([server], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert child.stdin is not None
    assert child.stdout is not None
    lock = threading.Lock()
    with open(log, "ab") as kept:

        def copy(source: IO[bytes], sink: IO[bytes]) -> None:
            for line in source:
                with lock:
                    kept.write(line if line.endswith(b"\n") else line + b"\n")
                    kept.flush()
                sink.write(line)
                sink.flush()

        answers = threading.Thread(target=copy, args=(child.stdout, sys.stdout.buffer))
        answers.start()
        copy(sys.stdin.buffer, child.stdin)
        child.stdin.close()
        answers.join()
    return child.wait()


async def call_all(log: str, server: str) -> dict[str, Any]:
    from mcp_use import MCPClient
    from mcp_use.agents.adapters.langchain_adapter import LangChainAdapter

    # mcp-use hands a stdio server only the environment its config names, as a user's config would.
    command = {"command": sys.executable, "args": [__file__, "relay", log, server], "env": dict(os.environ)}
    client = MCPClient.from_dict({"mcpServers": {"counter": command}})
    try:
        tools = {tool.name: tool for tool in await LangChainAdapter().create_tools(client)}
        return {name: await call(tools[name], name) for name in TOOLS}
    finally:
        await client.close_all_sessions()


async def call(tool: Any, name: str) -> str:
    """The text the model would read after one call as LangChain's ToolNode makes it.

    The wrapper turns an error result into a dict of its own, which LangChain serialises into that text.
    """
    message = await tool.ainvoke({"type": "tool_call", "id": f"call-{name}", "name": name, "args": HELLO})
    return str(message.content)


def main(argv: list[str]) -> int:
    if argv[0] == "relay":
        return relay(argv[1], argv[2])
    print(json.dumps(asyncio.run(call_all(argv[0], argv[1]))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
