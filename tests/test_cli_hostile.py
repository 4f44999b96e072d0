"""Untrusted strings in the CLI's output: never read as rich markup, never reaching the terminal as control
sequences. File names, config server names, a failing server's stderr and model ids are someone else's."""

import json
from pathlib import Path
from typing import Final

from tests.test_audit import BIN, audit, audit_on_a_terminal, write_config
from tests.test_cli import cli

ESC: Final = "\x1b"
CLEAR: Final = ESC + "[2J"
NAMES: Final = ["[id].tsx", "app/[slug]/page.tsx", "[/x].txt"]


def files_folder(tmp_path: Path) -> Path:
    for name in NAMES:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("Hello", encoding="utf-8")
    return tmp_path


def test_count_files_shows_bracketed_names_as_they_are(tmp_path: Path) -> None:
    """Markup made [id].tsx read as .tsx, app/[slug]/page.tsx as app//page.tsx, and [/x] a traceback."""
    page = tmp_path / "view.html"
    done = cli("count-files", ".", "--model", "claude-sonnet-4-6", "--html", str(page), cwd=files_folder(tmp_path))
    assert done.returncode == 0, done.stderr
    shown = {line.split("│")[1].strip() for line in done.stdout.splitlines() if line.count("│") == 3}
    assert set(NAMES) <= shown
    assert page.is_file()


def test_escape_sequences_and_newlines_in_file_names_are_shown_escaped(tmp_path: Path) -> None:
    (tmp_path / f"red{CLEAR}.txt").write_text("Hello", encoding="utf-8")
    (tmp_path / "fake\n│ row.txt").write_text("Hello", encoding="utf-8")
    done = cli("count-files", ".", "--model", "claude-sonnet-4-6", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert ESC not in done.stdout
    assert "red\\x1b[2J.txt" in done.stdout
    assert "fake\\n│ row.txt" in done.stdout
    assert not any(line.startswith("│ row.txt") for line in done.stdout.splitlines())


def test_a_model_id_with_markup_is_counted_and_shown(tmp_path: Path) -> None:
    page = tmp_path / "view.html"
    request = json.dumps({"model": "[/x]claude", "messages": [{"role": "user", "content": "Hello"}]})
    done = cli("count", "-", "--html", str(page), stdin=request)
    assert "MarkupError" not in done.stderr
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("[/x]claude: ")
    assert page.is_file()


def test_an_error_naming_a_file_is_one_clean_line(tmp_path: Path) -> None:
    done = cli("count-files", f"gone{CLEAR}\nerror: fake", "--model", "claude-sonnet-4-6", cwd=tmp_path)
    assert done.returncode == 2
    assert ESC not in done.stderr
    assert len(done.stderr.splitlines()) == 1


def failing(line: str) -> dict[str, object]:
    """A stdio server that writes ``line`` to stderr and exits before answering."""
    return {"command": "/bin/sh", "args": ["-c", f"printf '%s\\n' '{line}' >&2; exit 1"]}


def test_audit_shows_markup_and_escapes_in_names_and_reasons_as_text(tmp_path: Path) -> None:
    time_server = {"command": str(BIN / "mcp-server-time")}
    config = write_config(
        tmp_path,
        {
            "[/x]": time_server,
            f"evil{CLEAR}\n│ fake": {**time_server, "args": ["--local-timezone", "UTC"]},
            "broken": failing("[/home/user/.config]"),
        },
    )
    done = audit("--config", str(config), "--model", "claude-sonnet-4-6", env={})
    assert "MarkupError" not in done.stderr
    assert done.returncode == 0, done.stderr
    assert ESC not in done.stdout
    assert "[/x] (stdio" in done.stdout
    assert "evil\\x1b[2J\\n│ fake" in done.stdout
    assert "[/home/user/.config]" in done.stdout
    assert not any(line.startswith("│ fake") for line in done.stdout.splitlines())


def test_audit_progress_on_a_terminal_takes_markup_in_names(tmp_path: Path) -> None:
    config = write_config(tmp_path, {"[/x]": {"command": str(BIN / "mcp-server-time")}})
    returncode, stdout, terminal = audit_on_a_terminal(config)
    assert returncode == 0, terminal
    assert json.loads(stdout)["servers"][0]["status"] == "ok"


def test_a_bad_model_id_or_thinking_budget_is_a_usage_error() -> None:
    """The CLI reference's exit codes (docs/cli.md): 2 for a request that is not valid for the Messages API (it
    was 1)."""
    hello = [{"role": "user", "content": "Hello"}]
    bad_model = cli("count", "-", stdin=json.dumps({"model": "claude\x01", "messages": hello}))
    thinking = {"type": "enabled", "budget_tokens": 5}
    bad_budget = cli(
        "fit", "-", stdin=json.dumps({"model": "claude-sonnet-4-6", "messages": hello, "thinking": thinking})
    )
    assert (bad_model.returncode, bad_budget.returncode) == (2, 2), (bad_model.stderr, bad_budget.stderr)
    assert "model" in bad_model.stderr
    assert "budget_tokens" in bad_budget.stderr


def test_audit_refuses_a_timeout_that_is_not_a_finite_number(tmp_path: Path) -> None:
    config = write_config(tmp_path, {"time": {"command": str(BIN / "mcp-server-time")}})
    for value in ("nan", "inf", "0"):
        done = audit("--config", str(config), "--timeout", value, env={})
        assert done.returncode == 2, (value, done.stdout)
        assert "--timeout" in done.stderr
