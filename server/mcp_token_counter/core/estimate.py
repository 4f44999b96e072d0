"""The one way from async code into the offline estimator: imported on first use, run off the event loop.

The offline stack (ctok, pypdf, imagesize) is imported only when the first estimate is made: serving API counts
never needs it, and start-up time is measured (bench/). Large texts take a while to tokenise, so estimates
run in a worker thread. The estimator's own error becomes one that reaches the model.

An estimate honours ``TOKEN_COUNTER_DEADLINE``: past it, the caller gets ``EstimateTimedOut``, which says
what to change. A Python thread cannot be stopped, so a timed-out estimate may keep counting in its
thread until its text is done; what bounds its cost to everyone else is the large lane. Estimates of
bodies with at least ``LARGE_CHARS`` characters of strings count at most ``LARGE_AT_ONCE`` at a time
(``LANE``): their thread takes a place before counting and gives it back when it is done, timed out or
not. Counting holds the GIL, so without the lane forty large estimates would share it with the event
loop, and a tiny count on the same server would wait for turns among them; small estimates never queue
behind large ones. A large estimate still waiting for the lane when its deadline passes never starts.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

import anyio
import anyio.to_thread

from ..catalog import ModelSpec
from ..config import DEFAULT_DEADLINE_S
from ..errors import TokenCounterError

if TYPE_CHECKING:
    from ..offline.request.result import Estimate

LARGE_CHARS: Final = 10_000
"""Bodies with this many characters of strings or more are large: about a third of a second of counting
on the slowest text, where small ones take milliseconds."""
LARGE_AT_ONCE: Final = 2
"""Large estimates counting at once, per process. Counting is Python holding the GIL: more threads would
not count faster, only slow the event loop and every small count down."""
# A body's strings are summed over at most this many strings and containers; a body that wide is large.
_MAX_NODES: Final = 200_000


class EstimateTimedOut(TokenCounterError):
    """An offline estimate did not finish within the deadline; ``deadline_s`` is the one it had."""

    def __init__(self, deadline_s: float) -> None:
        super().__init__(
            f"The text is too large to estimate offline within TOKEN_COUNTER_DEADLINE ({deadline_s:g} s). Raise "
            "TOKEN_COUNTER_DEADLINE, set an API key so the counting API counts it, or split the text and count "
            "the parts."
        )
        self.deadline_s = deadline_s


class Lane:
    """At most ``size`` large estimates counting at once, held by their worker threads until they are done."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._counting = 0
        self._changed = threading.Condition()

    @property
    def counting(self) -> int:
        """Large estimates counting now, timed out or not."""
        return self._counting

    def enter(self, timeout: float) -> bool:
        """Take a place within ``timeout`` seconds; whether one was taken."""
        with self._changed:
            if not self._changed.wait_for(lambda: self._counting < self._size, max(0.0, timeout)):
                return False
            self._counting += 1
            self._changed.notify_all()
            return True

    def leave(self) -> None:
        """Give a place back."""
        with self._changed:
            self._counting -= 1
            self._changed.notify_all()

    def wait_until(self, counting: int, timeout: float | None = None) -> bool:
        """Wait until exactly ``counting`` large estimates are counting; whether they are (for tests)."""
        with self._changed:
            return self._changed.wait_for(lambda: self._counting == counting, timeout)


LANE: Final = Lane(LARGE_AT_ONCE)
"""The process's one lane, whatever the number of servers or estimators in it: they share one GIL."""


class Estimator:
    """Offline estimates in worker threads, each within ``deadline_s``, the large ones through one lane."""

    def __init__(self, deadline_s: float = DEFAULT_DEADLINE_S, *, lane: Lane = LANE) -> None:
        self.deadline_s = deadline_s
        self._lane = lane
        # Large estimates wait for their turn here, in no thread: waiting in the lane's threads instead, forty
        # of them would hold every thread of anyio's default pool, and small estimates would queue behind them.
        self._large_threads = anyio.CapacityLimiter(LARGE_AT_ONCE)

    async def __call__(self, body: Mapping[str, Any], spec: ModelSpec | None) -> Estimate:
        """The offline estimate of a count_tokens body for the model ``spec`` describes (None: not in the table).

        Raises:
            TokenCounterError: the body is not a request the estimator can read.
            EstimateTimedOut: the estimate did not finish within the deadline.
        """
        from ..offline.request.errors import MalformedRequest
        from ..offline.request.estimate import estimate_request

        work: Callable[[], Estimate] = functools.partial(estimate_request, body, spec)
        limiter = None
        if string_chars(body) >= LARGE_CHARS:
            limiter = self._large_threads
            work = functools.partial(self._in_lane, work, time.monotonic() + self.deadline_s)
        with anyio.move_on_after(self.deadline_s):
            try:
                return await anyio.to_thread.run_sync(work, abandon_on_cancel=True, limiter=limiter)
            except MalformedRequest as exc:
                raise TokenCounterError(f"The request cannot be estimated: {exc}") from exc
            except _LaneTimedOut:
                pass
        raise EstimateTimedOut(self.deadline_s)

    def _in_lane(self, work: Callable[[], Estimate], deadline: float) -> Estimate:
        """``work`` once the lane has a place, held until done; in the worker thread. A place is normally free
        at once (``_large_threads`` is as wide as the lane); it is not while timed-out estimates still count."""
        if not self._lane.enter(deadline - time.monotonic()):
            raise _LaneTimedOut
        try:
            return work()
        finally:
            self._lane.leave()


class _LaneTimedOut(Exception):
    """The deadline passed before the large lane had room; nothing was counted."""


def string_chars(body: object) -> int:
    """The characters of every string in a JSON-like ``body``, keys included, up to ``LARGE_CHARS``: past it,
    or past ``_MAX_NODES`` strings and containers, the walk stops there."""
    total = 0
    stack: list[object] = [body]
    nodes = 0
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            total += len(value)
        elif isinstance(value, Mapping):
            stack.extend(value.keys())  # pyright: ignore[reportUnknownArgumentType]
            stack.extend(value.values())  # pyright: ignore[reportUnknownArgumentType]
        elif isinstance(value, list | tuple):
            stack.extend(value)  # pyright: ignore[reportUnknownArgumentType]
        else:
            continue
        nodes += 1
        if nodes > _MAX_NODES or total >= LARGE_CHARS:  # large already: no need to walk the rest
            return max(total, LARGE_CHARS)
    return total
