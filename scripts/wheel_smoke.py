"""A built wheel's smoke test, run by cibuildwheel (``[tool.cibuildwheel] test-command``) in a venv holding only
that wheel and its dependencies: the console script says its version and offline engine, and counts a request
offline (the engine's path on a real text, not only its import).

    python scripts/wheel_smoke.py --expect-engine compiled

Exits 1 with the reason on stderr when the count fails or ``--version`` does not name the expected engine (a
release wheel must carry the compiled one; an sdist installed without a compiler reports the fallback).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Final

REQUEST: Final = {
    "model": "claude-sonnet-4-6",
    "system": "You are a weather assistant. Answer in one sentence.",
    "messages": [{"role": "user", "content": "What is the weather in Lisbon today? " * 200}],
}


def cli(*args: str, stdin: str | None = None) -> str:
    """stdout of ``python -m mcp_token_counter <args>`` offline, with no credential from the environment.

    Raises:
        SystemExit: the command failed (its stderr is shown).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "ACEDATACLOUD_", "TOKEN_COUNTER_"))}
    done = subprocess.run([sys.executable, "-m", "mcp_token_counter", *args], input=stdin, env=env | {
        "TOKEN_COUNTER_OFFLINE": "1"}, capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"mcp-token-counter {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return done.stdout


def main(argv: list[str] | None = None) -> int:
    """Check the installed wheel; 0 when it works and names the expected engine."""
    parser = argparse.ArgumentParser(description="Smoke-test the installed mcp-token-counter wheel.")
    parser.add_argument("--expect-engine", help='a word `--version` must contain, e.g. "compiled"')
    args = parser.parse_args(argv)
    version = cli("--version").strip()
    counted = json.loads(cli("count", "-", "--json", stdin=json.dumps(REQUEST)))
    sys.stdout.write(f"{version}; counted {counted['input_tokens']} tokens ({counted['source']}) in {Path.cwd()}\n")
    if counted["source"] != "estimate" or counted["input_tokens"] < 1000:
        sys.stderr.write(f"unexpected offline count: {counted}\n")
        return 1
    if args.expect_engine and args.expect_engine not in version:
        sys.stderr.write(f"--version does not name the {args.expect_engine!r} engine: {version!r}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
