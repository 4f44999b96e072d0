"""Replicas that share one cache, one rate budget and one cool-down through a real Redis, as real processes.

Each replica is the console script serving streamable HTTP (``--stateless``) in its own process; they count
through the loopback stand-in of the counting API, which records when each request arrived. Redis is a real
``redis-server``: the session's (emptied per test), or a private one for the tests that kill it or set a
password.
"""

import itertools
import re
import secrets
from collections.abc import AsyncGenerator, Generator, Mapping
from contextlib import ExitStack, asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any, Final

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client import ClientRequestContext
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcp.types import CallToolResult, ListRootsResult, Root
from pydantic import FileUrl

from mcp_token_counter.serving.web import TOKEN_VARIABLE
from tests.redis_server import RedisServer
from tests.round_robin import RoundRobinProxy
from tests.served import Served, base_env, serve_cli
from tests.standin import COUNT_PATH, DEFAULT_KEY, Standin, rate_limited
from tests.support import HELLO, env_for

TIMEOUT_S: Final = 60
UNAVAILABLE: Final = re.compile(r"Shared state in Redis at .* is unavailable")
BACK: Final = re.compile(r"Shared state in Redis at .* is reachable again")
STATE_KEY: Final = secrets.token_hex(32)
REDIS_PASSWORD: Final = "redis-password-" + secrets.token_hex(8)
HTTP_TOKEN: Final = "client-token-" + secrets.token_hex(8)
REDIS_PATIENCE_S: Final = "5"


@contextmanager
def replicas(count: int, env: Mapping[str, str]) -> Generator[list[Served]]:
    """``count`` server processes with the same environment, as a deployment runs them.

    Redis gets REDIS_PATIENCE_S to answer unless ``env`` says otherwise: on a machine busy with the whole suite a
    replica can wait longer than the default 0.2 s for its turn on a core, which it would take for a slow Redis
    (and count on its own for a while). These tests are about a Redis that is up, killed or refusing, not slow.
    """
    env = {"TOKEN_COUNTER_REDIS_TIMEOUT": REDIS_PATIENCE_S, **env}
    with ExitStack() as stack:
        yield [stack.enter_context(serve_cli("http", "--stateless", env=base_env(**env))) for _ in range(count)]


def message(text: str) -> dict[str, Any]:
    """A count_tokens request whose body is unique to ``text``."""
    return {**HELLO, "messages": [{"role": "user", "content": text}]}


async def count(url: str, arguments: Mapping[str, Any], *, token: str | None = None) -> dict[str, Any]:
    """One count_tokens call from a fresh 2026-07-28 client; the structured result of a success."""
    headers = {"authorization": f"Bearer {token}"} if token else {}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=TIMEOUT_S) as http,
        Client(streamable_http_client(url, http_client=http)) as client,
    ):
        result = await client.call_tool("count_tokens", dict(arguments))
    assert not result.is_error, result
    assert result.structured_content is not None
    return result.structured_content


@pytest.mark.anyio
async def test_a_repeat_sent_to_another_replica_is_a_cache_hit_with_no_upstream_request(
    standin: Standin, redis_url: str
) -> None:
    """Replica A counts through the API; the same request on replica B comes from Redis, the API unasked."""
    with replicas(2, env_for(standin, TOKEN_COUNTER_REDIS_URL=redis_url)) as (a, b), anyio.fail_after(TIMEOUT_S):
        first = await count(a.url, HELLO)
        again = await count(b.url, HELLO)
    (request,) = standin.log.to(COUNT_PATH)
    assert (first["cached"], again["cached"]) == (False, True)
    assert again["input_tokens"] == first["input_tokens"] == request.response_json["input_tokens"]  # type: ignore[index]


@pytest.mark.anyio
async def test_without_redis_each_replica_counts_for_itself(standin: Standin) -> None:
    """The control for the test above: without TOKEN_COUNTER_REDIS_URL the repeat on B goes upstream again."""
    with replicas(2, env_for(standin)) as (a, b), anyio.fail_after(TIMEOUT_S):
        first = await count(a.url, HELLO)
        again = await count(b.url, HELLO)
    assert (first["cached"], again["cached"]) == (False, False)
    assert len(standin.log.to(COUNT_PATH)) == 2


