"""``mcp-token-counter audit`` against real servers: mcp-server-time and mcp-server-git (PyPI), the reference
"everything" server (npm, on Node 22), and this project's own server over stdio and streamable HTTP."""

import contextlib
import json
import os
import pty
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import pytest

from mcp_token_counter.audit.configs import read_config
from mcp_token_counter.audit.discover import Places, found_configs
from mcp_token_counter.audit.expand import Expander
from tests.nodetools import NODE_MODULES, NodeTools
from tests.served import Served, base_env, serve_cli
from tests.standin import COUNT_PATH, DEFAULT_KEY, Standin

BIN: Final = Path(sys.executable).parent
SCRIPT: Final = BIN / "mcp-token-counter"
SECRET: Final = "sk-audit-secret-5f1e9c0b7a"
HEADER_SECRET: Final = "Bearer hdr-secret-0c7d2a91"


def audit(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), "audit", *args],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", **env},
        timeout=240,
        check=False,
    )


@pytest.fixture(scope="module")
def own_http() -> Iterator[Served]:
    """This project's server over streamable HTTP, offline (it only has to list its tools)."""
    with serve_cli("http", env=base_env()) as served:
        yield served


@pytest.fixture(scope="module")
def own_sse() -> Iterator[Served]:
    """This project's server over legacy SSE."""
    with serve_cli("sse", env=base_env()) as served:
        yield served


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    folder = tmp_path / "repo"
    folder.mkdir()
    subprocess.run(["git", "init", "-q", str(folder)], check=True, timeout=30)
    return folder


def servers(repository: Path, own_http: Served, own_sse: Served) -> dict[str, Any]:
    return {
        # A secret in env and one in headers: the audit passes them on and must never show them.
        "time": {"command": str(BIN / "mcp-server-time"), "env": {"TIME_API_KEY": SECRET}},
        "git": {"command": str(BIN / "mcp-server-git"), "args": ["--repository", str(repository)]},
        "counter": {"command": str(SCRIPT)},
        "counter-http": {"type": "http", "url": own_http.url, "headers": {"Authorization": HEADER_SECRET}},
        "counter-sse": {"type": "sse", "url": own_sse.url, "headers": {"X-Api-Key": SECRET}},
        "paged": {"command": sys.executable, "args": [str(Path(__file__).with_name("paged_server.py"))]},
        "missing": {"command": str(BIN / "no-such-server"), "env": {"TOKEN": SECRET}},
        "crashes": {"command": "/bin/sh", "args": ["-c", f"echo failing with {SECRET} >&2; exit 3"]},
    }


def write_config(tmp_path: Path, entries: dict[str, Any]) -> Path:
    config = tmp_path / "claude_desktop_config.json"
    config.write_text(json.dumps({"mcpServers": entries}), encoding="utf-8")
    return config


