"""Listing one server's tools with the SDK's client, the way a host connects to it.

stdio: the command, args, env and cwd from the config, the environment otherwise the SDK's minimal one (as
hosts give it); the server's stderr goes to a temporary file, read back only for a failure's reason.
Streamable HTTP and SSE: the URL and headers from the config. tools/list pages are followed.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncGenerator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any, Final, TextIO, cast

import anyio
from mcp import Client
from mcp.client.sse import sse_client
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client

from ..redaction import Redactor
from ..upstream.servers import server_http_client
from .entry import ServerEntry

MAX_PAGES: Final = 100
# What one server's tools may add up to, as JSON: the largest real servers list well under 1 MiB.
MAX_LISTED_BYTES: Final = 16 * 1024 * 1024
REASON_CHARS: Final = 300


class ListingFailed(Exception):
    """The server could not be started, reached or listed; ``reason`` is safe to show."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Listed:
    """The server's tools, as MCP ``Tool`` objects in wire JSON."""

    tools: list[dict[str, Any]]


async def list_tools(entry: ServerEntry, *, timeout_s: float, redact: Redactor | None = None) -> Listed:
    """Every tool ``entry`` lists, within ``timeout_s`` for starting, the handshake and all pages.

    Raises:
        ListingFailed: it did not start, answer in time or list; the reason has the entry's secrets masked,
            and those of ``redact`` (every configured server's: a server may print another's).
    """
    if entry.problem:
        raise ListingFailed(entry.problem)
    redact = redact or Redactor(entry.secrets())
    # A real file, not a pipe: the child writes to its descriptor, and nothing has to drain it.
    with cast(TextIO, tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")) as errlog:
        try:
            with anyio.fail_after(timeout_s):
                return await _listed(entry, errlog)
        except TimeoutError:
            raise ListingFailed(f"no answer within {timeout_s:g} s{_stderr_tail(errlog, redact)}") from None
        # A third-party server can fail in any way: every failure must become a row, never end the audit.
        except Exception as exc:  # noqa: BLE001
            raise ListingFailed(redact(_describe(exc)) + _stderr_tail(errlog, redact)) from None


async def _listed(entry: ServerEntry, errlog: TextIO) -> Listed:
    """Every page of tools/list, until no cursor or one already followed (a server that repeats its cursor
    would be asked again and again); a tool listed twice counts once, and the tools' JSON is bounded.

    Raises:
        ListingFailed: the tools' JSON passes ``MAX_LISTED_BYTES``.
    """
    async with _connected(entry, errlog) as client:
        tools: dict[str, dict[str, Any]] = {}
        cursors: set[str] = set()
        cursor: str | None = None
        size = 0
        for _ in range(MAX_PAGES):
            page = await client.list_tools(cursor=cursor)
            for tool in page.tools:
                size += len(tool.model_dump_json(by_alias=True, exclude_none=True))
                tools.setdefault(tool.name, tool.model_dump(by_alias=True, exclude_none=True, mode="json"))
            if size > MAX_LISTED_BYTES:
                raise ListingFailed(f"its tools/list passed {MAX_LISTED_BYTES // (1024 * 1024)} MiB of JSON")
            cursor = page.next_cursor
            if cursor is None or cursor in cursors:
                break
            cursors.add(cursor)
        return Listed(list(tools.values()))


@asynccontextmanager
async def _connected(entry: ServerEntry, errlog: TextIO) -> AsyncGenerator[Client]:
    # legacy: the initialize handshake every host and server speaks, rather than probing server/discover.
    async with AsyncExitStack() as stack:
        if entry.transport == "stdio":
            params = StdioServerParameters(
                command=entry.command or "", args=list(entry.args), env=dict(entry.env) or None, cwd=entry.cwd
            )
            transport: Any = stdio_client(params, errlog=errlog)
        elif entry.transport == "sse":
            transport = sse_client(entry.url or "", headers=dict(entry.headers))
        else:
            http = await stack.enter_async_context(server_http_client(entry.headers))
            transport = streamable_http_client(entry.url or "", http_client=http)
        yield await stack.enter_async_context(Client(transport, mode="legacy"))


def _describe(exc: BaseException) -> str:
    """The innermost first failure, as ``Type: message``."""
    while isinstance(exc, BaseExceptionGroup):
        exc = cast(BaseExceptionGroup[BaseException], exc).exceptions[0]
    if isinstance(exc, ListingFailed):
        return exc.reason
    message = str(exc).strip() or "(no message)"
    return f"{type(exc).__name__}: {message}"[:REASON_CHARS]


def _stderr_tail(errlog: TextIO, redact: Redactor) -> str:
    """The last line the server wrote to stderr, masked, as ``; stderr: …`` (or nothing)."""
    errlog.seek(0)
    lines = [line.strip() for line in errlog.read().splitlines() if line.strip()]
    return f"; stderr: {redact(lines[-1])[:REASON_CHARS]}" if lines else ""
