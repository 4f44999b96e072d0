"""The protected resource metadata (RFC 9728) at the root well-known path, beside the SDK's path-suffixed one.

The SDK serves it at ``/.well-known/oauth-protected-resource/mcp`` (RFC 9728 §3.1 for a resource with a
path); clients that predate that rule, and people checking by hand, ask the root path, so it answers too.
"""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import urlsplit

from mcp.server import MCPServer
from mcp.server.auth.handlers.metadata import ProtectedResourceMetadataHandler
from mcp.shared.auth import ProtectedResourceMetadata
from starlette.requests import Request
from starlette.responses import Response

from ..config import OAuthSettings

ROOT_PATH: Final = "/.well-known/oauth-protected-resource"


def metadata(settings: OAuthSettings) -> ProtectedResourceMetadata:
    """The document the SDK serves, built the same way: the resource, its issuer and its scopes."""
    return ProtectedResourceMetadata.model_validate({
        "resource": settings.resource,
        "authorization_servers": [settings.issuer],  # as written: a trailing slash would change the issuer
        "scopes_supported": list(settings.scopes) or None,
    })  # fmt: skip


def add_root_route(server: MCPServer[Any], settings: OAuthSettings) -> None:
    """Serve the metadata at the root path too, when the resource has a path (else the SDK's route is it)."""
    if urlsplit(settings.resource).path.strip("/") == "":
        return
    handler = ProtectedResourceMetadataHandler(metadata(settings))

    @server.custom_route(ROOT_PATH, methods=["GET"])
    async def _root(request: Request) -> Response:  # pyright: ignore[reportUnusedFunction]
        return await handler.handle(request)
