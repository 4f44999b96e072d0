"""The server's command-line flags, as the parser (``cli/parser.py``) hands them to ``launch.serve``.

They live here, below both, so the arrow runs one way: the parser imports ``launch`` (lazily, only to
serve), and ``launch`` never imports the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from .hosts import DEFAULT_HOST, DEFAULT_PORT, HttpTransport

TRANSPORTS: Final[dict[str, HttpTransport | None]] = {
    "stdio": None,
    "http": "streamable-http",
    "streamable-http": "streamable-http",
    "sse": "sse",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ServeFlags:
    """The server's command-line flags, for ``launch.serve``."""

    transport: str = "stdio"
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    stateless: bool = False
    allowed_hosts: tuple[str, ...] = ()
    verbose: int = 0
