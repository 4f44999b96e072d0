"""The optional extras, and the one line that says how to install one when a setting needs it."""

from __future__ import annotations

from typing import Final

# Both ways people start the server: uvx for a client's config, pip for a venv or an image.
TEAM_INSTALL: Final = "uvx 'mcp-token-counter[team]' or pip install 'mcp-token-counter[team]'"
REDIS_MISSING: Final = (
    "TOKEN_COUNTER_REDIS_URL is set, but redis-py is not installed, so nothing is shared between replicas; "
    f"install the team extra: {TEAM_INSTALL}"
)
