"""The CLI through its console script, as a subprocess with an explicit environment."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.standin import DEFAULT_KEY, Standin, expected_count
from tests.support import HELLO

SCRIPT = Path(sys.executable).with_name("mcp-token-counter")
PAYLOAD: dict[str, Any] = {**HELLO, "system": "Be brief. 簡潔に。", "temperature": 0.2}


def cli(*args: str, env: dict[str, str] | None = None, stdin: str | None = None, cwd: Path | None = None) -> Any:
    """Run the console script; ``env`` is the whole environment (no key means offline)."""
    return subprocess.run(
        [str(SCRIPT), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", **(env or {})},
        cwd=cwd,
        timeout=60,
        check=False,
    )


def api_env(standin: Standin) -> dict[str, str]:
    return {"ANTHROPIC_API_KEY": DEFAULT_KEY, "ANTHROPIC_BASE_URL": standin.base_url}


def test_count_with_breakdown_through_the_api(standin: Standin, tmp_path: Path) -> None:
    """JSON output is count_tokens' result; the parts sum to the stand-in's count."""
    payload = tmp_path / "request.json"
    payload.write_text(json.dumps(PAYLOAD), encoding="utf-8")
    done = cli("count", str(payload), "--breakdown", "--json", env=api_env(standin))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    body = {k: v for k, v in PAYLOAD.items() if k != "temperature"}
    assert result["input_tokens"] == expected_count(body) == sum(result["breakdown"].values())
    assert list(result["breakdown"]) == ["overhead", "system", "messages[0]"]
    assert result["ignored_fields"] == ["temperature"]
    assert result["source"] == "api"


def test_count_reads_stdin_and_prints_a_table_offline() -> None:
    done = cli("count", "-", stdin=json.dumps(HELLO))
    assert done.returncode == 0, done.stderr
    assert "claude-sonnet-4-6:" in done.stdout
    assert "(estimate)" in done.stdout
    assert "estimated input cost $" in done.stdout


def test_count_files_json_and_the_no_fit_exit_code(tmp_path: Path) -> None:
    """Relative paths and '..' are fine for a person; a request over the window exits 3."""
    (tmp_path / "a.md").write_text("# Title\n\nSome text.\n", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.py").write_text("x = 1\n", encoding="utf-8")
    done = cli("count-files", "a.md", "../" + tmp_path.name + "/sub", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert list(result["files"]) == ["a.md", "sub/b.py"]
    assert result["fits"] is True
    too_big = cli("count-files", "a.md", "--max-tokens", "2000000", cwd=tmp_path)
    assert too_big.returncode == 3, too_big.stderr
    assert "does NOT fit" in too_big.stdout


def test_models_lists_the_table() -> None:
    done = cli("models", "--json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert "claude-sonnet-4-6" in [m["id"] for m in document["models"]]
    assert document["prices_as_of"]
    human = cli("models")
    assert f"prices last checked {document['prices_as_of']}" in human.stdout


@pytest.mark.parametrize(
    ("args", "stdin", "code", "fragment"),
    [
        (("count", "-"), "{not json", 2, "cannot read a JSON request"),
        (("count", "-"), '{"model": "claude-sonnet-4-6", "messages": []}', 2, "at least one message"),
        (("count", "missing.json"), None, 2, "cannot read a JSON request"),
        (("count-files", "/definitely/not/here"), None, 1, "does not exist"),
        (("count",), None, 2, "the following arguments are required: payload"),
    ],
)
def test_usage_and_input_errors_have_their_exit_codes(
    args: tuple[str, ...], stdin: str | None, code: int, fragment: str
) -> None:
    done = cli(*args, stdin=stdin)
    assert done.returncode == code
    assert fragment in done.stderr


def test_an_upstream_failure_exits_1_and_names_the_variable(standin: Standin) -> None:
    env = {**api_env(standin), "ANTHROPIC_API_KEY": "wrong"}
    done = cli("count", "-", stdin=json.dumps(HELLO), env=env)
    assert done.returncode == 1
    assert "ANTHROPIC_API_KEY" in done.stderr


@pytest.mark.parametrize("command", ["count", "count-files", "models"])
def test_help_shows_an_example_per_command(command: str) -> None:
    done = cli(command, "--help")
    assert done.returncode == 0
    assert f"example:\n  mcp-token-counter {command}" in done.stdout


def test_server_help_points_at_the_subcommands() -> None:
    done = cli("--help")
    assert done.returncode == 0
    assert "count, count-files, models" in " ".join(done.stdout.split())


def test_count_files_refuses_a_negative_reserve_instead_of_reporting_extra_room(tmp_path: Path) -> None:
    """The same bound as the tools: -100000 would have read as 100,000 more tokens of room than the window has."""
    (tmp_path / "a.md").write_text("# Title\n", encoding="utf-8")
    done = cli("count-files", "a.md", "--max-tokens", "-100000", "--json", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout == ""
    assert "max_tokens must be a number of tokens >= 1, got -100000" in done.stderr


def test_count_files_names_its_own_flag_for_an_unknown_window(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# Title\n", encoding="utf-8")
    unknown = cli("count-files", "a.md", "--model", "claude-future-9", cwd=tmp_path)
    assert unknown.returncode == 1
    assert "--context-window" in unknown.stderr
    given = cli("count-files", "a.md", "--model", "claude-future-9", "--context-window", "9000", "--json", cwd=tmp_path)
    assert given.returncode == 0, given.stderr
    assert json.loads(given.stdout)["context_window"] == 9000


def test_count_notes_a_retired_model() -> None:
    request = {**HELLO, "model": "claude-3-opus-20240229"}
    done = cli("count", "-", "--json", stdin=json.dumps(request))
    assert done.returncode == 0, done.stderr
    assert any("retired on 2026-01-05" in note for note in json.loads(done.stdout)["notes"])


def test_count_refuses_an_endless_input_while_reading_it() -> None:
    """/dev/zero never ends: the read stops past the request limit instead of running out of memory."""
    done = cli("count", "/dev/zero")
    assert done.returncode == 2
    assert "holds more than 40 MiB" in done.stderr


def test_count_files_skips_pipes_devices_and_loops_without_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# Title\n", encoding="utf-8")
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    done = cli("count-files", ".", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert list(result["files"]) == ["a.md"]
    assert result["skipped"] == {"loop": "symlink loop", "pipe": "not a regular file (named pipe)"}
    device = cli("count-files", "/dev/zero")
    assert device.returncode == 1
    assert "Traceback" not in device.stderr
    assert "dev/zero: not a regular file (device)" in " ".join(device.stderr.split())
