"""The one Redis connection of a replica, and the operations replicas share through it.

- Counts: ``GET`` / ``SET ... PX ttl`` of a small JSON value under the request key's hex digest. Bodies are
  never stored; how much Redis keeps is bounded by its own ``maxmemory`` and eviction policy.
- The rate budget and the cool-down: two small Lua scripts, each atomic in Redis (below).

Every operation goes through ``_guarded``: skipped at once while the circuit breaker is open, bounded by the
short ``TOKEN_COUNTER_REDIS_TIMEOUT``, and answered with None on any failure, so the caller falls back on its
own process's state. redis-py's own retries are switched off: the breaker decides when to try again.

Why a Lua script and not ``limits`` or ``pyrate-limiter`` for the rate budget: the local limit spaces requests
evenly (one every 60/RPM seconds, reserving the next free slot, since the API's buckets refill continuously),
and both libraries answer only "allowed now or not" for a window, so a burst of 30 at RPM=60 would all pass at
once, or callers would have to poll. Reserving a slot is five lines of Lua: the next free slot is kept in one
key, read and advanced atomically, and the wait comes back exactly. Times come from Redis's own clock
(``TIME``), so replicas whose clocks disagree still share one timeline.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final, Literal, cast

import anyio
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError, ResponseError

from ..clock import Clock
from ..config import RedisSettings
from ..metrics import Metrics
from ..redaction import display_url
from .breaker import DEFAULT_RETRY_AFTER_S, CircuitBreaker
from .keys import MAX_VALUE_BYTES

logger = logging.getLogger(__name__)

PREFIX: Final = "mcp-token-counter:"
_MICRO: Final = 1_000_000

# KEYS: next free slot, cool-down end (microseconds on Redis's clock). ARGV: interval, longest acceptable wait
# (microseconds). Returns {granted 0/1, wait in microseconds, 1 if the cool-down decided the wait else 2}.
# A refused turn reserves nothing, so a call that gives up does not push every later call back.
RESERVE_SCRIPT: Final = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local cool = tonumber(redis.call('GET', KEYS[2]) or '0')
local interval = tonumber(ARGV[1])
local start = math.max(now, cool)
if interval > 0 then start = math.max(start, tonumber(redis.call('GET', KEYS[1]) or '0')) end
local wait = start - now
local cause = 2
if cool >= start and cool > now then cause = 1 end
if wait > tonumber(ARGV[2]) then return {0, wait, cause} end
if interval > 0 then
  redis.call('SET', KEYS[1], string.format('%d', start + interval), 'PX', math.ceil((wait + interval) / 1000) + 1000)
end
return {1, wait, cause}
"""
# KEYS: cool-down end. ARGV: the pause in microseconds. Never shortens a cool-down already running.
COOL_DOWN_SCRIPT: Final = """
local t = redis.call('TIME')
local untill = tonumber(t[1]) * 1000000 + tonumber(t[2]) + tonumber(ARGV[1])
if untill > tonumber(redis.call('GET', KEYS[1]) or '0') then
  redis.call('SET', KEYS[1], string.format('%d', untill), 'PX', math.ceil(tonumber(ARGV[1]) / 1000) + 1000)
end
return 1
"""

# KEYS: one user's window. ARGV: the window in milliseconds. Returns {calls in the window, ms left}. The window
# opens at the user's first call and lasts ARGV[1]: no clock is read, so replicas need not agree on the time.
USER_CALLS_SCRIPT: Final = """
local calls = redis.call('INCR', KEYS[1])
if calls == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {calls, redis.call('PTTL', KEYS[1])}
"""


@dataclass(frozen=True, slots=True)
class Turn:
    """The shared budget's answer: go after ``wait_s`` (granted), or not within the acceptable wait."""

    granted: bool
    wait_s: float
    cause: Literal["cool_down", "rate_limit"]


