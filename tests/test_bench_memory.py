"""bench.offline_memory's children report their own peak RSS, not their parent's.

Linux carries ``getrusage``'s ``ru_maxrss`` over ``exec`` from the forked parent, and ``python -m bench``
starts the memory bench's children when it has matplotlib, the offline counters and more loaded (200 MB and
up): every counter's figure was then the parent's size.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BALLAST_MB = 300
OWN_PEAK = "from bench.offline_memory import _peak_mb; print(_peak_mb())"


def test_a_child_reports_its_own_peak_not_its_parents() -> None:
    ballast = b"x" * (BALLAST_MB * 1_000_000)  # resident in this process while the child runs
    done = subprocess.run([sys.executable, "-c", OWN_PEAK], cwd=ROOT, capture_output=True, text=True, check=True)
    assert len(ballast) == BALLAST_MB * 1_000_000
    assert 0 < float(done.stdout) < BALLAST_MB / 2
