"""The count cache: hits make no upstream request, the key covers what changes a count, bounds hold."""

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

import pytest

from mcp_token_counter.catalog import builtin_catalog
from mcp_token_counter.config import load_settings
from mcp_token_counter.core.cache import ENTRY_OVERHEAD_BYTES, CountCache, credential_scope, request_key
from mcp_token_counter.core.counter import SYSTEM_TOKENS_NOTE, Counted, RequestCounter
from mcp_token_counter.core.request import CountRequest
from mcp_token_counter.upstream.client import CountingClient
from mcp_token_counter.upstream.http import make_http_client
from mcp_token_counter.upstream.retry import RetryPolicy
from tests.reliability import FakeClock, connected_with, counts, structured, user_says
from tests.standin import Reply, Standin, overloaded
from tests.support import HELLO, env_for, sent


@pytest.mark.anyio
async def test_a_hit_makes_no_upstream_request_and_says_cached(standin: Standin) -> None:
    async with connected_with(env_for(standin)) as client:
        first = structured(await client.call_tool("count_tokens", HELLO))
        second = structured(await client.call_tool("count_tokens", {**HELLO, "temperature": 0.2}))
        fit = structured(await client.call_tool("check_context_fit", {**HELLO, "max_tokens": 100}))
    assert len(counts(standin)) == 1
    assert first["cached"] is False
    assert second == {**first, "cached": True, "ignored_fields": ["temperature"]}
    assert (fit["cached"], fit["input_tokens"], fit["request_id"]) == (True, first["input_tokens"], first["request_id"])


@pytest.mark.anyio
@pytest.mark.parametrize(
    "changed",
    [
        {"model": "claude-opus-4-6"},
        {"messages": [{"role": "user", "content": "Hello, Claude!"}]},
        {"system": "Be brief."},
        {"betas": ["token-counting-2024-11-01"]},
    ],
    ids=["model", "body", "field", "betas"],
)
async def test_anything_that_can_change_the_count_misses(standin: Standin, changed: dict[str, Any]) -> None:
    async with connected_with(env_for(standin)) as client:
        structured(await client.call_tool("count_tokens", HELLO))
        other = structured(await client.call_tool("count_tokens", {**HELLO, **changed}))
    assert other["cached"] is False
    assert len(counts(standin)) == 2


@pytest.mark.anyio
async def test_betas_in_another_order_are_the_same_request(standin: Standin) -> None:
    async with connected_with(env_for(standin)) as client:
        await client.call_tool("count_tokens", {**HELLO, "betas": ["a-1", "b-2"]})
        again = structured(await client.call_tool("count_tokens", {**HELLO, "betas": ["b-2", "a-1"]}))
    assert again["cached"] is True
    assert len(counts(standin)) == 1


@pytest.mark.anyio
async def test_the_cache_can_be_turned_off(standin: Standin) -> None:
    async with connected_with(env_for(standin, TOKEN_COUNTER_CACHE="0")) as client:
        results = [structured(await client.call_tool("count_tokens", HELLO)) for _ in range(2)]
    assert [r["cached"] for r in results] == [False, False]
    assert len(counts(standin)) == 2


@pytest.mark.anyio
async def test_errors_are_not_cached(standin: Standin) -> None:
    standin.faults.push(Reply(400))
    async with connected_with(env_for(standin)) as client:
        failed = await client.call_tool("count_tokens", HELLO)
        counted = structured(await client.call_tool("count_tokens", HELLO))
    assert failed.is_error
    assert (counted["source"], counted["cached"]) == ("api", False)
    assert len(counts(standin)) == 2


@pytest.mark.anyio
async def test_estimates_made_while_the_api_was_down_are_not_cached(standin: Standin) -> None:
    standin.faults.push(overloaded(), times=3)
    async with connected_with(env_for(standin)) as client:
        estimate = structured(await client.call_tool("count_tokens", HELLO))
        counted = structured(await client.call_tool("count_tokens", HELLO))
    assert estimate["fallback_reason"] == "api_unavailable"
    assert (counted["source"], counted["cached"]) == ("api", False)


@pytest.mark.anyio
async def test_offline_estimates_are_cached() -> None:
    async with connected_with({}) as client:
        first = structured(await client.call_tool("count_tokens", HELLO))
        second = structured(await client.call_tool("count_tokens", HELLO))
    assert first["source"] == "estimate"
    assert second == {**first, "cached": True}


