"""Names of shared state that callers make without Redis: kept apart from ``store``, which imports redis-py
(the team extra) and is imported only when Redis is configured."""

from __future__ import annotations

import hashlib


def budget_name(scope: str) -> str:
    """A short, stable name for the rate budget of one provider and base URL (never the URL itself)."""
    return hashlib.sha256(scope.encode("utf-8")).hexdigest()[:16]
