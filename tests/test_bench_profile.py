"""bench.profile's attribution of py-spy samples: the innermost named owner takes the sample."""

import pytest
from bench.profile import owner, shares

OURS, SDK, SERVER, CLIENT = (
    "ours (mcp_token_counter)",
    "SDK (mcp, mcp_types)",
    "HTTP server (uvicorn, starlette, sse_starlette)",
    "HTTP client (httpx2, httpcore2)",
)


@pytest.mark.parametrize(
    ("stack", "expected"),
    [
        (
            ["run (uvicorn/server.py:1)", "handle (mcp/server/runner.py:2)", "count (mcp_token_counter/app.py:3)"],
            OURS,
        ),
        (["count (mcp_token_counter/app.py:3)", "validate (mcp_types/_types.py:4)"], SDK),
        # h11 works for whoever drives it: the HTTP server's protocol, or the HTTP client's connection.
        (["cycle (uvicorn/protocols/http/h11_impl.py:5)", "next_event (h11/_connection.py:6)"], SERVER),
        (["send (httpcore2/_async/http11.py:7)", "send (h11/_connection.py:8)", "dumps (json/encoder.py:9)"], CLIENT),
        (["run (asyncio/runners.py:10)", "wait (anyio/_core/_synchronization.py:11)"], "event loop and the rest"),
    ],
)
def test_a_sample_goes_to_its_innermost_named_owner(stack: list[str], expected: str) -> None:
    assert owner(stack).startswith(expected)


def test_idle_waits_and_start_up_imports_are_left_out() -> None:
    lines = [
        "run (asyncio/runners.py:1);select (selectors.py:2) 40",
        "<module> (mcp-token-counter:4);_find_and_load (<frozen importlib._bootstrap>:5) 30",
        "run (asyncio/runners.py:1);count (mcp_token_counter/app.py:3) 7",
        "run (asyncio/runners.py:1);post (httpx2/_client.py:6) 3",
    ]
    counts, busy = shares(lines)
    assert busy == 10
    assert counts == {OURS: 7, CLIENT: 3}
