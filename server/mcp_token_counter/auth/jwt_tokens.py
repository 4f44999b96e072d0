"""JWT access tokens (RFC 9068) checked with PyJWT against the issuer's keys: signature, iss, aud, exp, nbf."""

from __future__ import annotations

import logging
from typing import Any, Final

import jwt
from mcp.server.auth.provider import AccessToken

from ..config import OAuthSettings
from . import outage
from .claims import access_token
from .keys import Jwk, SigningKeys

logger = logging.getLogger(__name__)

# The algorithms each key type may verify; "none" and the HMAC family never pass.
ALGORITHMS: Final = {
    "RSA": ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512"),
    "EC": ("ES256", "ES384", "ES512"),
    "OKP": ("EdDSA",),
}
REQUIRED_CLAIMS: Final = ["exp", "iss", "aud", "sub"]


class JwtVerifier:
    """The SDK's ``TokenVerifier`` for JWT access tokens signed with the issuer's published keys."""

    def __init__(self, settings: OAuthSettings, keys: SigningKeys) -> None:
        self._settings = settings
        self._keys = keys

    async def verify_token(self, token: str) -> AccessToken | None:
        """The token's grant when its signature, issuer, audience and times check out, else None."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            return None
        alg, kid = header.get("alg"), header.get("kid")
        if not isinstance(alg, str) or not (kid is None or isinstance(kid, str)):
            return None
        keys = await self._keys.candidates(kid)
        if not keys and self._keys.problem is not None:
            # The last fetch failed: a key id the cached set lacks may be a rotation nobody can see now.
            outage.report(self._keys.problem)
        for key in keys:
            claims = self._decode(token, key, alg)
            if claims is not None:
                return access_token(token, claims, resource=self._settings.resource, leeway_s=self._settings.leeway_s)
        return None

    def _decode(self, token: str, key: Jwk, alg: str) -> dict[str, Any] | None:
        allowed = ALGORITHMS.get(str(key.get("kty")), ())
        if alg not in allowed or key.get("alg", alg) != alg:
            return None
        try:
            return jwt.decode(
                token,
                key=jwt.PyJWK(key, algorithm=alg),
                algorithms=[alg],
                audience=self._settings.audience,
                issuer=self._settings.issuer,
                leeway=self._settings.leeway_s,
                options={"require": REQUIRED_CLAIMS},
            )
        except (jwt.PyJWTError, ValueError) as exc:
            logger.debug("Refused a JWT: %s", type(exc).__name__)
            return None
