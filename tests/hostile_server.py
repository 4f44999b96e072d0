"""A stdio MCP server that lists tools in hostile ways, for the audit's robustness tests.

``python tests/hostile_server.py repeat``: 10 tools, and the same next cursor on every page.
``python tests/hostile_server.py many N``: N small tools on one page.
``python tests/hostile_server.py big``: one 1 MiB tool per page, a new cursor every time.
"""

import sys

import anyio
from mcp.server import Server, ServerRequestContext
from mcp.server.stdio import stdio_server
from mcp.types import ListToolsResult, PaginatedRequestParams, Tool


def tools(count: int, prefix: str, description: str = "A tool.") -> list[Tool]:
    return [Tool(name=f"{prefix}{i}", description=description, input_schema={"type": "object"}) for i in range(count)]


async def list_tools(_ctx: ServerRequestContext, params: PaginatedRequestParams | None) -> ListToolsResult:
    mode = sys.argv[1]
    if mode == "repeat":
        return ListToolsResult(tools=tools(10, "again_"), next_cursor="again")
    if mode == "many":
        return ListToolsResult(tools=tools(int(sys.argv[2]), sys.argv[3]))
    page = int(params.cursor) if params is not None and params.cursor else 0
    return ListToolsResult(tools=tools(1, f"big{page}_", "x" * (1 << 20)), next_cursor=str(page + 1))


async def main() -> None:
    server = Server("hostile", on_list_tools=list_tools)
    async with stdio_server() as (read, write):
        await server.run(read, write, server.create_initialization_options())


if __name__ == "__main__":
    anyio.run(main)
