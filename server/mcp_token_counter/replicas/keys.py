"""Names and bounds of shared state that callers use without Redis: kept apart from ``store``, which imports redis-py
(the team extra) and is imported only when Redis is configured."""

from __future__ import annotations

import hashlib
from typing import Final

# The most of a count's value ever read: a valid one is a few hundred bytes, a planted one may be anything.
MAX_VALUE_BYTES: Final = 16_384


def budget_name(scope: str) -> str:
    """A short, stable name for the rate budget of one provider and base URL (never the URL itself)."""
    return hashlib.sha256(scope.encode("utf-8")).hexdigest()[:16]
