"""The issuer's signing keys (its JWKS), found through discovery, cached, and followed through rotation.

Keys are used for ``ttl_s`` after the last successful fetch. Past half of that a refresh is tried before a
request; a failed one keeps the cached keys, so an issuer that is down for a while costs nothing until the
keys expire. Then ``ready()`` is False and ``/mcp`` answers 503 (``gate``) until the issuer answers again. A
token naming a key id the set lacks triggers a fetch (rotation), at most one per ``MIN_REFETCH_S``: such
a token waits for the next one rather than being refused.
"""

from __future__ import annotations

import logging
from typing import Any, Final, cast

import anyio

from ..clock import Clock
from ..upstream.identity import IdentityClient, IdentityUnreachable
from .discovery import IssuerMetadata, discover

logger = logging.getLogger(__name__)

# Between two fetches: bounds what a stream of tokens with made-up key ids can cost the issuer.
MIN_REFETCH_S: Final = 1.0
# Between two tries while the issuer is down or has no usable keys.
RETRY_S: Final = 5.0
# Only asymmetric signing keys: a shared (oct) key in a public JWKS would let anyone mint tokens.
SIGNING_KEY_TYPES: Final = frozenset({"RSA", "EC", "OKP"})

Jwk = dict[str, Any]


class SigningKeys:
    """The JWKS of one issuer, fetched on start, on rotation and as it ages."""

    def __init__(self, client: IdentityClient, issuer: str, *, ttl_s: float, clock: Clock) -> None:
        self._client = client
        self._issuer = issuer
        self._ttl_s = ttl_s
        self._clock = clock
        self._metadata: IssuerMetadata | None = None
        self._keys: list[Jwk] = []
        self._fetched_at: float | None = None
        self._tried_at = float("-inf")
        self._lock = anyio.Lock()
        self.problem: str | None = None

    async def start(self) -> str | None:
        """Discover the issuer and fetch its keys once; the problem found, or None when they are usable."""
        await self._refresh(min_gap_s=0.0)
        return None if self.usable() else (self.problem or "no signing keys")

    def usable(self) -> bool:
        """Whether keys fetched within ``ttl_s`` are held."""
        return self._fetched_at is not None and self._clock.now() - self._fetched_at < self._ttl_s

    async def ready(self) -> bool:
        """Whether tokens can be checked now: refreshes keys past half their life, or when none are usable."""
        if self._fetched_at is None or self._clock.now() - self._fetched_at >= self._ttl_s / 2:
            await self._refresh(min_gap_s=MIN_REFETCH_S if self.usable() else RETRY_S)
        return self.usable()

    async def candidates(self, kid: str | None) -> list[Jwk]:
        """The usable keys a token with key id ``kid`` may be signed with, fetched again for an unknown id."""
        found = self._matching(kid)
        if not found and kid is not None and self.usable():
            await self._fetch_after(self._clock.now())
            found = self._matching(kid)
        return found

    async def _fetch_after(self, asked_at: float) -> None:
        """A fetch that starts after ``asked_at``: this one, or another caller's; waits out ``MIN_REFETCH_S``
        rather than refusing, so a key rotated in just after a fetch is still found on its first use."""
        async with self._lock:
            if self._tried_at >= asked_at:
                return
            wait = self._tried_at + MIN_REFETCH_S - self._clock.now()
            if wait > 0:
                await self._clock.sleep(wait)
            await self._refresh_locked()

    def _matching(self, kid: str | None) -> list[Jwk]:
        if not self.usable():
            return []
        return [key for key in self._keys if kid is None or key.get("kid") == kid]

    async def _refresh(self, *, min_gap_s: float) -> None:
        async with self._lock:
            if self._clock.now() - self._tried_at >= min_gap_s:
                await self._refresh_locked()

    async def _refresh_locked(self) -> None:
        self._tried_at = self._clock.now()
        try:
            keys = await self._fetch()
        except IdentityUnreachable as exc:
            self._failed(str(exc))
            return
        if not keys:
            self._failed(f"the JWKS of {self._issuer} holds no signing keys")
            return
        if self.problem is not None:
            logger.warning("OAuth: the issuer's signing keys are usable again")
        self._keys, self._fetched_at, self.problem = keys, self._clock.now(), None

    async def _fetch(self) -> list[Jwk]:
        if self._metadata is None:
            self._metadata = await discover(self._client, self._issuer)
        if self._metadata.jwks_uri is None:
            raise IdentityUnreachable(self._issuer, "its metadata names no jwks_uri")
        document = await self._client.get_json(self._metadata.jwks_uri)
        return signing_keys(document)

    def _failed(self, reason: str) -> None:
        if reason != self.problem and self._fetched_at is not None:
            keep = "keeping the cached keys" if self.usable() else "the cached keys have expired; /mcp answers 503"
            logger.warning("OAuth: cannot refresh the issuer's signing keys (%s); %s", reason, keep)
        self.problem = reason


def signing_keys(document: dict[str, Any]) -> list[Jwk]:
    """The asymmetric signature keys of a JWKS document (RFC 7517), others left out."""
    raw = document.get("keys")
    if not isinstance(raw, list):
        return []
    keys = [cast(Jwk, key) for key in cast(list[Any], raw) if isinstance(key, dict)]
    return [key for key in keys if key.get("kty") in SIGNING_KEY_TYPES and key.get("use", "sig") == "sig"]
