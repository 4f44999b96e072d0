"""Calls the server's tools as an mcp-use agent does; run by tests/test_mcp_use.py in a venv holding mcp-use.

``python mcp_use_agent.py LOG SERVER`` starts ``SERVER`` over stdio through mcp-use's own MCPClient, builds the
tools with the LangChainAdapter that MCPAgent uses, and sends each tool call LangChain's agent loop sends (a
ToolCall with only the required arguments). It prints one JSON object: per tool, the text the wrapper handed the
model and whether the wrapper saw an error.

``python mcp_use_agent.py relay LOG SERVER`` is the stdio command mcp-use starts: it appends every line mcp-use
writes to LOG before passing it on to SERVER, so the test sees exactly what reached the server.
"""
# pyright: reportMissingImports=false, reportUnknownVariableType=false, reportUnknownMemberType=false
# pyright: reportUnknownArgumentType=false
# This file runs in the mcp-use venv: mcp_use and langchain_core are not importable in the project's venv.

import asyncio
import json
import os
import subprocess
import sys
from typing import Any

HELLO: dict[str, Any] = {
    "model": "claude-sonnet-4-6",
    "messages": [{"role": "user", "content": "Hello, Claude"}],
}
TOOLS = ("count_tokens", "check_context_fit")


def relay(log: str, server: str) -> int:
    """Pass stdin to ``server`` line by line, keeping a copy in ``log``; the server writes to our stdout."""
    child = subprocess.Popen([server], stdin=subprocess.PIPE)
    assert child.stdin is not None
    with open(log, "ab") as kept:
        for line in sys.stdin.buffer:
            kept.write(line)
            kept.flush()
            child.stdin.write(line)
            child.stdin.flush()
    child.stdin.close()
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


async def call(tool: Any, name: str) -> dict[str, Any]:
    """One call as LangChain's ToolNode makes it; the wrapper returns a dict for an error, text otherwise."""
    message = await tool.ainvoke({"type": "tool_call", "id": f"call-{name}", "name": name, "args": HELLO})
    content = message.content
    return {"error": not isinstance(content, str), "content": content if isinstance(content, str) else str(content)}


def main(argv: list[str]) -> int:
    if argv[0] == "relay":
        return relay(argv[1], argv[2])
    print(json.dumps(asyncio.run(call_all(argv[0], argv[1]))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
