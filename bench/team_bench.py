"""Running for a team: two replicas sharing state through Redis against one replica without it, same run.

Three figures, each beside its baseline:

- per-call latency, calls taken in turn: one replica without Redis (the baseline), two replicas without
  Redis, and two replicas with Redis (calls alternating between the two). Every body is new, so every call is
  a miss that goes upstream: the worst case for Redis, which then costs a shared lookup, a rate-budget turn
  and a write per call. Redis's own share is the last two compared;
- throughput: ``calls`` calls, 16 at a time, on each set-up;
- the shared cache's own cost: a ``GET`` through the replica's store (breaker, timeout and all), in-process,
  beside the local cache's lookup; and how a repeat sent to the other replica is answered (a shared hit).
"""

from __future__ import annotations

import itertools
import statistics
import sys
import time
from collections.abc import AsyncGenerator, Generator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import asdict, dataclass
from typing import Any, Final

import anyio
from mcp import Client
from tests.redis_server import RedisServer
from tests.served import base_env, serve_cli

from bench.latency import HELLO, server_env
from bench.procs import cpu_seconds, standin_process, together
from bench.stats import Target, interleaved, summarize
from mcp_token_counter.clock import SystemClock
from mcp_token_counter.config import RedisSettings
from mcp_token_counter.core.cache import CountCache
from mcp_token_counter.core.counted import Counted
from mcp_token_counter.metrics import Metrics
from mcp_token_counter.replicas.store import SharedStore

CONCURRENCY: Final = 16
ROUNDS: Final = 5
WARMUP: Final = 30
ALONE, PAIR, SHARED = "one replica, no Redis", "two replicas, no Redis", "two replicas + Redis"


@dataclass(frozen=True, slots=True)
class SetUp:
    """One configuration: its replicas' endpoints, and the processes whose CPU its calls cost."""

    urls: list[str]
    pids: list[int]


def _cpu(set_up: SetUp) -> float:
    return sum(cpu_seconds(pid) for pid in set_up.pids)


@asynccontextmanager
async def _clients(urls: list[str]) -> AsyncGenerator[list[Client]]:
    async with AsyncExitStack() as stack:
        yield [await stack.enter_async_context(Client(url)) for url in urls]


def _target(name: str, clients: list[Client], tag: str) -> Target:
    """Calls with a new body each time, spread over ``clients`` in turn."""
    turn = itertools.count()

    async def call() -> object:
        index = next(turn)
        message = {"role": "user", "content": f"{tag} call {index}"}
        result = await clients[index % len(clients)].call_tool("count_tokens", {**HELLO, "messages": [message]})
        assert not result.is_error, result
        return result

    return Target(name, call)


async def _burst(target: Target, calls: int) -> float:
    """Seconds for ``calls`` calls, ``CONCURRENCY`` at a time."""
    pending = iter(range(calls))

    async def worker() -> None:
        for _ in pending:
            await target.call()

    start = time.perf_counter()
    async with anyio.create_task_group() as group:
        for _ in range(CONCURRENCY):
            group.start_soon(worker)
    return time.perf_counter() - start


