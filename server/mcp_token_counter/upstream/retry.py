"""The official SDK's retry policy (counting-api.md §11) and the loop that applies it to one upstream call.

- At most ``max_retries`` retries (2 by default, so 3 attempts).
- Retried: connection errors, timeouts, 408, 409, 429 and every status >= 500 (529 included); an
  ``x-should-retry: true|false`` header overrides the status, and is checked first.
- The wait is what the server asked for (``retry-after-ms``, else ``retry-after`` in seconds or as an HTTP
  date) when that is in (0, 60] s; otherwise ``min(0.5 * 2**n, 8) * (1 - 0.25 * random())`` for the n-th retry.
- A server-given wait becomes a shared cool-down (``Pressure.cool_down``): new requests from other calls
  hold back too, instead of stampeding the API the moment it said "slow down".
- Nothing waits past the call's deadline: when the next try could not start in time, the last error is
  reported at once. So a 429 without ``retry-after`` (a spend cap, which waiting never clears) costs at
  most ``max_retries`` short backoffs before it is reported as such.

Why not stamina: the SDK's jitter is multiplicative and its delay depends on
the response, which stamina supports only through a hook whose delay its testing mode replaces with 0; the
wait here must be shared with other calls rather than slept privately; and tests need to read the delays
chosen, which an injectable clock gives and stamina's fixed ``asyncio.sleep`` does not.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Final

from ..config import DEFAULT_MAX_RETRIES
from ..errors import TokenCounterError
from .pressure import Pressure

logger = logging.getLogger(__name__)

RETRY_STATUSES: Final = frozenset({408, 409, 429})
MAX_SERVER_DELAY_S: Final = 60.0
INITIAL_DELAY_S: Final = 0.5
MAX_DELAY_S: Final = 8.0


@dataclass(frozen=True, slots=True)
class Failure:
    """A failed attempt: the error to report if it stays the last one, and whether and when to try again."""

    error: TokenCounterError
    retryable: bool
    server_delay: float | None = None


def should_retry(status: int, headers: Mapping[str, str]) -> bool:
    """Whether an error status is worth another attempt; ``x-should-retry`` wins over the status."""
    flag = headers.get("x-should-retry", "").strip().lower()
    if flag in ("true", "false"):
        return flag == "true"
    return status in RETRY_STATUSES or status >= 500


def retry_after_seconds(headers: Mapping[str, str], *, wall_now: float) -> float | None:
    """The wait a response asks for, unfiltered: ``retry-after-ms``, else ``retry-after`` (seconds or date)."""
    if (ms := _number(headers.get("retry-after-ms"))) is not None:
        return ms / 1000
    raw = headers.get("retry-after")
    if raw is None:
        return None
    if (seconds := _number(raw)) is not None:
        return seconds
    try:
        return parsedate_to_datetime(raw).timestamp() - wall_now
    except (TypeError, ValueError):  # not an HTTP date either; also a date without a zone
        return None


def server_delay(headers: Mapping[str, str], *, wall_now: float) -> float | None:
    """The server's wait when the SDK would use it exactly: in (0, 60] s."""
    delay = retry_after_seconds(headers, wall_now=wall_now)
    return delay if delay is not None and 0 < delay <= MAX_SERVER_DELAY_S else None


def backoff_delay(retries_taken: int, unit_random: float) -> float:
    """The SDK's backoff before retry number ``retries_taken + 1``; ``unit_random`` is in [0, 1)."""
    exponent = min(retries_taken, 64)  # past the cap anyway; 2.0**1100 would overflow
    return min(INITIAL_DELAY_S * 2.0**exponent, MAX_DELAY_S) * (1 - 0.25 * unit_random)


def _number(raw: str | None) -> float | None:
    try:
        return float(raw) if raw is not None else None
    except ValueError:
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """How many retries, and the random source of the jitter (injectable for tests)."""

    max_retries: int = DEFAULT_MAX_RETRIES
    random: Callable[[], float] = field(default=random.random, repr=False)

    def backoff(self, retries_taken: int) -> float:
        """The jittered backoff before the next retry."""
        return backoff_delay(retries_taken, self.random())


async def call_with_retries[T](
    attempt: Callable[[], Awaitable[T | Failure]],
    *,
    retries: int,
    policy: RetryPolicy,
    pressure: Pressure,
    deadline_at: float,
) -> T:
    """Run ``attempt`` (one upstream request) until it succeeds, fails for good, or time runs out.

    Each attempt takes an upstream slot from ``pressure``; backoff happens outside the slot.

    Raises:
        TokenCounterError: the last attempt's error, or ``UpstreamUnavailable`` when no slot came in time.
    """
    retries_taken = 0
    while True:
        async with pressure.slot(deadline_at):
            outcome = await attempt()
        if not isinstance(outcome, Failure):
            return outcome
        if not outcome.retryable or retries_taken >= retries:
            raise outcome.error
        delay = await _delay(outcome, policy, pressure, retries_taken)
        if pressure.clock.now() + delay > deadline_at:
            raise outcome.error
        retries_taken += 1
        pressure.metrics.retries.inc()
        logger.info(
            "Counting API attempt failed (%s); retry %d of %d in %.2f s",
            type(outcome.error).__name__,
            retries_taken,
            retries,
            delay,
        )
        if outcome.server_delay is None:
            await pressure.clock.sleep(delay)


async def _delay(outcome: Failure, policy: RetryPolicy, pressure: Pressure, retries_taken: int) -> float:
    """The wait before the next attempt: the server's, as a cool-down (the next ``slot()`` waits it out, with
    every other call), else the policy's jittered backoff."""
    if outcome.server_delay is not None:
        await pressure.cool_down(outcome.server_delay)
        return outcome.server_delay
    return policy.backoff(retries_taken)
