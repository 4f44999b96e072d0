"""A small thread-safe LRU cache with hit statistics.

``functools.lru_cache`` keys on the arguments themselves; the text cache needs to key long texts on a
digest instead, so it does not pin megabytes of text in memory, which calls for an explicit key.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CacheInfo:
    """Counters of a cache since it was created or last cleared."""

    hits: int
    misses: int
    size: int
    maxsize: int


class LruCache[K: Hashable, V]:
    """Least-recently-used mapping bounded to ``maxsize`` entries."""

    def __init__(self, maxsize: int) -> None:
        self._maxsize = maxsize
        self._data: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()
        self._hits = 0
        self._misses = 0

    def get(self, key: K) -> V | None:
        """The cached value, or None; counts a hit or a miss."""
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                self._hits += 1
                return self._data[key]
            self._misses += 1
            return None

    def put(self, key: K, value: V) -> None:
        """Store ``value``, evicting the least recently used entry when full."""
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            if len(self._data) > self._maxsize:
                self._data.popitem(last=False)

    def info(self) -> CacheInfo:
        """Hits, misses and size."""
        with self._lock:
            return CacheInfo(self._hits, self._misses, len(self._data), self._maxsize)

    def clear(self) -> None:
        """Drop every entry and reset the counters."""
        with self._lock:
            self._data.clear()
            self._hits = self._misses = 0
