"""Entry point of the MCP Bundle (manifest.json ``server.entry_point``), run as ``uv run main.py`` in the unpacked
bundle.

The bundle carries no source: ``pyproject.toml`` beside this file pins the released ``mcp-token-counter``, so uv
installs the platform wheel (with the compiled offline engine) from PyPI, and nothing is built on the user's
machine. A host runs this file as a script, which the package's own ``__main__.py`` cannot be.
"""

from mcp_token_counter.__main__ import main

if __name__ == "__main__":
    main()
