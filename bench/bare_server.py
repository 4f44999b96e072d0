"""The SDK's floor: a bare MCPServer with one tool that returns at once (stdio)."""

from mcp.server import MCPServer

server = MCPServer("bare")


@server.tool()
async def echo(value: int = 0) -> int:
    """Return the value."""
    return value


if __name__ == "__main__":
    server.run("stdio")
