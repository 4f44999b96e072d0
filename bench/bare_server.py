"""The SDK's floor: a bare MCPServer whose tools return at once.

python bench/bare_server.py                 # stdio
python bench/bare_server.py http PORT       # streamable HTTP on 127.0.0.1:PORT/mcp (0: any free port)

On HTTP it writes its endpoint's URL on stdout once it accepts connections.
"""

import os
import socket
import sys
from typing import Any

import anyio
import uvicorn
from mcp.server import MCPServer

from mcp_token_counter.serving.web import KEEP_ALIVE_S

server = MCPServer("bare", log_level="WARNING")


@server.tool()
async def echo(value: int = 0) -> int:
    """Return the value."""
    return value


@server.tool()
async def take(model: str, messages: list[dict[str, Any]]) -> int:
    """Take a count_tokens-shaped request and return at once: the SDK's own cost of large arguments."""
    return len(model) + len(messages)


_bound = anyio.CapacityLimiter(int(os.environ.get("BENCH_BOUND", "16")))
_sleep_s = float(os.environ.get("BENCH_SLEEP_MS", "0")) / 1000


@server.tool()
async def wait(model: str, messages: list[dict[str, Any]]) -> int:
    """Hold one of BENCH_BOUND slots for BENCH_SLEEP_MS, as an upstream call would: the sweep's SDK floor."""
    async with _bound:
        await anyio.sleep(_sleep_s)
    return len(model) + len(messages)


class _Announcing(uvicorn.Server):
    """uvicorn, writing its endpoint's URL on stdout once it accepts connections (stdout carries no MCP on
    HTTP): the bench waits for that line instead of polling the port, and port 0 needs no guess beforehand."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            port = int(self.servers[0].sockets[0].getsockname()[1])
            print(f"http://127.0.0.1:{port}/mcp", flush=True)


def serve_http(bare: MCPServer[Any], port: int) -> None:
    """What ``bare.run("streamable-http")`` does, with our keep-alive time, so that all servers close idle
    connections alike (at uvicorn's default, a sweep's pause between bursts can race the client's)."""
    app = bare.streamable_http_app(host="127.0.0.1")
    _Announcing(uvicorn.Config(app, port=port, log_level="warning", timeout_keep_alive=KEEP_ALIVE_S)).run()


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "http":
        serve_http(server, int(sys.argv[2]))
    else:
        server.run("stdio")
