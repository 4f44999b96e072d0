"""The CLI door: ``count``, ``count-files`` and ``models`` over the same core as the MCP tools."""

from .commands import run

__all__ = ["run"]
