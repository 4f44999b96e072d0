"""mcp-use's agent tool wrapper against the server over stdio: the real package, in a venv of its own.

mcp-use 1.7.1 requires ``mcp<2`` and ``httpx``, so it cannot share the project's venv; a session fixture makes a
throwaway venv with the project's uv (its cache makes a repeat take a second or two). The script
tests/clients/mcp_use_agent.py builds the tools with mcp-use's LangChainAdapter, as MCPAgent does, and calls them
as LangChain's agent loop does, with only the required arguments; the wrapper fills in every optional one as
``null`` (issue 26, item 1). A relay in front of the server keeps each line mcp-use wrote.
"""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Final

import pytest

from tests.standin import COUNT_PATH, Standin
from tests.support import HELLO, answered, env_for, sent
from tests.wheels import made_once, run_uv

CLIENTS: Final = Path(__file__).resolve().parent / "clients"
AGENT: Final = CLIENTS / "mcp_use_agent.py"
SERVER: Final = Path(sys.executable).with_name("mcp-token-counter")
TOOLS: Final = ("count_tokens", "check_context_fit")
TIMEOUT_S: Final = 120


@pytest.fixture(scope="session")
def mcp_use_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The interpreter of a fresh venv holding mcp-use 1.7.1 and its LangChain adapter's dependencies (one venv
    for the run, whichever xdist workers run these tests)."""

    def make(folder: Path) -> None:
        run_uv("venv", "--quiet", str(folder / "venv"))
        run_uv("pip", "install", "--quiet", "--python", str(folder / "venv"), "-r", str(CLIENTS / "mcp-use.txt"))

    venv = made_once(tmp_path_factory, "mcp-use", make) / "venv"
    return venv / ("Scripts" if os.name == "nt" else "bin") / "python"


Exchange = tuple[dict[str, str], list[dict[str, Any]]]


def run_agent(python: Path, log: Path, env: dict[str, str]) -> Exchange:
    """What the wrapper handed the model for each tool, and every JSON-RPC message between mcp-use and the server
    (mcp-use passes ``env`` on to the server)."""
    # mcp-use would otherwise send usage events to PostHog and Scarf from the test.
    done = subprocess.run(
        [str(python), str(AGENT), str(log), str(SERVER)],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "MCP_USE_ANONYMIZED_TELEMETRY": "false", **env},
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    messages = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    return json.loads(done.stdout.splitlines()[-1]), messages


def tool_calls(messages: list[dict[str, Any]]) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """Per tool: the arguments that reached the server and its answer (a result, or a JSON-RPC error)."""
    answers: dict[int, dict[str, Any]] = {m["id"]: m.get("result") or m["error"] for m in messages if "method" not in m}
    calls = [m for m in messages if m.get("method") == "tools/call"]
    return {c["params"]["name"]: (c["params"]["arguments"], answers[c["id"]]) for c in calls}


@pytest.fixture
def exchange(mcp_use_python: Path, standin: Standin, tmp_path: Path) -> Exchange:
    return run_agent(mcp_use_python, tmp_path / "stdio.jsonl", env_for(standin))


def test_the_wrapper_sends_every_optional_argument_as_null(exchange: Exchange) -> None:
    """What makes the other test mean something: mcp-use really sends nulls the server must take as absent."""
    calls = tool_calls(exchange[1])
    assert sorted(calls) == sorted(TOOLS)
    for arguments, _ in calls.values():
        assert {k: v for k, v in arguments.items() if v is not None} == HELLO
        assert arguments["breakdown"] is None


@pytest.mark.parametrize("name", TOOLS)
def test_each_call_returns_the_apis_count(exchange: Exchange, standin: Standin, name: str) -> None:
    texts, messages = exchange
    _, result = tool_calls(messages)[name]
    assert result.get("isError") is not True, result
    records = standin.log.to(COUNT_PATH)
    assert [sent(record) for record in records] == [HELLO]  # no null reached the API; the second call was cached
    told = json.loads(texts[name])  # what the agent's model reads
    assert told["input_tokens"] == answered(records[0])["input_tokens"], told
    assert told["source"] == "api"
