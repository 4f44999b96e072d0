"""A circuit breaker in front of Redis, so a dead Redis costs a call nothing and is reported once.

Closed: operations go to Redis. The first failure (an error, or no answer within the short timeout) opens it
and logs one warning. While open, operations are skipped at once. After ``retry_after_s`` one operation is let
through as a probe: success closes the breaker (logged once more), failure keeps it open for another period.

Written here rather than taken from a library (pybreaker, aiobreaker, purgatory): those count failures towards
a threshold and raise when open, while this needs "skip and fall back" on the first failure, one probe at a
time and an injectable clock; the whole of it is the four methods below.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Final

from ..clock import Clock

logger = logging.getLogger(__name__)

DEFAULT_RETRY_AFTER_S: Final = 2.0


class CircuitBreaker:
    """Whether to try Redis now; ``on_change(up)`` hears each change of state (for the ``redis_up`` gauge)."""

    def __init__(
        self,
        *,
        clock: Clock,
        where: str,
        retry_after_s: float = DEFAULT_RETRY_AFTER_S,
        on_change: Callable[[bool], None] = lambda _up: None,
    ) -> None:
        self._clock = clock
        self._where = where
        self._retry_after_s = retry_after_s
        self._on_change = on_change
        self._open = False
        self._probing = False
        self._retry_at = 0.0

    @property
    def is_open(self) -> bool:
        """True while Redis is being bypassed."""
        return self._open

    def allows(self) -> bool:
        """Whether this operation may go to Redis: always when closed, else one probe per period."""
        if not self._open:
            return True
        if self._probing or self._clock.now() < self._retry_at:
            return False
        self._probing = True
        return True

    def succeeded(self) -> None:
        """An operation worked: close, saying so if Redis had been bypassed."""
        self._probing = False
        if self._open:
            self._open = False
            logger.warning("Shared state in Redis at %s is reachable again; replicas share it once more", self._where)
            self._on_change(True)

    def failed(self, error: BaseException) -> None:
        """An operation failed: open for another period; only the first failure of an outage is logged."""
        self._probing = False
        self._retry_at = self._clock.now() + self._retry_after_s
        if self._open:
            return
        self._open = True
        logger.warning(
            "Shared state in Redis at %s is unavailable (%s: %s); each replica uses its own cache, rate budget and "
            "cool-down until it is back (tried again every %g s)",
            self._where,
            type(error).__name__,
            error,
            self._retry_after_s,
        )
        self._on_change(False)
