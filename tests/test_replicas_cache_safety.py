"""What reaches a count through the shared cache: planted values, colliding keys and other tenants' entries.

Anyone who can write to Redis, or send a crafted request, must not be able to change another caller's count.
Every test runs the real server (SDK in-memory client) against the stand-in and a real redis-server.
"""

import json
from collections.abc import Callable
from typing import Any, Final

import anyio
import pytest
from redis import Redis

from mcp_token_counter.config import RedisSettings
from mcp_token_counter.core.cache import credential_scope, request_key
from mcp_token_counter.core.counted import Counted, counted_from_json, counted_to_json
from mcp_token_counter.metrics import Metrics
from mcp_token_counter.replicas.store import SharedStore
from tests.reliability import FakeClock
from tests.standin import COUNT_PATH, DEFAULT_KEY, Standin
from tests.support import HELLO, connected, env_for

PATTERN: Final = "mcp-token-counter:count:*"
GOOD: Final = {"input_tokens": 29, "source": "api", "provider": "anthropic", "request_id": "req_1"}
POISON: Final[dict[str, dict[str, Any]]] = {
    "negative count": {**GOOD, "input_tokens": -5_000_000},
    "1e30": {**GOOD, "input_tokens": 10**30},
    "1e30 as a float": {**GOOD, "input_tokens": 1e30},
    "2^62": {**GOOD, "input_tokens": 2**62},
    "negative uncertainty": {**GOOD, "uncertainty_tokens": -3},
    "negative original": {**GOOD, "original_input_tokens": -9},
    "script provider": {**GOOD, "provider": "<script>alert(1)</script>"},
    "ESC in request id": {**GOOD, "request_id": "req_\x1b[2J"},
    "5 MB note": {**GOOD, "notes": ["x" * 5_000_000]},
    "many notes": {**GOOD, "notes": ["n"] * 1_000},
}

# Redis gets 5 s, not 0.2: on a machine busy with the whole suite, waiting for a core must not pass for a slow
# Redis (the server would count on its own for a while).
PATIENT: Final = "5"


def redis_keys(url: str) -> list[bytes]:
    with Redis.from_url(url) as redis:  # pyright: ignore[reportUnknownMemberType]
        return list(redis.scan_iter(PATTERN))  # pyright: ignore[reportUnknownMemberType, reportUnknownArgumentType]


def plant(url: str, write: Callable[[Redis, bytes], object]) -> None:
    """Overwrite every stored count with ``write``."""
    with Redis.from_url(url) as redis:  # pyright: ignore[reportUnknownMemberType]
        keys: list[bytes] = list(redis.scan_iter(PATTERN))  # pyright: ignore[reportUnknownMemberType, reportUnknownArgumentType]
        assert keys
        for key in keys:
            redis.delete(key)
            write(redis, key)


async def count(env: dict[str, str], arguments: dict[str, Any], tool: str = "count_tokens") -> dict[str, Any]:
    with anyio.fail_after(20):
        async with connected(env) as client:
            result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content


@pytest.mark.anyio
@pytest.mark.parametrize("poison", list(POISON.values()), ids=list(POISON))
async def test_a_planted_value_is_a_miss_and_the_api_is_asked(
    standin: Standin, redis_url: str, poison: dict[str, Any]
) -> None:
    env = env_for(standin, TOKEN_COUNTER_REDIS_URL=redis_url, TOKEN_COUNTER_REDIS_TIMEOUT=PATIENT)
    first = await count(env, HELLO)
    plant(redis_url, lambda redis, key: redis.set(key, counted_json(poison)))
    fit = await count(env, HELLO, "check_context_fit")  # a fresh server: its own cache is empty
    assert len(standin.log.to(COUNT_PATH)) == 2
    assert fit["input_tokens"] == first["input_tokens"]
    assert fit["cached"] is False
    assert fit["fits"] is True
    assert fit["utilization"] >= 0


def counted_json(value: dict[str, Any]) -> bytes:
    return json.dumps(value).encode()


