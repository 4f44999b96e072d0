"""Count the tokens of Claude Messages API requests over MCP."""

__version__ = "0.1.0"
