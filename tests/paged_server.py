"""A stdio MCP server that lists its five tools two per page, for the audit's pagination test.

Run as ``python tests/paged_server.py``; the SDK's low-level ``Server`` hands out the cursors.
"""

import anyio
from mcp.server import Server, ServerRequestContext
from mcp.server.stdio import stdio_server
from mcp.types import ListToolsResult, PaginatedRequestParams, Tool

TOOLS = [Tool(name=f"paged_{i}", description=f"Tool number {i}.", input_schema={"type": "object"}) for i in range(5)]
PAGE = 2


async def list_tools(_ctx: ServerRequestContext, params: PaginatedRequestParams | None) -> ListToolsResult:
    start = int(params.cursor) if params is not None and params.cursor else 0
    end = start + PAGE
    return ListToolsResult(tools=TOOLS[start:end], next_cursor=str(end) if end < len(TOOLS) else None)


async def main() -> None:
    server = Server("paged", on_list_tools=list_tools)
    async with stdio_server() as (read, write):
        await server.run(read, write, server.create_initialization_options())


if __name__ == "__main__":
    anyio.run(main)
