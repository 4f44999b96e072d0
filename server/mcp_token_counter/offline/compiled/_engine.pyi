"""Types of the compiled offline engine (``_engine.pyx``); buffers are flat ``array.array`` or ``bytearray``."""

from array import array
from collections.abc import Buffer

STATUSES: tuple[int, int, int, int]
KINDS: tuple[int, int, int, int, int, int, int]
CASE_FACTS: tuple[int, int, int, int]
MAX_NODES: int

class Tiling:
    def __init__(self, edges: Buffer, root: Buffer, floor: Buffer, /) -> None: ...

class Scanner:
    def __init__(
        self,
        tiling: Tiling,
        space: Buffer,
        kinds: Buffer,
        flags: Buffer,
        lower: Buffer,
        glyphs: Buffer,
        contractions: Buffer,
        /,
    ) -> None: ...

def build_trie(codes: Buffer, lengths: Buffer, /) -> tuple[array[int], array[int]]: ...
def adjacent_pairs(codes: Buffer, lengths: Buffer, /) -> set[str]: ...
def tile_costs(tiling: Tiling, codes: Buffer, starts: Buffer, /) -> list[int]: ...
def unpriced(floor: Buffer, codes: Buffer, /) -> list[int]: ...
def unlearned(kinds: Buffer, codes: Buffer, report: array[int], rows: int, /) -> list[int]: ...
def identity_table() -> array[int]: ...
def plain_stream(scanner: Scanner, word: str, context: int, /) -> str | None: ...
def scan_words(
    scanner: Scanner,
    codes: Buffer,
    position: int,
    previous: int,
    slots: array[int],
    store: array[int],
    meta: array[int],
    report: array[int],
    log: array[int] | None = None,
    /,
) -> tuple[int, int, int, int, int, int]: ...
def sum_log(log: array[int], slots: array[int], previous: int, /) -> tuple[int, int, int] | None: ...
def settle(scanner: Scanner, codes: Buffer, report: array[int], rows: int, slots: array[int], /) -> None: ...
def empty_slots(count: int, /) -> array[int]: ...
def rehash(old: array[int], new: array[int], /) -> None: ...
