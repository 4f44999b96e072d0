"""The calls a server is answering, so that a shutdown can wait for them before it ends the streams."""

from __future__ import annotations

from collections.abc import Generator
from contextlib import contextmanager

import anyio


class InFlight:
    """Counts calls in progress; ``wait_idle`` returns once there are none (or the time is up)."""

    def __init__(self) -> None:
        self._count = 0
        # Made on first use: an anyio.Event needs the running event loop.
        self._idle: anyio.Event | None = None

    @property
    def count(self) -> int:
        """Calls in progress now."""
        return self._count

    @contextmanager
    def track(self) -> Generator[None]:
        """Count one call for the duration of the block."""
        if self._count == 0:
            self._idle = anyio.Event()
        self._count += 1
        try:
            yield
        finally:
            self._count -= 1
            if self._count == 0 and self._idle is not None:
                self._idle.set()

    async def wait_idle(self, timeout_s: float) -> bool:
        """Wait until no call is in progress, at most ``timeout_s``; whether that happened."""
        with anyio.move_on_after(timeout_s):
            if self._count and self._idle is not None:
                await self._idle.wait()
        return self._count == 0
