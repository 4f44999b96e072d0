"""The SDK's floor for our job: a bare MCPServer tool that makes the same one POST and returns the same shape.

python bench/sdk_upstream_server.py               # stdio
python bench/sdk_upstream_server.py http PORT     # streamable HTTP on 127.0.0.1:PORT/mcp

It reads ANTHROPIC_BASE_URL and ANTHROPIC_API_KEY, posts ``{model, messages}`` to the counting endpoint with
one shared httpx2 client (at most BENCH_BOUND at a time, 16 by default, like our in-flight bound) and returns
a ``TokenCount`` built as our tools build it (``tool_result``), so the SDK validates, serialises and sends the
same result our tool does. What it leaves out is exactly what the product
adds: argument models, the body builder, cache, single-flight, retries, pressure, deadline and the error
mapping. ``ours - this`` is our own cost, with nothing of the SDK's in it.

``same_shape`` returns that result without the POST: between the bare floor and ``count_upstream`` it
separates what the result's shape costs the SDK from what a tool doing I/O costs it.
"""

import os
import sys
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import anyio
import httpx2
from bare_server import serve_http  # a sibling script: its folder is first on sys.path
from mcp.server import MCPServer
from mcp.types import CallToolResult

from mcp_token_counter.core.results import TokenCount
from mcp_token_counter.tools.result import tool_result

_clients: list[httpx2.AsyncClient] = []
_bound = anyio.CapacityLimiter(int(os.environ.get("BENCH_BOUND", "16")))


@asynccontextmanager
async def _lifespan(_server: MCPServer[Any]) -> AsyncGenerator[dict[str, Any]]:
    headers = {"x-api-key": os.environ["ANTHROPIC_API_KEY"], "anthropic-version": "2023-06-01"}
    async with httpx2.AsyncClient(base_url=os.environ["ANTHROPIC_BASE_URL"], headers=headers) as client:
        _clients.append(client)
        yield {}


server = MCPServer("sdk-upstream", log_level="WARNING", lifespan=_lifespan)


@server.tool()
async def count_upstream(model: str, messages: list[dict[str, Any]]) -> Annotated[CallToolResult, TokenCount]:
    """Count through the API, nothing else."""
    async with _bound:
        response = await _clients[0].post("/v1/messages/count_tokens", json={"model": model, "messages": messages})
    response.raise_for_status()
    counted = TokenCount(
        input_tokens=response.json()["input_tokens"],
        model=model,
        source="api",
        provider="anthropic",
        ignored_fields=[],
        request_id=response.headers.get("request-id"),
    )
    return tool_result(counted)


@server.tool()
async def same_shape(model: str, messages: list[dict[str, Any]]) -> Annotated[CallToolResult, TokenCount]:
    """The same result, made up at once."""
    made_up = TokenCount(input_tokens=len(messages), model=model, source="api", provider="anthropic", ignored_fields=[])
    return tool_result(made_up)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "http":
        serve_http(server, int(sys.argv[2]))
    else:
        server.run("stdio")
