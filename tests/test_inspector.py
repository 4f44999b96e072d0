"""The MCP Inspector CLI (what people debug with) against the console script over stdio, HTTP and SSE.

The Inspector starts a stdio server with a minimal environment, like desktop hosts, so whatever the server
needs is passed with ``-e``. Over HTTP and SSE it connects to ``mcp-token-counter --transport http|sse``
started with a bearer token, which it sends with ``--header`` as Claude Code does. Every server counts
through the counting-API stand-in. Exit codes: 0 ok, 5 when the tool answered ``isError: true``, 6 for
``--strict`` schema-portability errors.
"""

import json
from collections.abc import Iterator
from typing import Any, Final, Literal

import pytest

from mcp_token_counter.serving.web import TOKEN_VARIABLE
from tests.nodetools import NodeTools
from tests.served import SCRIPT, Served, base_env, serve_cli
from tests.standin import COUNT_PATH, DEFAULT_KEY, Standin, run_standin
from tests.support import HELLO, answered, env_for

pytestmark = pytest.mark.node

TOOLS: Final = ["count_tokens", "check_context_fit", "count_files", "count_tool_definitions", "check_prompt_cache"]
HTTP_TOKEN: Final = "inspector-http-token"
UNKNOWN_MODEL: Final = {**HELLO, "model": "claude-imaginary-9"}


def inspector(node_tools: NodeTools, *args: str) -> tuple[int, Any]:
    """Exit code and parsed stdout (``{"result": ...}``) of one quiet, JSON-formatted CLI call."""
    done = node_tools.run("inspector", "--cli", "-q", "--format", "json", *args, timeout=120)
    return done.returncode, json.loads(done.stdout) if done.stdout.strip() else done.stderr


def call(tool: str, arguments: dict[str, Any]) -> tuple[str, ...]:
    return ("--method", "tools/call", "--tool-name", tool, "--tool-args-json", json.dumps(arguments))


@pytest.fixture(scope="module")
def upstream() -> Iterator[Standin]:
    """The counting-API stand-in behind the HTTP and SSE servers of this module."""
    with run_standin() as standin:
        yield standin


@pytest.fixture(scope="module", params=["http", "sse"])
def served(request: pytest.FixtureRequest, upstream: Standin) -> Iterator[Served]:
    """The console script on streamable HTTP and on SSE, requiring a bearer token."""
    transport: Literal["http", "sse"] = request.param
    with serve_cli(transport, env=base_env(**env_for(upstream), **{TOKEN_VARIABLE: HTTP_TOKEN})) as served:
        yield served


def remote(served: Served) -> tuple[str, ...]:
    """The Inspector's target for ``served``: its URL (``/mcp`` means HTTP, ``/sse`` SSE) and the token."""
    return (served.url, "--header", f"Authorization: Bearer {HTTP_TOKEN}")


def test_stdio_tools_list_passes_the_strict_portability_lint(node_tools: NodeTools) -> None:
    code, out = inspector(node_tools, "--strict", str(SCRIPT), "--method", "tools/list")
    assert code == 0, out
    assert [tool["name"] for tool in out["result"]["tools"]] == TOOLS


def test_stdio_tools_list_draws_no_portability_warning(node_tools: NodeTools) -> None:
    """Type lists and empty schemas drew 22 warnings (Gemini rewrites them); null is still taken as left out."""
    done = node_tools.run("inspector", "--cli", "--strict", str(SCRIPT), "--method", "tools/list", timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Warning" not in done.stderr, done.stderr


def test_stdio_count_tokens_reaches_the_api_with_the_env_given(node_tools: NodeTools, standin: Standin) -> None:
    env = [arg for name, value in env_for(standin).items() for arg in ("-e", f"{name}={value}")]
    code, out = inspector(node_tools, *env, str(SCRIPT), *call("count_tokens", HELLO))
    assert code == 0, out
    (seen,) = standin.log.to(COUNT_PATH)
    assert out["result"]["structuredContent"]["input_tokens"] == answered(seen)["input_tokens"]
    assert seen.headers["x-api-key"] == DEFAULT_KEY


def test_stdio_tool_error_exits_5(node_tools: NodeTools) -> None:
    """A tool error is an ``isError`` result (the CLI exits 5), not a protocol error."""
    code, out = inspector(node_tools, str(SCRIPT), *call("check_context_fit", UNKNOWN_MODEL))
    assert code == 5, out
    assert out["result"]["isError"] is True


def test_remote_tools_list(node_tools: NodeTools, served: Served) -> None:
    code, out = inspector(node_tools, *remote(served), "--method", "tools/list")
    assert code == 0, out
    assert [tool["name"] for tool in out["result"]["tools"]] == TOOLS


@pytest.mark.parametrize("era", ["legacy", "modern"])
def test_remote_count_tokens_in_both_protocol_eras(
    node_tools: NodeTools, served: Served, upstream: Standin, era: str
) -> None:
    """2025-11-25 (initialize, session) and 2026-07-28 (sessionless) clients both get the API's count."""
    code, out = inspector(node_tools, "--protocol-era", era, *remote(served), *call("count_tokens", HELLO))
    assert code == 0, out
    seen = upstream.log.to(COUNT_PATH)[-1]
    assert out["result"]["structuredContent"]["input_tokens"] == answered(seen)["input_tokens"]
    assert seen.headers["x-api-key"] == DEFAULT_KEY


def test_remote_tool_error_exits_5(node_tools: NodeTools, served: Served) -> None:
    code, out = inspector(node_tools, *remote(served), *call("check_context_fit", UNKNOWN_MODEL))
    assert code == 5, out
    assert out["result"]["isError"] is True
