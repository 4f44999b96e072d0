"""count_files in the core: reading local files as content blocks within the roots, and counting them."""
