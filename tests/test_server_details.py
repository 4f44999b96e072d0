"""What directory reviews and clients read off the server: annotations, icon, instructions, argument errors."""

import base64
import json
import os
import pty
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from mcp.types import ToolAnnotations

from mcp_token_counter.app import INSTRUCTIONS
from mcp_token_counter.tools import TOOL_NAMES
from tests.served import Transport, base_env, serve_cli
from tests.standin import DEFAULT_KEY, Standin
from tests.support import HELLO, Mode, connected, env_for, error_text
from tests.test_stdio import INITIALIZE

TOOLS = ("count_tokens", "check_context_fit", "count_files", "count_tool_definitions", "check_prompt_cache")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.mark.anyio
async def test_every_tool_states_its_annotations_explicitly(mode: Mode) -> None:
    """Read-only, idempotent, and open world: each tool sends what it counts to the provider's API."""
    async with connected({}, mode) as client:
        listed = await client.list_tools()
    expected = ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=True)
    assert {tool.name: tool.annotations for tool in listed.tools} == dict.fromkeys(TOOLS, expected)


def test_every_tool_has_its_own_metrics_label() -> None:
    """Calls are labelled by tool only when the name is in TOOL_NAMES; any other name counts as "unknown"."""
    assert set(TOOLS) == TOOL_NAMES


@pytest.mark.anyio
async def test_the_server_names_its_icon_and_website_and_every_tool_in_its_instructions(mode: Mode) -> None:
    async with connected({}, mode) as client:
        instructions, info = client.instructions, client.server_info
    assert info is not None
    assert instructions == INSTRUCTIONS
    assert all(name in instructions for name in TOOLS)
    (icon,) = info.icons or []
    assert (icon.mime_type, icon.sizes) == ("image/png", ["128x128"])
    assert base64.b64decode(icon.src.removeprefix("data:image/png;base64,")).startswith(PNG_SIGNATURE)
    assert info.website_url == "https://github.com/mcp-token-counter/mcp-token-counter"


@pytest.mark.parametrize(
    ("tool", "arguments", "expected"),
    [
        (
            "count_tokens",
            {"model": "claude-sonnet-4-6", "messages": [{"role": "bot", "content": "Hi"}]},
            "messages[0].role must be one of 'user', 'assistant' or 'system'",
        ),
        (
            "count_tokens",
            {"model": 7, "messages": [{"role": "user", "content": 42}]},
            "model must be a string, got a number; messages[0].content must be a string or a list, got a number",
        ),
        ("count_tokens", {"messages": HELLO["messages"]}, "model is required"),
        ("count_files", {"paths": [], "model": "claude-sonnet-4-6"}, "paths must have at least 1 item(s)"),
        ("check_context_fit", {**HELLO, "breakdown": "maybe"}, "breakdown must be true or false, got a string"),
    ],
)
@pytest.mark.anyio
async def test_refused_arguments_are_described_in_our_words(
    mode: Mode, tool: str, arguments: dict[str, Any], expected: str
) -> None:
    """Which field, what was wrong, what to send: no pydantic text, no errors.pydantic.dev link."""
    async with connected({}, mode) as client:
        result = await client.call_tool(tool, arguments)
    text = error_text(result)
    assert text.startswith(f"Error executing tool {tool}: invalid arguments: ")
    assert expected in text
    assert "pydantic" not in text
    assert "Input should be" not in text


SCRIPT = Path(sys.executable).with_name("mcp-token-counter")


def test_start_up_logs_the_credential_variable_and_provider_in_one_line_at_the_default_level(
    standin: Standin,
) -> None:
    """On stderr, without -v: which variable and provider, never the value; nothing else at the default level."""
    done = subprocess.run(
        [SCRIPT],
        input=json.dumps(INITIALIZE) + "\n",
        env={"PATH": "/usr/bin:/bin", **env_for(standin)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[0])["id"] == 1
    expected = (
        f"INFO mcp_token_counter.startup: Counting with anthropic via {standin.base_url} (ANTHROPIC_API_KEY); "
        "offline engine: compiled (Cython)"
    )
    assert done.stderr.splitlines() == [expected]
    assert DEFAULT_KEY not in done.stderr


def test_the_banner_on_a_terminal_gives_absolute_paths(tmp_path: Path) -> None:
    """Started by hand from a terminal, the hint shows a command a client config can use as it is."""
    leader, follower = pty.openpty()
    relative = os.path.relpath(SCRIPT, tmp_path)
    with subprocess.Popen(
        [relative], cwd=tmp_path, stdin=follower, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        env={"PATH": "/usr/bin:/bin"},
    ) as process:  # fmt: skip
        assert process.stderr is not None
        hint = b"".join(process.stderr.readline() for _ in range(3))
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    os.close(follower)
    os.close(leader)
    assert f"claude mcp add token-counter -- {SCRIPT}\n".encode() in hint


@pytest.mark.parametrize("transport", ["http", "sse"])
def test_over_http_the_one_listening_line_names_the_credential_variable_and_provider(
    standin: Standin, transport: Transport
) -> None:
    with serve_cli(transport, env=base_env(**env_for(standin))) as served:
        pass
    served.stderr.wait_closed(30)
    (line,) = served.stderr.text.splitlines()
    assert line.endswith(", counting with anthropic (ANTHROPIC_API_KEY); Ctrl-C to stop")
    assert DEFAULT_KEY not in line
