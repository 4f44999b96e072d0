"""The OAuth resource server's parts on virtual time: settings, the key cache's life, introspection's cache,
the per-user quota and the cache scope. The whole, against a real authorization server, is test_oauth.py."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from pydantic import SecretStr

from mcp_token_counter.auth import outage
from mcp_token_counter.auth.calls import WINDOW_S, UserQuota
from mcp_token_counter.auth.discovery import metadata_urls
from mcp_token_counter.auth.introspection import IntrospectionVerifier
from mcp_token_counter.auth.keys import SigningKeys
from mcp_token_counter.config import OAuthSettings
from mcp_token_counter.core.scope import acting_for, cache_scope
from mcp_token_counter.errors import ConfigError
from mcp_token_counter.upstream.identity import IdentityClient, IdentityUnreachable
from tests.reliability import FakeClock

ISSUER = "https://id.example.com"
RESOURCE = "https://tokens.example.com/mcp"
JWK = {"kty": "RSA", "kid": "k1", "n": "AQAB", "e": "AQAB"}


class ScriptedIssuer(IdentityClient):
    """An authorization server whose answers the test sets; ``down`` makes every request fail."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False
        self.requests: list[str] = []
        self.sent: tuple[dict[str, str], str, SecretStr] | None = None
        self.introspection: dict[str, Any] = {"active": True, "aud": RESOURCE, "sub": "alice", "scope": "a"}

    async def get_json(self, url: str) -> dict[str, Any]:
        self.requests.append(url)
        if self.down:
            raise IdentityUnreachable(url, "no answer (ConnectError)")
        if url.endswith("/jwks"):
            return {"keys": [JWK]}
        return {"issuer": ISSUER, "jwks_uri": f"{ISSUER}/jwks"}

    async def post_form(self, url: str, form: Mapping[str, str], *, user: str, password: SecretStr) -> dict[str, Any]:
        self.requests.append(url)
        self.sent = (dict(form), user, password)
        if self.down:
            raise IdentityUnreachable(url, "no answer (ConnectError)")
        return dict(self.introspection)


def settings(**extra: str) -> OAuthSettings:
    found = OAuthSettings.from_env(
        {"TOKEN_COUNTER_OAUTH_ISSUER": ISSUER, "TOKEN_COUNTER_PUBLIC_URL": RESOURCE, **extra}
    )
    assert found is not None
    return found


def test_settings_default_the_audience_to_the_public_url_and_read_scopes_either_way() -> None:
    read = settings(TOKEN_COUNTER_OAUTH_SCOPES="tokens:count, tokens:admin")
    assert read.audience == RESOURCE
    assert read.scopes == ("tokens:count", "tokens:admin")
    assert settings(TOKEN_COUNTER_OAUTH_AUDIENCE="api://counter").audience == "api://counter"
    assert OAuthSettings.from_env({}) is None


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"TOKEN_COUNTER_OAUTH_ISSUER": ISSUER}, "TOKEN_COUNTER_PUBLIC_URL"),
        ({"TOKEN_COUNTER_OAUTH_SCOPES": "a"}, "TOKEN_COUNTER_OAUTH_SCOPES"),  # half a set-up is no set-up
        (
            {"TOKEN_COUNTER_OAUTH_ISSUER": "id.example.com", "TOKEN_COUNTER_PUBLIC_URL": RESOURCE},
            "TOKEN_COUNTER_OAUTH_ISSUER",
        ),
        (
            {
                "TOKEN_COUNTER_OAUTH_ISSUER": ISSUER,
                "TOKEN_COUNTER_PUBLIC_URL": RESOURCE,
                "TOKEN_COUNTER_OAUTH_INTROSPECTION_URL": f"{ISSUER}/introspect",
            },
            "TOKEN_COUNTER_OAUTH_CLIENT_ID",
        ),
        (
            {
                "TOKEN_COUNTER_OAUTH_ISSUER": ISSUER,
                "TOKEN_COUNTER_PUBLIC_URL": RESOURCE,
                "TOKEN_COUNTER_OAUTH_JWKS_TTL": "0",
            },
            "TOKEN_COUNTER_OAUTH_JWKS_TTL",
        ),
    ],
)
def test_bad_oauth_settings_name_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as raised:
        OAuthSettings.from_env(env)
    assert raised.value.variable == variable


def test_the_client_secret_is_never_shown() -> None:
    secret = "introspection-secret-value"
    read = settings(
        TOKEN_COUNTER_OAUTH_INTROSPECTION_URL=f"{ISSUER}/introspect",
        TOKEN_COUNTER_OAUTH_CLIENT_ID="counter",
        TOKEN_COUNTER_OAUTH_CLIENT_SECRET=secret,
    )
    assert secret not in repr(read)