class SharedStore:
    """Counts, rate budget and cool-down in Redis, each answering None when Redis cannot."""

    def __init__(
        self,
        settings: RedisSettings,
        *,
        clock: Clock,
        metrics: Metrics,
        retry_after_s: float = DEFAULT_RETRY_AFTER_S,
    ) -> None:
        password = settings.password.get_secret_value() if settings.password is not None else None
        extra: dict[str, Any] = {} if password is None else {"password": password}
        self._redis: Redis = Redis.from_url(  # pyright: ignore[reportUnknownMemberType]  # untyped **kwargs
            settings.url,
            # No socket_timeout: with one, redis-py wraps every send in asyncio.wait_for, a task per command;
            # a count with Redis then cost 2.8 ms more server CPU than without, against 0.8 ms now (measured
            # on one replica). The cancel scope in _guarded bounds each operation instead; redis-py drops a
            # connection whose command was cancelled.
            socket_timeout=None,
            socket_connect_timeout=settings.timeout_s,
            retry=Retry(NoBackoff(), 0),
            **extra,
        )
        self._timeout_s = settings.timeout_s
        metrics.redis_up.set(1)
        self._breaker = CircuitBreaker(
            clock=clock,
            where=display_url(settings.url),
            retry_after_s=retry_after_s,
            on_change=lambda up: metrics.redis_up.set(1 if up else 0),
        )
        self._reserve = self._redis.register_script(RESERVE_SCRIPT)
        self._cool_down = self._redis.register_script(COOL_DOWN_SCRIPT)
        self._user_calls = self._redis.register_script(USER_CALLS_SCRIPT)

    async def aclose(self) -> None:
        """Close the connections."""
        await self._redis.aclose()

    async def get_count(self, key: bytes, *, max_bytes: int = MAX_VALUE_BYTES) -> bytes | None:
        """The stored value for a request key, or None (absent, over ``max_bytes``, or Redis unavailable).

        Only ``max_bytes + 1`` bytes are ever read, so a planted 5 MB value costs no more than a valid one.
        """
        value = await self._guarded(lambda: self._redis.getrange(_count_key(key), 0, max_bytes))
        return value if isinstance(value, bytes) and 0 < len(value) <= max_bytes else None

    async def put_count(self, key: bytes, value: bytes, *, ttl_s: float) -> None:
        """Store a value for a request key for ``ttl_s`` (skipped when Redis is unavailable)."""
        await self._guarded(lambda: self._redis.set(_count_key(key), value, px=max(1, int(ttl_s * 1000))))

    async def reserve(self, budget: str, *, interval_s: float, max_wait_s: float) -> Turn | None:
        """Take the next upstream turn of ``budget``, or None when Redis cannot say."""
        keys = [f"{PREFIX}slot:{budget}", f"{PREFIX}cool:{budget}"]
        args = [int(interval_s * _MICRO), max(0, int(max_wait_s * _MICRO))]
        reply = await self._guarded(lambda: self._reserve(keys=keys, args=args))
        if not isinstance(reply, list):
            return None
        granted, wait, cause = cast(list[int], reply)
        return Turn(bool(granted), wait / _MICRO, "cool_down" if cause == 1 else "rate_limit")

    async def cool_down(self, budget: str, seconds: float) -> None:
        """Hold back every replica's requests of ``budget`` for ``seconds`` from now."""
        keys = [f"{PREFIX}cool:{budget}"]
        await self._guarded(lambda: self._cool_down(keys=keys, args=[int(seconds * _MICRO)]))

    async def user_calls(self, user: str, *, window_s: float) -> tuple[int, float] | None:
        """Count one call of ``user`` (a digest, never the subject) in its window: the calls so far and the
        seconds left, or None when Redis cannot say."""
        keys = [f"{PREFIX}user:{user}"]
        reply = await self._guarded(lambda: self._user_calls(keys=keys, args=[int(window_s * 1000)]))
        if not isinstance(reply, list):
            return None
        calls, left_ms = cast(list[int], reply)
        return calls, max(0, left_ms) / 1000

    async def _guarded(self, operation: Callable[[], Awaitable[Any]]) -> Any:
        if not self._breaker.allows():
            return None
        result: Any = None
        # The whole operation (connecting included) is bounded here. A bare scope rather than fail_after, as in
        # the upstream client: no generator context manager per operation.
        with anyio.CancelScope(deadline=anyio.current_time() + self._timeout_s) as scope:
            try:
                result = await operation()
            except ResponseError as exc:
                if not str(exc).startswith("WRONGTYPE"):
                    await self._failed(exc)
                    return None
                # Redis answered: a key someone set to another type is bad data, a miss, never an outage.
            except (RedisError, OSError) as exc:  # a socket timeout is an OSError; wrong auth a RedisError
                await self._failed(exc)
                return None
        if scope.cancelled_caught:
            await self._failed(TimeoutError(f"no answer within {self._timeout_s:g} s"))
            return None
        self._breaker.succeeded()
        return result

    async def _failed(self, error: BaseException) -> None:
        """Open the breaker and drop every pooled connection: after Redis restarts, an idle connection from
        before would fail the first operation that took it, and start a second outage right after the first."""
        self._breaker.failed(error)
        # Closing a socket to a dead server may fail too; it is closed either way.
        with anyio.CancelScope(shield=True), contextlib.suppress(RedisError, OSError):
            await self._redis.connection_pool.disconnect()


def _count_key(key: bytes) -> str:
    return f"{PREFIX}count:{key.hex()}"