async def _throughputs(targets: list[Target], calls: int) -> dict[str, float]:
    """Calls per second of each target for ``calls`` calls, in rounds taken in turn (as ``interleaved`` does),
    so that load from elsewhere on a shared machine falls on every target alike."""
    rounds = ROUNDS if calls >= ROUNDS * CONCURRENCY else 1
    spent = dict.fromkeys((t.name for t in targets), 0.0)
    for _ in range(rounds):
        for target in targets:
            spent[target.name] += await _burst(target, calls // rounds)
    return {name: round(rounds * (calls // rounds) / seconds, 1) for name, seconds in spent.items()}


async def _measure(alone: SetUp, pair: SetUp, shared: SetUp, calls: int, warmup: int) -> dict[str, Any]:
    set_ups = {ALONE: alone, PAIR: pair, SHARED: shared}
    async with (
        _clients(alone.urls) as alone_clients,
        _clients(pair.urls) as pair_clients,
        _clients(shared.urls) as shared_clients,
    ):
        targets = [
            _target(ALONE, alone_clients, "alone"),
            _target(PAIR, pair_clients, "pair"),
            _target(SHARED, shared_clients, "shared"),
        ]
        before = {name: _cpu(set_up) for name, set_up in set_ups.items()}
        samples = await interleaved(targets, calls, warmup=warmup)
        # Each set-up's processes serve only its own calls, so their CPU over the run is its cost per call
        # (Redis's own included for the shared set-up), the warm-up calls counted with the rest.
        cpu_ms = {
            name: round((_cpu(set_up) - before[name]) * 1000 / (calls + warmup), 3) for name, set_up in set_ups.items()
        }
        throughput = await _throughputs(targets, calls)
        repeat = await _repeat_on_other_replica(shared_clients, calls)
    by_name = {s.name: s for s in samples}
    return {
        "latency": [asdict(s) for s in samples],
        "server_cpu_ms_per_call": cpu_ms,
        "vs_one_replica_p50_ms": round(by_name[SHARED].p50_ms - by_name[ALONE].p50_ms, 3),
        "added_p50_ms": round(by_name[SHARED].p50_ms - by_name[PAIR].p50_ms, 3),
        "added_p99_ms": round(by_name[SHARED].p99_ms - by_name[PAIR].p99_ms, 3),
        "throughput_calls_per_s": throughput,
        "throughput_ratio": round(throughput[SHARED] / throughput[ALONE], 2),
        "repeat_on_other_replica": repeat,
    }


async def _repeat_on_other_replica(clients: list[Client], calls: int) -> dict[str, Any]:
    """Count a body on one replica, then time the same body on the other: answered from Redis."""
    durations: list[float] = []
    cached = 0
    for index in range(calls):
        arguments = {**HELLO, "messages": [{"role": "user", "content": f"repeat {index}"}]}
        await clients[0].call_tool("count_tokens", arguments)
        start = time.perf_counter()
        result = await clients[1].call_tool("count_tokens", arguments)
        durations.append(time.perf_counter() - start)
        cached += bool(result.structured_content and result.structured_content.get("cached"))
    return {**asdict(summarize("shared hit on the other replica", durations)), "answered_from_cache": cached}


async def store_lookup(url: str, n: int) -> dict[str, Any]:
    """p50/p99 of one shared-cache lookup (a miss: the full round trip) and of one local-cache lookup."""
    store = SharedStore(RedisSettings(url=url), clock=SystemClock(), metrics=Metrics())
    local = CountCache[Counted](max_bytes=1_000_000, ttl_s=60, clock=SystemClock())
    shared_s: list[float] = []
    local_s: list[float] = []
    for index in range(n + 20):
        key = index.to_bytes(32, "big")
        start = time.perf_counter()
        await store.get_count(key)
        middle = time.perf_counter()
        local.get(key)
        end = time.perf_counter()
        if index >= 20:  # the first lookups open the connection
            shared_s.append(middle - start)
            local_s.append(end - middle)
    await store.aclose()
    return {
        "shared_lookup_p50_ms": round(statistics.median(shared_s) * 1000, 4),
        "shared_lookup_p99_ms": summarize("shared", shared_s).p99_ms,
        "local_lookup_p50_ms": round(statistics.median(local_s) * 1000, 4),
    }


@contextmanager
def _set_ups(
    alone_env: dict[str, str], shared_env: dict[str, str], redis_pid: int, *, alone_in_pair: bool
) -> Generator[tuple[SetUp, SetUp, SetUp]]:
    """One replica, two, and two with Redis, started together. ``alone_in_pair`` (``--quick``) makes the
    pair's first replica the single one: a server start fewer, its CPU then counting both set-ups' calls."""
    envs = [alone_env] * (2 if alone_in_pair else 3) + [shared_env] * 2
    with together([serve_cli("http", "--stateless", env=base_env(**env)) for env in envs]) as served:
        urls = [replica.url for replica in served]
        pids = [replica.process.pid for replica in served]
        yield SetUp(urls[:1], pids[:1]), SetUp(urls[-4:-2], pids[-4:-2]), SetUp(urls[-2:], [*pids[-2:], redis_pid])


def run(calls: int, warmup: int = WARMUP, *, alone_in_pair: bool = False) -> dict[str, Any]:
    """Every figure of the team set-up, against the stand-in in its own process."""
    with standin_process() as base_url, RedisServer() as redis:
        alone_env = server_env(base_url, TOKEN_COUNTER_CACHE="1")
        shared_env = server_env(base_url, TOKEN_COUNTER_CACHE="1", TOKEN_COUNTER_REDIS_URL=redis.url)
        with _set_ups(alone_env, shared_env, redis.pid, alone_in_pair=alone_in_pair) as (alone, pair, shared):
            report = anyio.run(_measure, alone, pair, shared, calls, warmup)
        report["store"] = anyio.run(store_lookup, redis.url, calls)
    return report


def print_team(report: dict[str, Any]) -> None:
    """The team figures as text."""
    print("\nrunning for a team (every call a new body, so a miss that goes upstream)")
    cpu = report["server_cpu_ms_per_call"]
    for sample in report["latency"]:
        print(
            f"  {sample['name']:22} p50 {sample['p50_ms']:8.3f}  p99 {sample['p99_ms']:8.3f}  n={sample['n']}  "
            f"server CPU {cpu[sample['name']]} ms/call"
        )
    print(
        f"  added by Redis (vs two replicas without it): p50 {report['added_p50_ms']} ms, "
        f"p99 {report['added_p99_ms']} ms per call; vs one replica: p50 {report['vs_one_replica_p50_ms']} ms"
    )
    rates = report["throughput_calls_per_s"]
    print(
        f"  throughput at {CONCURRENCY} in flight: {ALONE} {rates[ALONE]}/s, {PAIR} {rates[PAIR]}/s, "
        f"{SHARED} {rates[SHARED]}/s ({report['throughput_ratio']}x the single replica)"
    )
    repeat = report["repeat_on_other_replica"]
    print(
        f"  a repeat on the other replica: p50 {repeat['p50_ms']} ms, p99 {repeat['p99_ms']} ms, "
        f"{repeat['answered_from_cache']} of {repeat['n']} from the cache"
    )
    store = report["store"]
    print(
        f"  one shared-cache lookup: p50 {store['shared_lookup_p50_ms']} ms (p99 {store['shared_lookup_p99_ms']}); "
        f"local: p50 {store['local_lookup_p50_ms']} ms"
    )


if __name__ == "__main__":
    print_team(run(int(sys.argv[1]) if len(sys.argv) > 1 else 1000))