def report_of(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert SECRET not in done.stdout + done.stderr
    assert "hdr-secret" not in done.stdout + done.stderr
    return json.loads(done.stdout)


def rows(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in report["servers"]}


def assert_sums(report: dict[str, Any]) -> None:
    """Per-tool figures add up to each server's, and servers plus the overhead to the total."""
    for row in report["servers"]:
        assert row["tokens"] == sum(tool["tokens"] for tool in row["tools"])
    assert report["overhead"] + sum(row["tokens"] for row in report["servers"]) == report["total"]
    assert report["share"] == pytest.approx(report["total"] / report["context_window"], abs=1e-6)


def test_the_audit_prices_real_servers_offline_and_reports_failures_as_rows(
    tmp_path: Path, repository: Path, own_http: Served, own_sse: Served
) -> None:
    config = write_config(tmp_path, servers(repository, own_http, own_sse))
    done = audit("--config", str(config), "--json", "--model", "claude-sonnet-4-6", env={})
    assert done.returncode == 0, done.stderr
    report = report_of(done)
    found = rows(report)
    assert report["source"] == "estimate"
    assert report["overhead"] == 346  # counting-api.md §15.4, once for all servers
    assert {tool["name"] for tool in found["time"]["tools"]} == {
        "mcp__time__get_current_time",
        "mcp__time__convert_time",
    }
    assert "mcp__git__git_status" in {tool["name"] for tool in found["git"]["tools"]}
    own = ["count_tokens", "check_context_fit", "count_files", "count_tool_definitions", "check_prompt_cache"]
    assert [tool["name"] for tool in found["paged"]["tools"]] == [f"mcp__paged__paged_{i}" for i in range(5)]
    for name in ("counter", "counter-http", "counter-sse"):
        assert {tool["name"] for tool in found[name]["tools"]} == {f"mcp__{name}__{t}" for t in own}
    # The same tools over stdio and HTTP; only the longer server name in each tool's name costs more.
    assert 0 < found["counter-http"]["tokens"] - found["counter"]["tokens"] <= 4 * 3
    assert (found["missing"]["status"], found["crashes"]["status"]) == ("failed", "failed")
    assert "No such file" in found["missing"]["reason"]
    assert "failing with ***" in found["crashes"]["reason"]
    statuses = [row["status"] for row in report["servers"]]
    assert statuses == sorted(statuses, key=lambda status: status != "ok")
    ok_tokens = [row["tokens"] for row in report["servers"] if row["status"] == "ok"]
    assert ok_tokens == sorted(ok_tokens, reverse=True)
    assert_sums(report)


def test_the_audit_through_the_api_and_the_budget_exit_codes(
    tmp_path: Path, repository: Path, own_http: Served, own_sse: Served, standin: Standin
) -> None:
    config = write_config(tmp_path, servers(repository, own_http, own_sse))
    env = {"ANTHROPIC_API_KEY": DEFAULT_KEY, "ANTHROPIC_BASE_URL": standin.base_url}
    done = audit("--config", str(config), "--json", "--model", "claude-sonnet-4-6", env=env)
    report = report_of(done)
    assert (done.returncode, report["source"]) == (0, "api")
    assert_sums(report)
    tools = sum(len(row["tools"]) for row in report["servers"])
    assert len(standin.log.to(COUNT_PATH)) == tools + 2
    assert not any(SECRET in json.dumps(record.json) for record in standin.log.requests)
    # The budget's exit codes on the one server already running (each audit of the full list starts five):
    # its total through the API, then a budget one short of it and one equal to it.
    (tmp_path / "one").mkdir()
    one = write_config(tmp_path / "one", {"counter-http": servers(repository, own_http, own_sse)["counter-http"]})
    total = report_of(audit("--config", str(one), "--json", env=env))["total"]
    over = audit("--config", str(one), "--budget", str(total - 1), env=env)
    within = audit("--config", str(one), "--budget", str(total), env=env)
    assert (over.returncode, within.returncode) == (3, 0), over.stderr
    assert "OVER" in over.stdout
    assert "hdr-secret" not in over.stdout + over.stderr + within.stdout + within.stderr


@pytest.mark.node
def test_the_reference_everything_server_on_node_22(tmp_path: Path, node_tools: NodeTools) -> None:
    everything = (NODE_MODULES / ".bin" / "mcp-server-everything").resolve()
    entry = {"command": str(node_tools.node), "args": [str(everything), "stdio"]}
    config = write_config(tmp_path, {"everything": entry})
    done = audit("--config", str(config), "--json", env={})
    report = report_of(done)
    row = rows(report)["everything"]
    assert row["status"] == "ok", row
    assert "mcp__everything__echo" in {tool["name"] for tool in row["tools"]}
    assert report["model"] == "claude-sonnet-5-5"  # the newest Sonnet in data/models.json
    assert_sums(report)


def test_no_config_is_a_usage_error_and_help_says_secrets_stay_hidden(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(SCRIPT), "audit"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "--config" in done.stderr
    shown = audit("--help", env={})
    assert "never printed, logged or written to the JSON output" in " ".join(shown.stdout.split())
    assert "Example:\n    mcp-token-counter audit --config" in shown.stdout


def _write_host_configs(home: Path, project: Path) -> None:
    """Each host's config file where it keeps it, one or two servers each, and ${...} forms to expand."""
    stdio = {"command": "srv", "args": ["--x", "${env:WHERE}"], "env": {"K": "${SECRET_VAR}", "D": "${UNSET:-dflt}"}}
    files: dict[Path, object] = {
        home / "Library/Application Support/Claude/claude_desktop_config.json": {"mcpServers": {"mac": stdio}},
        home / "AppData/Roaming/Claude/claude_desktop_config.json": {"mcpServers": {"win": stdio}},
        home / ".config/Claude/claude_desktop_config.json": {"mcpServers": {"linux": stdio}},
        project / ".mcp.json": {"mcpServers": {"remote": {"type": "sse", "url": "https://x.example/sse"}}},
        home / ".claude.json": {
            "mcpServers": {"user": stdio},
            "projects": {str(project): {"mcpServers": {"local": {"type": "http", "url": "https://x.example/mcp"}}}},
        },
        project / ".cursor/mcp.json": {"mcpServers": {"cursor": stdio, "off": {**stdio, "disabled": True}}},
        project / ".vscode/mcp.json": {"servers": {"vscode": {"type": "stdio", "command": "${input:cmd}"}}},
    }
    for path, doc in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(doc), encoding="utf-8")
    codex = home / ".codex" / "config.toml"
    codex.parent.mkdir()
    codex.write_text(
        '[mcp_servers.codex]\nurl = "https://x.example/mcp"\nbearer_token_env_var = "TOK"\n'
        '[mcp_servers.codex_off]\ncommand = "srv"\nenabled = false\n',
        "utf-8",
    )


def test_every_host_config_is_found_and_read(tmp_path: Path) -> None:
    """Desktop (three platforms), Claude Code (project, user and local scope), Cursor, VS Code and Codex."""
    home, project = tmp_path / "home", tmp_path / "project"
    _write_host_configs(home, project)
    environ = {"WHERE": "there", "SECRET_VAR": "s3cret-value", "TOK": "tok-value-123"}
    places = Places(home=home, cwd=project, environ=environ)
    expand = Expander(environ, str(project), str(home))
    entries = [entry for host, path in found_configs(places) for entry in read_config(path, host, expand)]
    by_name = {entry.name: entry for entry in entries}
    assert list(by_name) == ["mac", "win", "linux", "remote", "user", "local", "cursor", "vscode", "codex"]
    assert (by_name["mac"].args, dict(by_name["mac"].env)) == (("--x", "there"), {"K": "s3cret-value", "D": "dflt"})
    assert (by_name["remote"].transport, by_name["local"].transport, by_name["codex"].transport) == (
        "sse",
        "http",
        "http",
    )
    assert by_name["codex"].headers == {"Authorization": "Bearer tok-value-123"}
    assert by_name["vscode"].problem is not None
    assert "${input:cmd}" in by_name["vscode"].problem
    assert "s3cret-value" not in repr(by_name["mac"])


def test_a_server_that_never_answers_times_out_as_a_row(tmp_path: Path) -> None:
    config = write_config(tmp_path, {"silent": {"command": "/bin/sleep", "args": ["60"]}})
    done = audit("--config", str(config), "--json", "--timeout", "1", env={})
    assert done.returncode == 0, done.stderr
    row = rows(report_of(done))["silent"]
    assert (row["status"], row["reason"]) == ("failed", "no answer within 1 s")


def test_one_server_in_two_configs_is_connected_once(tmp_path: Path) -> None:
    time_server = {"command": str(BIN / "mcp-server-time")}
    first, second = tmp_path / "a", tmp_path / "b"
    for folder in (first, second):
        folder.mkdir()
    one = write_config(first, {"time": time_server})
    two = write_config(second, {"time": time_server, "clock": time_server})
    done = audit("--config", str(one), "--config", str(two), "--json", env={})
    report = report_of(done)
    assert [row["name"] for row in report["servers"]] == ["time"]
    assert report["servers"][0]["host"] == f"config {one}, config {two}"


def test_a_terminal_sees_progress_and_a_pipe_does_not(tmp_path: Path) -> None:
    config = write_config(tmp_path, {"time": {"command": str(BIN / "mcp-server-time")}})
    returncode, stdout, terminal = audit_on_a_terminal(config)
    assert returncode == 0
    assert b"listed time" in terminal
    assert b"listed" not in stdout
    assert json.loads(stdout)["servers"][0]["status"] == "ok"


def audit_on_a_terminal(config: Path) -> tuple[int, bytes, bytes]:
    """``audit --json`` with its stderr on a pseudo-terminal: the exit code, stdout, and what the terminal got."""
    leader, follower = pty.openpty()
    chunks: list[bytes] = []

    def drain() -> None:
        with contextlib.suppress(OSError):  # EIO once the child has closed its end
            while chunk := os.read(leader, 4096):
                chunks.append(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    argv = [str(SCRIPT), "audit", "--config", str(config), "--json"]
    with subprocess.Popen(argv, env={"PATH": "/usr/bin:/bin"}, stdout=subprocess.PIPE, stderr=follower) as process:
        os.close(follower)
        stdout, _ = process.communicate(timeout=120)
    reader.join(10)
    os.close(leader)
    return process.returncode, stdout, b"".join(chunks)
