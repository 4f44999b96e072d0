"""The SDK's floor: a bare MCPServer whose tools return at once.

python bench/bare_server.py                 # stdio
python bench/bare_server.py http PORT       # streamable HTTP on 127.0.0.1:PORT/mcp
"""

import sys
from typing import Any

from mcp.server import MCPServer

server = MCPServer("bare", log_level="WARNING")


@server.tool()
async def echo(value: int = 0) -> int:
    """Return the value."""
    return value


@server.tool()
async def take(model: str, messages: list[dict[str, Any]]) -> int:
    """Take a count_tokens-shaped request and return at once: the SDK's own cost of large arguments."""
    return len(model) + len(messages)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "http":
        server.run("streamable-http", port=int(sys.argv[2]))
    else:
        server.run("stdio")
