"""The documented CLI examples run as written from a fresh clone (after ``make run``), offline.

The commands are read from the site's pages where they now live (docs/cli.md, the CLI reference, and
docs/cost-and-caching.md), so an example that stops working, or an output shown that no longer matches, fails
here.
"""

import subprocess
import sys
from pathlib import Path
from typing import Final

import pytest

from tests.mcpb_host import ROOT

CLI_PAGE: Final = ROOT / "docs" / "cli.md"
CACHE_PAGE: Final = ROOT / "docs" / "cost-and-caching.md"
SCRIPT: Final = Path(sys.executable).with_name("mcp-token-counter")
COMMAND: Final = ".venv/bin/mcp-token-counter"


def cli_section() -> str:
    """The CLI reference's commands: the page's top, up to its first sub-section (the server's flags)."""
    text = CLI_PAGE.read_text(encoding="utf-8")
    start = text.index("# CLI reference\n")
    return text[start : text.index("\n## ", start + 1)]


def shown_session() -> tuple[str, str]:
    """The ``console`` block: its one command and the output shown under it."""
    block = cli_section().split("```console\n", 1)[1].split("```", 1)[0]
    first, *output = block.splitlines()
    return first.removeprefix("$ "), "\n".join(output) + "\n"


def listed_commands() -> list[str]:
    """The commands of the ``sh`` block, comments dropped."""
    block = cli_section().split("```sh\n", 1)[1].split("```", 1)[0]
    return [line.split("  #", 1)[0].strip() for line in block.splitlines() if line.strip()]


def run(command: str) -> subprocess.CompletedProcess[str]:
    """``command`` in a shell at the repository's top, with no credentials (offline estimates)."""
    return subprocess.run(
        ["bash", "-c", command.replace(COMMAND, str(SCRIPT))],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "HOME": str(ROOT), "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_shown_session_prints_what_the_page_shows() -> None:
    command, shown = shown_session()
    assert command.startswith(COMMAND)
    done = run(command)
    assert done.returncode == 0, done.stderr
    assert done.stdout == shown


@pytest.mark.parametrize("command", listed_commands())
def test_every_listed_example_runs(command: str) -> None:
    assert command.startswith((COMMAND, "cat examples/"))
    done = run(command)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()


def test_the_cache_worked_example_prints_what_the_page_shows() -> None:
    """The worked example of "Will this prompt be cached?": its output as shown, and exit code 3 (a breakpoint
    will not be cached), as the text under it says."""
    text = CACHE_PAGE.read_text(encoding="utf-8")
    start = text.index("## Will this prompt be cached?")
    block = text[start:].split("```console\n", 1)[1].split("```", 1)[0]
    first, *output = block.splitlines()
    command = first.removeprefix("$ ")
    assert command.startswith(f"{COMMAND} cache ")
    done = run(command)
    assert done.returncode == 3, done.stderr
    assert done.stdout == "\n".join(output) + "\n"
