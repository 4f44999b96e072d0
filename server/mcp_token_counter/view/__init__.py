"""The picture of a count: the MCP Apps view, the same view as a standalone page, and the terminal's bar."""
