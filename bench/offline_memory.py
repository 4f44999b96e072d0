"""Peak RSS while counting one text offline (4 MB unless told), the previous fast path against the per-word
counter on each engine (compiled and pure Python).

    .venv/bin/python -m bench.offline_memory [--mb 1]

Each counter runs in a fresh process (peak RSS never goes down), with its vocabulary loaded first; the
figure is that process's peak over the whole count, beside its RSS once loaded.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Final

from bench.offline_throughput import compiled_counter, python_counter
from bench.real_text import real_blocks
from mcp_token_counter.offline.text.ctok_fast import engine_counter

COUNTERS: Final[dict[str, Callable[[str], Callable[[str], int]]]] = {
    "before": engine_counter,
    "python": python_counter,
    "after": compiled_counter,
}


def _peak_mb() -> float:
    """This process's peak RSS since its program started, in MB.

    Not ``getrusage``'s ``ru_maxrss``: Linux carries that over ``exec`` from the forked parent, so under
    ``python -m bench`` (a parent of 200 MB and more) every counter's figure was the parent's size. ``VmHWM``
    belongs to the process's own memory map, new at ``exec``.
    """
    for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # kB
    raise RuntimeError("no VmHWM in /proc/self/status: the memory bench reads peak RSS the Linux way")


def child(name: str, megabytes: float) -> dict[str, float]:
    """Count one text of ``megabytes`` MB with counter ``name`` in this process; RSS figures in MB."""
    text = "".join(real_blocks(megabytes))[: int(megabytes * 1_000_000)]
    count = COUNTERS[name]("3.0")
    count("warm up")
    loaded = _peak_mb()
    count(text)
    return {"loaded_mb": round(loaded, 1), "peak_mb": round(_peak_mb(), 1)}


def measure(megabytes: float) -> dict[str, float]:
    """Peak RSS of each counter on the same text, and after / before.

    The children run side by side: each one's peak is its own process's, whatever else runs.
    """
    figures: dict[str, float] = {"megabytes": megabytes}
    children = {
        name: subprocess.Popen(
            [sys.executable, "-m", "bench.offline_memory", "--child", name, "--mb", str(megabytes)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for name in COUNTERS
    }
    for name, child in children.items():
        out, _ = child.communicate()
        if child.returncode != 0:
            raise subprocess.CalledProcessError(child.returncode, child.args, out)
        for key, value in json.loads(out).items():
            figures[f"{name}_{key}"] = value
    figures["after_vs_before"] = round(figures["after_peak_mb"] / figures["before_peak_mb"], 2)
    figures["after_vs_python"] = round(figures["after_peak_mb"] / figures["python_peak_mb"], 2)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--mb", type=float, default=4.0, help="megabytes of text (default 4)")
    parser.add_argument("--child", choices=sorted(COUNTERS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.mb)))
        return
    for name, value in measure(args.mb).items():
        print(f"{name:20} {value}")


if __name__ == "__main__":
    main()
