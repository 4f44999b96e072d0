"""ctok's counts of the 5 MB equality corpus, recorded, so a run need not spend ~40 s of CPU recounting text
whose count it already knows.

Each count is ctok's own (``ctok.token_count``), recorded by ``main()`` below, never the fast counter's. It is
keyed by ctok's version, the tokenizer version and a digest of the exact block, so a block that changed (the
installed packages' text follows uv.lock) or a new ctok is counted live. Every run also recounts a fixed share
of the recorded blocks live and fails if one differs: the record cannot drift from ctok unnoticed.

Record again after a change of uv.lock (otherwise those blocks are only slower):
``.venv/bin/python -m tests.offline.ctok_counts``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Final

import ctok  # pyright: ignore[reportMissingTypeStubs]

RECORD: Final = Path(__file__).with_name("ctok_counts.json")
CHECK_EVERY: Final = 25  # one recorded block in 25 is recounted live on each run


def key(block: str, tokenizer: str) -> str:
    """ctok's version, the tokenizer's and the block's digest (lone surrogates included, as ctok sees them)."""
    digest = hashlib.sha256(block.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"{version('ctok')}/{tokenizer}/{digest}"


def recorded() -> dict[str, int]:
    """The recorded counts; none when the file is missing."""
    if not RECORD.is_file():
        return {}
    return json.loads(RECORD.read_text(encoding="utf-8"))


def counts(blocks: Sequence[str], tokenizers: Sequence[str]) -> list[int]:
    """``ctok.token_count`` of each block under its tokenizer: recorded where known (a share rechecked), else live.

    Raises:
        AssertionError: a recorded count differs from ctok's live count of the same block.
    """
    known = recorded()
    found: list[int] = []
    for index, (block, tokenizer) in enumerate(zip(blocks, tokenizers, strict=True)):
        count = known.get(key(block, tokenizer))
        if count is None:
            count = ctok.token_count(block, tokenizer)
        elif index % CHECK_EVERY == 0:
            live = ctok.token_count(block, tokenizer)
            assert live == count, f"block {index}: recorded {count}, ctok counts {live}; record again (see above)"
        found.append(count)
    return found


def main() -> None:
    """Count the corpus with ctok and write the record (the test's corpus, its tokenizers in turn)."""
    from tests.offline.test_fast_count_equality import corpus_blocks

    blocks, tokenizers = corpus_blocks()
    record = {key(b, t): ctok.token_count(b, t) for b, t in zip(blocks, tokenizers, strict=True)}
    RECORD.write_text(json.dumps(record, indent=0, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
