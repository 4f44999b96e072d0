"""The CLI through its console script, as a subprocess with an explicit environment."""

import json
import os
import pty
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
    """An estimate says so, with its margin and method, and lists the fields it did not count."""
    done = cli("count", "-", stdin=json.dumps({**HELLO, "temperature": 0.5}))
    assert done.returncode == 0, done.stderr
    counted = json.loads(cli("count", "-", "--json", stdin=json.dumps(HELLO)).stdout)
    tokens, margin = counted["input_tokens"], counted["uncertainty_tokens"]
    assert margin > 0
    heading = f"claude-sonnet-4-6: {tokens:,} ± {margin:,} input tokens (estimate, {counted['estimate_method']})"
    assert done.stdout.splitlines()[0] == heading
    assert f"estimate: counted offline, may be up to {margin:,} tokens higher" in done.stdout
    assert "ignored (not counted): temperature" in done.stdout
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
        (("count", "missing.json"), None, 2, "error: no such file: missing.json"),
        (("count-files", "/definitely/not/here"), None, 2, "error: no such file or folder: /definitely/not/here"),
        (("count",), None, 2, "Missing argument 'PAYLOAD.json|-'"),
        (("count", "-"), '{"model": "m", "messages": [{"role": "bot", "content": 5}]}', 2, "messages[0].role must be"),
        (
            ("count", "-"),
            '{"model": "m", "messages": [{"role": "user", "content": "x"}], "system": 7}',
            2,
            "error: stdin: system must be a string or a list, got a number",
        ),
        (("cout", "-"), None, 2, "No such command 'cout'. Did you mean 'count'?"),
        (("count", "-", "--jsn"), None, 2, "No such option '--jsn'. Did you mean '--json'?"),
        (("--json",), None, 2, "--json applies to the commands"),
    ],
)
def test_usage_and_input_errors_have_their_exit_codes(
    args: tuple[str, ...], stdin: str | None, code: int, fragment: str
) -> None:
    done = cli(*args, stdin=stdin)
    assert done.returncode == code
    assert fragment in done.stderr
    assert "pydantic" not in done.stderr
    assert "Traceback" not in done.stderr


def test_an_upstream_failure_exits_1_and_names_the_variable(standin: Standin) -> None:
    env = {**api_env(standin), "ANTHROPIC_API_KEY": "wrong"}
    done = cli("count", "-", stdin=json.dumps(HELLO), env=env)
    assert done.returncode == 1
    assert "ANTHROPIC_API_KEY" in done.stderr


COMMANDS = ("count", "fit", "cache", "count-files", "models", "audit")


@pytest.mark.parametrize("command", COMMANDS)
def test_help_shows_an_example_per_command(command: str) -> None:
    done = cli(command, "--help")
    assert done.returncode == 0
    assert f"Example:\n    mcp-token-counter {command} " in done.stdout


def test_top_level_help_lists_every_command_with_an_example() -> None:
    done = cli("--help")
    assert done.returncode == 0
    listed = done.stdout.split("Commands:")[1].split("Examples:")[0]
    assert [line.split()[0] for line in listed.strip().splitlines()] == sorted(COMMANDS)
    examples = done.stdout.split("Examples:")[1]
    assert all(f"mcp-token-counter {command} " in examples for command in COMMANDS)


