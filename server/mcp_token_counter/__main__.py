"""Command line: ``mcp-token-counter`` (stdio by default) and ``python -m mcp_token_counter``.

One parser (``cli.parser``): the server's flags → ``launch`` (logging → settings → stdio or HTTP/SSE), or a
subcommand of the CLI (``cli.commands``).
"""

from __future__ import annotations

from collections.abc import Sequence

from .cli.parser import PROG, cli


def main(argv: Sequence[str] | None = None) -> None:
    """Serve, or run the subcommand ``argv`` names (``sys.argv[1:]`` by default); exits with its code."""
    cli.main(args=list(argv) if argv is not None else None, prog_name=PROG)


if __name__ == "__main__":
    main()
