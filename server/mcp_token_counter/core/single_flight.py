"""Single-flight: concurrent calls with the same key share one execution and its outcome.

The first caller (the leader) runs the work in its own task, so cancelling it aborts the upstream request
as it should. Followers wait; they get the leader's result or its exception. If the leader was cancelled
instead, there is no outcome to share, and one of the followers takes over as the new leader.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import cast

import anyio


@dataclass(eq=False, slots=True)
class _Flight[V]:
    done: anyio.Event = field(default_factory=anyio.Event)
    value: V | None = None
    error: Exception | None = None
    finished: bool = False


class SingleFlight[K: Hashable, V]:
    """Deduplicates concurrent work by key; nothing is remembered once the work is over."""

    def __init__(self) -> None:
        self._flights: dict[K, _Flight[V]] = {}

    async def run(self, key: K, work: Callable[[], Awaitable[V]]) -> V:
        """``await work()``, unless a call with ``key`` is already running: then its outcome.

        Raises:
            Exception: whatever the shared work raised.
        """
        while (flight := self._flights.get(key)) is not None:
            await flight.done.wait()
            if flight.finished:
                return _outcome(flight)
        return await self._lead(key, work)

    async def _lead(self, key: K, work: Callable[[], Awaitable[V]]) -> V:
        # Not _Flight[V](): calling the subscripted alias goes through typing on every call.
        flight: _Flight[V] = _Flight()
        self._flights[key] = flight
        try:
            value = await work()
        except Exception as exc:  # not swallowed: re-raised here and handed unchanged to every follower
            flight.error, flight.finished = exc, True
            raise
        else:
            flight.value, flight.finished = value, True
            return value
        finally:
            # A cancelled leader leaves ``finished`` False: its followers then retry, one as the new leader.
            del self._flights[key]
            flight.done.set()


def _outcome[V](flight: _Flight[V]) -> V:
    if flight.error is not None:
        raise flight.error
    return cast(V, flight.value)