def test_metadata_is_looked_for_where_rfc_8414_and_oidc_put_it() -> None:
    assert metadata_urls("https://id.example.com") == [
        "https://id.example.com/.well-known/oauth-authorization-server",
        "https://id.example.com/.well-known/openid-configuration",
    ]
    assert metadata_urls("https://id.example.com/realms/team") == [
        "https://id.example.com/.well-known/oauth-authorization-server/realms/team",
        "https://id.example.com/.well-known/openid-configuration/realms/team",
        "https://id.example.com/realms/team/.well-known/openid-configuration",
    ]


@pytest.mark.anyio
async def test_cached_keys_serve_through_an_outage_until_they_expire() -> None:
    clock, issuer = FakeClock(), ScriptedIssuer()
    keys = SigningKeys(issuer, ISSUER, ttl_s=100, clock=clock)
    assert await keys.start() is None
    issuer.down = True
    clock._now = 99  # pyright: ignore[reportPrivateUsage]
    assert await keys.ready()  # a refresh failed, the keys are kept
    assert await keys.candidates("k1") == [JWK]
    clock._now = 100  # pyright: ignore[reportPrivateUsage]
    assert not await keys.ready()
    assert keys.problem is not None
    assert "no answer" in keys.problem
    issuer.down = False
    clock._now = 106  # pyright: ignore[reportPrivateUsage]  # past the retry interval
    assert await keys.ready()


@pytest.mark.anyio
async def test_a_jwks_without_signing_keys_is_a_problem_at_start() -> None:
    issuer = ScriptedIssuer()

    async def shared_key_only(url: str) -> dict[str, Any]:
        return {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]} if url.endswith("/jwks") else {
            "issuer": ISSUER, "jwks_uri": f"{ISSUER}/jwks"}  # fmt: skip

    issuer.get_json = shared_key_only  # type: ignore[method-assign]
    problem = await SigningKeys(issuer, ISSUER, ttl_s=100, clock=FakeClock()).start()
    assert problem is not None
    assert "no signing keys" in problem


def introspecting(issuer: ScriptedIssuer, clock: FakeClock, ttl: str) -> IntrospectionVerifier:
    read = settings(
        TOKEN_COUNTER_OAUTH_INTROSPECTION_URL=f"{ISSUER}/introspect",
        TOKEN_COUNTER_OAUTH_CLIENT_ID="counter",
        TOKEN_COUNTER_OAUTH_CLIENT_SECRET="introspection-secret",
        TOKEN_COUNTER_OAUTH_INTROSPECTION_TTL=ttl,
    )
    return IntrospectionVerifier(read, issuer, clock)


@pytest.mark.anyio
async def test_a_revoked_token_passes_at_most_for_the_introspection_ttl() -> None:
    clock, issuer = FakeClock(), ScriptedIssuer()
    verifier = introspecting(issuer, clock, ttl="30")
    granted = await verifier.verify_token("opaque-token")
    assert granted is not None
    assert granted.subject == "alice"
    assert issuer.sent is not None
    assert issuer.sent[:2] == ({"token": "opaque-token", "token_type_hint": "access_token"}, "counter")
    issuer.introspection = {"active": False}  # revoked
    clock._now = 29.9  # pyright: ignore[reportPrivateUsage]
    assert await verifier.verify_token("opaque-token") is not None
    clock._now = 30.0  # pyright: ignore[reportPrivateUsage]
    assert await verifier.verify_token("opaque-token") is None


@pytest.mark.anyio
async def test_introspection_refuses_another_audience_and_notes_an_outage() -> None:
    clock, issuer = FakeClock(), ScriptedIssuer()
    verifier = introspecting(issuer, clock, ttl="0")
    issuer.introspection = {"active": True, "aud": "https://other.example.com/mcp", "sub": "alice"}
    assert await verifier.verify_token("t") is None
    issuer.down = True
    notes = outage.listen()
    assert await verifier.verify_token("t") is None
    assert notes
    assert "no answer" in notes[0]


@pytest.mark.anyio
async def test_each_user_has_a_quota_of_its_own_that_reopens_after_a_minute() -> None:
    clock = FakeClock()
    quota = UserQuota(2, clock=clock)
    assert await quota.take("alice", None) is None
    clock._now = 10  # pyright: ignore[reportPrivateUsage]
    assert await quota.take("alice", None) is None
    assert await quota.take("alice", None) == pytest.approx(WINDOW_S - 10)
    assert await quota.take("bob", None) is None
    clock._now = WINDOW_S  # pyright: ignore[reportPrivateUsage]
    assert await quota.take("alice", None) is None


def test_the_cache_scope_separates_subjects_and_leaves_others_alone() -> None:
    assert cache_scope("anthropic") == "anthropic"
    with acting_for("alice"):
        alice = cache_scope("anthropic")
    with acting_for("bob"):
        bob = cache_scope("anthropic")
    assert len({alice, bob, "anthropic"}) == 3
    assert "alice" not in alice  # a digest, not the subject
