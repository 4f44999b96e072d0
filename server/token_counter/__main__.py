"""Command line: ``mcp-token-counter`` (stdio by default) and ``python -m token_counter``."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from . import __version__, cli
from .app import build_server, load_settings

logger = logging.getLogger("token_counter")

CONNECT_HINT = """mcp-token-counter %s is running on stdio and waits for an MCP client on stdin.
Connect it from Claude Desktop or Claude Code instead of a terminal, for example:
  claude mcp add token-counter -- %s
Press Ctrl-C to stop."""


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Flags for the server."""
    parser = argparse.ArgumentParser(
        prog="mcp-token-counter",
        description="MCP server that counts the tokens of Claude Messages API requests.",
        epilog="Subcommands for the shell: count, count-files, models (e.g. mcp-token-counter count --help).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging on stderr")
    return parser.parse_args(argv)


def configure_logging(verbosity: int) -> None:
    """Everything goes to stderr: stdout belongs to JSON-RPC."""
    level = logging.DEBUG if verbosity > 1 else logging.INFO if verbosity == 1 else logging.WARNING
    logging.basicConfig(stream=sys.stderr, level=level, format="%(levelname)s %(name)s: %(message)s", force=True)
    # httpx2 logs every request at INFO; keep it for -vv only.
    logging.getLogger("httpx2").setLevel(logging.DEBUG if verbosity > 1 else logging.WARNING)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the server, or one of the CLI's subcommands when the first argument names one."""
    words = list(sys.argv[1:] if argv is None else argv)
    if words and words[0] in cli.SUBCOMMANDS:
        sys.exit(cli.run(words))
    args = parse_args(argv)
    configure_logging(args.verbose)
    settings, config_error = load_settings(os.environ)
    server = build_server(settings, config_error=config_error)
    if sys.stdin.isatty():
        sys.stderr.write(CONNECT_HINT % (__version__, sys.argv[0]) + "\n")
    server.run("stdio")


if __name__ == "__main__":
    main()
