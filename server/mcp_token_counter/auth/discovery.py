"""Finding the issuer's endpoints: RFC 8414 authorization server metadata, else OpenID Connect discovery."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ..upstream.identity import IdentityClient, IdentityUnreachable


@dataclass(frozen=True, slots=True)
class IssuerMetadata:
    """What the resource server needs of the issuer's metadata."""

    issuer: str
    jwks_uri: str | None
    introspection_endpoint: str | None


def metadata_urls(issuer: str) -> list[str]:
    """Where the metadata may be, in the order the MCP authorization spec tries them.

    RFC 8414 §3.1 inserts the well-known segment before the issuer's path; OIDC Discovery appends it (and
    some servers, Keycloak's realms among them, answer only there).
    """
    parts = urlsplit(issuer)
    path = parts.path.rstrip("/")
    inserted = [urlunsplit((parts.scheme, parts.netloc, f"/.well-known/{name}{path}", "", "")) for name in (
        "oauth-authorization-server", "openid-configuration")]  # fmt: skip
    appended = f"{issuer.rstrip('/')}/.well-known/openid-configuration"
    return list(dict.fromkeys([*inserted, appended] if path else inserted))


async def discover(client: IdentityClient, issuer: str) -> IssuerMetadata:
    """The first metadata document found for ``issuer``, which must name ``issuer`` exactly (RFC 8414 §3.3).

    Raises:
        IdentityUnreachable: no URL answered with metadata for this issuer.
    """
    reasons: list[str] = []
    for url in metadata_urls(issuer):
        try:
            document = await client.get_json(url)
        except IdentityUnreachable as exc:
            reasons.append(str(exc))
            continue
        if document.get("issuer") != issuer:
            reasons.append(f"{url} names issuer {document.get('issuer')!r}, not {issuer!r}")
            continue
        return IssuerMetadata(issuer, _text(document, "jwks_uri"), _text(document, "introspection_endpoint"))
    raise IdentityUnreachable(issuer, "no authorization server metadata: " + "; ".join(reasons))


def _text(document: dict[str, Any], name: str) -> str | None:
    value = document.get(name)
    return value if isinstance(value, str) and value.startswith(("https://", "http://")) else None
