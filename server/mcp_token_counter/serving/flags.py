"""The server's command-line flags, as the parser (``cli/parser.py``) hands them to ``launch.serve``.

They live here, below both, so the arrow runs one way: the parser imports ``launch`` (lazily, only to
serve), and ``launch`` never imports the CLI. Here too are the default bind and ``--allowed-host``'s check,
which ``web`` uses as well: parsing the flags, ``--version`` and every CLI command never import the web stack
(uvicorn, Starlette, the MCP server).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Final, Literal
from urllib.parse import urlsplit

HttpTransport = Literal["streamable-http", "sse"]
DEFAULT_HOST: Final = "127.0.0.1"
DEFAULT_PORT: Final = 8000
_HOSTNAME: Final = re.compile(r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?")

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


def allowed_host(value: str) -> str:
    """``HOST`` or ``HOST:PORT`` as a ``Host`` header carries it: lower case, IPv6 in brackets.

    Raises:
        ValueError: ``value`` is not a host name or address with an optional port.
    """
    text = value.strip().lower()
    if text.count(":") > 1 and not text.startswith("["):
        text = f"[{text}]"  # a bare IPv6 address
    parts = urlsplit(f"//{text}")
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"{value!r} has an invalid port") from exc
    host = parts.hostname or ""
    if parts.path or parts.query or parts.fragment or parts.username is not None or not _valid_host(host):
        raise ValueError(f"{value!r} is not HOST or HOST:PORT")
    host = f"[{host}]" if ":" in host else host
    return host if port is None else f"{host}:{port}"


def _valid_host(host: str) -> bool:
    if _HOSTNAME.fullmatch(host):
        return True
    try:
        ipaddress.IPv6Address(host)
    except ValueError:
        return False
    return True