@pytest.mark.anyio
async def test_a_key_of_another_type_is_a_miss_and_sharing_goes_on(standin: Standin, redis_url: str) -> None:
    """WRONGTYPE is bad data, not an outage: the next read of a good key is still served from Redis."""
    clock = FakeClock()
    store = SharedStore(RedisSettings(url=redis_url, timeout_s=1.0), clock=clock, metrics=Metrics())
    good = Counted(7, "api", "anthropic", "req_7")
    await store.put_count(b"good", counted_to_json(good), ttl_s=60)
    with Redis.from_url(redis_url) as redis:  # pyright: ignore[reportUnknownMemberType]
        redis.rpush("mcp-token-counter:count:" + b"bad".hex(), "x")
    wrong = await store.get_count(b"bad")
    after = await store.get_count(b"good")
    await store.aclose()
    assert wrong is None
    assert after is not None
    assert counted_from_json(after) == good


@pytest.mark.anyio
async def test_only_a_bounded_prefix_of_a_huge_value_is_read(redis_url: str) -> None:
    store = SharedStore(RedisSettings(url=redis_url, timeout_s=1.0), clock=FakeClock(), metrics=Metrics())
    with Redis.from_url(redis_url) as redis:  # pyright: ignore[reportUnknownMemberType]
        redis.set("mcp-token-counter:count:" + b"big".hex(), b"{" + b" " * 5_000_000)
    value = await store.get_count(b"big")
    await store.aclose()
    assert value is None


def test_betas_and_profile_each_have_their_own_place_in_the_key() -> None:
    body = bytes(32)

    def key(betas: tuple[str, ...], profile: str | None) -> bytes:
        return request_key(scope="s", model="m", betas=betas, user_profile_id=profile, body_sha256=body)

    assert key(("A",), "B") != key(("B",), "A")
    assert key((), ",mcp-client-2025-04-04") != key(("mcp-client-2025-04-04",), None)
    assert key((), "") != key((), None)
    assert key(("b", "a"), None) == key(("a", "b"), None)


@pytest.mark.anyio
async def test_a_profile_id_cannot_stand_in_for_a_beta(standin: Standin) -> None:
    """The same body, once with a crafted profile id and once with the beta: the second is asked of the API."""
    env = env_for(standin)
    async with connected(env) as client:
        crafted = await client.call_tool("count_tokens", {**HELLO, "user_profile_id": ",mcp-client-2025-04-04"})
        beta = await client.call_tool("count_tokens", {**HELLO, "betas": ["mcp-client-2025-04-04"]})
    assert not crafted.is_error
    assert not beta.is_error
    assert beta.structured_content is not None
    assert beta.structured_content["cached"] is False
    assert len(standin.log.to(COUNT_PATH)) == 2


@pytest.mark.anyio
async def test_another_credential_never_reads_a_tenants_entries(standin: Standin, redis_url: str) -> None:
    """A replica with another (here invalid) key sharing Redis is refused by the API, not served the cache."""
    env = env_for(standin, TOKEN_COUNTER_REDIS_URL=redis_url, TOKEN_COUNTER_REDIS_TIMEOUT=PATIENT)
    counted = await count(env, HELLO)
    assert counted["cached"] is False
    other = {**env, "ANTHROPIC_API_KEY": "sk-ant-other-tenant-key"}
    with anyio.fail_after(20):
        async with connected(other) as client:
            result = await client.call_tool("count_tokens", HELLO)
    assert result.is_error
    assert "ANTHROPIC_API_KEY" in str(result.content)
    assert len(standin.log.to(COUNT_PATH)) == 2
    again = await count(env, HELLO)
    assert again["cached"] is True


def test_the_scope_holds_a_keyed_tag_of_the_credential_never_the_credential() -> None:
    scope = credential_scope("anthropic https://api.anthropic.com", credential=DEFAULT_KEY)
    assert DEFAULT_KEY not in scope
    assert scope != credential_scope("anthropic https://api.anthropic.com", credential=DEFAULT_KEY + "x")
    assert scope == credential_scope("anthropic https://api.anthropic.com", credential=DEFAULT_KEY)
