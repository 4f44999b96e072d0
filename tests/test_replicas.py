"""The shared store on its own, against a real redis-server: the Lua turn and cool-down, counts without bodies,
and the circuit breaker when Redis is down or stopped; plus the settings that configure it."""

import logging
import os
import signal
import socket
import threading
import time

import anyio
import pytest
from pydantic import SecretStr
from redis import Redis

from mcp_token_counter.config import RedisSettings, Settings
from mcp_token_counter.core.counted import Counted, counted_from_json, counted_to_json
from mcp_token_counter.errors import ConfigError
from mcp_token_counter.metrics import Metrics
from mcp_token_counter.redaction import secrets_in
from mcp_token_counter.replicas.breaker import CircuitBreaker
from mcp_token_counter.replicas.store import SharedStore
from tests.redis_server import RedisServer, free_port
from tests.reliability import FakeClock
from tests.standin import Standin
from tests.support import connected, env_for

SECOND_KEY = "k" * 40


def _ours(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """The records our package logged (redis-py's own debug lines may be captured too)."""
    return [record for record in caplog.records if record.name.startswith("mcp_token_counter")]


def store_for(url: str, *, timeout_s: float = 5.0, clock: FakeClock | None = None) -> SharedStore:
    # 5 s, not the server's 0.2 s: on a machine busy with the whole suite this process may wait longer than that
    # for a core, and would take Redis for slow. The tests about timeouts pass their own.
    return SharedStore(RedisSettings(url=url, timeout_s=timeout_s), clock=clock or FakeClock(), metrics=Metrics())


@pytest.mark.anyio
async def test_turns_are_spaced_by_the_interval_and_a_refused_turn_reserves_nothing(redis_url: str) -> None:
    """Three turns at a 1 s interval wait ~0, ~1 and ~2 s; one that may wait only 0.5 s is refused, and the
    next turn is still the one after the third."""
    store = store_for(redis_url)
    waits = [await store.reserve("b", interval_s=1.0, max_wait_s=10) for _ in range(3)]
    refused = await store.reserve("b", interval_s=1.0, max_wait_s=0.5)
    fourth = await store.reserve("b", interval_s=1.0, max_wait_s=10)
    await store.aclose()
    assert [turn.granted for turn in waits if turn] == [True, True, True]
    assert [round(turn.wait_s) for turn in waits if turn] == [0, 1, 2]
    assert refused is not None
    assert (refused.granted, refused.cause) == (False, "rate_limit")
    assert fourth is not None
    assert round(fourth.wait_s) == 3


@pytest.mark.anyio
async def test_a_cool_down_holds_every_turn_and_is_never_shortened(redis_url: str) -> None:
    """A 2 s pause, then a 1 s one: a turn without a rate limit waits the 2 s, and says it was the cool-down."""
    store = store_for(redis_url)
    await store.cool_down("b", 2.0)
    await store.cool_down("b", 1.0)
    turn = await store.reserve("b", interval_s=0, max_wait_s=10)
    other_budget = await store.reserve("c", interval_s=0, max_wait_s=10)
    await store.aclose()
    assert turn is not None
    assert turn.granted
    assert turn.cause == "cool_down"
    assert 1.9 < turn.wait_s <= 2.0
    assert other_budget is not None
    assert other_budget.wait_s == 0


@pytest.mark.anyio
async def test_the_shared_cache_holds_counts_with_the_ttl_and_never_the_body(redis_url: str, standin: Standin) -> None:
    """A counted request leaves one key in Redis: its value is the count and labels, not the message text,
    and it expires after TOKEN_COUNTER_CACHE_TTL."""
    text = "a body that must never reach Redis 世界"
    env = env_for(
        standin, TOKEN_COUNTER_REDIS_URL=redis_url, TOKEN_COUNTER_CACHE_TTL="120", TOKEN_COUNTER_REDIS_TIMEOUT="5"
    )
    with anyio.fail_after(10):
        async with connected(env) as client:
            result = await client.call_tool(
                "count_tokens", {"model": "claude-sonnet-4-6", "messages": [{"role": "user", "content": text}]}
            )
    assert not result.is_error
    with Redis.from_url(redis_url) as redis:  # pyright: ignore[reportUnknownMemberType]
        keys: list[bytes] = list(redis.scan_iter("mcp-token-counter:count:*"))  # pyright: ignore[reportUnknownMemberType, reportUnknownArgumentType]
        (key,) = keys
        value = redis.get(key)  # pyright: ignore[reportUnknownMemberType, reportUnknownArgumentType]
        ttl_ms = redis.pttl(key)  # pyright: ignore[reportUnknownMemberType, reportUnknownArgumentType]
    assert isinstance(value, bytes)
    assert text.encode() not in value
    assert "世界".encode() not in value
    counted = counted_from_json(value)
    assert counted is not None
    assert result.structured_content is not None
    assert counted.input_tokens == result.structured_content["input_tokens"]
    assert 110_000 < ttl_ms <= 120_000


def test_a_count_round_trips_through_its_shared_form_and_garbage_is_a_miss() -> None:
    """What one replica writes another reads back unchanged (marked not cached); anything else reads as None."""
    counted = Counted(12, "estimate", "offline", None, ("note",), 3, "ctok", "api_refused_shape", cached=True)
    assert counted_from_json(counted_to_json(counted)) == Counted(
        12, "estimate", "offline", None, ("note",), 3, "ctok", "api_refused_shape", cached=False
    )
    for garbage in (b"", b"{", b"[]", b'{"input_tokens": "x"}', b'{"input_tokens": 1, "source": "guess"}'):
        assert counted_from_json(garbage) is None


@pytest.mark.anyio
async def test_a_redis_that_is_not_there_costs_one_timeout_then_nothing(caplog: pytest.LogCaptureFixture) -> None:
    """Nothing listens: the first operation fails and opens the breaker with one warning; later ones return at
    once without trying, until the retry period has passed."""
    clock = FakeClock()
    store = store_for(f"redis://127.0.0.1:{free_port()}/0", clock=clock)
    with caplog.at_level(logging.WARNING, logger="mcp_token_counter.replicas"):
        first = await store.get_count(b"k")
        later = [await store.get_count(b"k") for _ in range(100)]
    await store.aclose()
    assert (first, set(later)) == (None, {None})
    assert [r.getMessage().count("is unavailable") for r in _ours(caplog)] == [1]


class HangUp:
    """A loopback port that accepts each connection and closes it at once, counting them: Redis gone bad."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.peers: list[int] = []
        self.accepted = threading.Condition()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, (_, peer_port) = self.listener.accept()
            except OSError:
                return  # closed
            connection.close()
            with self.accepted:
                self.peers.append(peer_port)
                self.accepted.notify_all()

    def attempts(self) -> int:
        """Connections made so far, earlier sentinels included: those accepted before a new sentinel of ours (the
        backlog is first in, first out, so none made before it is still waiting to be counted)."""
        with socket.create_connection(("127.0.0.1", self.port)) as sentinel:
            mine = sentinel.getsockname()[1]
            with self.accepted:
                assert self.accepted.wait_for(lambda: mine in self.peers, timeout=30)
                return self.peers.index(mine)

    def close(self) -> None:
        self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept, which close alone may leave blocked
        self.listener.close()


@pytest.mark.anyio
async def test_once_the_breaker_is_open_no_operation_connects_until_the_retry_period_has_passed() -> None:
    """A Redis that hangs up on every connection: after the first operation fails, 100 more try no connection
    (they return at once), and the first after the retry period tries again."""
    clock = FakeClock()
    hang_up = HangUp()
    store = store_for(f"redis://127.0.0.1:{hang_up.port}/0", clock=clock)
    try:
        assert await store.get_count(b"k") is None
        tried = hang_up.attempts()
        later = [await store.get_count(b"k") for _ in range(100)]
        skipped = hang_up.attempts() - tried - 1  # less the first sentinel
        clock.advance(2.0)
        await store.get_count(b"k")
        probed = hang_up.attempts() - tried - 2 - skipped  # less both sentinels
    finally:
        await store.aclose()
        hang_up.close()
    assert tried >= 1
    assert (set(later), skipped) == ({None}, 0)
    assert probed >= 1


@pytest.mark.anyio
async def test_a_stopped_redis_is_cut_off_by_the_timeout_and_found_again(caplog: pytest.LogCaptureFixture) -> None:
    """redis-server stopped (SIGSTOP) answers nothing: the operation gives up after the short timeout; once it
    runs again, the probe after the retry period closes the breaker and says so."""
    clock = FakeClock()
    with RedisServer() as redis, caplog.at_level(logging.WARNING, logger="mcp_token_counter.replicas"):
        store = store_for(redis.url, timeout_s=0.1, clock=clock)
        await store.put_count(b"k", b"{}", ttl_s=60)
        pid = redis.pid
        os.kill(pid, signal.SIGSTOP)
        try:
            started = time.perf_counter()
            stalled = await store.get_count(b"k")
            stalled_s = time.perf_counter() - started
        finally:
            os.kill(pid, signal.SIGCONT)
        skipped = await store.get_count(b"k")
        clock.advance(2.0)
        back = await store.get_count(b"k")
        await store.aclose()
    assert (stalled, skipped, back) == (None, None, b"{}")
    assert 0.1 <= stalled_s < 1.0
    assert [r.getMessage().split(" is ")[1][:11] for r in _ours(caplog)] == ["unavailable", "reachable a"]


def test_the_breaker_probes_once_per_period_and_reports_each_change_once() -> None:
    """Open on a failure; closed calls pass; while open nothing passes until the period ends, then one probe."""
    clock = FakeClock()
    changes: list[bool] = []
    breaker = CircuitBreaker(clock=clock, where="redis://r", retry_after_s=2, on_change=changes.append)
    assert breaker.allows()
    breaker.failed(OSError("refused"))
    breaker.failed(OSError("refused again"))
    blocked = breaker.allows()
    clock.advance(2)
    probe, second_probe = breaker.allows(), breaker.allows()
    breaker.succeeded()
    assert (blocked, probe, second_probe) == (False, True, False)
    assert breaker.allows()
    assert changes == [False, True]


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"TOKEN_COUNTER_REDIS_URL": "http://cache:6379"}, "TOKEN_COUNTER_REDIS_URL"),
        ({"TOKEN_COUNTER_REDIS_URL": "redis://r", "TOKEN_COUNTER_REDIS_TIMEOUT": "0"}, "TOKEN_COUNTER_REDIS_TIMEOUT"),
        ({"TOKEN_COUNTER_STATE_KEYS": "short"}, "TOKEN_COUNTER_STATE_KEYS"),
        ({"TOKEN_COUNTER_STATE_KEYS": f"{SECOND_KEY},{SECOND_KEY}"}, "TOKEN_COUNTER_STATE_KEYS"),
    ],
)
def test_bad_shared_state_settings_name_their_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as raised:
        Settings.from_env(env)
    assert raised.value.variable == variable
    assert "short" not in str(raised.value)  # a key's value is never repeated back


def test_redis_and_state_key_settings_are_read_and_their_secrets_known() -> None:
    first = "f" * 64
    env = {
        "TOKEN_COUNTER_REDIS_URL": "rediss://:url-password-1@cache:6380/0",
        "TOKEN_COUNTER_REDIS_PASSWORD": "env-password-2",
        "TOKEN_COUNTER_REDIS_TIMEOUT": "0.05",
        "TOKEN_COUNTER_STATE_KEYS": f" {first} , {SECOND_KEY} ",
    }
    settings = Settings.from_env(env)
    assert settings.redis == RedisSettings(
        url="rediss://:url-password-1@cache:6380/0", password=SecretStr("env-password-2"), timeout_s=0.05
    )
    assert settings.state_keys == (first, SECOND_KEY)
    assert set(secrets_in(env)) >= {"url-password-1", "env-password-2", first, SECOND_KEY}
    assert "password" not in repr(settings)
