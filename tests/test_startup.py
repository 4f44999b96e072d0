"""Start-up stays lean: serving needs neither the offline stack nor the CLI's terminal output.

Cold start is a benchmark target (bench/, within 1.15x of a bare MCPServer); these modules together cost
about a tenth of it, so they are imported when first used instead. A plain import here puts the cost back,
and this test names the module that did.
"""

import functools
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.served import base_env

# Not rich: the SDK's MCPServer imports it for its own logging set-up, bare servers included.
# The CLI's parser is not among them: it is the one parser, serving included; its commands are.
LATE_MODULES = (
    "ctok",
    "pathspec",
    "pypdf",
    "numpy",
    "mcp_token_counter.offline.request",
    "mcp_token_counter.offline.text",
    "mcp_token_counter.cli.commands",
    # The OAuth resource server and PyJWT: HTTP with TOKEN_COUNTER_OAUTH_ISSUER only.
    "mcp_token_counter.auth",
    "jwt",
)

BUILD_AND_LIST = """
import json, sys
import anyio
from mcp import Client
from mcp_token_counter.cli.parser import parse_server_flags
from mcp_token_counter.app import build_server
from mcp_token_counter.config import load_settings

parse_server_flags([])
settings, error = load_settings({"ANTHROPIC_API_KEY": "sk-test"})

async def main():
    async with Client(build_server(settings, config_error=error)) as client:
        await client.list_tools()

anyio.run(main)
print(json.dumps(sorted(sys.modules)))
"""


@functools.cache  # one child for every parametrisation of a script: the SDK's import alone is most of a second
def loaded_after(script: str) -> frozenset[str]:
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    return frozenset(json.loads(done.stdout.splitlines()[-1]))


@pytest.mark.parametrize("module", LATE_MODULES)
def test_serving_does_not_import(module: str) -> None:
    assert module not in loaded_after(BUILD_AND_LIST)


def test_an_offline_count_imports_the_offline_stack_on_first_use() -> None:
    # The counterpart: the lazy imports happen, and an estimate works, when a call needs them.
    script = BUILD_AND_LIST.replace(
        "await client.list_tools()",
        "result = await client.call_tool('count_tokens', "
        "{'model': 'claude-sonnet-4-6', 'messages': [{'role': 'user', 'content': 'hi'}]})\n"
        "        assert not result.is_error, result\n"
        "        from mcp_token_counter.catalog import builtin_catalog\n"
        "        from mcp_token_counter.offline.text.ctok_fast import compiled_in_use\n"
        "        spec = builtin_catalog().lookup('claude-sonnet-4-6')\n"
        "        assert spec is not None and compiled_in_use(spec.ctok_version)",
    ).replace('{"ANTHROPIC_API_KEY": "sk-test"}', "{}")
    # The compiled engine too: the first count loaded it, with no thread or JIT to wait for.
    assert {
        "ctok",
        "mcp_token_counter.offline.compiled._engine",
        "mcp_token_counter.offline.request",
        "mcp_token_counter.offline.text",
    } <= loaded_after(script)


def test_the_cli_commands_never_load_the_mcp_server() -> None:
    """The CLI builds the tools' state itself (architecture.md); the server and its start-up stay unloaded."""
    loaded = loaded_after(
        "import json, sys\nimport mcp_token_counter.cli.commands\nprint(json.dumps(sorted(sys.modules)))"
    )
    assert {"mcp_token_counter.app", "mcp_token_counter.launch"}.isdisjoint(loaded)


def test_the_command_line_parser_leaves_the_web_stack_and_the_mcp_server_unloaded() -> None:
    """``--version``, ``--help`` and every command parse their flags without uvicorn, Starlette or mcp.server
    (they cost 0.7 s of CPU before serving/flags.py held what the parser needs)."""
    loaded = loaded_after("import json, sys\nimport mcp_token_counter.__main__\nprint(json.dumps(sorted(sys.modules)))")
    assert {"uvicorn", "starlette", "mcp.server", "mcp_token_counter.serving.web"}.isdisjoint(loaded)


COMMANDS_THEN_MODULES = """
import json, sys
from mcp_token_counter.__main__ import main

for argv in (["count", "request.json"], ["fit", "request.json"], ["cache", "request.json"],
             ["count-files", "request.json"], ["models"]):
    sys.argv = ["mcp-token-counter", "--json", *argv]
    try:
        main()
    except SystemExit as done:
        assert done.code in (0, None), (argv, done.code)
print(json.dumps(sorted(sys.modules)))
"""


def test_the_cli_commands_but_the_audit_run_without_the_mcp_sdk(tmp_path: Path) -> None:
    """Only the audit needs the SDK (its Client); loading it cost every other command half a second of CPU,
    a third of an offline count's, before the error tree stopped deriving from the SDK's ToolError."""
    request = {"model": "claude-sonnet-4-6", "messages": [{"role": "user", "content": "hi"}]}
    (tmp_path / "request.json").write_text(json.dumps(request), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", COMMANDS_THEN_MODULES],
        cwd=tmp_path,
        env=base_env(),  # no credential: the commands count offline
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = set(json.loads(done.stdout.splitlines()[-1]))
    assert "ctok" in loaded  # they did count, offline
    assert {name for name in loaded if name == "mcp" or name.startswith(("mcp.", "mcp_types"))} == set()
