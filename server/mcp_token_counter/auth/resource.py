"""The resource server as one piece: settings → the token verifier, the SDK's ``AuthSettings``, readiness.

Tokens pass when the static bearer token (``TOKEN_COUNTER_HTTP_TOKEN``, when also set) matches, or the
issuer vouches for them: by signature (JWT, the default) or by introspection (when an introspection URL is
set). A misconfiguration keeps the verifier from being built: ``problem`` says why and the gate answers 503.
"""

from __future__ import annotations

import hmac
import logging
from typing import TYPE_CHECKING, Any, Final

from mcp.server import MCPServer
from mcp.server.auth.provider import AccessToken, TokenVerifier
from mcp.server.auth.routes import build_resource_metadata_url
from mcp.server.auth.settings import AuthSettings
from pydantic import AnyHttpUrl, SecretStr
from starlette.types import ASGIApp

from ..clock import Clock, SystemClock
from ..config import OAuthSettings
from ..errors import ConfigError
from ..serving.web import is_mcp_path
from ..upstream.identity import IdentityClient
from .introspection import IntrospectionVerifier
from .jwt_tokens import JwtVerifier
from .keys import SigningKeys
from .metadata import add_root_route

if TYPE_CHECKING:  # prometheus-client: the server's metrics are made elsewhere
    from ..metrics import Metrics

logger = logging.getLogger(__name__)

# Who a request authorised by the static token is, in quotas, logs and cache scopes.
STATIC_SUBJECT: Final = "static-token"


class ResourceServer:
    """The OAuth resource server of one HTTP app: verifier, settings for the SDK, readiness, start-up line."""

    def __init__(
        self,
        settings: OAuthSettings | None,
        *,
        error: ConfigError | None = None,
        static_token: SecretStr | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.settings = settings
        self.error = error
        self._clock = clock or SystemClock()
        self._client = IdentityClient()
        self._keys: SigningKeys | None = None
        self._inner: TokenVerifier | None = None
        if settings is not None and error is None:
            self._inner = self._verifier(settings)
        self._static = static_token.get_secret_value().encode("utf-8") if static_token else None
        self._metrics: Metrics | None = None

    def _verifier(self, settings: OAuthSettings) -> TokenVerifier:
        if settings.introspection_url is not None:
            return IntrospectionVerifier(settings, self._client, self._clock)
        self._keys = SigningKeys(self._client, settings.issuer, ttl_s=settings.jwks_ttl_s, clock=self._clock)
        return JwtVerifier(settings, self._keys)

    @property
    def scopes(self) -> tuple[str, ...]:
        """The scopes every token needs (the hint in a 401 or 403)."""
        return self.settings.scopes if self.settings is not None else ()

    def auth_settings(self) -> AuthSettings | None:
        """The SDK's settings: the metadata routes, the 401/403 middleware and the resource check."""
        settings = self.settings
        if settings is None or self._inner is None:
            return None
        # Strings, not AnyHttpUrl: the model keeps an empty path as written, so a path-less issuer gets no
        # trailing slash that the client's exact issuer comparison (RFC 8414 §3.3) would refuse.
        return AuthSettings.model_validate({
            "issuer_url": settings.issuer,
            "resource_server_url": settings.resource,
            "required_scopes": list(settings.scopes) or None,
            "validate_token_resource": True,
        })  # fmt: skip

    def server_kwargs(self) -> dict[str, Any]:
        """What ``build_server`` passes the SDK: its auth settings and this as the verifier (none when invalid)."""
        auth = self.auth_settings()
        return {} if auth is None else {"auth": auth, "token_verifier": self}

    def add_routes(self, server: MCPServer[Any]) -> None:
        """The resource metadata at the root well-known path as well (``metadata``)."""
        if self.settings is not None and self._inner is not None:
            add_root_route(server, self.settings)

    def guard(self, app: ASGIApp) -> ASGIApp:
        """``app`` behind the gate: 503 while tokens cannot be checked, scope hints on challenges; refusals
        counted in ``metrics`` when given (``watch``)."""
        from .gate import OAuthGate

        return OAuthGate(app, self, protected=is_mcp_path, refused=self._count_refusal)

    def watch(self, metrics: Metrics) -> None:
        """Count the gate's refusals (401, 403, 503) in ``metrics``."""
        self._metrics = metrics

    def _count_refusal(self, status: int) -> None:
        if self._metrics is not None:
            self._metrics.auth_refusals.labels(status=str(status)).inc()

    def metadata_url(self) -> str:
        """Where the protected resource metadata is (RFC 9728 §3.1), for a challenge's ``resource_metadata``."""
        resource = self.settings.resource if self.settings is not None else "http://localhost/"
        return str(build_resource_metadata_url(AnyHttpUrl(resource)))

    async def verify_token(self, token: str) -> AccessToken | None:
        """The SDK's ``TokenVerifier``: the static token first (constant time), then the issuer's word."""
        if self._static is not None and hmac.compare_digest(token.encode("utf-8", "replace"), self._static):
            return self._static_grant(token)
        return await self._inner.verify_token(token) if self._inner is not None else None

    def _static_grant(self, token: str) -> AccessToken:
        settings = self.settings
        assert settings is not None
        return AccessToken(
            token=token, client_id=STATIC_SUBJECT, scopes=list(settings.scopes), resource=settings.resource,
            subject=STATIC_SUBJECT,
        )  # fmt: skip

    async def start(self) -> None:
        """Check the issuer once at start-up; one warning line when tokens cannot be checked yet."""
        problem = str(self.error) if self.error is not None else None
        if problem is None and self._keys is not None:
            problem = await self._keys.start()
        if problem is not None:
            logger.warning("OAuth is not ready, /mcp answers 503 until it is: %s", problem)

    async def problem(self) -> str | None:
        """Why tokens cannot be checked now (the gate's 503), or None."""
        if self.error is not None:
            return f"the server's OAuth settings are invalid ({self.error.variable})"
        if self._keys is not None and not await self._keys.ready():
            return "the authorization server's signing keys cannot be fetched"
        return None

    async def aclose(self) -> None:
        """Close the HTTP client to the authorization server."""
        await self._client.aclose()
