"""ctok's ``min_vocab_tile`` cost as machine code: numba kernels over a reverse trie held in flat arrays.

Imported only by ``batch_tiling`` on the first count that needs it, never at server start-up. Each kernel
is compiled on first call and kept in numba's on-disk cache (``cache=True``), so later processes load it
instead of compiling again.

The trie is one open-addressing hash table from (node, codepoint) to the child node and its terminal
flag, plus a direct table of the root's children. Pieces are stored backwards, as in ctok's
``ReverseTrie``, because the tiling ends a tile at each position and scans its possible starts right to
left. ``compiled_scan`` tiles unseen words with ``tile_cost`` too.
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
def _child(edges: np.ndarray, node: int, cp: int) -> int:
    """The packed child (node << 1 | terminal) of ``node`` along ``cp``, or -1."""
    mask = edges.shape[0] - 1
    key = node * _SPAN + cp
    at = _slot(key, mask)
    while True:
        found = edges[at, 0]
        if found == key:
            return edges[at, 1]
        if found == _EMPTY:
            return _EMPTY
        at = (at + 1) & mask


@njit(cache=True, nogil=True)
def build_trie(codes: np.ndarray, starts: np.ndarray, table_size: int) -> tuple[np.ndarray, np.ndarray]:
    """The reverse trie of the pieces ``codes[starts[i]:starts[i + 1]]`` (each already reversed).

    Returns (edges, root). An edge row is (node * 0x110000 + codepoint, child << 1 | child is terminal),
    so a step reads one row; ``root`` holds the root's packed children by codepoint (-1 for none), since
    every position of a text starts there. Node 0 is the root.
    """
    keys = np.full(table_size, _EMPTY, dtype=np.int64)
    children = np.zeros(table_size, dtype=np.int64)
    terminal = np.zeros(codes.shape[0] + 1, dtype=np.int64)
    mask = table_size - 1
    nodes: int = np.int64(1)  # pyright: ignore[reportAssignmentType]  # not a literal: see compiled_scan
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
    return _packed(keys, children, terminal, nodes)


@njit(cache=True, nogil=True)
def _packed(keys: np.ndarray, children: np.ndarray, terminal: np.ndarray, nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """``build_trie``'s table repacked: rows (key, child << 1 | terminal) sized by the edges actually made (a
    node per edge), at most half full, a quarter of the first table's size on ctok's vocabularies so more of
    it stays in cache; and the root's children by codepoint."""
    size = 1
    while size < 2 * nodes:
        size *= 2
    edges = np.full((size, 2), _EMPTY, dtype=np.int64)
    root = np.full(_SPAN, _EMPTY, dtype=np.int32)
    for slot in range(keys.shape[0]):
        key = keys[slot]
        if key == _EMPTY:
            continue
        packed = children[slot] << 1 | terminal[children[slot]]
        at = _slot(key, size - 1)
        while edges[at, 0] != _EMPTY:
            at = (at + 1) & (size - 1)
        edges[at, 0] = key
        edges[at, 1] = packed
        if key < _SPAN:
            root[key] = packed
    return edges, root


@njit(cache=True, nogil=True)
def tile_cost(codes: np.ndarray, start: int, end: int, trie: tuple[np.ndarray, ...], best: np.ndarray) -> int:
    """The min-cost tiling's cost of ``codes[start:end]``; ``best`` has room for ``end - start + 1`` costs.

    ``trie`` is (edges, root, floor price by codepoint). A piece costs 1; the character at ``p`` alone
    costs 1 if it is a piece, else its floor price. The loop is ctok's ``min_vocab_tile`` without the
    back-pointers, which only the tokens need.
    """
    edges, root, floor = trie
    best[0] = 0
    for length in range(1, end - start + 1):
        packed = root[codes[start + length - 1]]
        single = 1 if packed != _EMPTY and packed & 1 else floor[codes[start + length - 1]]
        cost = best[length - 1] + single
        at = length - 2
        while packed != _EMPTY and at >= 0:
            packed = _child(edges, packed >> 1, codes[start + at])
            if packed != _EMPTY and packed & 1 and best[at] + 1 < cost:
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
