"""The counting core, free of MCP and the CLI: count, fit, breakdown, over one shared ``AppState``.

``operations`` is the way in for every door; ``state`` builds what the operations share.
"""