@pytest.mark.anyio
async def test_three_replicas_keep_to_one_organisation_wide_rpm(standin: Standin, redis_url: str) -> None:
    """RPM=60 over three replicas: a burst of 30 calls reaches the API one per second, not three per second."""
    env = env_for(standin, TOKEN_COUNTER_REDIS_URL=redis_url, TOKEN_COUNTER_RPM="60")
    results: list[dict[str, Any]] = []
    with replicas(3, env) as served:

        async def call(index: int) -> None:
            results.append(await count(served[index % 3].url, message(f"burst call {index}")))

        with anyio.fail_after(TIMEOUT_S):
            async with anyio.create_task_group() as group:
                for index in range(30):
                    group.start_soon(call, index)
    arrivals = sorted(request.received_at for request in standin.log.to(COUNT_PATH))
    assert [result["source"] for result in results] == ["api"] * 30
    assert len(arrivals) == 30
    # One slot a second on Redis's clock. Arrivals carry loopback and scheduling jitter on top (more than
    # 0.2 s on a loaded 2-core machine), so the rate is read over ten slots, where a second of jitter is
    # still far from what three replicas at 60 RPM each would show (ten arrivals in about 3.3 s).
    spans = [arrivals[index + 10] - arrivals[index] for index in range(len(arrivals) - 10)]
    assert min(spans) > 9.0, spans
    assert arrivals[-1] - arrivals[0] > 29 * 0.95


@pytest.mark.anyio
async def test_a_retry_after_heard_by_one_replica_holds_back_the_others(standin: Standin, redis_url: str) -> None:
    """Replica A gets 429 retry-after: 2; a new call on replica B, sent at once, reaches the API only after it."""
    standin.faults.push(rate_limited(retry_after="2"))
    other: dict[str, Any] = {}
    with replicas(2, env_for(standin, TOKEN_COUNTER_REDIS_URL=redis_url)) as (a, b):
        with anyio.fail_after(TIMEOUT_S):
            async with anyio.create_task_group() as group:
                group.start_soon(count, a.url, message("told to wait"))
                await standin.log.wait_for_responses(1)
                other = await count(b.url, message("another replica's call"))
    told, *later = standin.log.to(COUNT_PATH)
    assert told.status == 429
    assert other["source"] == "api"
    assert len(later) == 2
    assert all(request.received_at >= told.received_at + 2 - 0.05 for request in later), [
        request.received_at - told.received_at for request in later
    ]


def _roots(root: Path) -> Any:
    async def list_roots(context: ClientRequestContext) -> ListRootsResult:
        return ListRootsResult(roots=[Root(uri=FileUrl(root.as_uri()))])

    return list_roots


@asynccontextmanager
async def _client_with_roots(url: str, root: Path) -> AsyncGenerator[Client]:
    async with Client(url, list_roots_callback=_roots(root)) as client:
        yield client


async def _count_files_through(proxy: RoundRobinProxy, root: Path) -> CallToolResult:
    async with _client_with_roots(proxy.url, root) as client:
        assert client.protocol_version == "2026-07-28"
        return await client.call_tool("count_files", {"paths": ["."], "model": "claude-sonnet-4-6"})


def _leaves(group: BaseExceptionGroup[MCPError]) -> list[MCPError]:
    """The errors of a group, however deeply the task groups nested them."""
    return [
        leaf
        for error in group.exceptions
        for leaf in (_leaves(error) if isinstance(error, BaseExceptionGroup) else [error])
    ]


def _call_replicas(proxy: RoundRobinProxy) -> list[int]:
    return [routed.replica for routed in proxy.routed if routed.method == "tools/call"]


