"""The count cache: an LRU with a TTL whose bound is in bytes, keyed by a digest of the canonical request.

A request is keyed by SHA-256 over where it is counted (provider and base URL), the model, the sorted
betas and the SHA-256 of the exact body bytes that are sent. Only that 32-byte digest and the small result
are kept, never the body: a 30 MB base64 image costs the same ~300 bytes as "Hello", and the same image sent
again is the same key, so it is never stored twice.

Counts are deterministic for a given model and body, so a hit is served without an upstream request. The
TTL bounds how long a count can outlive a tokenizer change behind an unchanged model id.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Protocol

from .clock import Clock

# Bookkeeping per entry beyond its strings: the OrderedDict slot, the entry tuple, the result object.
ENTRY_OVERHEAD_BYTES: Final = 400


class Sized(Protocol):
    """A cached value that can say roughly how many bytes of text it holds."""

    def text_bytes(self) -> int:
        """The length of the strings it carries, in bytes (approximately)."""
        ...


def request_key(*, scope: str, model: str, betas: Iterable[str], body_sha256: bytes) -> bytes:
    """The cache key: a digest over where, which model, which betas and the body bytes' digest.

    The body comes as its digest because it is hashed while it is encoded, a piece at a time
    (``body.encode_body``), and is never whole in memory.
    """
    digest = hashlib.sha256()
    header = "\0".join((scope, model, ",".join(sorted(betas))))
    digest.update(header.encode("utf-8", "surrogatepass"))
    digest.update(b"\0")
    digest.update(body_sha256)
    return digest.digest()


@dataclass(frozen=True, slots=True)
class _Entry[V]:
    value: V
    expires_at: float
    size: int


class CountCache[V: Sized]:
    """Least-recently-used results, dropped after ``ttl_s`` or when the total passes ``max_bytes``."""

    def __init__(self, *, max_bytes: int, ttl_s: float, clock: Clock) -> None:
        self._max_bytes = max_bytes
        self._ttl_s = ttl_s
        self._clock = clock
        self._entries: OrderedDict[bytes, _Entry[V]] = OrderedDict()
        self._bytes = 0

    @property
    def size_bytes(self) -> int:
        """The accounted size of every entry."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: bytes) -> V | None:
        """The live value for ``key``, or None; a hit becomes the most recently used."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires_at <= self._clock.now():
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return entry.value

    def put(self, key: bytes, value: V) -> None:
        """Store ``value``, evicting least recently used entries beyond the byte bound."""
        size = ENTRY_OVERHEAD_BYTES + len(key) + value.text_bytes()
        if size > self._max_bytes:
            return
        if key in self._entries:
            self._drop(key)
        self._entries[key] = _Entry(value, self._clock.now() + self._ttl_s, size)
        self._bytes += size
        while self._bytes > self._max_bytes:
            self._drop(next(iter(self._entries)))

    def _drop(self, key: bytes) -> None:
        self._bytes -= self._entries.pop(key).size
