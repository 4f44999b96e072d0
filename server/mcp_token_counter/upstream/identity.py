"""HTTP to the organisation's authorization server: metadata, signing keys, token introspection.

The OAuth resource server (``auth/``) reads JSON documents through ``IdentityClient``; this package owns
httpx2. Every failure, whatever its cause, is one ``IdentityUnreachable`` naming the URL and what happened,
never a body or a credential.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, cast

import httpx2
from pydantic import SecretStr

from ..redaction import display_url

# An authorization server answers metadata and key requests in milliseconds; a start-up or a call waits at
# most this long for one, then the resource server reports the issuer as unreachable.
IDENTITY_TIMEOUT_S: Final = 5.0
# A JWKS or metadata document is a few KB; anything far bigger is not one.
MAX_DOCUMENT_BYTES: Final = 1_000_000


class IdentityUnreachable(Exception):
    """The authorization server gave no usable JSON document; ``reason`` says what happened."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{display_url(url)}: {reason}")
        self.url = url
        self.reason = reason


class IdentityClient:
    """One ``httpx2.AsyncClient`` for the authorization server, made on first use."""

    def __init__(self, *, timeout_s: float = IDENTITY_TIMEOUT_S) -> None:
        self._timeout_s = timeout_s
        self._client: httpx2.AsyncClient | None = None

    def _http(self) -> httpx2.AsyncClient:
        if self._client is None:
            self._client = httpx2.AsyncClient(timeout=self._timeout_s, follow_redirects=False)
        return self._client

    async def get_json(self, url: str) -> dict[str, Any]:
        """The JSON object at ``url``.

        Raises:
            IdentityUnreachable: no answer, a status other than 200, or no JSON object.
        """
        return await self._send("GET", url)

    async def post_form(self, url: str, form: Mapping[str, str], *, user: str, password: SecretStr) -> dict[str, Any]:
        """POST ``form`` with HTTP Basic client authentication (RFC 6749 §2.3.1); the JSON object answered.

        Raises:
            IdentityUnreachable: as ``get_json``.
        """
        auth = httpx2.BasicAuth(user, password.get_secret_value())
        return await self._send("POST", url, data=dict(form), auth=auth)

    async def _send(self, method: str, url: str, **extra: Any) -> dict[str, Any]:
        headers = {"accept": "application/json"}
        try:
            response = await self._http().request(method, url, headers=headers, **extra)
        except httpx2.HTTPError as exc:
            raise IdentityUnreachable(url, f"no answer ({type(exc).__name__})") from None
        if response.status_code != 200:
            raise IdentityUnreachable(url, f"HTTP {response.status_code}")
        if len(response.content) > MAX_DOCUMENT_BYTES:
            raise IdentityUnreachable(url, "the document is too large")
        try:
            document = response.json()
        except ValueError:
            raise IdentityUnreachable(url, "the answer is not JSON") from None
        if not isinstance(document, dict):
            raise IdentityUnreachable(url, "the answer is not a JSON object")
        return cast(dict[str, Any], document)

    async def aclose(self) -> None:
        """Close the client, if one was made."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None
