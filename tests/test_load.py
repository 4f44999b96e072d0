"""1,000 concurrent count_tokens calls through one MCP client, with 10% of upstream requests failing."""

import os
import time
from collections import Counter as Tally
from pathlib import Path

import anyio
import pytest
from mcp.types import CallToolResult

from mcp_token_counter.files import collect
from mcp_token_counter.offline.text import ctok_fast
from tests.reliability import FakeClock, call_all, connected_with, counts, structured, user_says
from tests.standin import RandomFaults, Stall, Standin, expected_count
from tests.support import HELLO, env_for, sent

CALLS = 1000
# Virtual time moves on with every backoff of every call (FakeClock autojump); a long deadline keeps the
# sum of everyone's waits from reading as one call's wait.
ENV = {"TOKEN_COUNTER_DEADLINE": "3600"}


@pytest.mark.anyio
async def test_every_call_is_answered_once_under_faults(standin: Standin) -> None:
    """Each call gets its own count (or an isError result); none is lost, crossed or counted twice."""
    standin.faults.random_faults = RandomFaults(rate=0.1, seed=7)
    texts = [f"load test message {i}" for i in range(CALLS)]
    started = time.monotonic()
    with anyio.fail_after(60):
        async with connected_with(env_for(standin, **ENV), clock=FakeClock()) as client:
            results = await call_all(client, [user_says(text) for text in texts])
            standin.faults.random_faults = None
            after = structured(await client.call_tool("count_tokens", HELLO))
    elapsed = time.monotonic() - started

    records = counts(standin)
    answered_ok = [r for r in records if r.responded and r.status == 200 and r.fault is None]
    by_request_id = {r.request_id: r for r in answered_ok}
    per_text = Tally(sent(r)["messages"][0]["content"] for r in answered_ok)
    sources = Tally[str]()
    for text, result in zip(texts, results, strict=True):
        if result.is_error:
            sources["error"] += 1
            continue
        content = structured(result)
        sources[content["source"]] += 1
        if content["source"] == "api":
            assert content["input_tokens"] == expected_count(user_says(text))
            assert sent(by_request_id[content["request_id"]])["messages"][0]["content"] == text
    assert sources["api"] >= CALLS * 0.99, sources
    assert sum(sources.values()) == CALLS
    assert set(per_text.values()) == {1}, "no message was counted upstream twice"
    assert sum(r.fault is not None for r in records) >= CALLS * 0.08, "faults were injected"
    assert after["source"] == "api"
    print(f"\n{CALLS} calls in {elapsed:.1f} s: {dict(sources)}, {len(records)} upstream requests")


@pytest.mark.anyio
async def test_the_deadline_holds_for_every_call_against_a_stalled_upstream(standin: Standin) -> None:
    """Twenty calls, sixteen upstream slots and a stalled API: every call gets its labelled estimate within
    the deadline and a second (queueing included). The vocabulary is loaded first: that it loads once for
    all callers is tested in tests/offline/test_ctok_fast.py."""
    ctok_fast.loaded("3.0")
    stall = Stall()
    standin.faults.push(stall, times=100)
    deadline_s = 1.0
    env = env_for(standin, TOKEN_COUNTER_DEADLINE=str(deadline_s), TOKEN_COUNTER_MAX_CONCURRENCY="16")
    try:
        async with connected_with(env) as client:
            started = time.monotonic()
            with anyio.fail_after(30):
                results = await call_all(client, [user_says(f"stalled {i}") for i in range(20)])
            elapsed = time.monotonic() - started
    finally:
        stall.release()
    assert [structured(result)["fallback_reason"] for result in results] == ["api_unavailable"] * 20
    assert elapsed < deadline_s + 1, elapsed


@pytest.mark.anyio
async def test_hostile_folders_mixed_into_a_faulty_burst_lose_nothing(
    standin: Standin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """count_files on folders holding a named pipe, a symlink loop and more files than the limit, at the same
    time as 300 counts under 10% upstream faults: every call is answered, none hangs."""
    monkeypatch.setattr(collect, "MAX_FILES", 40)
    for index in range(120):
        (tmp_path / f"note{index:03}.md").write_text(f"note {index} " * 20, encoding="utf-8")
    os.mkfifo(tmp_path / "a-pipe")  # named to sort before the notes, which hit the file limit
    (tmp_path / "a-loop").symlink_to(tmp_path / "a-loop")
    standin.faults.random_faults = RandomFaults(rate=0.1, seed=11)
    env = env_for(standin, TOKEN_COUNTER_ALLOWED_DIRS=str(tmp_path), **ENV)
    counted: list[CallToolResult] = []
    folders: list[CallToolResult] = []
    with anyio.fail_after(120):
        async with connected_with(env, clock=FakeClock()) as client, anyio.create_task_group() as group:

            async def counts_burst() -> None:
                counted.extend(await call_all(client, [user_says(f"mixed {i}") for i in range(300)]))

            async def files_burst() -> None:
                folders.extend(
                    await call_all(client, [{"paths": ["."], "model": "claude-haiku-4-5"}] * 5, "count_files")
                )

            group.start_soon(counts_burst)
            group.start_soon(files_burst)
    assert len(counted) == 300
    assert sum(not result.is_error for result in counted) >= 297
    for result in folders:
        content = structured(result)
        assert content["skipped"]["a-pipe"] == "not a regular file (named pipe)"
        assert content["skipped"]["a-loop"] == "symlink loop"
        assert len(content["files"]) == 40
        assert any("stopped reading at the 40-file limit" in note for note in content["notes"])
