"""A stdio server under tracemalloc, for attributing its peak memory: bench only, never shipped.

    .venv/bin/python bench/traced_server.py ours REPORT      # mcp-token-counter over stdio
    .venv/bin/python bench/traced_server.py bare REPORT      # bench/bare_server.py over stdio

The server runs as it would from its console script. A sampler thread watches the traced total and keeps a
snapshot each time it reaches a new high, so the report shows what was live at (about) the peak, not at
exit. When the client closes stdin the server returns and REPORT gets the traced peak and the largest
allocation sites of that snapshot. tracemalloc sees Python's allocator only: buffers that Rust code
(pydantic-core, jiter) takes straight from malloc count in RSS but not here.
"""

from __future__ import annotations

import linecache
import runpy
import sys
import threading
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

FRAMES: Final = 30
SAMPLE_EVERY_S: Final = 0.002
# A new snapshot only when the traced total grew by this much: snapshots are slow on a big heap.
NEW_HIGH_BYTES: Final = 1_000_000
MIN_SITE_BYTES: Final = 500_000
BARE: Final = Path(__file__).with_name("bare_server.py")


@dataclass
class HighWater:
    """The snapshot taken at the highest traced total seen so far."""

    traced: int = 0
    snapshot: tracemalloc.Snapshot | None = None
    stop: threading.Event = field(default_factory=threading.Event)

    def watch(self) -> None:
        """Sample until stopped, snapshotting each new high."""
        while not self.stop.wait(SAMPLE_EVERY_S):
            current, _ = tracemalloc.get_traced_memory()
            if current > self.traced + NEW_HIGH_BYTES:
                self.snapshot = tracemalloc.take_snapshot()
                self.traced = current


def describe(high: HighWater, peak: int) -> str:
    """The peak and the sites holding the most at the sampled high, innermost frame first."""
    lines = [f"traced peak {peak / 1e6:.1f} MB; sampled high {high.traced / 1e6:.1f} MB"]
    if high.snapshot is None:
        return "\n".join(lines) + "\n"
    for stat in high.snapshot.statistics("traceback"):
        if stat.size < MIN_SITE_BYTES:
            break
        lines.append(f"\n{stat.size / 1e6:.1f} MB in {stat.count} blocks")
        for frame in stat.traceback[::-1]:
            source = linecache.getline(frame.filename, frame.lineno).strip()
            lines.append(f"  {_short(frame.filename)}:{frame.lineno}  {source}")
    return "\n".join(lines) + "\n"


def _short(filename: str) -> str:
    for marker in ("site-packages/", "server/", "bench/", "lib/python3.12/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


def load(which: str) -> Callable[[], None]:
    """The chosen server, imported but not yet serving: imports under a deep trace take half a minute."""
    if which == "ours":
        from mcp_token_counter.__main__ import main

        return lambda: main([])
    server = runpy.run_path(str(BARE), run_name="bare_server")["server"]
    return lambda: server.run("stdio")


def main() -> None:
    """Entry point: ``traced_server.py ours|bare REPORT``."""
    which, report = sys.argv[1], Path(sys.argv[2])
    if which not in ("ours", "bare"):
        raise SystemExit(__doc__)
    serve = load(which)
    tracemalloc.start(FRAMES)
    high = HighWater()
    sampler = threading.Thread(target=high.watch, name="tracemalloc-sampler", daemon=True)
    sampler.start()
    try:
        serve()
    finally:
        high.stop.set()
        sampler.join()
        _, peak = tracemalloc.get_traced_memory()
        report.write_text(describe(high, peak), encoding="utf-8")


if __name__ == "__main__":
    main()
