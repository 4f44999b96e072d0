"""Starting the server once the flags are parsed: logging → settings → stdio or HTTP/SSE (``serving``).

Usage errors here exit 2 with a message (someone typed the command and is watching); a bad setting never stops
the server, it is reported on every tool call instead.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Final

from . import __version__
from .app import STARTUP_LOGGER, TokenCounterServer, build_server
from .config import Settings, load_settings
from .serving import web
from .serving.web import HttpOptions, HttpTransport

CONNECT_HINT: Final = """mcp-token-counter {version} is running on stdio and waits for an MCP client on stdin.
Connect it from Claude Desktop or Claude Code instead of a terminal, for example:
  claude mcp add token-counter -- {command}
To serve HTTP instead: {command} --transport http
Press Ctrl-C to stop."""
TRANSPORTS: Final[dict[str, HttpTransport | None]] = {
    "stdio": None,
    "http": "streamable-http",
    "streamable-http": "streamable-http",
    "sse": "sse",
}


class LaunchRefused(Exception):
    """The flags ask for something unsafe or contradictory (exit 2, the message says why)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ServeFlags:
    """The server's command-line flags."""

    transport: str = "stdio"
    host: str = web.DEFAULT_HOST
    port: int = web.DEFAULT_PORT
    stateless: bool = False
    allowed_hosts: tuple[str, ...] = ()
    verbose: int = 0


def serve(flags: ServeFlags) -> None:
    """Run the server until its client leaves, or Ctrl-C / SIGTERM.

    Raises:
        LaunchRefused: ``--stateless`` without streamable HTTP, or a bind beyond loopback without a token.
    """
    transport = TRANSPORTS[flags.transport]
    if flags.stateless and transport != "streamable-http":
        raise LaunchRefused("--stateless applies to --transport http only")
    configure_logging(flags.verbose)
    settings, config_error = load_settings(os.environ)
    options = http_options(flags, transport, settings) if transport else None
    refusal = web.unsafe_bind(options) if options else None
    if refusal:
        raise LaunchRefused(refusal)
    server = build_server(settings, config_error=config_error)
    if options is None:
        run_stdio(server)
    else:
        run_http(server, options, provider=settings.provider)


def configure_logging(verbosity: int) -> None:
    """Everything goes to stderr: stdout belongs to JSON-RPC. The start-up line shows at the default level."""
    level = logging.DEBUG if verbosity > 1 else logging.INFO if verbosity == 1 else logging.WARNING
    logging.basicConfig(stream=sys.stderr, level=level, format="%(levelname)s %(name)s: %(message)s", force=True)
    # Which credential variable and provider are in use: one line, as the README promises, never the value.
    logging.getLogger(STARTUP_LOGGER).setLevel(min(level, logging.INFO))
    # httpx2 logs every request at INFO; keep it for -vv only.
    logging.getLogger("httpx2").setLevel(logging.DEBUG if verbosity > 1 else logging.WARNING)


def http_options(flags: ServeFlags, transport: HttpTransport, settings: Settings) -> HttpOptions:
    """The HTTP serving options from the flags, ``TOKEN_COUNTER_HTTP_TOKEN`` and the session limits."""
    return HttpOptions(
        transport=transport,
        host=flags.host,
        port=flags.port,
        stateless=flags.stateless,
        allowed_hosts=flags.allowed_hosts,
        token=web.http_token(os.environ),
        max_sessions=settings.max_sessions,
        session_idle_s=settings.session_idle_s,
        shutdown_grace_s=settings.shutdown_grace_s,
    )


def launch_command(argv0: str = sys.argv[0]) -> str:
    """How this server was started, as an absolute command a client config can use."""
    if Path(argv0).name == "__main__.py":
        return f"{sys.executable} -m mcp_token_counter"
    found = shutil.which(argv0) if os.sep not in argv0 else argv0
    return str(Path(found or argv0).absolute())


def run_stdio(server: TokenCounterServer) -> None:
    """Serve on stdin/stdout until the client closes stdin, or Ctrl-C."""
    if sys.stdin.isatty():
        sys.stderr.write(CONNECT_HINT.format(version=__version__, command=launch_command()) + "\n")
    # The SDK reads stdin in a worker thread no signal interrupts, so a cancelled server would wait for the
    # next input line and Ctrl-C seemed to do nothing. A stdio server keeps no state to save (its client owns
    # the session), so Ctrl-C ends it at once, as SIGTERM already does.
    signal.signal(signal.SIGINT, _exit_now)
    server.run("stdio")


def _exit_now(_signal: int, _frame: FrameType | None) -> None:
    sys.stderr.flush()
    os._exit(0)


def run_http(server: TokenCounterServer, options: HttpOptions, *, provider: str | None) -> None:
    """Serve over HTTP until interrupted, saying where on stderr once listening."""
    auth = "bearer token required" if options.token else "no token: loopback only"
    label = "SSE" if options.transport == "sse" else "streamable HTTP"

    def announce(port: int) -> None:
        url = web.endpoint_url(options, port)
        sys.stderr.write(f"mcp-token-counter {__version__}: {label} at {url} ({auth}); Ctrl-C to stop\n")
        sys.stderr.flush()

    app = web.build_http_app(server, options, provider=provider)
    web.serve(app, options, on_listening=announce, calls=server.calls)