@pytest.mark.anyio
async def test_entries_expire_after_the_ttl(standin: Standin) -> None:
    clock = FakeClock()
    async with connected_with(env_for(standin, TOKEN_COUNTER_CACHE_TTL="60"), clock=clock) as client:
        await client.call_tool("count_tokens", HELLO)
        clock.advance(59)
        fresh = structured(await client.call_tool("count_tokens", HELLO))
        clock.advance(1)
        expired = structured(await client.call_tool("count_tokens", HELLO))
    assert (fresh["cached"], expired["cached"]) == (True, False)
    assert len(counts(standin)) == 2


@pytest.mark.anyio
async def test_the_byte_bound_evicts_the_least_recently_used(standin: Standin) -> None:
    """Room for two results: after A, B, A, C the cache holds A and C, so B is counted again."""
    # Each result's text: the provider, a request id and the system-tokens note, within 64 bytes plus the note.
    room_for_two = str(2 * (ENTRY_OVERHEAD_BYTES + 32 + 64 + len(SYSTEM_TOKENS_NOTE)))
    async with connected_with(env_for(standin, TOKEN_COUNTER_CACHE_BYTES=room_for_two)) as client:
        for text in ("A", "B", "A", "C", "A", "B"):
            await client.call_tool("count_tokens", user_says(text))
    assert [sent(r)["messages"][0]["content"] for r in counts(standin)] == ["A", "B", "C", "B"]


@dataclass(frozen=True)
class Text:
    text: str

    def text_bytes(self) -> int:
        return len(self.text)


def test_cache_bounds_ttl_and_lru_order() -> None:
    clock = FakeClock()
    entry = ENTRY_OVERHEAD_BYTES + 32 + 1  # a 32-byte digest as the key, and one character of text
    cache = CountCache[Text](max_bytes=3 * entry, ttl_s=10, clock=clock)
    a, b, c, d = (name * 32 for name in (b"a", b"b", b"c", b"d"))
    for key in (a, b, c):
        cache.put(key, Text(key[:1].decode()))
    assert cache.get(a) == Text("a")  # a is now the most recently used
    clock.advance(5)
    cache.put(d, Text("d"))
    assert (cache.get(b), len(cache), cache.size_bytes) == (None, 3, 3 * entry)
    big = b"e" * 32
    cache.put(big, Text("x" * 10_000))  # larger than the whole bound: not stored, nothing evicted
    assert (cache.get(big), len(cache)) == (None, 3)
    clock.advance(5)  # a and c are 10 s old, d only 5
    assert (cache.get(a), cache.get(d), len(cache)) == (None, Text("d"), 1)


def image_request(data: str) -> CountRequest:
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": data}}
    body = {"model": "claude-sonnet-4-6", "messages": [{"role": "user", "content": [image]}]}
    return CountRequest(model="claude-sonnet-4-6", body=body, betas=(), ignored_fields=())


@pytest.mark.anyio
async def test_large_payloads_are_kept_as_a_digest_only(standin: Standin) -> None:
    """A 6 MB base64 image costs the cache a few hundred bytes, however often it is sent."""
    settings, _ = load_settings(env_for(standin))
    assert settings.credential is not None
    data = base64.b64encode(bytes(range(256)) * 18_000).decode()
    clock = FakeClock()
    cache = CountCache[Counted](max_bytes=10_000_000, ttl_s=60, clock=clock)
    async with make_http_client(settings) as http:
        client = CountingClient(http, settings.credential, policy=RetryPolicy(max_retries=0))
        counter = RequestCounter(client, builtin_catalog(), cache=cache)
        results = [await counter.measure(image_request(data)) for _ in range(3)]
    assert [r.cached for r in results] == [False, True, True]
    assert len(counts(standin)) == 1
    assert len(cache) == 1
    assert cache.size_bytes < 1_000 < len(data) // 1000
    on_the_wire = hashlib.sha256(counts(standin)[0].body).digest()
    key = request_key(
        scope=credential_scope(client.scope, credential=client.credential_secret),
        model="claude-sonnet-4-6",
        betas=(),
        body_sha256=on_the_wire,
    )
    assert cache.get(key) is not None