@pytest.mark.anyio
async def test_count_files_completes_when_its_follow_up_lands_on_another_replica(
    standin: Standin, redis_url: str, tmp_path: Path
) -> None:
    """With TOKEN_COUNTER_STATE_KEYS, the roots round trip sealed by one replica is opened by the other."""
    (tmp_path / "notes.md").write_text("Team notes, 世界.\n", encoding="utf-8")
    env = env_for(standin, TOKEN_COUNTER_REDIS_URL=redis_url, TOKEN_COUNTER_STATE_KEYS=f"{STATE_KEY},{'k' * 40}")
    with replicas(2, env) as served, RoundRobinProxy([s.base_url for s in served]) as proxy:
        with anyio.fail_after(TIMEOUT_S):
            result = await _count_files_through(proxy, tmp_path)
    assert not result.is_error, result
    assert result.structured_content is not None
    assert list(result.structured_content["files"]) == ["notes.md"]
    first, second = _call_replicas(proxy)
    assert first != second
    assert all("TOKEN_COUNTER_STATE_KEYS is not set" not in s.stderr.text for s in served)


@pytest.mark.anyio
async def test_without_state_keys_the_follow_up_on_another_replica_fails_and_start_up_says_why(
    standin: Standin, redis_url: str, tmp_path: Path
) -> None:
    """The control: each replica seals with its own key, so the other cannot open the state; both warned."""
    (tmp_path / "notes.md").write_text("Team notes.\n", encoding="utf-8")
    with replicas(2, env_for(standin, TOKEN_COUNTER_REDIS_URL=redis_url)) as served:
        refused: list[str] = []
        with RoundRobinProxy([s.base_url for s in served]) as proxy, anyio.fail_after(TIMEOUT_S):
            try:
                await _count_files_through(proxy, tmp_path)
            except* MCPError as group:  # the client's task group wraps it
                refused = [str(error) for error in _leaves(group)]
        assert refused == ["Invalid or expired requestState"]
        first, second = _call_replicas(proxy)
        assert first != second
        assert all("TOKEN_COUNTER_STATE_KEYS is not set" in s.stderr.text for s in served)


class Load:
    """Four callers counting new bodies on the replicas in turn until stopped; ``reached(n)`` waits for n answers."""

    WORKERS: Final = 4

    def __init__(self, served: list[Served]) -> None:
        self.served = served
        self.answered: list[dict[str, Any]] = []
        self.stopped = False
        self._turn = itertools.count()
        self._changed = anyio.Event()

    async def run(self) -> None:
        async with anyio.create_task_group() as group:
            for _ in range(self.WORKERS):
                group.start_soon(self._work)

    async def reached(self, answers: int) -> None:
        while len(self.answered) < answers:
            await self._changed.wait()

    async def _work(self) -> None:
        while not self.stopped:
            index = next(self._turn)
            self.answered.append(await count(self.served[index % 2].url, message(f"under load {index}")))
            self._changed.set()
            self._changed = anyio.Event()


@pytest.mark.anyio
async def test_redis_killed_mid_load_every_call_is_answered_one_warning_then_recovery(standin: Standin) -> None:
    """Four callers keep counting while Redis dies and returns: every call is answered by the API, each replica
    warns once, says when Redis is back, and then shares its cache again."""
    with RedisServer() as redis, replicas(2, env_for(standin, TOKEN_COUNTER_REDIS_URL=redis.url)) as served:
        load = Load(served)
        with anyio.fail_after(TIMEOUT_S):
            async with anyio.create_task_group() as group:
                group.start_soon(load.run)
                await load.reached(8)
                redis.kill()
                await load.reached(40)
                redis.start()
                # The breaker lets one call probe Redis every 2 s; the replicas say when it answered.
                with anyio.fail_after(20):
                    while not all(BACK.search(s.stderr.text) for s in served):
                        await load.reached(len(load.answered) + 1)
                load.stopped = True
            again = [await count(s.url, message("after recovery")) for s in served]
    assert [result["source"] for result in load.answered] == ["api"] * len(load.answered)
    assert [len(UNAVAILABLE.findall(s.stderr.text)) for s in served] == [1, 1]
    assert [result["cached"] for result in again] == [False, True]


