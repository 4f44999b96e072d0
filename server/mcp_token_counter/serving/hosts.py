"""The HTTP transports' names, default bind and ``--allowed-host`` values: what the command line needs.

Kept apart from ``web`` (uvicorn, Starlette, the MCP server) so that parsing the flags, ``--version`` and
every CLI command never import the server's web stack.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Final, Literal
from urllib.parse import urlsplit

HttpTransport = Literal["streamable-http", "sse"]
DEFAULT_HOST: Final = "127.0.0.1"
DEFAULT_PORT: Final = 8000
_HOSTNAME: Final = re.compile(r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?")


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
