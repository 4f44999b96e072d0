"""The first offline count in a fresh process, against ctok's own first count, on each engine.

    .venv/bin/python -m bench.offline_first_count [--runs 5]

Each run starts fresh processes one after the other, in turn: one times ``ctok.token_count`` on a short
message (its vocabulary load included), the others time the server's first offline estimate of the same
message (``estimate_request``: the offline package's imports, the vocabulary load, the counter's build and
probe checks, the count) on the compiled engine and on the pure-Python one. Medians over the runs, and each
engine's excess over ctok's first count; run the processes in turn so a busy moment hits them alike.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from typing import Final

from mcp_token_counter.offline.compiled.engine import FORCED, SETTING

MESSAGE: Final = "Hello! Could you count the tokens of this short message, please?"

CTOK: Final = f"""
import time
start = time.perf_counter()
import ctok
ctok.token_count({MESSAGE!r}, "3.0")
print(time.perf_counter() - start)
"""

OURS: Final = f"""
import time
start = time.perf_counter()
from mcp_token_counter.catalog import builtin_catalog
from mcp_token_counter.offline.request.estimate import estimate_request
spec = builtin_catalog().lookup("claude-opus-4-6")
estimate_request({{"messages": [{{"role": "user", "content": {MESSAGE!r}}}]}}, spec)
print(time.perf_counter() - start)
"""


def _seconds(script: str, env: dict[str, str]) -> float:
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    return float(done.stdout)


def measure(runs: int) -> dict[str, float]:
    """Median first-count seconds of ctok and of each engine, and each engine's excess over ctok."""
    base = {k: v for k, v in os.environ.items() if k != SETTING}
    times: dict[str, list[float]] = {"ctok": [], "compiled": [], "python": []}
    for _ in range(runs):
        times["ctok"].append(_seconds(CTOK, base))
        times["compiled"].append(_seconds(OURS, base))
        times["python"].append(_seconds(OURS, {**base, SETTING: FORCED}))
    medians = {name: statistics.median(values) for name, values in times.items()}
    return {
        "ctok_first_s": round(medians["ctok"], 3),
        "compiled_first_s": round(medians["compiled"], 3),
        "python_first_s": round(medians["python"], 3),
        "compiled_minus_ctok_s": round(medians["compiled"] - medians["ctok"], 3),
        "python_minus_ctok_s": round(medians["python"] - medians["ctok"], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per counter (default 5)")
    args = parser.parse_args()
    for name, value in measure(args.runs).items():
        print(f"{name:22} {value}")


if __name__ == "__main__":
    main()
