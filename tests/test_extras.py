"""The ``team`` extra: redis-py, prometheus-client and uvloop, which only a shared HTTP deployment uses.

A stdio server never imports them, even where they are installed (this venv has the extra). Where they are not
(the built wheel in a venv of its own, installed without extras), ``TOKEN_COUNTER_REDIS_URL`` is reported at
start-up and on every count with the one line that installs the extra, the server serves on unshared, and
``GET /metrics`` answers 501 naming the extra.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import anyio
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from mcp_token_counter.extras import REDIS_MISSING, TEAM_INSTALL
from mcp_token_counter.metrics import NO_METRICS
from tests.served import serve_cli
from tests.wheels import ROOT, dist_wheel, install

TEAM_MODULES: Final = ("redis", "prometheus_client", "uvloop")
HELLO: Final = {"model": "claude-sonnet-4-6", "messages": [{"role": "user", "content": "Hello"}]}
# A Redis URL nothing listens on: without the extra it is never dialled; with it, every operation is bypassed.
REDIS_URL: Final = "redis://127.0.0.1:9/0"
# The console script, with the modules it had loaded written to a file as it exits (after stdin closes).
RECORDING_SERVER: Final = """
import atexit, json, os, sys
atexit.register(lambda: open(os.environ["MODULES_OUT"], "w").write(json.dumps(sorted(sys.modules))))
sys.argv = ["mcp-token-counter"]
from mcp_token_counter.__main__ import main
main()
"""


def host_env(**extra: str) -> dict[str, str]:
    """What a desktop host gives a child: hardly anything."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp"), **extra}


async def call_twice(params: StdioServerParameters) -> list[dict[str, Any]]:
    """Two count_tokens calls over stdio (the second one a cache hit); their structured results."""
    results: list[dict[str, Any]] = []
    with anyio.fail_after(60):
        async with Client(params) as client:
            await client.list_tools()
            for _ in range(2):
                result = await client.call_tool("count_tokens", HELLO)
                assert not result.is_error, result
                assert result.structured_content is not None
                results.append(result.structured_content)
    return results


@pytest.fixture(scope="module")
def bare_install(checkout_dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built wheel installed without extras in a venv of its own; its scripts folder."""
    return install(dist_wheel(checkout_dist), tmp_path_factory.mktemp("bare") / "venv")


def test_the_dev_venv_has_the_team_extra_so_the_test_below_means_something() -> None:
    import prometheus_client
    import redis

    assert redis.__name__ == "redis"
    assert prometheus_client.__name__ == "prometheus_client"
    if sys.platform != "win32":
        import uvloop

        assert uvloop.__name__


@pytest.mark.anyio
async def test_a_stdio_server_imports_nothing_of_the_team_extra(tmp_path: Path) -> None:
    """initialize, tools/list and two counts over stdio, then stdin closes: none of the three was imported."""
    out = tmp_path / "modules.json"
    params = StdioServerParameters(
        command=sys.executable, args=["-c", RECORDING_SERVER], env=host_env(MODULES_OUT=str(out))
    )
    await call_twice(params)
    loaded = set(json.loads(out.read_text(encoding="utf-8")))
    assert "mcp_token_counter.app" in loaded  # the recording is the server's own
    assert {name for name in loaded if name.split(".")[0] in TEAM_MODULES} == set()


@pytest.mark.anyio
async def test_with_redis_configured_and_the_extra_installed_redis_is_imported(tmp_path: Path) -> None:
    """The counterpart: the lazy import happens when Redis is configured (an unreachable one is bypassed)."""
    out = tmp_path / "modules.json"
    env = host_env(MODULES_OUT=str(out), TOKEN_COUNTER_REDIS_URL=REDIS_URL, TOKEN_COUNTER_REDIS_TIMEOUT="0.2")
    results = await call_twice(StdioServerParameters(command=sys.executable, args=["-c", RECORDING_SERVER], env=env))
    assert "redis" in set(json.loads(out.read_text(encoding="utf-8")))
    assert all(REDIS_MISSING not in result.get("notes", []) for result in results)


@pytest.mark.anyio
async def test_without_the_extra_redis_is_reported_once_at_start_and_on_every_count(bare_install: Path) -> None:
    errlog = bare_install.parent / "stderr.txt"
    params = StdioServerParameters(
        command=str(bare_install / "mcp-token-counter"), env=host_env(TOKEN_COUNTER_REDIS_URL=REDIS_URL)
    )
    with errlog.open("w", encoding="utf-8") as stderr:
        async with Client(stdio_client(params, errlog=stderr)) as client:
            results = [(await client.call_tool("count_tokens", HELLO)).structured_content for _ in range(2)]
    assert [r is not None and REDIS_MISSING in r["notes"] for r in results] == [True, True]
    assert results[1] is not None
    assert results[1]["cached"] is True  # serving on, with its own process's cache
    logged = errlog.read_text(encoding="utf-8")
    assert logged.count(REDIS_MISSING) == 1
    assert TEAM_INSTALL in REDIS_MISSING
    assert "\n" not in REDIS_MISSING


def test_without_the_extra_metrics_answer_501_naming_the_extra(bare_install: Path) -> None:
    env = host_env()
    with serve_cli("http", script=bare_install / "mcp-token-counter", env=env) as served:
        metrics = httpx2.get(f"{served.base_url}/metrics", timeout=10)
        health = httpx2.get(f"{served.base_url}/health", timeout=10)
    assert (metrics.status_code, health.status_code) == (501, 200)
    assert metrics.text == NO_METRICS
    assert "mcp-token-counter[team]" in metrics.text


def _bare_modules(bare_install: Path, code: str, env: Mapping[str, str]) -> set[str]:
    done = subprocess.run(
        [str(bare_install / "python"), "-c", code],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return set(json.loads(done.stdout))


def test_the_bare_install_really_lacks_the_extra(bare_install: Path) -> None:
    """So the two tests above exercise a missing extra, not an installed one."""
    code = (
        "import importlib.util, json; "
        f"print(json.dumps([m for m in {(*TEAM_MODULES, 'PIL')!r} if importlib.util.find_spec(m)]))"
    )
    assert _bare_modules(bare_install, code, host_env()) == set()


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0].lower() for requirement in requirements}


def test_the_team_extra_holds_the_three_and_the_default_install_none_of_them_nor_pillow() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert _names(project["optional-dependencies"]["team"]) == {"redis", "prometheus-client", "uvloop"}
    assert _names(project["dependencies"]).isdisjoint({"redis", "prometheus-client", "uvloop", "pillow"})
