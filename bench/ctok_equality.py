"""The fast counter against ``ctok.token_count`` on a corpus larger than ``make test``'s 5 MB, on demand.

    .venv/bin/python -m bench.ctok_equality [--mb 20] [--versions 3.0,4.7,4.8]

Every block of ``bench.ctok_corpus.equality_corpus`` is counted under every version given, by a fresh
counter and by ctok; it prints each difference (there should be none) and exits non-zero if any. The
counter is on the active offline engine: set ``TOKEN_COUNTER_OFFLINE_ENGINE=python`` to check the
pure-Python path.
"""

from __future__ import annotations

import argparse
import sys
import time

import ctok  # pyright: ignore[reportMissingTypeStubs]  # no stubs shipped; its public functions are annotated

from bench.ctok_corpus import EDGE_CASES, equality_corpus
from mcp_token_counter.offline.text.ctok_fast import fast_counter


def differences(blocks: list[str], version: str) -> list[tuple[int, int, int]]:
    """(block index, fast count, ctok count) for every block where they differ."""
    count = fast_counter(version)
    found: list[tuple[int, int, int]] = []
    for i, block in enumerate(blocks):
        fast, expected = count(block), ctok.token_count(block, version)
        if fast != expected:
            found.append((i, fast, expected))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--mb", type=float, default=20.0, help="megabytes of corpus (default 20)")
    parser.add_argument("--versions", default="3.0,4.7,4.8", help="ctok versions, comma-separated")
    args = parser.parse_args()
    blocks = [*EDGE_CASES, *equality_corpus(args.mb)]
    failed = False
    for version in args.versions.split(","):
        start = time.perf_counter()
        found = differences(blocks, version)
        print(f"{version}: {len(blocks)} blocks, {len(found)} differences, {time.perf_counter() - start:.1f} s")
        for i, fast, expected in found[:20]:
            print(f"  block {i}: fast {fast}, ctok {expected}: {blocks[i][:80]!r}")
        failed = failed or bool(found)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
