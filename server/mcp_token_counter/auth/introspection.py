"""Opaque access tokens checked by RFC 7662 introspection, answers reused for a short TTL.

A revoked token keeps passing for at most ``introspection_ttl_s`` (0: every request asks). Answers are keyed
by a digest of the token, never the token, and the cache is bounded.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, Final

from mcp.server.auth.provider import AccessToken

from ..clock import Clock
from ..config import OAuthSettings
from ..upstream.identity import IdentityClient, IdentityUnreachable
from . import outage
from .claims import access_token

MAX_CACHED: Final = 10_000


class IntrospectionVerifier:
    """The SDK's ``TokenVerifier`` asking the authorization server about each token (RFC 7662)."""

    def __init__(self, settings: OAuthSettings, client: IdentityClient, clock: Clock) -> None:
        if settings.introspection_url is None or settings.client_id is None or settings.client_secret is None:
            raise ValueError("introspection needs its URL and client credentials (config.OAuthSettings checks)")
        self._settings = settings
        self._url = settings.introspection_url
        self._client_id = settings.client_id
        self._client_secret = settings.client_secret
        self._client = client
        self._clock = clock
        self._cache: OrderedDict[bytes, tuple[float, AccessToken | None]] = OrderedDict()

    async def verify_token(self, token: str) -> AccessToken | None:
        """The token's grant while the authorization server calls it active and issued for this server."""
        key = hashlib.sha256(token.encode("utf-8")).digest()
        cached = self._cache.get(key)
        if cached is not None and cached[0] > self._clock.now():
            return cached[1]
        try:
            answer = await self._introspect(token)
        except IdentityUnreachable as exc:
            outage.report(str(exc))
            return None
        grant = self._grant(token, answer)
        self._remember(key, grant)
        return grant

    async def _introspect(self, token: str) -> dict[str, Any]:
        form = {"token": token, "token_type_hint": "access_token"}
        return await self._client.post_form(self._url, form, user=self._client_id, password=self._client_secret)

    def _grant(self, token: str, answer: Mapping[str, Any]) -> AccessToken | None:
        settings = self._settings
        if answer.get("active") is not True or answer.get("iss", settings.issuer) != settings.issuer:
            return None
        if settings.audience not in audiences(answer):
            return None
        expires = answer.get("exp")
        if isinstance(expires, int | float) and expires + settings.leeway_s < self._clock.wall():
            return None
        return access_token(token, answer, resource=settings.resource, leeway_s=settings.leeway_s)

    def _remember(self, key: bytes, grant: AccessToken | None) -> None:
        if self._settings.introspection_ttl_s <= 0:
            return
        self._cache[key] = (self._clock.now() + self._settings.introspection_ttl_s, grant)
        self._cache.move_to_end(key)
        while len(self._cache) > MAX_CACHED:
            self._cache.popitem(last=False)


def audiences(answer: Mapping[str, Any]) -> list[str]:
    """``aud`` as a list (RFC 7662 allows a string or an array)."""
    value = answer.get("aud")
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]  # pyright: ignore[reportUnknownVariableType]
    return []
