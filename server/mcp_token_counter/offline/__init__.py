"""Offline estimation of count_tokens requests: ctok for text, documented rules for everything else.

Pure library code: no MCP, no HTTP. Three layers, each importing only those below it:

- ``request``: the request rules (content blocks, images, PDFs, tool definitions, thinking, the framing of
  turns); ``request.estimate.estimate_request(body, spec)`` is the entry point, which the server calls (through
  ``core/estimate.py``) when no API credentials are configured or the API refuses a shape it can still estimate;
- ``text``: the text engine, ``text.count.text_tokens``: ctok's count of a text, exact, per word and memoized;
- ``compiled``: the Cython extension and the choice of engine (``compiled.engine``).

This package imports nothing itself: the start-up line asks ``compiled.engine`` whether the extension imports
without loading ctok or the rules.
"""