def test_count_files_refuses_a_negative_reserve_instead_of_reporting_extra_room(tmp_path: Path) -> None:
    """The same bound as the tools: -100000 would have read as 100,000 more tokens of room than the window has."""
    (tmp_path / "a.md").write_text("# Title\n", encoding="utf-8")
    done = cli("count-files", "a.md", "--max-tokens", "-100000", "--json", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    assert "Invalid value for '--max-tokens': -100000 is not in the range x>=1." in done.stderr


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


def test_fit_exit_code_says_whether_the_request_fits(tmp_path: Path) -> None:
    """0 when it fits, 3 when it does not; --max-tokens overrides the payload's own max_tokens."""
    payload = tmp_path / "request.json"
    payload.write_text(json.dumps({**HELLO, "max_tokens": 1024}), encoding="utf-8")
    fits = cli("fit", str(payload), "--json")
    assert fits.returncode == 0, fits.stderr
    result = json.loads(fits.stdout)
    assert (result["fits"], result["reserved_output_tokens"]) == (True, 1024)
    assert "max_tokens" not in result["ignored_fields"]  # fit uses it
    too_big = cli("fit", str(payload), "--context-window", "1000", "--max-tokens", "999")
    assert too_big.returncode == 3, too_big.stderr
    assert "does NOT fit in 1,000" in too_big.stdout.splitlines()[0]


@pytest.mark.parametrize(
    "args",
    [("--json", "-v", "count", "-"), ("count", "-", "--json", "-v"), ("-v", "count", "--json", "-")],
    ids=["before", "after", "split"],
)
def test_global_flags_go_before_or_after_the_command(args: tuple[str, ...]) -> None:
    done = cli(*args, stdin=json.dumps(HELLO))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["model"] == "claude-sonnet-4-6"


def test_errors_are_one_unwrapped_line_when_stderr_is_not_a_terminal(tmp_path: Path) -> None:
    """The unknown-window message is far wider than 80 columns; it stays one line for logs and grep."""
    (tmp_path / "a.md").write_text("# Title\n", encoding="utf-8")
    done = cli("count-files", "a.md", "--model", "claude-future-9", cwd=tmp_path)
    assert done.returncode == 1
    (line,) = done.stderr.splitlines()
    assert line.startswith("error: The context window of model 'claude-future-9' is unknown")
    assert line.endswith("or check the model id.")
    assert len(line) > 200


def test_count_files_names_a_glob_that_matches_nothing(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# Title\n", encoding="utf-8")
    done = cli("count-files", "a.md", "docs/**/*.md", cwd=tmp_path)
    assert done.returncode == 2
    assert (
        done.stderr
        == "error: the pattern docs/**/*.md matches no file (folders, and files .gitignore excludes, do not count)\n"
    )


def test_count_files_in_a_git_work_tree_honours_its_exclude_file_and_the_global_one(tmp_path: Path) -> None:
    """Like git status: .git/info/exclude and core.excludesFile's default, $XDG_CONFIG_HOME/git/ignore."""
    repo = tmp_path / "repo"
    (repo / ".git" / "info").mkdir(parents=True)
    (repo / ".git" / "info" / "exclude").write_text("local-notes.md\n", encoding="utf-8")
    (tmp_path / "config" / "git").mkdir(parents=True)
    (tmp_path / "config" / "git" / "ignore").write_text("*.swp\n", encoding="utf-8")
    for name in ("kept.md", "local-notes.md", "kept.md.swp"):
        (repo / name).write_text(f"# {name}\n", encoding="utf-8")
    env = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config"), "GIT_CONFIG_NOSYSTEM": "1"}
    done = cli("count-files", ".", "--json", env=env, cwd=repo)
    assert done.returncode == 0, done.stderr
    assert list(json.loads(done.stdout)["files"]) == ["kept.md"]


def test_numbers_are_right_aligned_in_every_table(tmp_path: Path, standin: Standin) -> None:
    (tmp_path / "short.md").write_text("Hi\n", encoding="utf-8")
    (tmp_path / "long.md").write_text("Some words. " * 400, encoding="utf-8")
    (tmp_path / "request.json").write_text(json.dumps(PAYLOAD), encoding="utf-8")
    tables = {
        ("count-files", "."): ["tokens"],
        ("count", "request.json", "--breakdown"): ["tokens"],
        ("fit", "request.json"): ["tokens"],
        ("models",): ["window", "max output"],
    }
    for args, columns in tables.items():
        done = cli(*args, cwd=tmp_path, env=api_env(standin))
        assert done.returncode == 0, done.stderr
        for column in columns:
            cells = column_cells(done.stdout, column)
            assert len(cells) >= 2, done.stdout
            # Right-aligned: one space of padding on the right, the rest on the left.
            assert all(cell.endswith(" ") and not cell.endswith("  ") for cell in cells), (args, column, cells)
            assert any(cell.startswith("  ") for cell in cells), (args, column, cells)


def column_cells(table: str, column: str) -> list[str]:
    """The cells of ``column`` in a rich table, padding included."""
    lines = table.splitlines()
    header = next(line for line in lines if line.startswith("┃"))
    index = [cell.strip() for cell in header.split("┃")].index(column)
    return [line.split("│")[index] for line in lines if line.startswith("│")]


def test_count_files_progress_covers_reading_then_counting(tmp_path: Path) -> None:
    """On a terminal the bar shows the files being read, then the counts; it does not wait at 0% meanwhile."""
    for i in range(5):
        (tmp_path / f"f{i}.md").write_text(f"# File {i}\n", encoding="utf-8")
    shown = run_on_a_terminal([str(SCRIPT), "count-files", ".", "--json"], cwd=tmp_path)
    assert "reading files (1 looked at)" in shown
    assert "counting" in shown
    assert shown.index("reading files") < shown.index("counting")


def run_on_a_terminal(argv: list[str], *, cwd: Path) -> str:
    """What ``argv`` writes to its stderr when that is a terminal (a pseudo-terminal here)."""
    leader, follower = pty.openpty()
    with subprocess.Popen(
        argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=follower,
        env={"PATH": "/usr/bin:/bin", "TERM": "xterm", "COLUMNS": "100"},
    ) as process:  # fmt: skip
        os.close(follower)
        chunks: list[bytes] = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the process closed its end
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert process.wait(timeout=60) == 0
    os.close(leader)
    return b"".join(chunks).decode("utf-8", errors="replace")


def _cached_request(system_words: int) -> dict[str, Any]:
    text = " ".join(f"rule{i}" for i in range(system_words))
    return {
        "model": "claude-sonnet-4-6",
        "system": [{"type": "text", "text": text, "cache_control": {"type": "ephemeral"}}],
        "messages": [{"role": "user", "content": "Hello"}],
    }


@pytest.mark.parametrize(("words", "code"), [(20, 3), (2000, 0)])
def test_cache_exits_3_when_a_breakpoint_will_not_be_cached(tmp_path: Path, words: int, code: int) -> None:
    """A system prompt far under Sonnet 4.6's 1,024-token minimum fails the command; one far over passes."""
    payload = tmp_path / "request.json"
    payload.write_text(json.dumps(_cached_request(words)), encoding="utf-8")
    done = cli("cache", str(payload), "--json")
    assert done.returncode == code, done.stderr
    [point] = json.loads(done.stdout)["breakpoints"]
    assert point["cached"] is (code == 0)
    table = cli("cache", str(payload))
    assert table.returncode == code
    assert ("1 will NOT be cached" in table.stdout) is (code == 3)


def test_cache_reads_a_previous_request_and_prices_repeats(standin: Standin, tmp_path: Path) -> None:
    """Through the API: the previous request's entry is read, the savings are in the JSON."""
    request = _cached_request(2000)
    previous = {**request, "messages": [{"role": "user", "content": "Hi there"}]}
    (tmp_path / "request.json").write_text(json.dumps(request), encoding="utf-8")
    (tmp_path / "previous.json").write_text(json.dumps(previous), encoding="utf-8")
    done = cli(
        "cache",
        str(tmp_path / "request.json"),
        "--previous",
        str(tmp_path / "previous.json"),
        "--repeats",
        "5",
        "--json",
        env=api_env(standin),
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["source"] == "api"
    assert result["input_tokens"] == expected_count(request)
    assert result["breakpoints"][0]["reads"] is True
    assert set(result["savings"]) == {
        "without_cache_usd",
        "with_cache_usd",
        "break_even_reads_5m",
        "break_even_reads_1h",
    }


def test_cache_with_an_unreadable_previous_file_is_a_usage_error(tmp_path: Path) -> None:
    payload = tmp_path / "request.json"
    payload.write_text(json.dumps(_cached_request(20)), encoding="utf-8")
    done = cli("cache", str(payload), "--previous", str(tmp_path / "missing.json"))
    assert done.returncode == 2
    assert "no such file" in done.stderr
