"""Logging set-up shared by serving and the CLI: everything to stderr, stdout belongs to JSON-RPC (or to the
CLI's output)."""

from __future__ import annotations

import logging
import sys
from typing import Final

# The one line the server logs at start at the default level: the credential variable and provider in use.
STARTUP_LOGGER: Final = "mcp_token_counter.startup"


def configure_logging(verbosity: int, *, startup_line: bool = False) -> None:
    """Warnings by default, ``-v`` info, ``-vv`` debug with every upstream request.

    ``startup_line`` shows the start-up line at the default level too (stdio, where nothing else says which
    credential is in use; over HTTP the listening line says it).
    """
    level = logging.DEBUG if verbosity > 1 else logging.INFO if verbosity == 1 else logging.WARNING
    logging.basicConfig(stream=sys.stderr, level=level, format="%(levelname)s %(name)s: %(message)s", force=True)
    logging.getLogger(STARTUP_LOGGER).setLevel(min(level, logging.INFO) if startup_line else level)
    # httpx2 logs every request at INFO; keep it for -vv only.
    logging.getLogger("httpx2").setLevel(logging.DEBUG if verbosity > 1 else logging.WARNING)
