"""The CLI's one-line window bar: cells follow the shares, overflow is red, colour only on a terminal."""

import json
import os
import pty
import subprocess
from pathlib import Path

from rich.console import Console

from mcp_token_counter.catalog import builtin_catalog
from mcp_token_counter.core.results import ContextFit
from mcp_token_counter.view.terminal import CELLS, Window, bar_line, window_of
from tests.support import HELLO
from tests.test_cli import SCRIPT, cli


def _plain(window: Window) -> str:
    return bar_line(window).plain


def test_cells_follow_each_parts_share_of_the_window() -> None:
    line = _plain(Window([("system", 1000), ("messages", 3000)], reserved=2000, window=10_000))
    assert line[:CELLS] == "█" * 16 + "▒" * 8 + "░" * 16
    assert line[CELLS:] == " 4,000 + 2,000 reserved of 10,000 (60.0%)"


def test_a_tiny_part_still_gets_a_cell() -> None:
    line = _plain(Window([("system", 1), ("messages", 10)], reserved=0, window=1_000_000))
    assert line[:CELLS] == "██" + "░" * (CELLS - 2)


def test_past_the_window_the_cells_are_overflow_in_red() -> None:
    text = bar_line(Window([("input", 900)], reserved=300, window=1000))
    assert text.plain[:CELLS] == "█" * 30 + "▒" * 3 + "▓" * 7
    assert text.plain.endswith("over by 200")
    assert any(str(span.style) == "bold red" and span.end - span.start == 7 for span in text.spans)


def test_a_fit_result_is_drawn_against_its_own_window() -> None:
    fit = ContextFit(
        input_tokens=500,
        model="claude-sonnet-4-6",
        source="api",
        provider="anthropic",
        ignored_fields=[],
        fits=True,
        context_window=2000,
        window_source="argument",
        reserved_output_tokens=500,
        remaining_tokens=1000,
        utilization=0.5,
        breakdown={"system": 100, "messages[0]": 300, "messages[0].content[1]": 50, "overhead": 50},
    )
    window = window_of(fit, builtin_catalog())
    assert window == Window([("system", 100), ("messages", 300), ("media", 50), ("other", 50)], 500, 2000)


def test_colour_only_when_the_console_is_a_terminal_without_no_color() -> None:
    line = bar_line(Window([("input", 10)], reserved=0, window=100))
    for terminal, no_color, coloured in ((True, False, True), (True, True, False), (False, False, False)):
        console = Console(force_terminal=terminal, no_color=no_color, width=100, record=True)
        with console.capture() as captured:
            console.print(line)
        assert ("\x1b[" in captured.get()) == coloured


def _on_a_terminal(args: list[str], env: dict[str, str]) -> str:
    """The CLI's stdout when it is a pseudo-terminal."""
    primary, secondary = pty.openpty()
    with subprocess.Popen([str(SCRIPT), *args], stdout=secondary, stderr=subprocess.DEVNULL, env=env) as process:
        os.close(secondary)
        chunks: list[bytes] = []
        while True:
            try:
                chunk = os.read(primary, 4096)
            except OSError:  # the terminal closes when the process ends
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait(timeout=60)
    os.close(primary)
    return b"".join(chunks).decode("utf-8", "replace")


def test_the_cli_draws_a_coloured_bar_on_a_terminal_only(tmp_path: Path) -> None:
    payload = tmp_path / "request.json"
    payload.write_text(json.dumps(HELLO), encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "TERM": "xterm-256color"}
    coloured = _on_a_terminal(["count", str(payload)], env)
    assert "\x1b[34m█" in coloured
    plain = _on_a_terminal(["count", str(payload)], {**env, "NO_COLOR": "1"})
    assert "█" in plain
    assert "\x1b[34m" not in plain
    piped = cli("count", str(payload))
    assert piped.returncode == 0
    (bar,) = [line for line in piped.stdout.splitlines() if line.startswith("█")]
    assert "\x1b" not in piped.stdout
    assert bar.endswith("of 1,000,000 (0.0%)")
