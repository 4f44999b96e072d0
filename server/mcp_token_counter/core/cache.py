"""The count cache: LRU with a TTL, bounded in bytes, keyed by a digest of the canonical request.

A request is keyed by SHA-256 over its scope (``credential_scope``: where it is counted, with which
credential), the model, the sorted betas, the user profile id and the SHA-256 of the exact body bytes that
are sent; each in its own place of a JSON array, so no value of one field can pass for another's. Only
that 32-byte digest and the small result are kept, never the body: a 30 MB base64 image costs the same
~300 bytes as "Hello", and the same image sent again is the same key, so it is never stored twice.

Counts are deterministic for a given model and body, so a hit is served without an upstream request. The
TTL bounds how long a count can outlive a tokenizer change behind an unchanged model id.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from typing import Final, Protocol

from cachetools import TTLCache

from ..clock import Clock

# Bookkeeping per entry beyond its strings: the cache's slots, the key, the result object.
ENTRY_OVERHEAD_BYTES: Final = 400
KEY_BYTES: Final = 32
# What the credential's HMAC is taken over: the credential is the HMAC's key, so the tag says nothing about it
# to whoever reads Redis, and every replica holding the same credential finds the same entries.
_SCOPE_LABEL: Final = b"mcp-token-counter cache scope v1"


class Sized(Protocol):
    """A cached value that can say roughly how many bytes of text it holds."""

    def text_bytes(self) -> int:
        """The length of the strings it carries, in bytes (approximately)."""
        ...


def credential_scope(where: str, *, credential: str | None = None) -> str:
    """Whose entries a request may read and write: where it is counted (provider and base URL, or offline)
    and the credential it is counted with. The caller's own identity (an OAuth subject) narrows it further
    where there is one.

    Tenants sharing Redis never see each other's entries, nor learn that someone counted the same body: a
    replica with another credential (or an invalid one) misses and asks the API. The credential appears only
    as an HMAC keyed by itself, never as such.
    """
    tag = hmac.new(credential.encode("utf-8", "surrogatepass"), _SCOPE_LABEL, hashlib.sha256) if credential else None
    return json.dumps([where, tag.hexdigest() if tag is not None else None])


def request_key(
    *, scope: str, model: str, betas: Iterable[str], body_sha256: bytes, user_profile_id: str | None = None
) -> bytes:
    """The cache key: a digest over the scope (``credential_scope``), the model, the betas, the user profile id and
    the body bytes' digest.

    The body comes as its digest because it is hashed while it is encoded, a piece at a time
    (``upstream.body.encode_body``), and is never whole in memory.
    """
    header = json.dumps([scope, model, sorted(betas), user_profile_id, body_sha256.hex()])
    return hashlib.sha256(header.encode("ascii")).digest()


def entry_bytes(value: Sized) -> int:
    """What one entry is charged against the byte bound."""
    return ENTRY_OVERHEAD_BYTES + KEY_BYTES + value.text_bytes()


class CountCache[V: Sized]:
    """Least-recently-used results, dropped after ``ttl_s`` or when the total passes ``max_bytes``."""

    def __init__(self, *, max_bytes: int, ttl_s: float, clock: Clock) -> None:
        self._entries = TTLCache[bytes, V](maxsize=max_bytes, ttl=ttl_s, timer=clock.now, getsizeof=entry_bytes)

    @property
    def size_bytes(self) -> int:
        """The accounted size of every live entry."""
        self._entries.expire()
        return int(self._entries.currsize)

    def __len__(self) -> int:
        self._entries.expire()
        return len(self._entries)

    def get(self, key: bytes) -> V | None:
        """The live value for ``key``, or None; a hit becomes the most recently used."""
        return self._entries.get(key)

    def put(self, key: bytes, value: V) -> None:
        """Store ``value``, evicting least recently used entries beyond the byte bound."""
        if entry_bytes(value) <= self._entries.maxsize:
            self._entries[key] = value
