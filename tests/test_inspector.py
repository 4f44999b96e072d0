"""The MCP Inspector CLI (what people debug with) against the server over stdio and streamable HTTP.

The Inspector starts a stdio server with a minimal environment, like desktop hosts, so whatever the server
needs is passed with ``-e``. Exit codes: 0 ok, 5 when the tool answered ``isError: true``, 6 for ``--strict``
schema-portability errors.
"""

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fake_upstream import INPUT_TOKENS, FakeUpstream
from tests.http_server import serve_over_http
from tests.nodetools import NodeTools

pytestmark = pytest.mark.node

SCRIPT = Path(sys.executable).with_name("mcp-token-counter")
HELLO = {"model": "claude-sonnet-4-6", "messages": [{"role": "user", "content": "Hello, Claude"}]}
TOOLS = ["count_tokens", "check_context_fit", "count_files"]


def inspector(node_tools: NodeTools, *args: str) -> tuple[int, Any]:
    """Exit code and parsed stdout (``{"result": ...}``) of one quiet, JSON-formatted CLI call."""
    done = node_tools.run("inspector", "--cli", "-q", "--format", "json", *args, timeout=120)
    return done.returncode, json.loads(done.stdout) if done.stdout.strip() else done.stderr


def server_env(upstream: FakeUpstream) -> dict[str, str]:
    return {"ANTHROPIC_API_KEY": "sk-ant-inspector", "ANTHROPIC_BASE_URL": upstream.url}


@pytest.fixture
def http_url(fake_upstream: FakeUpstream, tmp_path: Path) -> Iterator[str]:
    """The server on streamable HTTP, counting through the fake upstream."""
    env = {"PATH": os.environ.get("PATH", os.defpath), **server_env(fake_upstream)}
    with serve_over_http(env, tmp_path / "server.log") as url:
        yield url


def test_stdio_tools_list_passes_the_strict_portability_lint(node_tools: NodeTools) -> None:
    code, out = inspector(node_tools, "--strict", str(SCRIPT), "--method", "tools/list")
    assert code == 0, out
    assert [tool["name"] for tool in out["result"]["tools"]] == TOOLS


def test_stdio_count_tokens_reaches_the_upstream_with_the_env_given(
    node_tools: NodeTools, fake_upstream: FakeUpstream
) -> None:
    env = [arg for name, value in server_env(fake_upstream).items() for arg in ("-e", f"{name}={value}")]
    code, out = inspector(node_tools, *env, str(SCRIPT), "--method", "tools/call", "--tool-name", "count_tokens",
                          "--tool-args-json", json.dumps(HELLO))  # fmt: skip
    assert code == 0, out
    assert out["result"]["structuredContent"]["input_tokens"] == INPUT_TOKENS
    assert [request.headers["x-api-key"] for request in fake_upstream.received] == ["sk-ant-inspector"]


def test_stdio_tool_error_exits_5(node_tools: NodeTools) -> None:
    """A tool error is an ``isError`` result (the CLI exits 5), not a protocol error."""
    arguments = {**HELLO, "model": "claude-imaginary-9"}
    code, out = inspector(node_tools, str(SCRIPT), "--method", "tools/call", "--tool-name", "check_context_fit",
                          "--tool-args-json", json.dumps(arguments))  # fmt: skip
    assert code == 5, out
    assert out["result"]["isError"] is True


@pytest.mark.parametrize("era", ["legacy", "modern"])
def test_http_count_tokens_in_both_protocol_eras(node_tools: NodeTools, http_url: str, era: str) -> None:
    """2025-11-25 (initialize + session) and 2026-07-28 (stateless) clients both get the count."""
    code, out = inspector(node_tools, "--protocol-era", era, http_url, "--method", "tools/call",
                          "--tool-name", "count_tokens", "--tool-args-json", json.dumps(HELLO))  # fmt: skip
    assert code == 0, out
    assert out["result"]["structuredContent"]["input_tokens"] == INPUT_TOKENS
