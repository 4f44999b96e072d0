"""Entry point of the MCP Bundle (manifest.json ``server.entry_point``).

Bundle hosts run this file as a script (``uv run server/main.py`` in the unpacked bundle), which a package's
``__main__.py`` cannot be: its relative imports need a parent package. Python puts this folder first on
``sys.path``, so ``mcp_token_counter`` imports from here whether or not uv has installed the project.
"""

from mcp_token_counter.__main__ import main

if __name__ == "__main__":
    main()
