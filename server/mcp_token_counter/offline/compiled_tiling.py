"""ctok's ``min_vocab_tile`` cost as machine code: numba kernels over a reverse trie held in flat arrays.

Imported only by ``batch_tiling`` on the first count that needs it, never at server start-up. Each kernel
is compiled on first call and kept in numba's on-disk cache (``cache=True``), so later processes load it
instead of compiling again.

The trie is one open-addressing hash table from (node, codepoint) to the child node, with a terminal
flag per node: pieces are stored backwards, as in ctok's ``ReverseTrie``, because the tiling ends a tile
at each position and scans its possible starts right to left.
"""

# pyright: reportUnknownVariableType=false, reportUnknownMemberType=false, reportUntypedFunctionDecorator=false
# pyright: reportArgumentType=false
# numba ships no type information, and numpy's stubs type an element of an untyped array as an array;
# the kernels' arguments are the int arrays batch_tiling builds.

from __future__ import annotations

import numpy as np
from numba import njit  # pyright: ignore[reportMissingTypeStubs]

# Past the largest codepoint, so that node * _SPAN + codepoint names one edge.
_SPAN = 0x110000
_EMPTY = -1


@njit(cache=True, nogil=True)
def _slot(key: int, mask: int) -> int:
    # Fibonacci hashing of the edge key, folded into the table.
    return ((key * 0x9E3779B1) ^ (key >> 15)) & mask


@njit(cache=True, nogil=True)
def _child(keys: np.ndarray, children: np.ndarray, node: int, cp: int) -> int:
    mask = keys.shape[0] - 1
    key = node * _SPAN + cp
    at = _slot(key, mask)
    while True:
        found = keys[at]
        if found == key:
            return children[at]
        if found == _EMPTY:
            return _EMPTY
        at = (at + 1) & mask


@njit(cache=True, nogil=True)
def build_trie(codes: np.ndarray, starts: np.ndarray, table_size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The reverse trie of the pieces ``codes[starts[i]:starts[i + 1]]`` (each already reversed).

    Returns (edge keys, child of each edge, terminal flag of each node); node 0 is the root.
    """
    keys = np.full(table_size, _EMPTY, dtype=np.int64)
    children = np.zeros(table_size, dtype=np.int32)
    terminal = np.zeros(codes.shape[0] + 1, dtype=np.uint8)
    mask = table_size - 1
    nodes = 1
    for piece in range(starts.shape[0] - 1):
        node = 0
        for i in range(starts[piece], starts[piece + 1]):
            key = node * _SPAN + codes[i]
            at = _slot(key, mask)
            while keys[at] != _EMPTY and keys[at] != key:
                at = (at + 1) & mask
            if keys[at] == _EMPTY:
                keys[at] = key
                children[at] = nodes
                nodes += 1
            node = children[at]
        terminal[node] = 1
    return keys, children, terminal[:nodes]


@njit(cache=True, nogil=True)
def tile_cost(codes: np.ndarray, start: int, end: int, trie: tuple[np.ndarray, ...], best: np.ndarray) -> int:
    """The min-cost tiling's cost of ``codes[start:end]``; ``best`` has room for ``end - start + 1`` costs.

    ``trie`` is (edge keys, children, terminal flags, floor price by codepoint). A piece costs 1; the
    character at ``p`` alone costs 1 if it is a piece, else its floor price. The loop is ctok's
    ``min_vocab_tile`` without the back-pointers, which only the tokens need.
    """
    keys, children, terminal, floor = trie
    best[0] = 0
    for length in range(1, end - start + 1):
        node = _child(keys, children, 0, codes[start + length - 1])
        single = 1 if node != _EMPTY and terminal[node] == 1 else floor[codes[start + length - 1]]
        cost = best[length - 1] + single
        at = length - 2
        while node != _EMPTY and at >= 0:
            node = _child(keys, children, node, codes[start + at])
            if node != _EMPTY and terminal[node] == 1 and best[at] + 1 < cost:
                cost = best[at] + 1
            at -= 1
        best[length] = cost
    return best[end - start]


@njit(cache=True, nogil=True)
def tile_costs(codes: np.ndarray, starts: np.ndarray, trie: tuple[np.ndarray, ...]) -> np.ndarray:
    """``tile_cost`` of each text ``codes[starts[i]:starts[i + 1]]``."""
    out = np.zeros(starts.shape[0] - 1, dtype=np.int64)
    longest = 0
    for t in range(starts.shape[0] - 1):
        longest = max(longest, starts[t + 1] - starts[t])
    best = np.zeros(longest + 1, dtype=np.int64)
    for t in range(starts.shape[0] - 1):
        out[t] = tile_cost(codes, starts[t], starts[t + 1], trie, best)
    return out
