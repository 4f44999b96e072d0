"""Helpers for the reliability tests: a fake clock, a server built with it, and request-log queries."""

from collections.abc import AsyncGenerator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import anyio
import anyio.lowlevel
from mcp import Client
from mcp.types import CallToolResult

from mcp_token_counter.app import TokenCounterServer, build_server
from mcp_token_counter.config import load_settings
from mcp_token_counter.upstream.retry import RetryPolicy
from tests.standin import COUNT_PATH, RecordedRequest, Standin
from tests.support import Mode

WALL_START = 1_800_000_000.0  # a whole second, so HTTP dates (1 s resolution) convert exactly


class FakeClock:
    """Virtual time. Every sleep is recorded in ``sleeps``.

    With ``autojump`` (the default) a sleep returns at once and moves time on to its end, so backoff takes
    no wall time. Without it, sleepers wait until the test calls ``advance``; ``wait_sleepers`` awaits
    the moment a given number of them are waiting, and ``wake_times`` says until when.
    """

    def __init__(self, *, autojump: bool = True) -> None:
        self.autojump = autojump
        self.sleeps: list[float] = []
        self._now = 0.0
        self._sleepers: dict[anyio.Event, float] = {}
        self._changed = anyio.Event()

    def now(self) -> float:
        return self._now

    def wall(self) -> float:
        return WALL_START + self._now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if self.autojump:
            self._now += max(seconds, 0.0)
            await anyio.lowlevel.checkpoint()
            return
        woken = anyio.Event()
        self._sleepers[woken] = self._now + seconds
        self._notify()
        try:
            await woken.wait()
        finally:
            self._sleepers.pop(woken, None)
            self._notify()

    def advance(self, seconds: float) -> None:
        """Move time on and wake the sleepers whose time has come."""
        self._now += seconds
        for woken, wake_at in list(self._sleepers.items()):
            if wake_at <= self._now:
                del self._sleepers[woken]
                woken.set()
        self._notify()

    @property
    def wake_times(self) -> list[float]:
        """When each waiting sleeper wakes, earliest first."""
        return sorted(self._sleepers.values())

    async def wait_sleepers(self, count: int) -> None:
        """Return once ``count`` sleepers are waiting."""
        while len(self._sleepers) < count:
            await self._changed.wait()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = anyio.Event()


def no_jitter(max_retries: int = 2) -> RetryPolicy:
    """The retry policy with the jitter factor fixed at 1 (random() == 0): delays are exactly 0.5, 1, 2..."""
    return RetryPolicy(max_retries=max_retries, random=lambda: 0.0)


def server_with(
    env: Mapping[str, str], *, clock: FakeClock | None = None, policy: RetryPolicy | None = None
) -> TokenCounterServer:
    """The server as ``__main__`` builds it from ``env``, with a fake clock (autojump by default)."""
    settings, config_error = load_settings(env)
    return build_server(settings, config_error=config_error, clock=clock or FakeClock(), policy=policy)


@asynccontextmanager
async def connected_with(
    env: Mapping[str, str],
    *,
    clock: FakeClock | None = None,
    policy: RetryPolicy | None = None,
    mode: Mode = "auto",
) -> AsyncGenerator[Client]:
    """An in-memory client of ``server_with(env, ...)``."""
    async with Client(server_with(env, clock=clock, policy=policy), mode=mode) as client:
        yield client


def counts(standin: Standin) -> tuple[RecordedRequest, ...]:
    """The count requests that reached the stand-in."""
    return standin.log.to(COUNT_PATH)


def structured(result: CallToolResult) -> dict[str, Any]:
    """The structured result of a successful call (asserting it is one)."""
    assert not result.is_error, result
    assert result.structured_content is not None
    return result.structured_content


def user_says(text: str, model: str = "claude-sonnet-4-6") -> dict[str, Any]:
    """count_tokens arguments for one user message."""
    return {"model": model, "messages": [{"role": "user", "content": text}]}


async def call_all(client: Client, arguments: list[dict[str, Any]], tool: str = "count_tokens") -> list[CallToolResult]:
    """Call ``tool`` once per argument set, all at once; results in the same order."""
    results: list[CallToolResult | None] = [None] * len(arguments)

    async def one(index: int) -> None:
        results[index] = await client.call_tool(tool, arguments[index])

    async with anyio.create_task_group() as group:
        for index in range(len(arguments)):
            group.start_soon(one, index)
    done = [r for r in results if r is not None]
    assert len(done) == len(arguments)
    return done
