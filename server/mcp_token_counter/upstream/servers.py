"""HTTP clients for the MCP servers an audit connects to over streamable HTTP (this package owns httpx2)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import httpx2

# The SDK's own defaults for MCP clients: a server may hold a response stream open, so reads wait longer.
CONNECT_S: Final = 30.0
READ_S: Final = 300.0


def server_http_client(headers: Mapping[str, str]) -> httpx2.AsyncClient:
    """A client sending the config's ``headers`` with every request; the audit bounds the time itself."""
    return httpx2.AsyncClient(headers=dict(headers), timeout=httpx2.Timeout(CONNECT_S, read=READ_S))
