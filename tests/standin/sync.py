"""Waiting across threads: the stand-in's loop runs in its own thread, the test's loop in another.

A test awaits a condition that the stand-in's thread changes (a request arrived, a client went away);
the stand-in awaits conditions a test changes (a stall released). `CrossThreadCondition` wakes a waiter
on whichever asyncio loop it waits in with `call_soon_threadsafe`, which never blocks the notifier, so a
test may stop the stand-in synchronously without deadlock. Waiting needs an asyncio loop (the anyio
asyncio backend is one); trio is not supported.
"""

import asyncio
import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(eq=False)
class _Waiter:
    predicate: Callable[[], bool]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[None]


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class CrossThreadCondition:
    """A condition variable whose waiters are coroutines on any thread's asyncio loop."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._waiters: list[_Waiter] = []

    async def wait_for(self, predicate: Callable[[], bool]) -> None:
        """Return once `predicate()` is true; it is evaluated under the lock, in the notifying thread."""
        loop = asyncio.get_running_loop()
        with self.lock:
            if predicate():
                return
            waiter = _Waiter(predicate, loop, loop.create_future())
            self._waiters.append(waiter)
        try:
            await waiter.future
        finally:
            with self.lock:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)

    def notify_all(self) -> None:
        """Wake every waiter whose predicate now holds."""
        with self.lock:
            ready = [w for w in self._waiters if w.predicate()]
            for waiter in ready:
                self._waiters.remove(waiter)
                # A closed loop raises RuntimeError: nobody is left there to wake.
                with contextlib.suppress(RuntimeError):
                    waiter.loop.call_soon_threadsafe(_wake, waiter.future)


class Signal:
    """A one-way flag, set from any thread and awaited from any asyncio loop."""

    def __init__(self) -> None:
        self._condition = CrossThreadCondition()
        self._set = False

    def set(self) -> None:
        """Raise the flag and wake the waiters."""
        with self._condition.lock:
            self._set = True
            self._condition.notify_all()

    def is_set(self) -> bool:
        """Whether the flag is up."""
        return self._set

    async def wait(self) -> None:
        """Return once the flag is up."""
        await self._condition.wait_for(self.is_set)
