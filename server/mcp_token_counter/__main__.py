"""Command line: ``mcp-token-counter`` (stdio by default) and ``python -m mcp_token_counter``.

Flags → settings → logging → the chosen door: stdio, HTTP/SSE (``serving``), or a CLI subcommand (``cli``).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from collections.abc import Sequence
from types import FrameType
from typing import Final

from . import __version__
from .app import TokenCounterServer, build_server
from .config import Settings, load_settings
from .serving import web
from .serving.web import HttpOptions, HttpTransport

logger = logging.getLogger("mcp_token_counter")

CONNECT_HINT = """mcp-token-counter %s is running on stdio and waits for an MCP client on stdin.
Connect it from Claude Desktop or Claude Code instead of a terminal, for example:
  claude mcp add token-counter -- %s
To serve HTTP instead: %s --transport http
Press Ctrl-C to stop."""
SUBCOMMANDS: Final = ("count", "count-files", "models", "audit")  # cli.parser() defines each
TRANSPORTS: Final[dict[str, HttpTransport | None]] = {
    "stdio": None,
    "http": "streamable-http",
    "streamable-http": "streamable-http",
    "sse": "sse",
}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Flags for the server; usage errors exit with code 2 and a message on stderr."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.stateless and TRANSPORTS[args.transport] != "streamable-http":
        parser.error("--stateless applies to --transport http only")
    return args


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mcp-token-counter",
        description="MCP server that counts the tokens of Claude Messages API requests.",
        epilog=f"HTTP clients must send 'Authorization: Bearer <token>' when {web.TOKEN_VARIABLE} is set; "
        "binding an address other than loopback requires it. GET /health is always open. "
        "Subcommands for the shell: count, count-files, models, audit (e.g. mcp-token-counter count --help).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging on stderr")
    parser.add_argument(
        "--transport",
        choices=list(TRANSPORTS),
        default="stdio",
        help="stdio (default); http = streamable HTTP at /mcp (alias streamable-http); sse = legacy SSE at /sse",
    )
    parser.add_argument("--host", default=web.DEFAULT_HOST, help="address to bind for http/sse (default %(default)s)")
    parser.add_argument("--port", type=_port, default=web.DEFAULT_PORT, help="port (default %(default)s; 0 = any free)")
    parser.add_argument(
        "--stateless",
        action="store_true",
        help="streamable HTTP without sessions for 2025-era clients (2026-07-28 clients are always sessionless)",
    )
    parser.add_argument(
        "--allowed-host",
        dest="allowed_hosts",
        action="append",
        type=_allowed_host,
        default=[],
        metavar="HOST[:PORT]",
        help="a Host header to accept besides loopback, e.g. the public name behind a proxy (repeatable)",
    )
    return parser


def _port(value: str) -> int:
    if not (value.isascii() and value.isdigit()) or int(value) > 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number (0-65535)")
    return int(value)


def _allowed_host(value: str) -> str:
    try:
        return web.allowed_host(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def configure_logging(verbosity: int) -> None:
    """Everything goes to stderr: stdout belongs to JSON-RPC."""
    level = logging.DEBUG if verbosity > 1 else logging.INFO if verbosity == 1 else logging.WARNING
    logging.basicConfig(stream=sys.stderr, level=level, format="%(levelname)s %(name)s: %(message)s", force=True)
    # httpx2 logs every request at INFO; keep it for -vv only.
    logging.getLogger("httpx2").setLevel(logging.DEBUG if verbosity > 1 else logging.WARNING)


def http_options(args: argparse.Namespace, transport: HttpTransport, settings: Settings) -> HttpOptions:
    """The HTTP serving options from the flags, ``TOKEN_COUNTER_HTTP_TOKEN`` and the session limits."""
    return HttpOptions(
        transport=transport,
        host=args.host,
        port=args.port,
        stateless=args.stateless,
        allowed_hosts=tuple(args.allowed_hosts),
        token=web.http_token(os.environ),
        max_sessions=settings.max_sessions,
        session_idle_s=settings.session_idle_s,
        shutdown_grace_s=settings.shutdown_grace_s,
    )


def log_affinity(settings: Settings) -> None:
    """Say at start-up when multi-round-trip calls need session affinity; a warning when Redis suggests replicas."""
    if settings.state_keys:
        return
    logger.log(
        logging.WARNING if settings.redis is not None else logging.INFO,
        "TOKEN_COUNTER_STATE_KEYS is not set: a multi-round-trip call (count_files asking the client for its roots) "
        "only completes on the replica that started it, so replicas behind a load balancer need session affinity. "
        "Give every replica the same TOKEN_COUNTER_STATE_KEYS to lift that.",
    )


def run_stdio(server: TokenCounterServer) -> None:
    """Serve on stdin/stdout until the client closes stdin, or Ctrl-C."""
    if sys.stdin.isatty():
        sys.stderr.write(CONNECT_HINT % (__version__, sys.argv[0], sys.argv[0]) + "\n")
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

    app = web.build_http_app(server, options, provider=provider, metrics=server.metrics.exposition)
    web.serve(app, options, on_listening=announce, calls=server.calls)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the server, or one of the CLI's subcommands when the first argument names one."""
    words = list(sys.argv[1:] if argv is None else argv)
    if words and words[0] in SUBCOMMANDS:
        from . import cli  # only here: the CLI's rich output is not needed to serve, and start-up is measured

        sys.exit(cli.run(words))
    args = parse_args(argv)
    configure_logging(args.verbose)
    settings, config_error = load_settings(os.environ)
    transport = TRANSPORTS[args.transport]
    options = http_options(args, transport, settings) if transport else None
    refusal = web.unsafe_bind(options) if options else None
    if refusal:
        # The one start-up exit: someone typed this command and is watching.
        _parser().error(refusal)
    server = build_server(settings, config_error=config_error)
    if options is not None:
        log_affinity(settings)
    if options is None:
        run_stdio(server)
    else:
        run_http(server, options, provider=settings.provider)


if __name__ == "__main__":
    main()
