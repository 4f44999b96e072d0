"""Where the memory of one large call goes: tracemalloc sites at the peak, ours and the floor's.

    .venv/bin/python -m bench.memory_sites [--mb 30] [--out DIR]

Each server runs under ``bench/traced_server.py`` over stdio (the same messages as ``startup.memory``);
ours counts against a stand-in in a child process, so only the server's own allocations are traced.
The reports land in DIR (default ``bench/results``) as ``sites-ours.txt`` and ``sites-floor.txt``.
RSS under tracemalloc is inflated by its bookkeeping, so the figures to quote come from ``startup.memory``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.standin import DEFAULT_KEY

from bench.startup import base64_payload, call_tool, document_arguments, handshake, start_server

TRACED = str(Path(__file__).with_name("traced_server.py"))
RESULTS = Path(__file__).with_name("results")


def traced_call(which: str, env: dict[str, str], tool: str, arguments: dict[str, Any], report: Path) -> str:
    """Run one call under the traced launcher, let the server exit on EOF, and return its report."""
    process = start_server([sys.executable, TRACED, which, str(report)], env)
    assert process.stdin is not None
    try:
        handshake(process)
        call_tool(process, tool, arguments)
        process.stdin.close()
        process.wait(120)
    finally:
        process.kill()
        process.wait()
    return report.read_text(encoding="utf-8")


def main() -> None:
    """Entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--mb", type=float, default=30.0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    arguments = document_arguments(base64_payload(args.mb))
    standin = subprocess.Popen(
        [sys.executable, "-m", "tests.standin", "--port", "0"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert standin.stdout is not None
        base_url = standin.stdout.readline().strip()
        env = {
            "PATH": "/usr/bin:/bin",
            "ANTHROPIC_API_KEY": DEFAULT_KEY,
            "ANTHROPIC_BASE_URL": base_url,
            "TOKEN_COUNTER_CACHE": "0",
        }
        for which, tool, name in (("bare", "take", "floor"), ("ours", "count_tokens", "ours")):
            text = traced_call(which, env, tool, arguments, out / f"sites-{name}.txt")
            sys.stdout.write(f"== {name} ==\n{text}\n")
    finally:
        standin.terminate()
        standin.wait(10)


if __name__ == "__main__":
    main()