@pytest.mark.anyio
async def test_a_wrong_redis_password_behaves_like_redis_down_and_is_never_shown(standin: Standin) -> None:
    """With the wrong password both replicas count on their own (two upstream requests), warn once each, and
    neither password appears in their logs; with the right one in the URL the cache is shared."""
    wrong = "wrong-" + secrets.token_hex(8)
    with RedisServer(password=REDIS_PASSWORD) as redis:
        env = env_for(standin, TOKEN_COUNTER_REDIS_URL=redis.url, TOKEN_COUNTER_REDIS_PASSWORD=wrong)
        with replicas(2, env) as (a, b), anyio.fail_after(TIMEOUT_S):
            results = [await count(a.url, HELLO), await count(b.url, HELLO)]
        logs = a.stderr.text + b.stderr.text
        assert [r["cached"] for r in results] == [False, False]
        assert len(standin.log.to(COUNT_PATH)) == 2
        assert len(UNAVAILABLE.findall(logs)) == 2
        assert "AuthenticationError" in logs
        assert wrong not in logs
        assert REDIS_PASSWORD not in logs
        standin.reset()
        right_url = redis.url.replace("redis://", f"redis://:{REDIS_PASSWORD}@")
        with replicas(2, env_for(standin, TOKEN_COUNTER_REDIS_URL=right_url)) as (a, b), anyio.fail_after(TIMEOUT_S):
            shared = [await count(a.url, HELLO), await count(b.url, HELLO)]
        assert [r["cached"] for r in shared] == [False, True]
        assert REDIS_PASSWORD not in a.stderr.text + b.stderr.text


def _metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample in the Prometheus text format (0 when absent)."""
    label_text = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    pattern = re.escape(name + (f"{{{label_text}}}" if labels else "")) + r" ([0-9.e+-]+)$"
    found = re.search(pattern, text, re.MULTILINE)
    return float(found[1]) if found else 0.0


@pytest.mark.anyio
async def test_metrics_need_the_token_count_what_happened_and_show_no_secret(standin: Standin) -> None:
    """/metrics is behind the bearer token (/health is not) and counts calls, cache layers, upstream statuses
    and estimates; no key, token, Redis password or state key appears in it, in the logs or in an error."""
    with RedisServer(password=REDIS_PASSWORD) as redis:
        env = env_for(
            standin,
            TOKEN_COUNTER_REDIS_URL=redis.url,
            TOKEN_COUNTER_REDIS_PASSWORD=REDIS_PASSWORD,
            TOKEN_COUNTER_STATE_KEYS=STATE_KEY,
            **{TOKEN_VARIABLE: HTTP_TOKEN},
        )
        with replicas(2, env) as (a, b), anyio.fail_after(TIMEOUT_S):
            await count(a.url, HELLO, token=HTTP_TOKEN)
            await count(b.url, HELLO, token=HTTP_TOKEN)
            bad = await _bad_call(b.url)
            auth = {"authorization": f"Bearer {HTTP_TOKEN}"}
            async with httpx2.AsyncClient(timeout=TIMEOUT_S) as http:
                refused = await http.get(f"{b.base_url}/metrics")
                health = await http.get(f"{b.base_url}/health")
                text = (await http.get(f"{b.base_url}/metrics", headers=auth)).text
        logs = a.stderr.text + b.stderr.text
    assert (refused.status_code, health.status_code) == (401, 200)
    assert _metric(text, "token_counter_tool_calls_total", outcome="ok", tool="count_tokens") == 1
    assert _metric(text, "token_counter_tool_calls_total", outcome="error", tool="count_tokens") == 1
    assert _metric(text, "token_counter_cache_misses_total", layer="local") == 1
    assert _metric(text, "token_counter_cache_hits_total", layer="shared") == 1
    assert _metric(text, "token_counter_upstream_requests_total", status="200") == 0  # B never went upstream
    assert _metric(text, "token_counter_calls_in_flight") == 0
    assert _metric(text, "token_counter_redis_up") == 1
    for secret in (DEFAULT_KEY, HTTP_TOKEN, REDIS_PASSWORD, STATE_KEY):
        assert secret not in text
        assert secret not in logs
        assert secret not in bad


async def _bad_call(url: str) -> str:
    """The error text of a call the server refuses (a model id no provider could have)."""
    headers = {"authorization": f"Bearer {HTTP_TOKEN}"}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=TIMEOUT_S) as http,
        Client(streamable_http_client(url, http_client=http)) as client,
    ):
        result = await client.call_tool("count_tokens", {**HELLO, "model": ""})
    assert result.is_error
    return str(result.content)
