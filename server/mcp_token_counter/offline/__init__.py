"""Offline estimation of count_tokens requests: ctok for text, documented rules for everything else.

Pure library code: no MCP, no HTTP. ``estimate_request(body, spec)`` is the entry point; the server
calls it when no API credentials are configured or the API refuses a shape it can still estimate.
"""

from .errors import MalformedRequest
from .estimate import estimate_request
from .pdf import pdf_cache_info
from .result import Estimate, EstimatePart
from .text import clear_text_cache, text_cache_info

__all__ = [
    "Estimate",
    "EstimatePart",
    "MalformedRequest",
    "clear_text_cache",
    "estimate_request",
    "pdf_cache_info",
    "text_cache_info",
]
