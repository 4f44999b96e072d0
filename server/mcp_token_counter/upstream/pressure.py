"""How hard the server presses on the counting API; one instance is shared by every upstream call.

Agents call the tools in bursts (Claude Code counts dozens of times a second at start-up), so three
things keep the burst from turning into a wall of 429s:

- a bound on requests in flight (``TOKEN_COUNTER_MAX_CONCURRENCY``); the rest queue, in order;
- a shared cool-down: when the API asks one call to wait (``retry-after``), new requests wait too;
- an optional requests-per-minute limit (``TOKEN_COUNTER_RPM``) for low tiers, spacing requests evenly
  rather than in bursts, since the API's buckets refill continuously.

Queueing counts towards each call's deadline; a wait that would outlast it fails at once instead.

With a shared store (``TOKEN_COUNTER_REDIS_URL``) the rate limit and the cool-down are the whole
organisation's: every replica takes its turns from Redis, and a ``retry-after`` one replica hears holds back
all of them. When Redis cannot answer, the turn is taken locally as before. The in-flight bound stays per
replica: it protects the process, not the account.
"""

from __future__ import annotations

import math
from collections.abc import AsyncGenerator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import anyio

from ..clock import Clock
from ..config import DEFAULT_MAX_CONCURRENCY
from ..errors import UpstreamUnavailable
from ..metrics import Metrics

if TYPE_CHECKING:  # redis-py is the team extra's; only a configured Redis imports it (core.state)
    from ..replicas.store import SharedStore


class Pressure:
    """The in-flight bound, the cool-down and the rate limit, against one clock."""

    def __init__(
        self,
        *,
        clock: Clock,
        max_in_flight: int = DEFAULT_MAX_CONCURRENCY,
        rpm: int | None = None,
        shared: SharedStore | None = None,
        budget: str = "default",
        metrics: Metrics | None = None,
    ) -> None:
        self.clock = clock
        self.metrics = metrics if metrics is not None else Metrics()
        self._shared = shared
        self._budget = budget
        self._in_flight = anyio.Semaphore(max_in_flight)
        self._interval = 60.0 / rpm if rpm else 0.0
        self._rpm = rpm
        self._cool_until = -math.inf
        self._next_slot = -math.inf

    async def cool_down(self, seconds: float) -> None:
        """Hold back new requests for ``seconds`` from now (never shortens a running cool-down), in every
        replica when the state is shared."""
        self._cool_until = max(self._cool_until, self.clock.now() + seconds)
        if self._shared is not None:
            await self._shared.cool_down(self._budget, seconds)

    @asynccontextmanager
    async def slot(self, deadline_at: float) -> AsyncGenerator[None]:
        """Hold one upstream slot for the duration of a request.

        Raises:
            UpstreamUnavailable: the cool-down or the rate limit would keep the request back past
                ``deadline_at`` (clock time).
        """
        async with self._in_flight:
            started = self.clock.now()
            await self._wait_until(lambda: self._cool_until, deadline_at, self._cool_down_error)
            if not await self._shared_turn(deadline_at):
                await self._local_turn(deadline_at)
            self.metrics.rate_limit_wait.observe(self.clock.now() - started)
            yield

    async def _shared_turn(self, deadline_at: float) -> bool:
        """Wait for the organisation-wide turn; False when there is no shared store or it cannot answer."""
        if self._shared is None:
            return False
        now = self.clock.now()
        turn = await self._shared.reserve(self._budget, interval_s=self._interval, max_wait_s=deadline_at - now)
        if turn is None:
            return False
        if not turn.granted:
            raise (self._cool_down_error if turn.cause == "cool_down" else self._rate_error)(turn.wait_s)
        start = now + turn.wait_s
        await self._wait_until(lambda: max(start, self._cool_until), deadline_at, self._cool_down_error)
        return True

    async def _local_turn(self, deadline_at: float) -> None:
        await self._wait_until(lambda: self._cool_until, deadline_at, self._cool_down_error)
        if not self._interval:
            return
        # Reserve a slot only once the cool-down is over, so a cool-down does not bunch the slots up.
        slot_at = max(self.clock.now(), self._next_slot)
        if slot_at > deadline_at:
            raise self._rate_error(slot_at - self.clock.now())
        self._next_slot = slot_at + self._interval
        await self._wait_until(lambda: max(slot_at, self._cool_until), deadline_at, self._cool_down_error)

    async def _wait_until(
        self, target: Callable[[], float], deadline_at: float, error: Callable[[float], UpstreamUnavailable]
    ) -> None:
        # Re-read the target after each sleep: another call may have extended the cool-down meanwhile.
        while (wait := target() - self.clock.now()) > 0:
            if target() > deadline_at:
                raise error(wait)
            await self.clock.sleep(wait)

    def _cool_down_error(self, wait: float) -> UpstreamUnavailable:
        return UpstreamUnavailable(
            f"The counting API asked to pause requests for another {wait:.1f} s, longer than this call may "
            "wait (TOKEN_COUNTER_DEADLINE). Try again after the pause.",
            reason="cool_down",
        )

    def _rate_error(self, wait: float) -> UpstreamUnavailable:
        return UpstreamUnavailable(
            f"TOKEN_COUNTER_RPM={self._rpm} leaves no request slot for {wait:.1f} s, longer than this call may "
            "wait (TOKEN_COUNTER_DEADLINE). Count less often, or raise TOKEN_COUNTER_RPM if the account's "
            "tier allows.",
            reason="rate_limit",
        )
