"""From a checked token's claims (JWT or introspection answer) to the SDK's ``AccessToken``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from mcp.server.auth.provider import AccessToken


def scopes(claims: Mapping[str, Any]) -> list[str]:
    """The granted scopes: ``scope`` (RFC 9068, a space-separated string) or ``scp`` (Okta, Entra ID)."""
    value = claims.get("scope", claims.get("scp"))
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [item for item in cast(list[Any], value) if isinstance(item, str)]
    return []


def client_id(claims: Mapping[str, Any]) -> str:
    """The client the token was issued to: ``client_id`` (RFC 9068), ``azp`` (OIDC), ``cid`` (Okta),
    ``appid`` (Entra ID v1); empty when none is named."""
    for name in ("client_id", "azp", "cid", "appid"):
        value = claims.get(name)
        if isinstance(value, str) and value:
            return value
    return ""


def access_token(token: str, claims: Mapping[str, Any], *, resource: str, leeway_s: float) -> AccessToken:
    """The grant a checked token carries; ``resource`` is this server's, since the audience was checked.

    ``expires_at`` is when this server stops honouring it: ``exp`` plus the clock leeway, because the SDK's
    backend refuses a token past ``expires_at`` by its own clock, with no leeway of its own.
    """
    expires = claims.get("exp")
    subject = claims.get("sub")
    return AccessToken(
        token=token,
        client_id=client_id(claims),
        scopes=scopes(claims),
        expires_at=int(expires + leeway_s) if isinstance(expires, int | float) else None,
        resource=resource,
        subject=subject if isinstance(subject, str) else None,
        claims={"iss": claims.get("iss")},
    )
