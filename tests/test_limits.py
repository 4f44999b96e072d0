"""Size limit, cancellation and memory: what a large or abandoned request costs."""

import base64
import os
import tracemalloc

import anyio
import pytest

from mcp_token_counter.catalog import builtin_catalog
from mcp_token_counter.config import load_settings
from mcp_token_counter.core.counter import RequestCounter
from mcp_token_counter.core.request import CountRequest
from mcp_token_counter.errors import UpstreamError
from mcp_token_counter.upstream.client import CountingClient
from mcp_token_counter.upstream.http import make_http_client
from mcp_token_counter.upstream.retry import RetryPolicy
from tests.reliability import connected_with, counts, structured
from tests.standin import Stall, Standin, StandinConfig
from tests.standin.fixtures import StandinFactory
from tests.support import HELLO, Mode, env_for, error_text

PAYLOAD_BYTES = 30_000_000
# Measured here: 0.09x. The body is encoded and sent a chunk at a time (mcp_token_counter.body), so no whole
# copy exists; one to_json of the body was 1.08x, json.dumps and .encode 2.25x. bench/payload_memory.py
# measures 0.03x for the counter and 0.18x for a first MCP call (its one-off setup included) with the
# stand-in in another process. The bound leaves room for noise, not for a copy of the payload.
MAX_PEAK_MULTIPLE = 0.5


@pytest.mark.anyio
async def test_a_body_over_32_mb_is_refused_before_sending(standin: Standin) -> None:
    huge = {**HELLO, "messages": [{"role": "user", "content": "x" * 32_000_001}]}
    async with connected_with(env_for(standin)) as client:
        result = await client.call_tool("count_tokens", huge)
        still_serving = structured(await client.call_tool("count_tokens", HELLO))
    assert "32 MB limit" in error_text(result)
    assert still_serving["source"] == "api"
    assert len(counts(standin)) == 1


@pytest.mark.anyio
async def test_a_cancelled_call_aborts_its_upstream_request(standin: Standin, mode: Mode) -> None:
    """Cancelling the client's call closes the server's connection to the API; the server goes on."""
    stall = Stall()
    standin.faults.push(stall)
    with anyio.fail_after(10):
        async with connected_with(env_for(standin), mode=mode) as client:
            async with anyio.create_task_group() as group:

                async def call() -> None:
                    await client.call_tool("count_tokens", HELLO)

                group.start_soon(call)
                await stall.wait_arrived()
                group.cancel_scope.cancel()
            await stall.wait_disconnected()
            after = structured(await client.call_tool("count_tokens", HELLO))
    assert stall.disconnected == 1
    assert counts(standin)[0].client_disconnected
    assert (after["source"], after["cached"]) == ("api", False)


@pytest.mark.anyio
async def test_a_30_mb_payload_is_not_copied_on_its_way_out(standin_factory: StandinFactory) -> None:
    """Peak memory of counting a 30 MB base64 image stays well under one copy of the payload.

    The stand-in shares this process, so it drains the body without keeping it (its limit is 1 MB and it
    answers 413): what is measured is the server's own path, from the request to the bytes on the socket.
    """
    standin = standin_factory(StandinConfig(max_body_bytes=1_000_000))
    settings, _ = load_settings(env_for(standin))
    assert settings.credential is not None
    data = base64.b64encode(os.urandom(PAYLOAD_BYTES * 3 // 4)).decode()
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": data}}
    body = {"model": "claude-sonnet-4-6", "messages": [{"role": "user", "content": [image]}]}
    request = CountRequest(model="claude-sonnet-4-6", body=body, betas=(), ignored_fields=())
    async with make_http_client(settings) as http:
        counter = RequestCounter(
            CountingClient(http, settings.credential, policy=RetryPolicy(max_retries=0)), builtin_catalog()
        )
        tracemalloc.start()
        try:
            before, _ = tracemalloc.get_traced_memory()
            with pytest.raises(UpstreamError, match="413"):
                await counter.measure(request)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert (peak - before) / PAYLOAD_BYTES < MAX_PEAK_MULTIPLE
